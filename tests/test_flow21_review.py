"""What a reviewer's pages offer, the approved-only ZIPs where people expect them (the
selection bar, the gallery, Team and a project's page) and how they answer when there is
nothing to give, and a running card that follows its review status and title."""

import io
import zipfile

from django.urls import reverse

from generations.models import Project, ReviewStatus, Role, Teammate
from tests.helpers import (
    StudioTestCase,
    body,
    make_generation,
    make_ready_generation,
    make_user,
    swaps,
)

ZIP = reverse("generations:zip")


def names_in(answer) -> list[str]:
    assert answer.status_code == 200, answer.status_code
    return zipfile.ZipFile(io.BytesIO(body(answer))).namelist()


class ReviewerPagesTests(StudioTestCase):
    """Rita is a reviewer: she decides on what she sees, and renames nothing, not even a
    video she made before she became a reviewer."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.rita = make_user("rita")
        cls.older = make_ready_generation(cls.rita, prompt="Rita's own from before")
        Teammate.set_role(cls.rita, Role.REVIEWER)
        cls.project = Project.objects.create(name="Spring launch", created_by=cls.alice)
        cls.shared = make_ready_generation(cls.alice, prompt="Perfume on marble")
        cls.shared.share_for(cls.alice)
        cls.in_project = make_ready_generation(cls.alice, prompt="Bottle in the rain")
        cls.in_project.move_for(cls.alice, cls.project)
        for video in (cls.shared, cls.in_project):
            video.decide_for(cls.alice, ReviewStatus.APPROVED)

    def setUp(self):
        self.client.force_login(self.rita)

    def test_her_video_pages_offer_the_decision_and_no_rename(self):
        for video in (self.shared, self.in_project, self.older):
            page = self.client.get(video.get_absolute_url())
            with self.subTest(video.prompt):
                self.assertContains(page, 'name="review_status"', count=4)
                self.assertNotContains(page, 'class="rename"')
                self.assertNotContains(page, reverse("generations:rename", args=[video.pk]))

    def test_her_lists_offer_the_approved_zip_and_the_selection_s_approved_button(self):
        pages = {
            "team": reverse("generations:team"),
            str(self.project.pk): self.project.get_absolute_url(),
        }
        for where, url in pages.items():
            page = self.client.get(url)
            with self.subTest(where):
                self.assertContains(page, f"approved=1&amp;in={where}")
                self.assertContains(page, 'id="zip-approved-button"')
                self.assertContains(page, 'data-review="approved"')
                self.assertNotContains(page, 'class="rename"')

    def test_her_approved_zips_hold_what_she_sees(self):
        team = names_in(self.client.get(ZIP, {"approved": 1, "in": "team"}))
        project = names_in(self.client.get(ZIP, {"approved": 1, "in": self.project.pk}))

        self.assertEqual(
            sorted(team), sorted([self.shared.download_name, self.in_project.download_name])
        )
        self.assertEqual(project, [self.in_project.download_name])

    def test_her_own_gallery_has_no_approved_video_and_says_so(self):
        answer = self.client.get(ZIP, {"approved": 1, "in": "own"}, follow=True)

        self.assertEqual(answer.redirect_chain, [(reverse("generations:index"), 302)])
        self.assertContains(answer, "No approved video here is ready to download yet.")


class ApprovedZipTests(StudioTestCase):
    def test_the_selection_bar_s_approved_zip_holds_the_ticked_approved_ones_only(self):
        chosen = make_ready_generation(self.alice, prompt="The chosen one")
        ticked_draft = make_ready_generation(self.alice, prompt="Ticked draft")
        untouched = make_ready_generation(self.alice, prompt="Approved, not ticked")
        for video in (chosen, untouched):
            video.decide_for(self.alice, ReviewStatus.APPROVED)

        page = self.client.get(reverse("generations:index"))
        # What the bar's button sends: the ticks, the page's `next`, and approved=1.
        answer = self.client.get(
            ZIP, {"ids": [chosen.pk, ticked_draft.pk], "next": "/?q=kite", "approved": 1}
        )

        self.assertContains(page, 'name="approved" value="1"')
        self.assertContains(
            page, f'id="card-{chosen.pk}" data-pk="{chosen.pk}" data-review="approved"'
        )
        self.assertEqual(names_in(answer), [chosen.download_name])

    def test_a_selection_without_an_approved_video_goes_back_to_its_page_and_says_so(self):
        draft = make_ready_generation(self.alice, prompt="Still a draft")

        answer = self.client.get(ZIP, {"ids": [draft.pk], "next": "/?q=kite", "approved": 1})

        self.assertRedirects(answer, "/?q=kite", fetch_redirect_response=False)
        page = self.client.get(answer["Location"])
        self.assertContains(page, "No approved video here is ready to download yet.")

    def test_a_project_s_named_person_gets_its_approved_zip_and_others_a_404(self):
        carol = make_user("carol")
        project = Project.objects.create(name="Secret launch", created_by=self.alice)
        project.set_people(True, [self.alice, carol])
        video = make_ready_generation(self.alice, prompt="Secret approved shot")
        video.move_for(self.alice, project)
        video.decide_for(self.alice, ReviewStatus.APPROVED)

        self.client.force_login(carol)
        carols = self.client.get(ZIP, {"approved": 1, "in": project.pk})
        self.client.force_login(self.bob)
        bobs = self.client.get(ZIP, {"approved": 1, "in": project.pk})
        missing = self.client.get(ZIP, {"approved": 1, "in": 999999})

        self.assertEqual(names_in(carols), [video.download_name])
        self.assertEqual((bobs.status_code, missing.status_code), (404, 404))

    def test_an_empty_project_says_so_on_the_project_s_page(self):
        project = Project.objects.create(name="Quiet launch", created_by=self.alice)

        answer = self.client.get(ZIP, {"approved": 1, "in": project.pk}, follow=True)

        self.assertEqual(answer.redirect_chain, [(project.get_absolute_url(), 302)])
        self.assertContains(answer, "No approved video here is ready to download yet.")

    def test_a_trashed_or_unfinished_approved_video_is_left_out(self):
        kept = make_ready_generation(self.alice, prompt="Kept")
        trashed = make_ready_generation(self.alice, prompt="Trashed")
        running = make_generation(self.alice, prompt="Still running")
        for video in (kept, trashed, running):
            video.decide_for(self.alice, ReviewStatus.APPROVED)
        trashed.trash_for(self.alice)

        self.assertEqual(
            names_in(self.client.get(ZIP, {"approved": 1, "in": "own"})), [kept.download_name]
        )


class RunningCardTests(StudioTestCase):
    """A running card's review badge and title follow the row without waiting for the end."""

    def poll(self, generation, version: int) -> dict[str, str]:
        answer = self.client.get(
            reverse("generations:poll"),
            {"v": f"card:{generation.pk}:{version}"},
            headers={"HX-Request": "true"},
        )
        return {key: html for key, html in swaps(answer).items() if key != "jobs-indicator"}

    def test_a_decision_on_a_running_video_redraws_its_card(self):
        job = make_generation(self.alice, prompt="A kite still rendering")
        shown = job.card_version

        job.decide_for(self.alice, ReviewStatus.IN_REVIEW)
        card = self.poll(job, shown)[f"card-{job.pk}"]

        self.assertIn('<span class="review-badge review-in_review">In review</span>', card)
        self.assertIn("data-poll=", card)  # still running: the card keeps polling
        self.assertEqual(self.poll(job, job.card_version), {})  # and then quiet again

    def test_a_rename_of_a_running_video_redraws_its_card(self):
        job = make_generation(self.alice, prompt="A kite still rendering")
        shown = job.card_version

        job.rename_for(self.alice, "Kite hero shot")

        self.assertIn("Kite hero shot", self.poll(job, shown)[f"card-{job.pk}"])

    def test_a_draft_never_renamed_keeps_the_digest_it_had(self):
        from generations.models import card_version_of

        self.assertEqual(
            card_version_of("queued", None, None, None),
            card_version_of("queued", None, None, None, None, "draft", ""),
        )


class AskingForReviewTests(StudioTestCase):
    """In review on a video only its maker sees would wait for nobody: the page says so."""

    def decide(self, video, htmx: bool):
        headers = {"HX-Request": "true"} if htmx else {}
        url = reverse("generations:decide", args=[video.pk])
        return self.client.post(url, {"review_status": "in_review"}, headers=headers, follow=True)

    def test_a_private_video_put_in_review_says_no_reviewer_can_see_it(self):
        for htmx in (True, False):
            video = make_ready_generation(self.alice, prompt="Private kite")
            with self.subTest(htmx=htmx):
                self.assertContains(self.decide(video, htmx), "Only you can see this video")

    def test_a_shared_video_or_one_in_a_project_says_nothing_of_the_kind(self):
        shared = make_ready_generation(self.alice, prompt="Shared kite")
        shared.share_for(self.alice)
        in_project = make_ready_generation(self.alice, prompt="Project kite")
        in_project.move_for(self.alice, Project.objects.create(name="Kites", created_by=self.alice))

        for video in (shared, in_project):
            with self.subTest(video.prompt):
                answer = self.decide(video, htmx=True)
                self.assertContains(answer, 'aria-pressed="true">In review</button>')
                self.assertNotContains(answer, "Only you can see this video")
