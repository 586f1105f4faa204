"""One rule for money: a reservation is released only when the job
can no longer make a video, by the system or by an admin's verdict on a job that has ended;
every way back to CometAPI passes the caps and the per-minute limit; a video made with
nothing held for it is charged at once and flagged."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from billing.models import AuditEntry, EntryKind, LedgerEntry, Member
from generations.models import SENDS, Generation, GenerationEvent, Status
from reports import usage

from .helpers import drive, make_generation, make_user, step

FORM = {
    "prompt": "A paper kite floats above a wheat field.",
    "model": "veo3.1-fast",
    "seconds": "8",
    "size": "1280x720",
}


@pytest.fixture
def sim(request, simulator):
    request.cls.sim = simulator


def kinds(job):
    return list(
        LedgerEntry.objects.filter(generation_ref=job.pk)
        .order_by("pk")
        .values_list("kind", "reason")
    )


def assert_every_ready_video_is_charged(test):
    for job in Generation.objects.filter(status=Status.READY):
        settled = LedgerEntry.objects.filter(generation_ref=job.pk, kind=EntryKind.SETTLE)
        test.assertTrue(settled.exists(), f"{job.pk} is ready with no charge")


@pytest.mark.usefixtures("sim")
class TakingMoneyBackTests(TestCase):
    """The day of the issue: Alice, capped at $1.00, stops waiting, calls a job "not
    charged", checks it again and starts more. She must not end with extra videos and
    "$1.00 left"."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")
        cls.carol = make_user("carol")
        cls.carol.is_staff = True
        cls.carol.save()
        member = Member.for_user(cls.alice)
        member.monthly_cap = Decimal("1.00")
        member.save()

    def setUp(self):
        self.client.force_login(self.alice)
        self.admin = self.client_class()
        self.admin.force_login(self.carol)

    def post_new(self, prompt):
        return self.client.post(reverse("generations:create"), {**FORM, "prompt": prompt})

    def stopped_job(self) -> Generation:
        self.assertEqual(self.post_new("first").status_code, 302)
        job = step(Generation.objects.get(prompt="first"))  # sent: CometAPI has it
        self.assertEqual(job.status, Status.SUBMITTED)
        self.client.post(reverse("generations:stop", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(job.status, Status.FAILED)
        return job

    def try_every_trick(self, rounds: int = 5) -> None:
        """What the issue's member did all day: start a video, stop waiting once CometAPI
        has it, say nothing was charged (now refused), have an admin say so too (the
        worst case: a wrong verdict), check it again, start another."""
        for n in range(rounds):
            if self.post_new(f"trick {n}").status_code != 302:
                continue  # refused by the cap: nothing was made
            job = step(Generation.objects.get(prompt=f"trick {n}"))
            self.client.post(reverse("generations:stop", args=[job.pk]))
            entry = LedgerEntry.objects.open_reservations().get(generation_ref=job.pk)
            mine = self.client.post(
                reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}
            )
            self.assertEqual(mine.status_code, 403)
            self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})
            self.client.post(reverse("generations:check_again", args=[job.pk]))
        for job in Generation.objects.all():
            drive(job)

    def test_the_day_of_the_issue_ends_within_the_person_s_cap(self):
        self.try_every_trick()
        ready = Generation.objects.filter(status=Status.READY).count()
        self.assertEqual(ready, 1)
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.36"))
        assert_every_ready_video_is_charged(self)

    def test_the_day_of_the_issue_ends_within_the_team_s_cap(self):
        from billing.models import StudioSettings

        Member.objects.filter(user=self.alice).update(monthly_cap=None)
        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(team_cap=Decimal("1.50"))
        self.try_every_trick(rounds=6)
        self.assertEqual(Generation.objects.filter(status=Status.READY).count(), 2)
        self.assertEqual(usage.month(None).spent, Decimal("1.28"))
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.22"))
        assert_every_ready_video_is_charged(self)

    def test_the_person_cannot_release_their_own_reservation(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        page = self.client.get(reverse("billing:usage"))
        self.assertContains(page, "an admin checks CometAPI")
        response = self.client.post(
            reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.36"))
        # Checking again keeps the one reservation; the video is charged once.
        self.client.post(reverse("generations:check_again", args=[job.pk]))
        job = drive(job)
        self.assertEqual(job.status, Status.READY)
        self.assertEqual(kinds(job), [("reserve", "created"), ("settle", "rendered")])
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))

    def test_a_verdict_on_a_job_still_being_made_is_refused(self):
        self.post_new("first")
        job = step(Generation.objects.get())
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        response = self.admin.post(
            reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"}, follow=True
        )
        self.assertContains(response, "This video is still being made")
        self.assertEqual(kinds(job), [("reserve", "created")])
        job = drive(job)
        self.assertEqual(kinds(job), [("reserve", "created"), ("settle", "rendered")])

    def test_checking_again_after_nothing_was_charged_is_held_again_under_the_cap(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})
        self.assertEqual(ledger.standing(self.alice).left, Decimal("1.00"))
        self.assertEqual(self.post_new("second").status_code, 302)  # $0.36 left now

        response = self.client.post(reverse("generations:check_again", args=[job.pk]), follow=True)
        self.assertContains(response, "your monthly cap leaves $0.36")
        job.refresh_from_db()
        self.assertEqual(job.status, Status.FAILED)  # not watched again, not fetched
        drive(Generation.objects.get(prompt="second"))
        drive(job)

        self.assertEqual(Generation.objects.filter(status=Status.READY).count(), 1)
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.36"))
        assert_every_ready_video_is_charged(self)

    def test_checking_again_after_nothing_was_charged_charges_what_it_makes(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})
        self.client.post(reverse("generations:check_again", args=[job.pk]))
        job = drive(job)
        self.assertEqual(job.status, Status.READY)
        self.assertEqual(
            kinds(job),
            [
                ("reserve", "created"),
                ("release", "resolved_not_charged"),
                ("reserve", "checked_again"),
                ("settle", "rendered"),
            ],
        )
        self.assertEqual(ledger.standing(self.alice).left, Decimal("0.36"))

    def test_a_task_an_admin_called_charged_is_never_charged_twice(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "charged"})
        self.client.post(reverse("generations:check_again", args=[job.pk]))
        job = drive(job)
        self.assertEqual(job.status, Status.READY)
        self.assertEqual(kinds(job), [("reserve", "created"), ("settle", "resolved_charged")])
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))

    def test_the_verdict_is_audited_with_its_job_and_amount(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})
        audited = AuditEntry.objects.get(action="resolved")
        self.assertEqual(audited.generation_ref, job.pk)
        self.assertEqual(audited.amount, Decimal("0"))
        self.assertEqual(audited.detail, "not charged: $0.64 released")
        self.assertEqual(audited.subject, self.alice)

    def test_a_video_made_with_nothing_held_is_charged_at_once_and_flagged(self):
        self.post_new("first")
        job = step(Generation.objects.get())
        # What the old verdict let a person do while the job could still render.
        ledger.close(LedgerEntry.objects.get(generation_ref=job.pk), EntryKind.RELEASE, "legacy")
        job = drive(job)
        self.assertEqual(job.status, Status.READY)
        self.assertEqual(
            kinds(job)[-2:],
            [("reserve", "rendered_unreserved"), ("settle", "rendered_unreserved")],
        )
        self.assertEqual(usage.month(self.alice).spent, Decimal("0.64"))
        flagged = AuditEntry.objects.get(action="rendered_unreserved")
        self.assertEqual((flagged.generation_ref, flagged.amount), (job.pk, Decimal("0.64")))
        page = self.admin.get(reverse("billing:usage"))
        self.assertContains(page, "Made without a reservation")
        self.assertContains(self.admin.get(reverse("billing:audit")), "made without a reservation")
        self.assertNotContains(self.client.get(reverse("billing:usage")), "Made without")
        assert_every_ready_video_is_charged(self)

    def test_restoring_from_the_trash_then_checking_again_passes_the_cap(self):
        job = self.stopped_job()
        entry = LedgerEntry.objects.get(generation_ref=job.pk)
        self.admin.post(reverse("billing:resolve", args=[entry.pk]), {"verdict": "not_charged"})
        self.client.post(reverse("generations:delete", args=[job.pk]))
        self.post_new("second")  # $0.36 left
        self.client.post(reverse("generations:restore", args=[job.pk]))
        job.refresh_from_db()
        self.assertIsNone(job.trashed_at)
        self.assertEqual(job.status, Status.FAILED)  # restoring sends nothing by itself
        response = self.client.post(reverse("generations:check_again", args=[job.pk]), follow=True)
        self.assertContains(response, "your monthly cap leaves $0.36")
        self.assertEqual(kinds(job)[-1], ("release", "resolved_not_charged"))


