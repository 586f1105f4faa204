"""The inbox's mail, against a real SMTP server on loopback (aiosmtpd): mentions and
decisions, at once or in a daily digest by each person's choice, and never about a video
the person can no longer see."""

import email
from datetime import datetime
from email.header import decode_header, make_header

import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from generations import worker
from generations.models import Comment, Notification, NotificationKind
from generations.notifications import notify
from inbox.mail import send_due
from inbox.models import MailChoice, MailPreference

from .helpers import StudioTestCase, free_port, make_ready_generation
from .test_accounts import Mailbox


class RefusingMailbox(Mailbox):
    """A mail server that may say no (full, down for upkeep) before it says yes."""

    refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


class MailTestCase(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.mailbox = RefusingMailbox()
        port = free_port()
        self.server = Controller(self.mailbox, hostname="127.0.0.1", port=port)
        self.server.start()
        self.addCleanup(self.server.stop)
        smtp = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
        mailing = override_settings(
            EMAIL_HOST_CONFIGURED=True,
            MAILERS={"default": smtp},
            STUDIO_URL="https://studio.example",
        )
        mailing.enable()
        self.addCleanup(mailing.disable)
        for person in (self.alice, self.bob):
            person.email = f"{person.username}@example.com"
            person.save()
        self.video = make_ready_generation(self.alice, seconds=4.0)
        self.video.share_for(self.alice)

    def mention_bob(self, text="alice mentioned you on “kite” at 0:03.0: @bob look"):
        comment = Comment.objects.create(
            generation=self.video, author=self.alice, body="@bob look", at_seconds=3.0
        )
        return notify(
            [self.bob],
            NotificationKind.MENTION,
            text,
            generation=self.video,
            actor=self.alice,
            url=comment.moment_link,
        )[0]

    def received(self) -> list[tuple[list[str], str, str]]:
        found = []
        for to, raw in self.mailbox.messages:
            message = email.message_from_string(raw)
            subject = str(make_header(decode_header(message["Subject"])))
            found.append((to, subject, message.get_payload(decode=True).decode()))
        return found


class InstantMailTests(MailTestCase):
    def test_a_mention_is_mailed_at_once_with_a_link_to_its_moment(self):
        line = self.mention_bob()
        self.assertEqual(send_due(), 1)
        [(to, subject, body)] = self.received()
        self.assertEqual(to, ["bob@example.com"])
        self.assertIn("alice mentioned you", subject)
        self.assertIn(f"https://studio.example/inbox/{line.pk}/", body)
        self.assertEqual(mail.outbox, [])  # through SMTP, not the test outbox
        line.refresh_from_db()
        self.assertIsNotNone(line.emailed_at)

    def test_a_line_is_mailed_once_however_often_the_command_runs(self):
        self.mention_bob()
        call_command("send_digests", verbosity=0)
        call_command("send_digests", verbosity=0)
        self.assertEqual(len(self.mailbox.messages), 1)

    def test_the_worker_s_tidy_pass_sends_it(self):
        self.mention_bob()
        worker.tidy()
        self.assertEqual(len(self.mailbox.messages), 1)

    def test_a_decision_is_mailed_but_a_share_or_a_ready_video_is_not(self):
        notify([self.bob], NotificationKind.SHARED, "Shared", generation=self.video)
        notify([self.alice], NotificationKind.READY, "Ready", generation=self.video)
        notify(
            [self.alice],
            NotificationKind.DECISION,
            "bob approved “kite”",
            generation=self.video,
            actor=self.bob,
        )
        send_due()
        self.assertEqual(
            [(to, s) for to, s, _ in self.received()],
            [(["alice@example.com"], "VeoStudio: bob approved “kite”")],
        )

    def test_nothing_goes_to_someone_who_chose_no_mail_or_has_no_address(self):
        MailPreference.objects.create(person=self.bob, choice=MailChoice.OFF)
        self.mention_bob()
        self.assertEqual(send_due(), 0)
        MailPreference.objects.filter(person=self.bob).update(choice=MailChoice.INSTANT)
        self.bob.email = ""
        self.bob.save()
        self.mention_bob()
        self.assertEqual(send_due(), 0)
        self.assertEqual(self.mailbox.messages, [])

    def test_a_line_already_read_in_the_app_is_not_mailed(self):
        line = self.mention_bob()
        Notification.objects.filter(pk=line.pk).update(read_at=timezone.now())
        self.assertEqual(send_due(), 0)

    def test_a_server_that_refuses_gets_the_line_again_next_time(self):
        line = self.mention_bob()
        self.mailbox.refuse = True
        self.assertEqual(send_due(), 0)
        line.refresh_from_db()
        self.assertIsNone(line.emailed_at)
        self.mailbox.refuse = False
        self.assertEqual(send_due(), 1)

    def test_without_email_host_nothing_is_sent(self):
        self.mention_bob()
        with override_settings(EMAIL_HOST_CONFIGURED=False):
            self.assertEqual(send_due(), 0)
        self.assertEqual(self.mailbox.messages, [])


class NeverAboutAVideoTheyNoLongerSeeTests(MailTestCase):
    def test_unshared_before_the_mail_went(self):
        self.mention_bob()
        self.video.unshare_for(self.alice)
        self.assertEqual(send_due(), 0)
        self.assertEqual(self.mailbox.messages, [])

    def test_trashed_before_the_mail_went(self):
        self.mention_bob()
        self.video.trash_for(self.alice)
        self.assertEqual(send_due(), 0)

    def test_deactivated_before_the_mail_went(self):
        self.mention_bob()
        self.bob.is_active = False
        self.bob.save()
        self.assertEqual(send_due(), 0)
        self.assertEqual(self.mailbox.messages, [])

    def test_a_digest_leaves_out_what_they_no_longer_see(self):
        MailPreference.objects.create(person=self.bob, choice=MailChoice.DAILY)
        other = make_ready_generation(self.alice)
        other.share_for(self.alice)
        with time_machine.travel(datetime(2026, 12, 7, 7, 0, tzinfo=timezone.UTC), tick=False):
            self.mention_bob("about the kite")
            notify(
                [self.bob],
                NotificationKind.MENTION,
                "about the other",
                generation=other,
                actor=self.alice,
            )
        other.unshare_for(self.alice)
        with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=timezone.UTC), tick=False):
            self.assertEqual(send_due(), 1)
        [(_, _, body)] = self.received()
        self.assertIn("about the kite", body)
        self.assertNotIn("about the other", body)


