"""The Team page (admins manage teammates in plain words) and the audit log."""

import csv
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse

from billing.models import AuditEntry, Member
from generations.models import Generation

from .helpers import make_generation, make_user

User = get_user_model()


class TeamTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")
        cls.carol = make_user("carol")
        cls.carol.is_staff = True
        cls.carol.save()

    def setUp(self):
        self.client.force_login(self.carol)

    def save_member(self, person, **fields):
        data = {"monthly_cap": "", "concurrency": "2", **fields}
        return self.client.post(
            reverse("billing:team_member", args=[person.pk]),
            {f"m{person.pk}-{key}": value for key, value in data.items() if value is not None},
            follow=True,
        )


class TeamPageTests(TeamTestCase):
    def test_only_admins_open_it(self):
        self.client.force_login(self.alice)
        for name in ("billing:team", "billing:audit", "billing:audit_csv"):
            self.assertEqual(self.client.get(reverse(name)).status_code, 403, name)
        response = self.client.post(reverse("billing:team_add"), {"username": "mallory"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(User.objects.filter(username="mallory").exists())

    def test_adding_a_teammate_shows_a_one_time_set_password_link_that_works_once(self):
        response = self.client.post(
            reverse("billing:team_add"), {"username": "dave", "monthly_cap": "25"}, follow=True
        )
        self.assertContains(response, "dave can now choose a password")
        dave = User.objects.get(username="dave")
        self.assertFalse(dave.has_usable_password())
        self.assertEqual(Member.for_user(dave).monthly_cap, Decimal("25.00"))
        link = response.context["invite"]["link"]

        visitor = self.client_class()
        form = visitor.get(link, follow=True)
        self.assertContains(form, "new_password1")
        password = "a long and new passphrase 42"
        done = visitor.post(
            form.redirect_chain[-1][0],
            {"new_password1": password, "new_password2": password},
        )
        self.assertEqual(done.status_code, 302)
        dave.refresh_from_db()
        self.assertTrue(dave.check_password(password))
        again = visitor.get(link, follow=True)
        self.assertNotContains(again, "new_password1")
        self.assertIn("added_teammate", AuditEntry.objects.values_list("action", flat=True))

    @override_settings(EMAIL_HOST_CONFIGURED=False)
    def test_a_taken_username_is_refused_with_a_message(self):
        response = self.client.post(reverse("billing:team_add"), {"username": "Alice"})
        self.assertContains(response, "Someone already has that username.", status_code=400)

    def test_an_admin_sets_a_cap_and_concurrency_and_it_is_audited(self):
        self.save_member(self.alice, monthly_cap="12.50", concurrency="3")
        member = Member.for_user(self.alice)
        self.assertEqual((member.monthly_cap, member.concurrency), (Decimal("12.50"), 3))
        entry = AuditEntry.objects.get(action="cap_changed")
        self.assertEqual((entry.actor, entry.subject), (self.carol, self.alice))
        self.assertIn("cap none → $12.50", entry.detail)

    def test_a_bad_cap_changes_nothing_and_says_why(self):
        response = self.save_member(self.alice, monthly_cap="-3")
        self.assertContains(response, "A cap cannot be negative.")
        self.assertIsNone(Member.for_user(self.alice).monthly_cap)

    def test_make_admin_deactivate_and_reactivate(self):
        self.save_member(self.bob, is_admin="on")
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_staff)
        url = reverse("billing:team_member", args=[self.bob.pk])
        asked = self.client.post(url, {"action": "deactivate"}, follow=True)
        self.assertContains(asked, "Deactivate bob?")
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_active)  # nothing happens before the admin confirms
        self.client.post(reverse("billing:team_deactivate", args=[self.bob.pk]))
        self.bob.refresh_from_db()
        self.assertFalse(self.bob.is_active)
        self.client.post(url, {"action": "reactivate"})
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_active)
        actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
        self.assertEqual(actions, ["role_changed", "deactivated", "reactivated"])

    def test_an_admin_cannot_lock_themselves_out(self):
        off = reverse("billing:team_deactivate", args=[self.carol.pk])
        self.assertContains(self.client.post(off, follow=True), "You cannot deactivate yourself.")
        kept = self.save_member(self.carol, is_admin=None)
        self.assertContains(kept, "You cannot remove your own admin role.")
        self.carol.refresh_from_db()
        self.assertTrue(self.carol.is_active and self.carol.is_staff)

    def test_team_limits_are_saved(self):
        response = self.client.post(
            reverse("billing:team_settings"), {"team_cap": "300", "team_concurrency": "5"}
        )
        self.assertEqual(response.status_code, 302)
        page = self.client.get(reverse("billing:team"))
        self.assertContains(page, 'value="300.00"')

    def test_a_bad_team_limit_is_refused(self):
        response = self.client.post(
            reverse("billing:team_settings"), {"team_cap": "lots", "team_concurrency": "0"}
        )
        self.assertContains(response, "Please enter an amount in dollars", status_code=400)