@override_settings(BILLING_CREATE_PER_MINUTE=10)
class TryAgainIsCountedTests(TestCase):
    """Row 4: 16 reservations in 44 s under a limit of 10 came from Try again."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def setUp(self):
        self.client.force_login(self.alice)

    def refused_jobs(self, count):
        jobs = []
        with time_machine.travel(timezone.now() - timedelta(minutes=5)):
            for n in range(count):
                job = make_generation(self.alice, prompt=f"job {n}", seconds=8)
                job.mark_failed("CometAPI refused it.", "invalid_request")
                job.save()
                jobs.append(job)
        return jobs

    def timed_out_jobs(self, count):
        jobs = []
        with time_machine.travel(timezone.now() - timedelta(minutes=5)):
            for n in range(count):
                job = make_generation(self.alice, prompt=f"slow {n}", task_id=f"task_{n}")
                job.mark_timed_out()
                job.save()
                jobs.append(job)
        return jobs

    def recent_reservations(self):
        return LedgerEntry.objects.filter(
            kind=EntryKind.RESERVE, created_at__gte=timezone.now() - timedelta(seconds=44)
        ).count()

    def test_sixteen_try_agains_in_a_minute_stop_at_ten(self):
        jobs = self.refused_jobs(16)
        answers = [
            self.client.post(reverse("generations:submit_again", args=[job.pk]), follow=True)
            for job in jobs
        ]
        self.assertEqual(self.recent_reservations(), 10)
        for answer in answers[:10]:
            self.assertContains(answer, "Sent again.")
        for answer in answers[10:]:
            self.assertContains(answer, "you can start up to 10 a minute")
        self.assertEqual(Generation.objects.filter(status=Status.WAITING).count(), 10)

    def test_check_again_and_make_another_count_too(self):
        refused, slow = self.refused_jobs(6), self.timed_out_jobs(6)
        for job in refused:
            self.client.post(reverse("generations:submit_again", args=[job.pk]))
        checks = [
            self.client.post(reverse("generations:check_again", args=[job.pk]), follow=True)
            for job in slow
        ]
        self.assertEqual(Generation.objects.filter(status=Status.RENDERING).count(), 4)
        self.assertContains(checks[-1], "you can start up to 10 a minute")
        another = self.client.post(
            reverse("generations:create"), {**FORM, "made_from": str(refused[0].pk)}
        )
        self.assertContains(another, "you can start up to 10 a minute")
        sends = GenerationEvent.objects.filter(
            owner=self.alice,
            kind__in=SENDS,
            created_at__gte=timezone.now() - timedelta(minutes=1),
        )
        self.assertEqual(sends.count(), 10)

    def test_the_limit_frees_up_after_a_minute(self):
        jobs = self.refused_jobs(11)
        for job in jobs[:10]:
            self.client.post(reverse("generations:submit_again", args=[job.pk]))
        with time_machine.travel(timezone.now() + timedelta(seconds=61)):
            answer = self.client.post(
                reverse("generations:submit_again", args=[jobs[10].pk]), follow=True
            )
        self.assertContains(answer, "Sent again.")
