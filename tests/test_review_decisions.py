"""A decision per video: the owner and the admins set its review status in one click (with
or without JavaScript), it is kept in the history and the audit with who and when, the
owner is told when someone else decides, and lists filter and zip the approved ones."""

import io
import zipfile

from django.urls import reverse

from generations.models import (
    EventKind,
    Notification,
    NotificationKind,
    Project,
    ReviewStatus,
)
from reports.audit import lines
from tests.helpers import StudioTestCase, body, make_ready_generation, make_user


def decide_url(video) -> str:
    return reverse("generations:decide", args=[video.pk])


class DecisionTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("boss", is_staff=True)

    def test_the_owner_asks_for_review_in_one_click_without_javascript(self):
        video = make_ready_generation(self.alice, prompt="Kite over a field")

        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'name="review_status" value="in_review"')
        self.assertContains(page, 'aria-pressed="true">Draft</button>')

        answer = self.client.post(
            decide_url(video), {"review_status": "in_review", "next": video.get_absolute_url()}
        )

        self.assertRedirects(answer, video.get_absolute_url(), fetch_redirect_response=False)
        video.refresh_from_db()
        self.assertEqual(video.review_status, ReviewStatus.IN_REVIEW)
        event = video.events.get(kind=EventKind.REVIEWED)
        self.assertEqual((event.actor, event.reason), (self.alice, "In review."))
        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'aria-pressed="true">In review</button>')
        self.assertContains(page, "Review status changed</strong> by alice — In review.")
        # Her own decision tells nobody.
        self.assertFalse(Notification.objects.exists())

    def test_htmx_swaps_the_control_in_place(self):
        video = make_ready_generation(self.alice)

        answer = self.client.post(
            decide_url(video), {"review_status": "changes"}, headers={"HX-Request": "true"}
        )

        self.assertEqual(answer.status_code, 200)
        self.assertContains(answer, f'id="review-{video.pk}"')
        self.assertContains(answer, 'aria-pressed="true">Changes requested</button>')
        self.assertContains(answer, "Saved.")
        self.assertContains(answer, 'hx-swap-oob="beforeend:#history-events"')
        self.assertContains(answer, "by alice — Changes requested.</li>")
        self.assertNotContains(answer, "<html")

    def test_an_admin_approves_a_teammates_video_and_the_owner_is_told(self):
        video = make_ready_generation(self.alice, prompt="Perfume bottle on marble")
        video.share_for(self.alice)
        self.client.force_login(self.admin)

        self.client.post(decide_url(video), {"review_status": "approved"})

        video.refresh_from_db()
        self.assertEqual(video.review_status, ReviewStatus.APPROVED)
        told = Notification.objects.get()
        self.assertEqual(
            (told.recipient, told.kind, told.actor, told.url),
            (self.alice, NotificationKind.DECISION, self.admin, video.get_absolute_url()),
        )
        self.assertEqual(told.text, "boss set “Perfume bottle on marble” to Approved.")
        # The same decision again changes nothing and tells nobody twice.
        self.client.post(decide_url(video), {"review_status": "approved"})
        self.assertEqual(Notification.objects.count(), 1)
        self.assertEqual(video.events.filter(kind=EventKind.REVIEWED).count(), 1)

    def test_the_audit_says_who_decided_what_and_when(self):
        video = make_ready_generation(self.alice, prompt="Perfume bottle on marble")
        video.share_for(self.alice)
        video.decide_for(self.admin, "approved")
        video.decide_for(None, "changes", guest_name="Claire")

        found = lines(action="set the review status", viewer=self.admin)

        self.assertEqual([line.who for line in found], ["a guest", "boss"])
        self.assertEqual(found[1].detail, "Approved.")
        self.assertEqual(found[1].subject, "alice")
        self.assertEqual(found[0].detail, "Changes requested by Claire (guest).")
        self.assertEqual(found[1].videos[0].label, "Perfume bottle on marble")
        self.assertIsNotNone(found[1].at)
        self.client.force_login(self.admin)
        page = self.client.get(reverse("billing:audit") + "?action=set+the+review+status")
        self.assertContains(page, "set the review status")
        self.assertContains(page, "Changes requested by Claire (guest).")

    def test_a_teammate_who_sees_the_video_may_not_decide(self):
        video = make_ready_generation(self.alice)
        video.share_for(self.alice)
        self.client.force_login(self.bob)

        page = self.client.get(video.get_absolute_url())
        self.assertContains(page, 'class="review-badge review-draft">Draft</span>')
        self.assertNotContains(page, 'name="review_status"')
        answer = self.client.post(decide_url(video), {"review_status": "approved"})

        self.assertEqual(answer.status_code, 404)
        video.refresh_from_db()
        self.assertEqual(video.review_status, ReviewStatus.DRAFT)

    def test_a_status_that_does_not_exist_is_a_sentence_not_an_error(self):
        video = make_ready_generation(self.alice)

        answer = self.client.post(decide_url(video), {"review_status": "done"}, follow=True)

        self.assertContains(answer, "Pick one of Draft, In review, Changes requested or Approved.")
        video.refresh_from_db()
        self.assertEqual(video.review_status, ReviewStatus.DRAFT)
        self.assertFalse(video.events.filter(kind=EventKind.REVIEWED).exists())

    def test_cards_show_the_decision(self):
        video = make_ready_generation(self.alice)
        self.client.get(reverse("generations:index"))  # its card is kept as a draft's
        video.decide_for(self.alice, "approved")

        page = self.client.get(reverse("generations:index"))

        self.assertContains(page, 'class="review-badge review-approved">Approved</span>')


class ApprovedListTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("boss", is_staff=True)

    def test_the_approved_filter_keeps_only_approved_videos(self):
        chosen = make_ready_generation(self.alice, prompt="The chosen one")
        make_ready_generation(self.alice, prompt="Still a draft")
        chosen.decide_for(self.alice, "approved")

        page = self.client.get(reverse("generations:index") + "?review=approved")
        counts = self.client.get(reverse("generations:index") + "?counts=1")

        self.assertContains(page, "The chosen one")
        self.assertNotContains(page, "Still a draft")
        self.assertContains(counts, "Approved (1)")
        self.assertContains(counts, "Draft (1)")

    def test_the_approved_zip_holds_exactly_the_approved_ready_videos(self):
        chosen = make_ready_generation(self.alice, prompt="The chosen one")
        make_ready_generation(self.alice, prompt="Still a draft")
        chosen.decide_for(self.alice, "approved")
        bobs = make_ready_generation(self.bob, prompt="Bob private approved")
        bobs.decide_for(self.bob, "approved")

        answer = self.client.get(reverse("generations:zip") + "?approved=1&in=own")

        self.assertEqual(answer.status_code, 200)
        names = zipfile.ZipFile(io.BytesIO(body(answer))).namelist()
        self.assertEqual(names, [chosen.download_name])
        self.assertContains(self.client.get(reverse("generations:index")), "approved=1&amp;in=own")

    def test_the_approved_only_zip_of_a_selection_drops_the_others(self):
        chosen = make_ready_generation(self.alice, prompt="The chosen one")
        other = make_ready_generation(self.alice, prompt="Still a draft")
        chosen.decide_for(self.alice, "approved")

        url = reverse("generations:zip") + f"?ids={chosen.pk}&ids={other.pk}&approved=1"
        names = zipfile.ZipFile(io.BytesIO(body(self.client.get(url)))).namelist()

        self.assertEqual(names, [chosen.download_name])

    def test_the_team_and_a_project_page_count_their_approved_videos(self):
        project = Project.objects.create(name="Spring launch", created_by=self.alice)
        for number in range(3):
            video = make_ready_generation(self.alice, prompt=f"Spring shot {number}")
            video.move_for(self.alice, project)
            if number:
                video.decide_for(self.alice, "approved")
        hidden = make_ready_generation(self.alice, prompt="Private approved")
        hidden.decide_for(self.alice, "approved")  # a private draft: not on the Team page
        self.client.force_login(self.bob)

        team = self.client.get(reverse("generations:team"))
        on_project = self.client.get(project.get_absolute_url())
        zipped = self.client.get(reverse("generations:zip") + f"?approved=1&in={project.pk}")

        self.assertContains(team, '<strong id="approved-count">2</strong> videos')
        self.assertContains(on_project, '<strong id="approved-count">2</strong> videos')
        self.assertEqual(len(zipfile.ZipFile(io.BytesIO(body(zipped))).namelist()), 2)

    def test_an_approved_zip_of_nothing_says_so_on_the_list_it_came_from(self):
        answer = self.client.get(reverse("generations:zip") + "?approved=1&in=team", follow=True)
        self.assertEqual(answer.redirect_chain, [(reverse("generations:team"), 302)])
        self.assertContains(answer, "No approved video here is ready to download yet.")
        answer = self.client.get(reverse("generations:zip") + "?approved=1&in=nowhere")
        self.assertEqual(answer.status_code, 404)

    def test_nobody_outside_a_limited_project_gets_its_approved_videos(self):
        project = Project.objects.create(name="Secret launch", created_by=self.admin)
        project.set_people(True, [self.alice])
        video = make_ready_generation(self.alice, prompt="Secret approved shot")
        video.move_for(self.alice, project)
        video.decide_for(self.alice, "approved")
        self.client.force_login(self.bob)

        zipped = self.client.get(reverse("generations:zip") + f"?approved=1&in={project.pk}")
        by_ids = self.client.get(reverse("generations:zip") + f"?approved=1&ids={video.pk}")
        team = self.client.get(reverse("generations:team"))

        self.assertEqual(zipped.status_code, 404)  # as the project's own page
        self.assertEqual(by_ids.status_code, 302)
        self.assertContains(team, '<strong id="approved-count">0</strong> videos')
        self.assertNotContains(team, "Secret approved shot")
        self.assertEqual(
            self.client.post(decide_url(video), {"review_status": "draft"}).status_code, 404
        )


