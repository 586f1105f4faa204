"""The inbox: the bell's count in the header, the page listing what happened with Mark all
read, each line opening its moment, and the studio's own events that fill it (a video
ready or failed, a share, a video put in a project)."""

import pytest
from django.urls import reverse

from generations.models import Comment, Notification, NotificationKind, Project, ReviewStatus
from generations.notifications import notify, tell_about_decision, unread_count

from .helpers import StudioTestCase, drive, make_generation, make_ready_generation, make_user

HTMX = {"HX-Request": "true"}


class InboxPageTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.bob, seconds=4.0)
        self.video.share_for(self.bob)
        self.comment = Comment.objects.create(
            generation=self.video, author=self.bob, body="@alice see", at_seconds=3.0
        )
        [self.line] = notify(
            [self.alice],
            NotificationKind.MENTION,
            "bob mentioned you",
            generation=self.video,
            actor=self.bob,
            url=self.comment.moment_link,
        )

    def test_the_bell_shows_the_unread_count_on_every_page(self):
        page = self.client.get(reverse("generations:index"))
        self.assertContains(page, 'id="inbox-bell"')
        self.assertContains(page, '<span class="bell-count" aria-hidden="true">1</span>', html=True)
        self.assertContains(page, "Inbox, 1 unread")

    def test_the_page_s_poll_brings_a_new_bell_only_when_its_number_changed(self):
        poll = reverse("generations:poll")
        self.assertEqual(self.client.get(poll, {"bell": "1"}, headers=HTMX).status_code, 204)
        fresh = self.client.get(poll, {"bell": "0"}, headers=HTMX)
        self.assertContains(fresh, '<a hx-swap-oob="true" id="inbox-bell"')
        self.assertContains(fresh, "1 unread")
        self.assertContains(fresh, 'data-unread="1"')
        self.assertNotContains(fresh, "hx-trigger")  # the bell no longer asks for itself

    def test_a_mention_while_nothing_runs_lights_the_bell_at_the_next_idle_poll(self):
        page = self.client.get(reverse("generations:index"))
        self.assertNotContains(page, "/inbox/bell/")
        self.assertContains(page, 'data-poll-idle-every-ms="10000"')
        notify([self.alice], NotificationKind.MENTION, "carol mentioned you", generation=self.video)

        # Alice has no job running: her page's poll carries the bell's number alone.
        idle = self.client.get(reverse("generations:poll"), {"bell": "1"}, headers=HTMX)

        self.assertEqual(idle.status_code, 200)
        self.assertContains(idle, "Inbox, 2 unread")
        self.assertContains(idle, '<span class="bell-count" aria-hidden="true">2</span>', html=True)
        self.assertNotContains(idle, "jobs-indicator")  # only what changed

    def test_the_count_is_one_query(self):
        with self.assertNumQueries(1):
            self.assertEqual(unread_count(self.alice), 1)

    def test_opening_a_line_marks_it_read_and_goes_to_its_moment(self):
        inbox = self.client.get(reverse("inbox:inbox"))
        self.assertContains(inbox, "bob mentioned you")
        self.assertContains(inbox, "inbox-line unread")
        opened = self.client.get(reverse("inbox:open", args=[self.line.pk]))
        self.assertRedirects(
            opened,
            f"{self.video.get_absolute_url()}#t=3.0&c={self.comment.pk}",
            fetch_redirect_response=False,
        )
        self.line.refresh_from_db()
        self.assertIsNotNone(self.line.read_at)
        self.assertEqual(unread_count(self.alice), 0)

    def test_mark_all_read(self):
        notify([self.alice], NotificationKind.SHARED, "Shared", generation=self.video)
        self.assertEqual(unread_count(self.alice), 2)
        answer = self.client.post(reverse("inbox:read_all"), follow=True)
        self.assertContains(answer, "Everything in your inbox is marked read.")
        self.assertNotContains(answer, "Mark all read")
        self.assertEqual(unread_count(self.alice), 0)

    def test_a_line_about_a_video_made_private_since_disappears_and_cannot_be_opened(self):
        self.video.unshare_for(self.bob)
        self.assertEqual(unread_count(self.alice), 0)
        self.assertNotContains(self.client.get(reverse("inbox:inbox")), "bob mentioned you")
        opened = self.client.get(reverse("inbox:open", args=[self.line.pk]))
        self.assertEqual(opened.status_code, 404)

    def test_someone_else_s_line_is_not_found(self):
        self.client.force_login(self.bob)
        self.assertEqual(
            self.client.get(reverse("inbox:open", args=[self.line.pk])).status_code, 404
        )

    def test_an_empty_inbox_says_what_will_come(self):
        self.client.force_login(make_user("carol"))
        page = self.client.get(reverse("inbox:inbox"))
        self.assertContains(page, "Nothing here yet")
        self.assertContains(page, "Inbox, nothing new")