class DigestTests(MailTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        self.client.post(reverse("inbox:mail_choice"), {"choice": "daily"})

    def at(self, day, hour):
        return time_machine.travel(
            datetime(2026, 12, day, hour, 0, tzinfo=timezone.UTC), tick=False
        )

    def test_the_digest_waits_for_the_morning_then_holds_the_day_s_lines_in_one_mail(self):
        with self.at(6, 14):
            self.mention_bob("first")
            # Chosen this afternoon, after 8:00: today's digest has not gone yet.
            self.assertEqual(send_due(), 1)
        with self.at(6, 20):
            self.mention_bob("second")
            self.assertEqual(send_due(), 0)  # one digest a day
        with self.at(7, 7):
            self.mention_bob("third")
            self.assertEqual(send_due(), 0)  # before 8:00
        with self.at(7, 8):
            self.assertEqual(send_due(), 1)
        [first, (to, subject, body)] = self.received()
        self.assertIn("first", first[2])
        self.assertEqual((to, subject), (["bob@example.com"], "VeoStudio: 2 things for you"))
        self.assertLess(body.index("second"), body.index("third"))
        self.assertNotIn("first", body)
        with self.at(8, 8):
            self.assertEqual(send_due(), 0)  # nothing new: no empty digest

    def test_the_choice_is_made_on_the_inbox_page(self):
        self.assertEqual(MailPreference.choice_of(self.bob), MailChoice.DAILY)
        page = self.client.get(reverse("inbox:inbox"))
        self.assertRegex(page.content.decode(), r'value="daily"[^>]* checked')
        refused = self.client.post(reverse("inbox:mail_choice"), {"choice": "hourly"}, follow=True)
        self.assertContains(refused, "Please pick one of the three mail choices.")
        self.assertEqual(MailPreference.choice_of(self.bob), MailChoice.DAILY)
