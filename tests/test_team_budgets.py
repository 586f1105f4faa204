"""A budget per project: a monthly and/or total cap held by the ledger with the person's and
the team's caps (the tightest wins, and the refusal names the project's budget and whom to
ask, before anything is sent), the alerts at 80 % and 100 % told once, the budget set on
the project's page and audited, and the usage by project with its CSV."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import time_machine
from django.urls import reverse

from billing import ledger
from billing.models import AuditEntry, LedgerEntry, Member, StudioSettings
from generations.models import Generation, Notification, NotificationKind, Project

from .helpers import StudioTestCase, make_generation, make_user, valid_data

EIGHT_SECONDS = {"model": "veo3.1-fast", "seconds": "8", "size": "1280x720"}  # $0.64


def spring(owner, **budgets) -> Project:
    return Project.objects.create(name="Spring perfume", created_by=owner, **budgets)


class BudgetRefusalTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.admin = make_user("boss", is_staff=True)
        self.project = spring(self.admin, total_budget=Decimal("1.00"))

    def post(self, **fields):
        data = valid_data(project=self.project.pk, **EIGHT_SECONDS, **fields)
        return self.client.post(reverse("generations:create"), data)

    def test_a_job_that_would_pass_the_project_budget_is_refused_naming_the_project(self):
        first = self.post(prompt="The bottle on marble")
        refused = self.post(prompt="The bottle in the rain")

        self.assertEqual(first.status_code, 302)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "the project “Spring perfume” has $0.36 left of its budget")
        self.assertContains(refused, "Nothing was sent to CometAPI.")
        self.assertContains(refused, "Ask boss to raise it on the project&#x27;s page.")
        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(LedgerEntry.objects.count(), 1)

    def test_the_price_before_generate_says_what_the_project_has_left(self):
        self.post(prompt="The bottle on marble")
        url = reverse("billing:estimate")
        fits = self.client.get(url, {"model": "veo3.1-fast", "seconds": "4", "size": "1280x720",
                                     "project": self.project.pk})  # fmt: skip
        over = self.client.get(url, {**EIGHT_SECONDS, "project": self.project.pk})

        self.assertContains(fits, "Left in “Spring perfume”: $0.36.")
        self.assertNotContains(fits, "estimate-refusal")
        self.assertContains(over, "the project “Spring perfume” has $0.36 left of its budget")

    def test_the_project_s_maker_is_named_first_as_whom_to_ask(self):
        maker = make_user("pia")
        project = spring(maker, monthly_budget=Decimal("0.50"))
        refused = self.client.post(
            reverse("generations:create"), valid_data(project=project.pk, **EIGHT_SECONDS)
        )
        self.assertContains(refused, "has $0.50 left of its monthly budget this month")
        self.assertContains(refused, "Ask pia or boss to raise it")

    def test_the_tightest_limit_wins_and_the_refusal_says_which(self):
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("0.50"))
        refused = self.post()
        # Alice's own cap ($0.50 left) is tighter than the project's ($1.00).
        self.assertContains(refused, "your monthly cap leaves $0.50 this month")
        self.assertNotContains(refused, "Spring perfume” has")

        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("20"))
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_cap=Decimal("0.90"))
        self.post(prompt="first")  # $0.64 of the team's $0.90 and the project's $1.00
        refused = self.post(prompt="second")
        self.assertContains(refused, "the team&#x27;s monthly cap leaves $0.26")

    def test_four_takes_are_refused_as_a_whole_by_the_project_budget(self):
        refused = self.post(takes="4")
        self.assertContains(refused, "This would cost $2.56, but the project “Spring perfume”")
        self.assertEqual(Generation.objects.count(), 0)
        self.assertEqual(LedgerEntry.objects.count(), 0)

    def test_try_again_is_held_to_the_project_budget_too(self):
        job = make_generation(self.alice, project=self.project, **EIGHT_SECONDS)
        job.mark_failed("CometAPI refused it", code="http:400")  # released: not created
        job.save()
        other = make_generation(self.bob, project=self.project, **EIGHT_SECONDS)
        self.assertEqual(other.status, "waiting")  # $0.64 of the $1.00 now held by bob

        response = self.client.post(reverse("generations:submit_again", args=[job.pk]))

        page = self.client.get(response["Location"])
        self.assertContains(page, "the project “Spring perfume” has $0.36 left of its budget")
        job.refresh_from_db()
        self.assertEqual(job.status, "failed")

    def test_check_again_after_a_not_charged_verdict_is_held_to_the_project_budget(self):
        job = make_generation(self.alice, project=self.project, **EIGHT_SECONDS)
        job.mark_submitted("task_lost")
        job.save()
        job.mark_timed_out()
        job.save()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        Generation.objects.resolve_reservation(entry.pk, "not_charged", self.admin)
        make_generation(self.bob, project=self.project, **EIGHT_SECONDS)  # $0.64 of $1.00

        response = self.client.post(reverse("generations:check_again", args=[job.pk]))

        page = self.client.get(response["Location"])
        self.assertContains(page, "the project “Spring perfume” has $0.36 left of its budget")
        job.refresh_from_db()
        self.assertEqual(job.status, "timed_out")

    def test_a_monthly_budget_starts_afresh_each_month(self):
        self.project.total_budget = None
        self.project.monthly_budget = Decimal("1.00")
        self.project.save()
        with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC)):
            self.assertEqual(self.post(prompt="November").status_code, 302)
            self.assertEqual(self.post(prompt="November again").status_code, 200)
        with time_machine.travel(datetime(2026, 12, 2, 12, tzinfo=UTC)):
            self.assertEqual(self.post(prompt="December").status_code, 302)

    def test_each_ledger_entry_carries_the_project(self):
        self.post()
        job = Generation.objects.get()
        job.mark_rendered("https://cometapi.invalid/v.mp4")
        job.save()
        refs = set(LedgerEntry.objects.values_list("project_ref", flat=True))
        self.assertEqual(refs, {self.project.pk})

    def test_a_video_moved_in_later_keeps_its_money_where_it_was_made(self):
        older = make_generation(self.alice, **EIGHT_SECONDS)  # $0.64, in no project
        older.move_for(self.alice, self.project)

        self.assertEqual(self.post(prompt="Still fits").status_code, 302)
        spend = ledger.project_spend([self.project.pk])[self.project.pk]
        self.assertEqual(spend.total, Decimal("0.64"))


class BudgetAlertTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.admin = make_user("boss", is_staff=True)
        self.carol = make_user("carol")
        self.project = spring(self.bob, total_budget=Decimal("2.00"))
        self.project.set_people(True, [self.alice, self.bob])

    def post(self, prompt):
        data = valid_data(project=self.project.pk, prompt=prompt, **EIGHT_SECONDS)
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(reverse("generations:create"), data)

    def budget_news(self):
        return list(
            Notification.objects.filter(kind=NotificationKind.BUDGET)
            .order_by("pk")
            .values_list("recipient__username", "text")
        )

    def test_80_and_100_percent_are_told_once_each_to_the_project_s_people_and_admins(self):
        self.post("one")  # $0.64: 32 %
        self.post("two")  # $1.28: 64 %
        self.assertEqual(self.budget_news(), [])
        self.post("three")  # $1.92: 96 %
        told = self.budget_news()
        self.assertEqual(sorted(who for who, _ in told), ["alice", "bob", "boss"])
        self.assertIn("“Spring perfume” has used 80 % of its budget ($1.92 of $2.00)", told[0][1])
        self.assertNotIn("carol", [who for who, _ in told])  # not among its people

        self.project.total_budget = Decimal("2.56")
        self.project.save()
        self.post("four")  # $2.56: 100 % of the raised budget
        hundred = [text for _, text in self.budget_news()[3:]]
        self.assertEqual(len(hundred), 3)
        self.assertIn("has used all of its budget ($2.56 of $2.56)", hundred[0])
        refused = self.post("five")
        self.assertEqual(refused.status_code, 200)
        self.assertEqual(len(self.budget_news()), 6)  # nothing told twice

    def test_a_notification_links_to_the_project(self):
        for n in range(3):
            self.post(f"take {n}")
        note = Notification.objects.filter(kind=NotificationKind.BUDGET).first()
        assert note is not None
        self.assertEqual(note.url, self.project.get_absolute_url())
        self.assertEqual(note.project, self.project)


class BudgetOnTheProjectPageTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.project = spring(self.alice)

    def test_its_maker_sets_a_budget_and_sees_it_with_the_spend(self):
        url = reverse("generations:project_budget", args=[self.project.pk])
        self.client.post(url, {"monthly_budget": "5", "total_budget": "20.50"})
        make_generation(self.alice, project=self.project, **EIGHT_SECONDS)

        page = self.client.get(self.project.get_absolute_url())

        self.project.refresh_from_db()
        self.assertEqual(self.project.monthly_budget, Decimal("5.00"))
        self.assertEqual(self.project.total_budget, Decimal("20.50"))
        self.assertContains(page, "This month: <strong>$0.64</strong> of $5.00")
        self.assertContains(page, "In all: <strong>$0.64</strong> of $20.50")
        self.assertContains(page, "$4.36 left")
        entry = AuditEntry.objects.get(action="budget_changed")
        self.assertEqual(entry.actor, self.alice)
        self.assertIn("monthly none → $5.00, total none → $20.50", entry.detail)

    def test_a_bad_budget_changes_nothing_and_says_why(self):
        url = reverse("generations:project_budget", args=[self.project.pk])
        page = self.client.post(url, {"monthly_budget": "-1"}, follow=True)
        self.assertContains(page, "The budget was not changed: A budget cannot be negative.")
        self.project.refresh_from_db()
        self.assertIsNone(self.project.monthly_budget)

    def test_someone_else_may_not_set_it_nor_is_offered_the_form(self):
        self.client.force_login(self.bob)
        url = reverse("generations:project_budget", args=[self.project.pk])
        self.assertEqual(self.client.post(url, {"monthly_budget": "1"}).status_code, 404)
        page = self.client.get(self.project.get_absolute_url())
        self.assertNotContains(page, "Save budget")

    def test_the_projects_list_reads_the_ledger_once_for_every_project(self):
        for n in range(5):
            project = spring(self.alice, monthly_budget=Decimal("3"))
            project.name = f"Client {n}"
            project.save()
            make_generation(self.alice, project=project, **EIGHT_SECONDS)
        self.client.get(reverse("generations:projects"))  # warm the session and caches
        # Session, user, the projects, their videos, the ledger, and the header's running
        # jobs with its bell's unread count (one query).
        with self.assertNumQueries(6):
            listing = self.client.get(reverse("generations:projects"))
        self.assertContains(listing, "$0.64 of $3.00 a month", count=5)


class UsageByProjectTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.admin = make_user("boss", is_staff=True)
        self.client.force_login(self.admin)
        self.project = spring(self.admin)
        client_b = Project.objects.create(name="=Client B", created_by=self.admin)
        with time_machine.travel(datetime(2026, 11, 10, 12, tzinfo=UTC)):
            self.made(self.alice, self.project)
        with time_machine.travel(datetime(2026, 12, 3, 12, tzinfo=UTC)):
            self.made(self.alice, self.project)
            self.made(self.bob, client_b)
            make_generation(self.bob, project=self.project, **EIGHT_SECONDS)  # held
            self.made(self.bob, None)

    def made(self, owner, project):
        job = make_generation(owner, project=project, **EIGHT_SECONDS)
        job.mark_rendered("https://cometapi.invalid/v.mp4")
        job.save()

    def test_the_usage_page_breaks_the_month_down_by_project(self):
        with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC)):
            page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, "By project in December 2026")
        rows = page.context["by_project"]
        self.assertEqual(
            [(r.name, r.month_spent, r.month_held, r.total) for r in rows],
            [
                ("Spring perfume", Decimal("0.64"), Decimal("0.64"), Decimal("1.92")),
                ("=Client B", Decimal("0.64"), Decimal("0"), Decimal("0.64")),
                ("No project", Decimal("0.64"), Decimal("0"), Decimal("0.64")),
            ],
        )

    def test_the_by_project_csv_has_each_project_s_month(self):
        with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC)):
            response = self.client.get(reverse("billing:usage_projects_csv"))
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(rows[0][:5], ["month", "project", "project id", "charged", "held"])
        self.assertIn(["2026-11", "Spring perfume", str(self.project.pk), "0.6400", "0.0000"],
                      [row[:5] for row in rows])  # fmt: skip
        self.assertIn("'=Client B", [row[1] for row in rows])  # guarded, not a formula

    def test_the_ledger_csv_carries_the_project(self):
        response = self.client.get(reverse("billing:usage_csv"))
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        column = rows[0].index("project")
        self.assertEqual({row[column] for row in rows[1:]}, {"Spring perfume", "'=Client B", ""})

    def test_members_neither_see_it_nor_get_the_csv(self):
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(reverse("billing:usage")), "By project")
        self.assertEqual(self.client.get(reverse("billing:usage_projects_csv")).status_code, 403)
