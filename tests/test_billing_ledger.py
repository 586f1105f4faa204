"""Money as a ledger: reserved on accept, charged when CometAPI made the video, released
when nothing was made; months in the studio's time zone; entries are never rewritten."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import ledger
from billing.models import EntryKind, LedgerEntry, StudioSettings
from generations.models import Generation, Status
from reports import usage

from .helpers import drive, make_generation, make_user


def kinds(job):
    return list(
        LedgerEntry.objects.filter(generation_ref=job.pk)
        .order_by("pk")
        .values_list("kind", "reason")
    )


@pytest.mark.usefixtures("sim")
class SettleAndReleaseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def job(self, **fields):
        return make_generation(self.alice, model="veo3.1-fast", seconds=8, **fields)

    def test_a_made_video_is_charged_once_and_nothing_stays_reserved(self):
        job = drive(self.job())
        self.assertEqual(job.status, Status.READY)
        self.assertEqual(kinds(job), [("reserve", "created"), ("settle", "rendered")])
        month = usage.month(self.alice)
        self.assertEqual((month.spent, month.reserved), (Decimal("0.64"), Decimal("0")))
        self.assertEqual((month.seconds, month.videos), (8, 1))

    def test_a_refusal_before_any_task_existed_releases_the_money(self):
        for status in (400, 401, 402):
            with self.subTest(status=status):
                self.sim.fail_next("create", status)
                job = drive(self.job())
                self.assertEqual(job.status, Status.FAILED)
                self.assertEqual(kinds(job)[-1], ("release", "not_created"))
        self.assertEqual(usage.month(self.alice).spent, Decimal("0"))
        self.assertEqual(usage.month(self.alice).reserved, Decimal("0"))

    def test_a_failed_task_is_not_charged_by_default(self):
        self.sim.outcome = "failed"
        job = drive(self.job())
        self.assertEqual(kinds(job)[-1], ("release", "task_failed"))
        month = usage.month(self.alice)
        self.assertEqual((month.spent, month.not_charged), (Decimal("0"), Decimal("0.64")))

    def test_a_failed_task_is_charged_when_the_studio_says_failed_tasks_are_billed(self):
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(failed_tasks_charged=True)
        self.sim.outcome = "failed"
        job = drive(self.job())
        self.assertEqual(kinds(job)[-1], ("settle", "task_failed_charged"))
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))

    @override_settings(COMETAPI_READ_TIMEOUT=0.3)
    def test_an_uncertain_submission_stays_reserved_until_an_admin_resolves_it(self):
        self.sim.hang_next("create", 2)
        job = drive(self.job())
        self.assertEqual(job.status, Status.UNCERTAIN)
        self.assertEqual(kinds(job), [("reserve", "created")])
        self.assertEqual(usage.month(self.alice).reserved, Decimal("0.64"))
        entry = LedgerEntry.objects.get(generation_ref=job.pk)

        # Alice sees it waiting, but the verdict is not hers to give.
        self.client.force_login(self.alice)
        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, "Waiting for a verdict")
        self.assertNotContains(page, "Nothing was charged</button>")
        refused = self.client.post(
            reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}
        )
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(kinds(job), [("reserve", "created")])

        admin = make_user("carol")
        admin.is_staff = True
        admin.save()
        self.client.force_login(admin)
        self.assertContains(
            self.client.get(reverse("billing:usage")), "Nothing was charged</button>"
        )
        response = self.client.post(
            reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(kinds(job)[-1], ("release", "resolved_not_charged"))
        self.assertEqual(usage.month(self.alice).reserved, Decimal("0"))
        again = self.client.post(
            reverse("billing:resolve", args=[entry.pk]), {"verdict": "charged"}
        )
        self.assertEqual(again.status_code, 404)  # closed once, for good

    def test_a_member_cannot_resolve_any_reservation(self):
        job = self.job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        for person in (self.alice, make_user("bob")):
            self.client.force_login(person)
            response = self.client.post(
                reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}
            )
            self.assertEqual(response.status_code, 403)
        self.assertEqual(kinds(job), [("reserve", "created")])

    def test_trying_again_reserves_the_new_attempt(self):
        self.sim.fail_next("create", 400)
        job = drive(self.job())
        self.assertTrue(job.submit_again_for(self.alice))
        job = drive(job)
        self.assertEqual(
            kinds(job),
            [
                ("reserve", "created"),
                ("release", "not_created"),
                ("reserve", "sent_again"),
                ("settle", "rendered"),
            ],
        )


class AppendOnlyTests(TestCase):
    def test_an_entry_cannot_be_changed_or_deleted(self):
        job = make_generation(make_user("alice"))
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        entry.amount = Decimal("0")
        with self.assertRaises(ValueError):
            entry.save()
        with self.assertRaises(ValueError):
            entry.delete()

    def test_a_reservation_cannot_be_closed_twice(self):
        from django.db import IntegrityError, transaction

        job = make_generation(make_user("alice"))
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        ledger.close(entry, EntryKind.SETTLE, "rendered")
        with self.assertRaises(IntegrityError), transaction.atomic():
            ledger.close(entry, EntryKind.RELEASE, "cancelled")


@override_settings(TIME_ZONE="America/New_York")
class MonthBoundaryTests(TestCase):
    """New York is five hours behind UTC on 31 January."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def test_a_job_accepted_late_on_the_31st_counts_in_january_even_if_charged_in_february(self):
        with time_machine.travel(datetime(2027, 2, 1, 4, 30, tzinfo=UTC), tick=False):
            job = make_generation(self.alice, seconds=8)  # 23:30 on 31 Jan in New York
        with time_machine.travel(datetime(2027, 2, 1, 6, 0, tzinfo=UTC), tick=False):
            entry = LedgerEntry.objects.get(generation_ref=job.pk)
            ledger.close(entry, EntryKind.SETTLE, "rendered")
            february = usage.month(self.alice)
            january = usage.month(self.alice, datetime(2027, 1, 15).date())
        self.assertEqual(february.spent, Decimal("0"))
        self.assertEqual(january.spent, Decimal("0.64"))

    def test_a_job_just_after_local_midnight_counts_in_the_new_month(self):
        with time_machine.travel(datetime(2027, 2, 1, 5, 30, tzinfo=UTC), tick=False):
            make_generation(self.alice, seconds=8)  # 00:30 on 1 Feb in New York
            self.assertEqual(usage.month(self.alice).reserved, Decimal("0.64"))
            self.assertEqual(usage.month(self.alice).first.isoformat(), "2027-02-01")

    def test_a_cap_starts_afresh_with_the_new_local_month(self):
        from billing.models import Member

        member = Member.for_user(self.alice)
        member.monthly_cap = Decimal("0.64")
        member.save()
        with time_machine.travel(datetime(2027, 2, 1, 4, 30, tzinfo=UTC), tick=False):
            make_generation(self.alice, seconds=8)
            self.assertEqual(ledger.standing(self.alice).left, Decimal("0"))
        with time_machine.travel(datetime(2027, 2, 1, 5, 30, tzinfo=UTC), tick=False):
            self.assertEqual(ledger.standing(self.alice).left, Decimal("0.64"))


class ShortWriteTests(TestCase):
    """Every New video post holds the studio's write lock while it checks the caps (on
    SQLite the whole database's): the fewer statements inside, the less everyone waits."""

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")

    def test_the_caps_are_checked_with_one_read_of_the_month(self):
        make_generation(self.bob, model="veo3.1-fast", seconds=8)  # the team's $0.64
        make_generation(self.alice, model="veo3.1-fast", seconds=4)  # rows exist from here
        job = Generation(owner=self.alice, prompt="A second kite.", model="veo3.1-fast", seconds=4)
        job.start()
        with CaptureQueriesContext(connection) as queries:
            job.save()
        month_reads = [q for q in queries.captured_queries if "SUM(" in q["sql"]]
        self.assertEqual(len(month_reads), 1)
        # PostgreSQL's team lock is a statement of its own (SQLite's is the transaction).
        self.assertLessEqual(len(queries), 9 + (connection.vendor == "postgresql"))
        where = ledger.standing(self.alice)
        self.assertEqual(where.reserved, Decimal("0.64"))  # her two 4-second jobs
        self.assertEqual(where.team_spent, Decimal("1.28"))  # and Bob's 8 seconds