class AuditLogTests(TeamTestCase):
    def test_job_actions_and_admin_changes_are_listed_with_costs(self):
        job = make_generation(self.alice, seconds=8)
        job.cancel_for(self.alice)
        job.submit_again_for(self.alice)
        Generation.objects.filter(pk=job.pk).update(status="submitted", task_id="task_1")
        job.stop_for(self.alice)
        job.delete_for(self.alice)
        self.save_member(self.alice, monthly_cap="5")
        page = self.client.get(reverse("billing:audit"))
        for words in ("generated", "cancelled", "retried", "stopped", "deleted", "changed a cap",
                      "$0.64"):  # fmt: skip
            self.assertContains(page, words)

    def test_failed_logins_and_lock_outs_are_listed(self):
        visitor = self.client_class()
        for _ in range(5):
            visitor.post(reverse("login"), {"username": "alice", "password": "wrong"})
        page = self.client.get(reverse("billing:audit"), {"action": "failed login"})
        self.assertContains(page, "failed login")
        locked = self.client.get(reverse("billing:audit"), {"action": "locked out"})
        self.assertContains(locked, "locked out")

    def test_filters_by_person_action_and_date_and_exports_csv(self):
        make_generation(self.alice)
        make_generation(self.bob)
        query = {"person": self.bob.pk, "action": "generated"}
        page = self.client.get(reverse("billing:audit"), query)
        self.assertContains(page, '<td data-label="Who">bob</td>', count=1)
        self.assertNotContains(page, '<td data-label="Who">alice</td>')
        future = self.client.get(reverse("billing:audit"), {"since": "2099-01-01"})
        self.assertContains(future, "Nothing matches.")
        response = self.client.get(reverse("billing:audit_csv"), query)
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows[0], ["time", "who", "action", "about", "detail", "amount", "job"])
        self.assertEqual([row[1:3] for row in rows[1:]], [["bob", "generated"]])
        self.assertEqual(Generation.objects.count(), 2)

    def test_a_bad_date_filter_says_so(self):
        page = self.client.get(reverse("billing:audit"), {"since": "yesterday-ish"})
        self.assertContains(page, "Enter a valid date.")


class MoreAuditTests(TeamTestCase):
    def test_a_download_is_listed_once_not_per_range_request(self):
        from .helpers import make_ready_generation

        job = make_ready_generation(self.alice)
        self.client.force_login(self.alice)
        url = reverse("generations:download", args=[job.pk])
        b"".join(self.client.get(url).streaming_content)
        b"".join(self.client.get(url, headers={"Range": "bytes=0-9"}).streaming_content)
        self.assertEqual(AuditEntry.objects.filter(action="downloaded").count(), 1)
        self.client.force_login(self.carol)
        self.assertContains(self.client.get(reverse("billing:audit")), "downloaded")

    @override_settings(
        EMAIL_HOST_CONFIGURED=True,
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}},
    )
    def test_the_link_is_e_mailed_when_e_mail_is_configured(self):
        from django.core import mail

        response = self.client.post(
            reverse("billing:team_add"),
            {"username": "erin", "email": "erin@example.com"},
            follow=True,
        )
        self.assertContains(response, "we also e-mailed it")
        self.assertEqual(mail.outbox[0].to, ["erin@example.com"])
        self.assertIn(response.context["invite"]["link"], mail.outbox[0].body)
