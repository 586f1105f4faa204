"""The Team view: everything shared, with its maker's name, searched and filtered like
one's own gallery; and what a teammate builds on a shared video."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Comment, Favourite, Generation
from generations.team_views import PEOPLE, PEOPLE_MAX
from tests.helpers import StudioTestCase, make_ready_generation, make_user, with_first_frame

TEAM_URL = reverse("generations:team")


def shared(owner, **fields) -> Generation:
    generation = make_ready_generation(owner, **fields)
    generation.share_for(owner)
    return generation


class TeamViewTests(StudioTestCase):
    def test_it_lists_what_the_team_shared_with_each_maker_s_name(self):
        kite = shared(self.alice, prompt="Alice's kite")
        boat = shared(self.bob, prompt="Bob's boat")
        private = make_ready_generation(self.bob, prompt="Bob's secret")

        response = self.client.get(TEAM_URL)

        self.assertContains(response, str(kite.pk))
        self.assertContains(response, str(boat.pk))
        self.assertNotContains(response, str(private.pk))
        self.assertContains(response, '<span class="maker">bob</span>')
        self.assertContains(self.client.get(TEAM_URL, {"counts": 1}), "2 videos")

    def test_search_filters_and_person_narrow_it_with_counts(self):
        carol = make_user("carol")
        carol.first_name = "Carol"
        carol.save()
        shared(self.alice, prompt="Café in the rain")
        shared(carol, prompt="Cafe at night", size="720x1280")
        shared(carol, prompt="Harbour at dawn")

        found = self.client.get(TEAM_URL, {"q": "cafe", "counts": 1})
        self.assertContains(found, "2 videos")
        self.assertContains(found, "Carol (1)")
        self.assertContains(found, "alice (1)")

        by_carol = self.client.get(TEAM_URL, {"person": carol.pk, "counts": 1})
        self.assertContains(by_carol, "2 videos")
        self.assertContains(by_carol, f'<option value="{carol.pk}" selected>Carol (2)</option>')

        portrait = self.client.get(
            TEAM_URL, {"person": carol.pk, "orientation": "portrait", "counts": 1}
        )
        self.assertContains(portrait, "1 video<")

        none = self.client.get(TEAM_URL, {"q": "volcano"})
        self.assertContains(none, "Nothing shared matches")

    def test_an_empty_team_view_says_how_to_share(self):
        response = self.client.get(TEAM_URL)

        self.assertContains(response, "Nothing shared yet")

    def test_a_video_its_owner_moved_to_the_trash_is_gone_for_the_team(self):
        video = shared(self.bob)
        self.client.force_login(self.bob)
        self.client.post(reverse("generations:delete", args=[video.pk]), follow=True)
        self.client.force_login(self.alice)

        self.assertNotContains(self.client.get(TEAM_URL), str(video.pk))
        self.assertEqual(self.client.get(video.get_absolute_url()).status_code, 404)

    def test_previous_and_next_walk_the_team_list(self):
        older = shared(self.bob, prompt="Older one")
        newer = shared(self.bob, prompt="Newer one")

        page = self.client.get(newer.get_absolute_url(), {"list": ""})

        self.assertContains(page, older.get_absolute_url())
        self.assertContains(page, "← Team")

    def test_the_same_queries_at_10_and_at_40_shared_videos(self):
        people = [self.bob, make_user("carol"), make_user("dan")]

        def fill(count):
            for i in range(count):
                video = shared(people[i % 3], prompt=f"Scene {i} cafe")
                Comment.objects.create(generation=video, author=self.alice, body="Nice")

        def queries(params):
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(TEAM_URL, params).status_code, 200)
            return len(captured)

        for params in ({}, {"q": "cafe", "status": "ready", "person": str(self.bob.pk)}):
            with self.subTest(params):
                fill(10)
                small = queries(params)
                fill(30)
                self.assertEqual(queries(params), small)
                Generation.objects.all().delete()


class BuildingOnATeammatesVideoTests(StudioTestCase):
    def setUp(self):
        self.source = with_first_frame(shared(self.alice, prompt="Kite at dawn"))
        self.client.force_login(self.bob)

    def test_make_another_lands_in_the_teammate_s_own_gallery_with_a_copy_of_the_frame(self):
        form = self.client.get(reverse("generations:make_another", args=[self.source.pk]))
        self.assertContains(form, "Kite at dawn</textarea>")

        self.client.post(
            reverse("generations:create"),
            {
                "prompt": "Kite at dawn, from the left",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
                "made_from": str(self.source.pk),
                "keep_first_frame": "on",
            },
        )

        made = Generation.objects.get(owner=self.bob)
        self.assertEqual(made.made_from, self.source)
        self.assertFalse(made.is_shared)
        self.assertNotEqual(made.first_frame.name, self.source.first_frame.name)
        media = Path(settings.MEDIA_ROOT)
        self.assertEqual(
            (media / made.first_frame.name).read_bytes(),
            (media / self.source.first_frame.name).read_bytes(),
        )
        self.assertContains(self.client.get(reverse("generations:index")), str(made.pk))
        # Alice's page does not list Bob's private remake.
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(self.source.get_absolute_url()), str(made.pk))

    def test_a_teammate_s_star_is_their_own(self):
        self.client.post(reverse("generations:star", args=[self.source.pk]), {"starred": "1"})

        self.assertTrue(Favourite.objects.filter(person=self.bob, generation=self.source).exists())
        self.assertFalse(self.source.is_starred_by(self.alice))
        starred = self.client.get(TEAM_URL, {"starred": "true", "counts": 1})
        self.assertContains(starred, "1 video<")
        self.client.force_login(self.alice)
        self.assertContains(
            self.client.get(TEAM_URL, {"starred": "true"}), "Nothing shared matches"
        )

    def test_a_teammate_compares_shared_videos_of_two_people(self):
        theirs = shared(make_user("carol"))

        response = self.client.get(
            reverse("generations:compare"), {"ids": [self.source.pk, theirs.pk]}
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, reverse("generations:video", args=[self.source.pk]))
        self.assertContains(response, reverse("generations:video", args=[theirs.pk]))

    def test_a_teammate_stars_a_selection_of_shared_videos_but_never_a_private_one(self):
        private = make_ready_generation(self.alice)

        self.client.post(
            reverse("generations:selection"),
            {"action": "star", "ids": [self.source.pk, private.pk]},
        )

        starred = Favourite.objects.filter(person=self.bob)
        self.assertEqual([f.generation_id for f in starred], [self.source.pk])

    def test_a_teammate_cannot_trash_or_unshare_a_selection_of_someone_else_s(self):
        trashed = self.client.post(
            reverse("generations:selection"), {"action": "trash", "ids": [self.source.pk]}
        )
        unshared = self.client.post(
            reverse("generations:share_many"),
            {"action": "unshare", "ids": [self.source.pk]},
            follow=True,
        )

        index = reverse("generations:index")
        self.assertRedirects(trashed, index, fetch_redirect_response=False)
        self.assertRedirects(unshared, index)
        self.assertContains(unshared, "Unshared 0 videos.")
        self.source.refresh_from_db()
        self.assertTrue(self.source.is_shared)
        self.assertFalse(self.source.in_trash)


class PersonFilterPeopleTests(StudioTestCase):
    def test_the_people_are_the_orm_s_in_name_order_with_what_the_labels_read(self):
        make_user("zoe", first_name="Zoë", last_name="Adams")
        gone = make_user("carl")
        gone.is_active = False
        gone.save()

        people = PEOPLE.objects()

        expected = list(get_user_model().objects.order_by("username")[:PEOPLE_MAX])
        self.assertEqual(people, expected)
        self.assertEqual(
            [(p.get_full_name(), p.get_username(), p.is_active) for p in people],
            [(p.get_full_name(), p.get_username(), p.is_active) for p in expected],
        )
