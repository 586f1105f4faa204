"""Monthly caps, per person and for the team, and the burst limit: refused before anything
is sent, saying how much is left and whom to ask."""

from decimal import Decimal

import pytest
from django.test import TestCase, override_settings
from django.urls import reverse

from billing import ledger
from billing.models import LedgerEntry, Member, StudioSettings
from generations.models import Generation

from .helpers import drive, make_user

FORM = {
    "prompt": "A paper kite floats above a wheat field.",
    "model": "veo3.1-fast",
    "seconds": "8",
    "size": "1280x720",
}


def set_cap(user, dollars):
    member = Member.for_user(user)
    member.monthly_cap = None if dollars is None else Decimal(dollars)
    member.save()


@pytest.mark.usefixtures("sim")
class PersonCapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")
        cls.carol = make_user("carol")
        cls.carol.is_staff = True
        cls.carol.save()

    def setUp(self):
        self.client.force_login(self.alice)

    def post(self, **fields):
        return self.client.post(reverse("generations:create"), {**FORM, **fields})

    def test_a_job_that_would_pass_the_cap_is_refused_before_anything_is_sent(self):
        set_cap(self.alice, "1.00")
        self.assertEqual(self.post(prompt="first").status_code, 302)
        response = self.post(prompt="second")
        self.assertContains(response, "This would cost $0.64, but your monthly cap leaves $0.36")
        self.assertContains(response, "Ask carol to raise the cap")
        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(LedgerEntry.objects.count(), 1)
        drive(Generation.objects.get())
        self.assertEqual(self.sim.create_count, 1)

    def test_what_is_reserved_counts_against_the_cap(self):
        set_cap(self.alice, "1.00")
        self.post(prompt="first")  # still waiting: reserved, not charged
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0.64"))
        self.assertContains(self.post(prompt="second"), "leaves $0.36")

    def test_an_admin_raising_the_cap_lets_the_person_generate_at_once(self):
        set_cap(self.alice, "0.50")
        self.assertContains(self.post(), "leaves $0.50")
        admin = self.client_class()
        admin.force_login(self.carol)
        admin.post(
            reverse("billing:team_member", args=[self.alice.pk]),
            {f"m{self.alice.pk}-monthly_cap": "5", f"m{self.alice.pk}-concurrency": "2"},
        )
        self.assertEqual(self.post().status_code, 302)
        self.assertEqual(Generation.objects.count(), 1)

    def test_an_empty_cap_means_no_cap(self):
        set_cap(self.alice, None)
        for n in range(3):
            self.assertEqual(self.post(prompt=f"video {n}", model="veo3.1").status_code, 302)

    def test_sending_again_is_refused_over_the_cap(self):
        set_cap(self.alice, "0.64")
        self.sim.fail_next("create", 400)
        self.post()
        job = drive(Generation.objects.get())  # refused upstream: released, $0.64 left
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("0.50"))
        response = self.client.post(reverse("generations:submit_again", args=[job.pk]))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(LedgerEntry.objects.filter(generation_ref=job.pk).count(), 2)
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "leaves $0.50")

    @override_settings(BILLING_PERSON_MONTHLY_CAP=2.0)
    def test_new_teammates_start_with_the_default_cap_from_settings(self):
        self.assertEqual(Member.for_user(make_user("dave")).monthly_cap, Decimal("2.00"))


class TeamCapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")

    def test_the_team_cap_counts_everyone_and_says_it_is_the_team_s(self):
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(team_cap=Decimal("1.00"))
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:create"), FORM)
        self.client.force_login(self.bob)
        response = self.client.post(reverse("generations:create"), {**FORM, "prompt": "bob"})
        self.assertContains(response, "the team&#x27;s monthly cap leaves $0.36")
        self.assertEqual(Generation.objects.count(), 1)


@override_settings(BILLING_CREATE_PER_MINUTE=3)
class BurstTests(TestCase):
    def test_a_burst_of_posts_is_refused_with_a_friendly_message(self):
        self.client.force_login(make_user("alice"))
        codes = [
            self.client.post(reverse("generations:create"), {**FORM, "prompt": f"p{n}"})
            for n in range(5)
        ]
        self.assertEqual([c.status_code for c in codes[:3]], [302, 302, 302])
        self.assertContains(codes[3], "you can start up to 3 a minute")
        self.assertEqual(Generation.objects.count(), 3)


class TakesTests(TestCase):
    """A set of takes is that many paid jobs: made in one transaction (as the takes form
    does), it is reserved whole or refused whole."""

    def test_a_set_of_takes_that_would_pass_the_cap_is_refused_whole(self):
        from django.db import transaction

        alice = make_user("alice")
        set_cap(alice, "1.00")
        request = {"prompt": "A kite.", "model": "veo3.1-fast", "seconds": 8, "size": "1280x720"}
        with self.assertRaises(ledger.CapExceeded), transaction.atomic():
            for take in range(2):
                Generation.objects.create_for(alice, {**request, "prompt": f"take {take}"})
        self.assertEqual((Generation.objects.count(), LedgerEntry.objects.count()), (0, 0))
        message = ledger.refusal_for(alice, {**request, "takes": 2})
        self.assertIn("This would cost $1.28, but your monthly cap leaves $1.00", message)