class SharingFillsTheInboxTests(StudioTestCase):
    def test_sharing_with_the_team_tells_everyone_else(self):
        video = make_ready_generation(self.alice)
        carol = make_user("carol")
        make_user("gone", is_active=False)
        self.client.post(reverse("generations:share", args=[video.pk]))
        told = set(Notification.objects.values_list("recipient__username", "kind"))
        self.assertEqual(told, {("bob", "shared"), (carol.username, "shared")})
        self.assertIn("alice shared", Notification.objects.first().text)

    def test_putting_a_video_in_a_limited_project_tells_only_its_people_who_are_new_to_it(self):
        carol, dave = make_user("carol"), make_user("dave")
        project = Project.objects.create(name="Launch", created_by=self.alice, limited=True)
        project.members.add(self.alice, carol)
        video = make_ready_generation(self.alice)
        self.client.post(reverse("generations:move", args=[video.pk]), {"project": project.pk})
        video.refresh_from_db()
        self.assertEqual(video.project, project)
        told = list(Notification.objects.values_list("recipient__username", flat=True))
        self.assertEqual(told, ["carol"])
        self.assertIn("in Launch", Notification.objects.get().text)
        del dave


@pytest.mark.usefixtures("sim")
class WorkerFillsTheInboxTests(StudioTestCase):
    def test_a_video_ready_is_in_its_owner_s_inbox(self):
        video = drive(make_generation(self.alice, seconds=4, model="veo3.1-fast"))
        line = Notification.objects.get()
        self.assertEqual((line.recipient, line.kind), (self.alice, NotificationKind.READY))
        self.assertEqual(line.url, video.get_absolute_url())
        self.assertIn("is ready", line.text)

    def test_a_video_failed_too_with_the_reason(self):
        self.sim.configure(outcome="failed")
        drive(make_generation(self.alice, seconds=4, model="veo3.1-fast"))
        line = Notification.objects.get()
        self.assertEqual(line.kind, NotificationKind.FAILED)
        self.assertIn("Veo could not make this video", line.text)

    def test_a_cancel_by_the_owner_tells_nobody(self):
        video = make_generation(self.alice)
        video.cancel_for(self.alice)
        self.assertFalse(Notification.objects.exists())


class DecisionTests(StudioTestCase):
    def test_a_decision_tells_the_owner_who_decided_what(self):
        video = make_ready_generation(self.alice, prompt="A kite over wheat")
        video.share_for(self.alice)
        video.decide_for(self.bob, ReviewStatus.APPROVED)
        tell_about_decision(video, self.bob)
        video.decide_for(None, ReviewStatus.CHANGES, guest_name="Claire")
        tell_about_decision(video, guest_name="Claire")
        texts = list(Notification.objects.order_by("pk").values_list("recipient__username", "text"))
        self.assertEqual(
            texts,
            [
                ("alice", "bob set “A kite over wheat” to Approved."),
                ("alice", "Claire (guest) set “A kite over wheat” to Changes requested."),
            ],
        )
        tell_about_decision(video, self.alice)  # her own decision: nobody is told
        self.assertEqual(Notification.objects.count(), 2)
