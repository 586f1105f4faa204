"""The inbox's one promise, walked through every way a person can stop seeing a video: no
mention, notification, mail or suggestion ever reaches someone who cannot see it (a
private draft, a video unshared, trashed, in a project limited to others, or a person
deactivated). Mail goes through a real SMTP server on loopback."""

from aiosmtpd.controller import Controller
from django.test import override_settings
from django.urls import reverse

from generations.access import people_who_see, visible_generations
from generations.models import Comment, Generation, Notification, NotificationKind, Project
from generations.notifications import notify, readable, unread_count
from inbox.mail import send_due

from .helpers import StudioTestCase, free_port, make_ready_generation, make_user
from .test_inbox_mail import RefusingMailbox


def hide_by_nothing(video, alice, bob):
    """A private draft: never shared."""


def hide_by_unsharing(video, alice, bob):
    video.share_for(alice)
    video.unshare_for(alice)


def hide_in_the_trash(video, alice, bob):
    video.share_for(alice)
    video.trash_for(alice)


def hide_in_a_limited_project(video, alice, bob):
    project = Project.objects.create(name="Perfume", created_by=alice, limited=True)
    project.members.add(alice)
    video.share_for(alice)  # shared before: the project's limit still wins
    video.move_for(alice, project)


def hide_by_deactivating(video, alice, bob):
    video.share_for(alice)
    bob.is_active = False
    bob.save()


WAYS = {
    "a private draft": hide_by_nothing,
    "unshared": hide_by_unsharing,
    "trashed": hide_in_the_trash,
    "a limited project": hide_in_a_limited_project,
    "deactivated": hide_by_deactivating,
}


class NeverLeaksTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.mailbox = RefusingMailbox()
        port = free_port()
        server = Controller(self.mailbox, hostname="127.0.0.1", port=port)
        server.start()
        self.addCleanup(server.stop)
        smtp = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
        mailing = override_settings(EMAIL_HOST_CONFIGURED=True, MAILERS={"default": smtp})
        mailing.enable()
        self.addCleanup(mailing.disable)
        self.bob.email = "bob@example.com"
        self.bob.save()

    def fresh_video(self) -> Generation:
        self.bob.refresh_from_db()
        if not self.bob.is_active:
            self.bob.is_active = True
            self.bob.save()
        return make_ready_generation(self.alice, seconds=4.0)

    def test_hidden_before_anything_happens_nobody_is_told_or_suggested(self):
        for way, hide in WAYS.items():
            with self.subTest(way):
                Notification.objects.all().delete()
                video = self.fresh_video()
                hide(video, self.alice, self.bob)
                video.refresh_from_db()
                self.client.force_login(self.alice)

                # Suggested? Alice types "@b": Bob is not offered.
                url = reverse("generations:mention_suggestions", args=[video.pk])
                self.assertEqual(self.client.get(url, {"q": "b"}).json(), {"people": []})

                # Mentioned? The comment is kept; Bob is told nothing.
                comments = reverse("generations:comments", args=[video.pk])
                self.client.post(comments, {"body": "@bob look at this", "at": "0:03"})
                self.assertTrue(Comment.objects.filter(generation=video).exists())

                # Any other line: a decision, a share, a comment on "his" video.
                for kind in NotificationKind.values:
                    notify([self.bob], kind, "word", generation=video, actor=self.alice)
                self.assertFalse(Notification.objects.filter(recipient=self.bob).exists())

                # Mail: nothing.
                send_due()
                self.assertEqual(self.mailbox.messages, [])

                # And Bob's own asking: the video's suggestions answer 404 to him.
                if self.bob.is_active:
                    self.client.force_login(self.bob)
                    self.assertEqual(self.client.get(url, {"q": "a"}).status_code, 404)

    def test_hidden_after_the_line_was_written_it_is_neither_shown_nor_mailed(self):
        for way, hide in WAYS.items():
            if way == "a private draft":
                continue  # never seen: the test above
            with self.subTest(way):
                Notification.objects.all().delete()
                video = self.fresh_video()
                video.share_for(self.alice)
                self.client.force_login(self.alice)
                comments = reverse("generations:comments", args=[video.pk])
                self.client.post(comments, {"body": "@bob look at this", "at": "0:03"})
                [line] = Notification.objects.filter(recipient=self.bob)
                self.assertEqual(line.kind, NotificationKind.MENTION)

                video.unshare_for(self.alice)  # back to a draft, then hidden the way named
                Generation.objects.filter(pk=video.pk).update(trashed_at=None)
                video.refresh_from_db()
                hide(video, self.alice, self.bob)

                send_due()
                self.assertEqual(self.mailbox.messages, [])
                self.bob.refresh_from_db()
                self.assertEqual(unread_count(self.bob), 0)
                self.assertFalse(readable(self.bob).exists())
                if self.bob.is_active:
                    self.client.force_login(self.bob)
                    inbox = self.client.get(reverse("inbox:inbox"))
                    self.assertNotContains(inbox, "look at this")
                    opened = self.client.get(reverse("inbox:open", args=[line.pk]))
                    self.assertEqual(opened.status_code, 404)

    def test_whom_a_video_is_suggested_to_is_exactly_who_sees_it(self):
        """people_who_see turns the access rule round: held here against the rule itself
        for every kind of video and person."""
        admin = make_user("boss", is_staff=True)
        carol = make_user("carol")
        make_user("gone", is_active=False)
        limited = Project.objects.create(name="Limited", created_by=admin, limited=True)
        limited.members.add(carol)
        open_project = Project.objects.create(name="Open", created_by=self.alice)
        videos = {
            "draft": make_ready_generation(self.alice),
            "shared": make_ready_generation(self.alice),
            "trashed": make_ready_generation(self.alice),
            "open project": make_ready_generation(self.alice),
            "limited project": make_ready_generation(self.alice),
        }
        videos["shared"].share_for(self.alice)
        videos["trashed"].share_for(self.alice)
        videos["trashed"].trash_for(self.alice)
        videos["open project"].move_for(self.alice, open_project)
        videos["limited project"].move_for(self.alice, limited)
        everyone = list(type(self.alice).objects.all())
        for name, video in videos.items():
            with self.subTest(name):
                video.refresh_from_db()
                expected = {
                    person.username
                    for person in everyone
                    if visible_generations(person).filter(pk=video.pk).exists()
                }
                found = set(people_who_see(video).values_list("username", flat=True))
                self.assertEqual(found, expected)