class ReviewerDecidesTests(StudioTestCase):
    """A reviewer's job is the decision: she sets the status of a video she sees, and the
    owner is told; she may not rename it."""

    def test_a_reviewer_approves_a_shared_video_and_the_owner_is_told(self):
        from generations.models import Notification, Role, Teammate

        video = make_ready_generation(self.alice, prompt="Perfume on marble")
        video.share_for(self.alice)
        rita = make_user("rita")
        Teammate.set_role(rita, Role.REVIEWER)
        self.client.force_login(rita)

        self.client.post(
            reverse("generations:decide", args=[video.pk]), {"review_status": "approved"}
        )
        renamed = self.client.post(
            reverse("generations:rename", args=[video.pk]), {"title": "Mine"}
        )

        video.refresh_from_db()
        self.assertEqual(video.review_status, "approved")
        self.assertEqual(renamed.status_code, 404)
        self.assertEqual(video.title, "")
        self.assertTrue(Notification.objects.filter(recipient=self.alice, kind="decision").exists())

    def test_a_reviewer_cannot_decide_on_a_private_draft(self):
        from generations.models import Role, Teammate

        draft = make_ready_generation(self.alice)
        rita = make_user("rita")
        Teammate.set_role(rita, Role.REVIEWER)
        self.client.force_login(rita)

        response = self.client.post(
            reverse("generations:decide", args=[draft.pk]), {"review_status": "approved"}
        )

        self.assertEqual(response.status_code, 404)
        draft.refresh_from_db()
        self.assertEqual(draft.review_status, "draft")
