"""What money looks like: a job's page says what it cost or that
it was not charged, every closing entry names its job, no figure reads "$-0.00", a cap
refusal sends people to the People page, and sums are exact on SQLite too."""

from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse

from billing import ledger
from billing.models import EntryKind, LedgerEntry, Member, StudioSettings
from generations.models import Generation, GenerationEvent, Status
from reports import usage

from .helpers import drive, make_generation, make_user


@pytest.fixture
def sim(request, simulator):
    request.cls.sim = simulator


@pytest.mark.usefixtures("sim")
class JobPageCostTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def setUp(self):
        self.client.force_login(self.alice)

    def job(self):
        return make_generation(self.alice, model="veo3.1-fast", seconds=4)  # $0.32

    def cost_on_page(self, job) -> str:
        page = self.client.get(job.get_absolute_url())
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        start = html.index('id="job-cost"')
        return " ".join(html[start : html.index("</dd>", start)].split())

    def test_a_made_video_shows_what_it_cost(self):
        job = drive(self.job())
        self.assertEqual(job.status, Status.READY)
        self.assertIn("$0.32 · 4 s × $0.08/s", self.cost_on_page(job))
        self.assertIn("(charged)", self.cost_on_page(job))

    def test_a_cancelled_job_says_nothing_was_charged(self):
        job = self.job()
        self.client.post(reverse("generations:cancel", args=[job.pk]))
        cost = self.cost_on_page(job)
        self.assertIn("Not charged: it was cancelled before it was sent", cost)
        self.assertNotIn("$0.32 ·", cost)
        cancelled = GenerationEvent.objects.get(generation_ref=job.pk, kind="cancelled")
        self.assertEqual(cancelled.amount, Decimal("0"))  # the audit's figure for it

    def test_a_failed_task_says_it_was_not_charged(self):
        self.sim.outcome = "failed"
        job = drive(self.job())
        cost = self.cost_on_page(job)
        self.assertIn("Not charged: failed tasks are not charged", cost)
        self.assertNotIn("$0.32 ·", cost)

    def test_a_failed_task_says_it_was_charged_when_the_prices_say_so(self):
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(failed_tasks_charged=True)
        self.sim.outcome = "failed"
        job = drive(self.job())
        self.assertIn("charged although it failed", self.cost_on_page(job))

    def test_a_running_job_shows_its_estimate_as_held(self):
        self.assertIn("held until CometAPI finishes it", self.cost_on_page(self.job()))

    def test_an_admin_s_verdict_shows_on_the_job_s_page_at_once(self):
        job = make_generation(self.alice, model="veo3.1-fast", seconds=4)
        job.mark_submitted("task_gone")
        job.save()
        job.stop_for(self.alice)
        self.assertIn("$0.32 held", self.cost_on_page(job))  # and now kept in the cache
        admin = make_user("carol")
        admin.is_staff = True
        admin.save()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        Generation.objects.resolve_reservation(entry.pk, "not_charged", admin)
        self.assertIn("an admin confirmed CometAPI did not charge it", self.cost_on_page(job))

    def test_every_release_and_settle_names_its_job(self):
        made = drive(self.job())
        cancelled = self.job()
        cancelled.cancel_for(self.alice)
        self.sim.outcome = "failed"
        failed = drive(self.job())
        closing = LedgerEntry.objects.exclude(kind=EntryKind.RESERVE)
        self.assertEqual(
            sorted((e.generation_ref, e.kind) for e in closing),
            sorted(
                [
                    (made.pk, "settle"),
                    (cancelled.pk, "release"),
                    (failed.pk, "release"),
                ]
            ),
        )


class DollarsTests(TestCase):
    def test_money_never_reads_minus_zero(self):
        self.assertEqual(ledger.dollars(Decimal("-0.0001")), "$0.00")
        self.assertEqual(ledger.dollars(Decimal("-0.004")), "$0.00")
        self.assertEqual(ledger.dollars(Decimal("0")), "$0.00")
        self.assertEqual(ledger.dollars(None), "$0.00")

    def test_a_negative_amount_puts_its_sign_before_the_dollar(self):
        self.assertEqual(ledger.dollars(Decimal("-0.50")), "-$0.50")
        self.assertEqual(ledger.dollars(Decimal("12.345")), "$12.35")


