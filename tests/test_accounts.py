"""Accounts people run themselves: changing their password, choosing one from a link in the
studio's own pages, asking for a link when they forgot it, and what the People page gives
an admin (a Copy button, a new link that kills the old one, a page that survives a reload)."""

import email
import re
import threading

from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse

from billing.models import AuditEntry

from .helpers import PASSWORD, free_port, make_user

User = get_user_model()
NEW_PASSWORD = "a brand new passphrase 7"
NO_MAIL = {"EMAIL_HOST_CONFIGURED": False}


def set_password_through(client, link, password=NEW_PASSWORD):
    """Follow a set-password link like a browser and choose `password`."""
    form = client.get(link, follow=True)
    if "new_password1" not in form.content.decode():
        return form
    return client.post(
        form.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


class ChangeMyPasswordTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.client.force_login(self.alice)

    def test_every_page_links_to_change_my_password_and_it_is_in_the_studio_look(self):
        page = self.client.get(reverse("generations:index"))
        self.assertContains(page, f'href="{reverse("password_change")}"')
        form = self.client.get(reverse("password_change"))
        self.assertContains(form, "<h1>Change my password</h1>", html=True)
        self.assertContains(form, 'class="topbar"')  # our base template, not the admin's
        self.assertNotContains(form, "Django administration")

    def test_a_member_changes_their_password_and_stays_logged_in(self):
        response = self.client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
             "new_password2": NEW_PASSWORD},
            follow=True,
        )  # fmt: skip
        self.assertContains(response, "Your password is changed.")
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password(NEW_PASSWORD))
        self.assertEqual(self.client.get(reverse("generations:index")).status_code, 200)
        self.assertTrue(AuditEntry.objects.filter(action="password_changed").exists())

    def test_a_wrong_old_password_changes_nothing_and_says_so(self):
        response = self.client.post(
            reverse("password_change"),
            {"old_password": "nope", "new_password1": NEW_PASSWORD,
             "new_password2": NEW_PASSWORD},
        )  # fmt: skip
        self.assertContains(response, "Your old password was entered incorrectly")
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password(PASSWORD))


class SetPasswordPageTests(TestCase):
    def setUp(self):
        self.admin = make_user("carol", is_staff=True)
        self.client.force_login(self.admin)

    def add(self, username, **fields):
        return self.client.post(
            reverse("billing:team_add"), {"username": username, **fields}, follow=True
        )

    def test_the_set_password_pages_are_ours_and_lead_home_not_to_the_admin(self):
        link = self.add("dave").context["invite"]["link"]
        visitor = self.client_class()
        form = visitor.get(link, follow=True)
        self.assertContains(form, "Choose your password")
        self.assertNotContains(form, "Django administration")
        self.assertNotContains(form, reverse("admin:index"))
        done = set_password_through(visitor, link)
        self.assertContains(done, "Your password is saved")
        self.assertContains(done, f'href="{reverse("login")}"')
        self.assertNotContains(done, reverse("admin:index"))

    @override_settings(**NO_MAIL)
    def test_the_page_with_a_new_link_survives_a_reload_until_the_link_is_used(self):
        added = self.add("dave")
        self.assertEqual(added.redirect_chain[-1][1], 302)  # post, redirect, get
        link = added.context["invite"]["link"]
        reload = self.client.get(reverse("billing:team"))
        self.assertContains(reload, link)
        self.assertContains(reload, 'data-copy="#invite-link"')  # the Copy button
        set_password_through(self.client_class(), link)
        self.assertNotContains(self.client.get(reverse("billing:team")), link)

    @override_settings(**NO_MAIL)
    def test_done_hides_the_link(self):
        link = self.add("dave").context["invite"]["link"]
        self.client.post(reverse("billing:team_link_done"))
        self.assertNotContains(self.client.get(reverse("billing:team")), link)

    @override_settings(**NO_MAIL)
    def test_a_new_link_kills_the_old_one_for_someone_who_never_chose_a_password(self):
        old = self.add("dave").context["invite"]["link"]
        dave = User.objects.get(username="dave")
        page = self.client.post(reverse("billing:team_link", args=[dave.pk]), follow=True)
        new = page.context["invite"]["link"]
        self.assertNotEqual(old, new)
        self.assertContains(
            set_password_through(self.client_class(), old), "This link no longer works"
        )
        self.assertContains(set_password_through(self.client_class(), new), "password is saved")
        dave.refresh_from_db()
        self.assertTrue(dave.check_password(NEW_PASSWORD))
        entry = AuditEntry.objects.get(action="new_link")
        self.assertEqual((entry.actor, entry.subject), (self.admin, dave))

    @override_settings(**NO_MAIL)
    def test_a_new_link_lets_someone_who_forgot_their_password_choose_another(self):
        alice = make_user("alice")
        page = self.client.post(reverse("billing:team_link", args=[alice.pk]), follow=True)
        set_password_through(self.client_class(), page.context["invite"]["link"])
        alice.refresh_from_db()
        self.assertTrue(alice.check_password(NEW_PASSWORD))

    def test_only_admins_make_links(self):
        alice, bob = make_user("alice"), make_user("bob")
        self.client.force_login(alice)
        response = self.client.post(reverse("billing:team_link", args=[bob.pk]))
        self.assertContains(response, "This page is for the studio", status_code=403)
        self.assertFalse(AuditEntry.objects.filter(action="new_link").exists())


class SwitchedOffLoginTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.admin = make_user("carol")
        self.admin.first_name, self.admin.is_staff = "Carol", True
        self.admin.save()
        self.alice.is_active = False
        self.alice.save()

    def log_in(self, username, password):
        return self.client.post(reverse("login"), {"username": username, "password": password})

    def test_a_switched_off_person_with_the_right_password_is_told_whom_to_ask(self):
        response = self.log_in("alice", PASSWORD)
        self.assertContains(
            response, "This account is switched off; ask Carol to switch it back on."
        )
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_wrong_password_gets_the_usual_answer_and_reveals_nothing(self):
        for username in ("alice", "nobody"):
            response = self.log_in(username, "wrong guess")
            self.assertNotContains(response, "switched off")
            self.assertContains(response, "Please enter a correct username and password")

    @override_settings(AXES_FAILURE_LIMIT=2)
    def test_after_a_lock_out_not_even_the_right_password_is_checked(self):
        self.log_in("alice", "wrong 1")
        self.log_in("alice", "wrong 2")
        response = self.log_in("alice", PASSWORD)
        self.assertNotContains(response, "switched off", status_code=429)
        self.assertContains(response, "Too many failed log-ins", status_code=429)


class ForgotPasswordWithoutMailTests(TestCase):
    @override_settings(**NO_MAIL)
    def test_the_page_says_whom_to_ask(self):
        make_user("carol", is_staff=True)
        login = self.client.get(reverse("login"))
        self.assertContains(login, f'href="{reverse("forgot_password")}"')
        page = self.client.get(reverse("forgot_password"))
        self.assertContains(page, "ask carol for a set-password link")
        self.assertNotContains(page, "<form")


class Mailbox:
    """aiosmtpd's handler: what a real SMTP server on loopback received."""

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8")))
        return "250 Message accepted for delivery"


class ForgotPasswordByMailTests(TestCase):
    """Against a real SMTP server on loopback: the studio's own mail settings, no fake backend."""

    def setUp(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.server = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.server.start()
        self.addCleanup(self.server.stop)
        smtp = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "use_tls": False, "timeout": 5},
        }
        settings = override_settings(EMAIL_HOST_CONFIGURED=True, MAILERS={"default": smtp})
        settings.enable()
        self.addCleanup(settings.disable)
        self.dave = User.objects.create_user("dave", email="dave@example.com")  # never chose one
        self.alice = make_user("alice")
        self.alice.email = "alice@example.com"
        self.alice.save()

    def ask(self, name):
        return self.client.post(reverse("forgot_password"), {"name": name}, follow=True)

    def link_in(self, message: str) -> str:
        body = email.message_from_string(message).get_payload(decode=True).decode()
        found = re.search(r"http://testserver(/accounts/set-password/\S+/)", body)
        assert found, body
        return found.group(1)

    def test_someone_who_forgot_gets_a_link_by_mail_and_chooses_a_new_password(self):
        page = self.ask("alice@example.com")
        self.assertContains(page, "Check your mail")
        [(to, message)] = self.mailbox.messages
        self.assertEqual(to, ["alice@example.com"])
        self.assertEqual(mail.outbox, [])  # it went through SMTP, not the test outbox
        set_password_through(self.client_class(), self.link_in(message))
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password(NEW_PASSWORD))

    def test_someone_who_never_chose_a_password_gets_one_too_by_username(self):
        self.ask("DAVE")
        [(to, message)] = self.mailbox.messages
        self.assertEqual(to, ["dave@example.com"])
        set_password_through(self.client_class(), self.link_in(message))
        self.dave.refresh_from_db()
        self.assertTrue(self.dave.check_password(NEW_PASSWORD))

    def test_the_answer_is_the_same_whether_the_name_exists_or_not(self):
        known, unknown = self.ask("alice"), self.ask("nobody@example.com")
        self.assertEqual(known.redirect_chain, unknown.redirect_chain)
        self.assertEqual(self.page_text(known), self.page_text(unknown))
        self.assertEqual(len(self.mailbox.messages), 1)

    def page_text(self, response) -> str:
        # Everything but what differs on every request anyway (CSP nonce, CSRF token).
        text = re.sub(r'nonce="[^"]*"', "", response.content.decode())
        return re.sub(r'"X-CSRFToken": "[^"]*"', "", text)

    def test_a_switched_off_person_gets_no_link(self):
        self.alice.is_active = False
        self.alice.save()
        self.assertContains(self.ask("alice"), "Check your mail")
        self.assertEqual(self.mailbox.messages, [])

    def test_asking_again_and_again_sends_three_mails_an_hour_at_most(self):
        for _ in range(6):
            self.assertContains(self.ask("alice"), "Check your mail")
        self.ask("alice@example.com")
        self.assertEqual(len(self.mailbox.messages), 3)
