"""Versions: Edit and try again, Make another like this and a continued shot stack as the
next version of one video (one card per stack, newest on top, with its count); takes stay
takes; a stack's page steps through its versions and compares with the previous one."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Generation
from tests.helpers import StudioTestCase, make_ready_generation, valid_data

CREATE_URL = reverse("generations:create")
INDEX_URL = reverse("generations:index")


def remake_of(client, source, **overrides) -> Generation:
    """What "Make another like this" (or "Edit and try again") posts: the form, filled."""
    data = valid_data(**{"made_from": str(source.pk), "prompt": source.prompt, **overrides})
    response = client.post(CREATE_URL, data)
    assert response.status_code == 302, response.content[:500]
    return Generation.objects.order_by("-created_at", "-pk").first()


def finished(video: Generation) -> Generation:
    """The job as if the worker had saved its video (a ready copy of a fresh file)."""
    ready = make_ready_generation(video.owner)
    Generation.objects.filter(pk=video.pk).update(
        status="ready", video=ready.video.name, poster=ready.poster.name, video_bytes=1
    )
    Generation.objects.filter(pk=ready.pk).delete()
    video.refresh_from_db()
    return video


class StackingTests(StudioTestCase):
    def test_each_try_from_a_video_is_its_next_version(self):
        first = make_ready_generation(self.alice, prompt="Kite over a field")

        second = remake_of(self.client, first, prompt="Kite over a field, closer")
        third = remake_of(self.client, second, prompt="Kite over a field, at dusk")

        self.assertEqual((second.stack, second.version), (first, 2))
        self.assertEqual((third.stack, third.version), (first, 3))
        self.assertEqual([v.version for v in third.versions()], [1, 2, 3])

    def test_the_next_version_of_a_renamed_video_keeps_its_title(self):
        first = make_ready_generation(self.alice, prompt="Kite over a field")
        first.rename_for(self.alice, "Kite hero")

        second = remake_of(self.client, first, prompt="Kite over a field, closer")

        self.assertEqual((second.title, second.version), ("Kite hero", 2))
        found = self.client.get(INDEX_URL + "?q=hero")
        self.assertEqual(found.context["sections"]["ids"], [str(second.pk)])

    def test_several_takes_stay_takes_and_a_take_grows_versions(self):
        source = make_ready_generation(self.alice, prompt="Kite over a field")

        self.client.post(CREATE_URL, valid_data(made_from=str(source.pk), takes="3"))
        takes = list(Generation.objects.exclude(take_group=None).order_by("take_number"))
        retried = remake_of(self.client, finished(takes[1]), prompt="Take two, again")

        self.assertEqual(len(takes), 3)
        self.assertTrue(all(take.stack_id is None and take.version == 1 for take in takes))
        self.assertEqual((retried.stack, retried.version), (takes[1], 2))
        group = self.client.get(reverse("generations:takes", args=[takes[0].pk]))
        self.assertEqual(len(group.context["group"]), 3)

    def test_a_teammates_remake_starts_a_stack_of_their_own(self):
        source = make_ready_generation(self.alice, prompt="Kite over a field")
        source.share_for(self.alice)
        self.client.force_login(self.bob)

        remake = remake_of(self.client, source, prompt="Bob's kite")

        self.assertEqual((remake.stack_id, remake.version, remake.made_from), (None, 1, source))

    def test_a_continued_shot_is_the_next_version(self):
        source = make_ready_generation(self.alice, prompt="Kite over a field")

        shot, _ = Generation.objects.create_for(
            self.alice, {**valid_data(), "seconds": 4}, continues=source, continues_at=3.5
        )

        self.assertEqual((shot.stack, shot.version, shot.continues_at), (source, 2, 3.5))


class StackInGalleryTests(StudioTestCase):
    def test_one_card_per_stack_the_newest_on_top_with_its_count(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))
        remake_of(self.client, second, prompt="Kite version three")
        make_ready_generation(self.alice, prompt="Another video")

        page = self.client.get(INDEX_URL)

        newest = Generation.objects.get(prompt="Kite version three")
        self.assertEqual(page.context["sections"]["ids"][1:], [str(newest.pk)])
        self.assertEqual(len(page.context["sections"]["ids"]), 2)
        self.assertContains(page, "3 versions")
        self.assertNotContains(page, "Kite version one")
        counts = self.client.get(INDEX_URL + "?counts=1")
        self.assertContains(counts, ">2 videos</p>")  # one per card

    def test_a_filter_that_keeps_an_older_version_shows_that_one(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        remake_of(self.client, first, prompt="Kite version two")
        first.decide_for(self.alice, "approved")

        page = self.client.get(INDEX_URL + "?review=approved")

        self.assertEqual(page.context["sections"]["ids"], [str(first.pk)])

    def test_trashing_the_newest_version_brings_the_previous_back_on_top(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))
        self.client.get(INDEX_URL)

        second.trash_for(self.alice)
        page = self.client.get(INDEX_URL)
        trash = self.client.get(reverse("generations:trash"))

        self.assertEqual(page.context["sections"]["ids"], [str(first.pk)])
        self.assertNotContains(page, "versions</a>")
        self.assertContains(trash, "Kite version two")

    def test_deleting_the_first_version_for_good_keeps_the_rest_one_stack(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))
        third = remake_of(self.client, second, prompt="Kite version three")

        first.delete_for(self.alice)

        second.refresh_from_db()
        third.refresh_from_db()
        self.assertEqual((second.stack_id, third.stack_id), (None, second.pk))
        self.assertEqual([v.version for v in third.versions()], [2, 3])

    def test_stacks_cost_the_gallery_no_query_per_card(self):
        def queries_for_page() -> int:
            self.client.get(INDEX_URL + "?sort=oldest&q=kite")  # past the kept sections
            with CaptureQueriesContext(connection) as ran:
                self.client.get(INDEX_URL + "?q=kite")
            return len(ran)

        for number in range(3):
            make_ready_generation(self.alice, prompt=f"Kite single {number}")
        singles = queries_for_page()
        for number in range(3):
            root = make_ready_generation(self.alice, prompt=f"Kite stacked {number}")
            for version in (2, 3):  # as the worker leaves two later tries
                make_ready_generation(self.alice, prompt="Kite", stack=root, version=version)
        self.assertEqual(queries_for_page(), singles)
        self.assertContains(self.client.get(INDEX_URL + "?q=kite"), "3 versions", count=3)

    def test_the_team_sees_only_the_versions_shared_with_it(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        first.share_for(self.alice)
        remake_of(self.client, first, prompt="Kite version two, private")
        self.client.force_login(self.bob)

        page = self.client.get(reverse("generations:team"))

        self.assertEqual(page.context["sections"]["ids"], [str(first.pk)])
        self.assertNotContains(page, "private")


class StackPageTests(StudioTestCase):
    def test_the_page_steps_through_versions_and_compares_with_the_previous(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))

        page = self.client.get(second.get_absolute_url())

        self.assertContains(page, f'<a class="version-link" href="{first.get_absolute_url()}"')
        self.assertContains(page, 'aria-current="page">v2</span>')
        compare = f"{reverse('generations:compare')}?ids={first.pk}&amp;ids={second.pk}"
        self.assertContains(page, compare)
        shown = self.client.get(compare.replace("&amp;", "&"))
        self.assertEqual([v.pk for v in shown.context["videos"]], [first.pk, second.pk])
        self.assertContains(shown, '<strong class="compare-version">v1</strong>')
        self.assertContains(shown, '<strong class="compare-version">v2</strong>')
        older = self.client.get(first.get_absolute_url())
        self.assertContains(older, "A newer version exists")
        self.assertNotContains(older, "Compare with the previous version")

    def test_comments_stay_with_their_version(self):
        first = make_ready_generation(self.alice, prompt="Kite version one")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))
        comments = reverse("generations:comments", args=[first.pk])

        self.client.post(comments, {"body": "Too dark here", "at": ""})

        self.assertContains(self.client.get(first.get_absolute_url()), "Too dark here")
        self.assertNotContains(self.client.get(second.get_absolute_url()), "Too dark here")

    def test_previous_and_next_step_over_older_versions(self):
        before = make_ready_generation(self.alice, prompt="Made before")
        first = make_ready_generation(self.alice, prompt="Kite version one")
        after = make_ready_generation(self.alice, prompt="Made after")
        second = finished(remake_of(self.client, first, prompt="Kite version two"))

        for way in ("?list=sort%3Dnewest", ""):  # from a filtered list, and from the whole
            listed = self.client.get(after.get_absolute_url() + way)
            self.assertContains(listed, f'href="{second.get_absolute_url()}?list=', msg_prefix=way)
            self.assertContains(listed, f'href="{before.get_absolute_url()}?list=', msg_prefix=way)
            self.assertNotContains(listed, first.get_absolute_url(), msg_prefix=way)