class CapRefusalWordingTests(TestCase):
    def test_the_refusal_sends_people_to_the_people_page_where_caps_are(self):
        admin = make_user("carol")
        admin.is_staff = True
        admin.save()
        alice = make_user("alice")
        member = Member.for_user(alice)
        member.monthly_cap = Decimal("0.50")
        member.save()
        self.client.force_login(alice)
        form = {"prompt": "A kite.", "model": "veo3.1-fast", "seconds": "8", "size": "1280x720"}
        response = self.client.post(reverse("generations:create"), form)
        self.assertContains(response, "Ask carol to raise the cap on the People page.")
        self.assertNotContains(response, "Team page")
        self.client.force_login(admin)
        people = self.client.get(reverse("billing:team"))
        self.assertContains(people, "<h1>People</h1>", html=True)
        self.assertContains(people, "Monthly cap")

    def test_an_admin_is_told_where_to_raise_it_themselves(self):
        admin = make_user("carol")
        admin.is_staff = True
        admin.save()
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(team_cap=Decimal("0.10"))
        message = ledger.refusal(admin, Decimal("0.64"))
        self.assertIn("the team's monthly cap leaves $0.10", message)
        self.assertIn("You can raise the cap on the People page.", message)


class ExactSumTests(TestCase):
    """SQLite keeps decimals as floats: 10,000 entries of $0.0001 used to add up to
    $0.999999999999906."""

    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")
        job = make_generation(cls.alice, seconds=4)
        tiny = LedgerEntry.objects.get(generation_ref=job.pk)
        cls.held = tiny.amount  # $0.32, reserved
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                person=cls.alice if n % 2 else cls.bob,
                generation_ref=job.pk,
                kind=EntryKind.SETTLE,
                reason="rendered",
                rate=Decimal("0.0001"),
                seconds=1,
                amount=Decimal("0.0001"),
                reserved=Decimal("0"),
                charged=Decimal("0.0001"),
                day=tiny.day,
            )
            for n in range(10_000)
        )

    def test_a_month_of_tiny_amounts_adds_up_exactly(self):
        self.assertEqual(usage.month(None).spent, Decimal("1.0000"))
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.5000"))
        self.assertEqual(usage.month(self.alice).reserved, self.held)
        self.assertEqual(str(usage.month(None).spent), "1.0000")

    def test_the_cap_is_checked_against_exact_sums(self):
        where = ledger.standing(self.alice)
        self.assertEqual(where.spent, Decimal("0.5000"))
        self.assertEqual(where.committed, Decimal("0.5000") + self.held)
        self.assertEqual(where.team_spent, Decimal("1.0000") + self.held)
        member = Member.for_user(self.alice)
        member.monthly_cap = Decimal("0.5000") + self.held + Decimal("0.0001")
        member.save()
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.0001"))
        self.assertTrue(ledger.standing(self.alice).allows(Decimal("0.0001")))

    def test_the_chart_s_day_is_exact(self):
        bars = [bar for bar in usage.chart(None)["bars"] if bar["amount"]]
        self.assertEqual([bar["amount"] for bar in bars], [Decimal("1.0000")])

    def test_the_usage_page_shows_the_exact_figures(self):
        admin = make_user("carol")
        admin.is_staff = True
        admin.save()
        self.client.force_login(admin)
        page = self.client.get(reverse("billing:usage"), {"person": "team"})
        self.assertContains(page, '<strong id="stat-spent">$1.00</strong>', html=True)
        self.assertEqual(Generation.objects.count(), 1)

    def test_the_usage_page_s_sums_are_the_orm_s_own_totals(self):
        # Usage adds its months up from each day's sums (one prepared query): they must be
        # what the ledger's own aggregate gives, for the team, each person and the standing.
        first, end = ledger.month_range(ledger.studio_day())
        for person in (None, self.alice, self.bob):
            found = usage.entries(person).in_days(first, end).totals()
            month = usage.history(person).month
            self.assertEqual(month.spent, found["charged"])
            self.assertEqual(month.reserved, found["reserved"])
            self.assertEqual(month.videos, found["videos"])
            self.assertEqual(month.seconds, found["seconds"])
        self.assertEqual(
            usage.standing(self.alice, usage.history(self.alice).month),
            ledger.standing(self.alice),
        )
        people = {who: month for who, month in usage.per_person()}
        self.assertEqual(people[self.bob].spent, Decimal("0.5000"))
        self.assertEqual(people[self.bob].videos, 5000)
