"""Two tabs, a double click, a script or two teammates racing never pass a cap or a slot
limit: real concurrent requests, each thread on its own database connection.

Also run on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_billing \
      VEOSTUDIO_TESTING=1 .venv/bin/python -m pytest tests/test_billing_race.py
"""

import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test import Client, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from billing.models import LedgerEntry, Member, Price, StudioSettings
from generations import slots, worker
from generations.models import Generation, Status
from lib.cometapi import CometAPIClient

from .helpers import drive, make_generation, make_user, step


@pytest.fixture
def sim(request, simulator):
    request.cls.sim = simulator


FORM = {"model": "veo3.1-fast", "seconds": "8", "size": "1280x720"}


def at_once(count: int, work) -> list:
    """Run `work(index)` in `count` threads released together; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # surfaced by the test, not swallowed
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


real_standing = ledger.standing


def slow_standing(*args, **kwargs):
    """Read the month, then dawdle: without the lock every racer would read the same
    month and all of them would pass."""
    found = real_standing(*args, **kwargs)
    time.sleep(0.05)
    return found


@mock.patch("billing.ledger.standing", slow_standing)
class CapRaceTests(TransactionTestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        # Made up front: a first insert racing would serialize the racers by itself.
        StudioSettings.load()
        Price.table()  # the flush between tests empties the table the migration filled
        Member.for_user(self.alice)
        Member.for_user(self.bob)

    def post_as(self, user, **fields):
        client = Client()
        client.force_login(user)
        response = client.post(reverse("generations:create"), {**FORM, **fields})
        if response.status_code == 302 and "/videos/" not in response["Location"]:
            return response["Location"]  # not a job: shown in the failure
        return response.status_code

    def test_eight_tabs_posting_at_once_never_pass_the_person_s_cap(self):
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("1.00"))
        codes = at_once(8, lambda n: self.post_as(self.alice, prompt=f"tab {n}"))
        self.assertEqual(sorted(codes), [200] * 7 + [302], (codes, Generation.objects.count()))
        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(LedgerEntry.objects.count(), 1)

    def test_a_double_click_makes_one_job(self):
        token = str(uuid.uuid4())
        codes = at_once(2, lambda n: self.post_as(self.alice, prompt="once", client_token=token))
        self.assertEqual(codes, [302, 302])
        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(LedgerEntry.objects.count(), 1)

    def test_two_teammates_racing_never_pass_the_team_cap(self):
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_cap=Decimal("1.00"))
        people = [self.alice, self.bob] * 3
        codes = at_once(6, lambda n: self.post_as(people[n], prompt=f"race {n}"))
        self.assertEqual(codes.count(302), 1, codes)
        total = sum(e.amount for e in LedgerEntry.objects.all())
        self.assertLessEqual(total, Decimal("1.00"))


class TeamLockTests(TransactionTestCase):
    """Teammates' posts take turns only for what they share: the team's cap, when there is
    one. A cap or the discount changed meanwhile waits for every post in progress."""

    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        StudioSettings.load()
        Price.table()
        Member.for_user(self.alice)
        Member.for_user(self.bob)

    def post_as(self, user, prompt: str):
        client = Client()
        client.force_login(user)
        return client.post(reverse("generations:create"), {**FORM, "prompt": prompt})

    def while_alice_posts(self, meanwhile) -> tuple:
        """Alice posts, her caps' check kept open a second; once she is checking,
        `meanwhile()` runs in another thread. Returns her answer, when it came, what
        `meanwhile` returned and when it returned."""
        with alongside(meanwhile) as (checking, done):

            def alice_checks_slowly(person, *args, **kwargs):
                found = real_standing(person, *args, **kwargs)
                if person == self.alice:
                    checking.set()
                    time.sleep(1.0)
                return found

            with mock.patch("billing.ledger.standing", alice_checks_slowly):
                response = self.post_as(self.alice, "alice's")
                answered = time.monotonic()
        return response, answered, *done

    def test_without_a_team_cap_a_teammate_s_post_does_not_wait(self):
        alices, alice_answered, bobs, bob_answered = self.while_alice_posts(
            lambda: self.post_as(self.bob, "bob's")
        )
        self.assertEqual((alices.status_code, bobs.status_code), (302, 302))
        self.assertEqual(LedgerEntry.objects.count(), 2)
        if connection.vendor == "postgresql":
            self.assertLess(bob_answered, alice_answered)
        else:  # one writer at a time: Bob waits his turn, and still goes through
            self.assertGreater(bob_answered, alice_answered)

    def test_with_a_team_cap_teammates_check_it_in_turn(self):
        studio = StudioSettings.load()
        studio.team_cap = Decimal("100.00")
        studio.save()
        alices, alice_answered, bobs, bob_answered = self.while_alice_posts(
            lambda: self.post_as(self.bob, "bob's")
        )
        self.assertEqual((alices.status_code, bobs.status_code), (302, 302))
        self.assertGreater(bob_answered, alice_answered)

    def test_a_team_cap_set_while_a_post_is_checked_waits_for_it(self):
        def admin_sets_a_team_cap():
            studio = StudioSettings.load()
            studio.team_cap = Decimal("0.70")  # room for Alice's $0.64, not for Bob's too
            studio.save()

        alices, alice_answered, _, cap_set = self.while_alice_posts(admin_sets_a_team_cap)
        self.assertEqual(alices.status_code, 302)
        self.assertGreater(cap_set, alice_answered)  # the save waited for her post
        bobs = self.post_as(self.bob, "bob's")
        self.assertContains(bobs, "the team&#x27;s monthly cap leaves $0.06")
        self.assertEqual(LedgerEntry.objects.count(), 1)


real_admissible = slots.admissible


def slow_admissible():
    found = real_admissible()
    time.sleep(0.05)
    return found


class SlotRaceTests(TransactionTestCase):
    def test_workers_admitting_at_once_never_exceed_the_team_limit(self):
        # (The round-robin plan is the same for racers that read the same rows, so this
        # one holds even without the slots' lock; the lock covers stale plans, e.g. a limit
        # lowered by an admin while a worker is deciding: see below.)
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_concurrency=2)
        Price.table()
        people = [make_user(f"person{n}") for n in range(6)]
        jobs = [make_generation(person) for person in people]
        claimed = [Generation.objects.claim(job.pk) for job in jobs]
        assert all(claimed)
        with mock.patch("generations.slots.admissible", slow_admissible):
            admitted = at_once(6, lambda n: slots.admit(claimed[n]))
        self.assertEqual(admitted.count(True), 2, admitted)
        in_flight = Generation.objects.filter(
            status=Status.WAITING, submit_started_at__lte=timezone.now()
        )
        self.assertEqual(in_flight.count(), 2)

    def test_a_limit_lowered_while_a_worker_decides_waits_for_the_decision(self):
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_concurrency=2)
        Price.table()
        job = Generation.objects.claim(make_generation(make_user("alice")).pk)

        def admin_lowers_the_limit():
            studio = StudioSettings.load()
            studio.team_concurrency = 0
            studio.save()

        admitted, decided, _, lowered = while_deciding(job, admin_lowers_the_limit, 0.3)
        self.assertTrue(admitted)
        self.assertGreater(lowered, decided)  # the save waited for the decision
        other = Generation.objects.claim(make_generation(make_user("bob")).pk)
        self.assertFalse(slots.admit(other))  # and the next decision reads the new limit

    def test_a_new_video_post_while_a_worker_decides_who_goes_is_not_kept_waiting(self):
        # The team's money lock is not the slots' lock: a decision reads the whole queue,
        # and a post kept waiting for it would wait for nothing of its own. (SQLite has one
        # writer at a time: there the post waits its turn, and still goes through.)
        StudioSettings.load()
        Price.table()
        alice = make_user("alice")
        Member.for_user(alice)
        job = Generation.objects.claim(make_generation(make_user("bob")).pk)

        def alice_posts():
            client = Client()
            client.force_login(alice)
            return client.post(reverse("generations:create"), {**FORM, "prompt": "now"})

        admitted, decided, response, answered = while_deciding(job, alice_posts, 1.0)
        self.assertTrue(admitted)
        self.assertEqual(response.status_code, 302)
        if connection.vendor == "postgresql":
            self.assertLess(answered, decided)  # answered while the worker was still deciding
        else:
            self.assertGreater(answered, decided)


def while_deciding(job, meanwhile, seconds: float) -> tuple:
    """A worker admits `job`, its decision kept open `seconds`; once it is deciding,
    `meanwhile()` runs in another thread. Returns whether the job was admitted, when the
    decision ended, what `meanwhile` returned and when it returned."""
    with alongside(meanwhile) as (deciding, done):

        def slow_decision():
            found = real_admissible()
            deciding.set()
            time.sleep(seconds)
            return found

        with mock.patch("generations.slots.admissible", slow_decision):
            admitted = slots.admit(job)
        decided = time.monotonic()
    return admitted, decided, *done


@contextmanager
def alongside(meanwhile):
    """Run `meanwhile()` in another thread, on its own connection, once the block sets the
    event it is given; after the block, the list holds what `meanwhile` returned and when
    it returned."""
    started, done = threading.Event(), []

    def run():
        started.wait(timeout=10)
        try:
            done.append(meanwhile())
            done.append(time.monotonic())
        finally:
            connection.close()

    other = threading.Thread(target=run)
    other.start()
    try:
        yield started, done
    finally:
        other.join(timeout=30)


real_charge_of = ledger.charge_of


def slow_charge_of(*args, **kwargs):
    """Check again reads what its job holds, then dawdles: a verdict slipping in between
    would leave a job on its way back to CometAPI with nothing held."""
    found = real_charge_of(*args, **kwargs)
    time.sleep(0.05)
    return found


def failed_job(owner, prompt: str) -> Generation:
    """A job CometAPI refused: its money was released, Try again is offered."""
    job = make_generation(owner, prompt=prompt, seconds=8)
    job.mark_failed("CometAPI refused it.", "invalid_request")
    job.save()
    return job


def stopped_job(owner, prompt: str) -> Generation:
    """A job sent to CometAPI whose owner stopped waiting: its $0.64 stays held."""
    job = make_generation(owner, prompt=prompt, seconds=8)
    job.mark_submitted(f"task_{prompt}")
    job.save()
    job.stop_for(owner)
    job.refresh_from_db()
    return job


class SendingAgainRaceTests(TransactionTestCase):
    """Once, a person could take back a reservation while the job could still render,
    and Try again was not counted by the per-minute limit."""

    def setUp(self):
        self.alice = make_user("alice")
        self.carol = make_user("carol")
        self.carol.is_staff = True
        self.carol.save()
        StudioSettings.load()
        Price.table()
        Member.for_user(self.alice)
        Member.for_user(self.carol)

    def post_as(self, user, name: str, pk) -> str:
        """The page the person lands on (its text: the test client's captured context is
        shared between threads)."""
        client = Client()
        client.force_login(user)
        response = client.post(reverse(name, args=[pk]), follow=True)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    @mock.patch("billing.ledger.standing", slow_standing)
    def test_two_try_agains_at_once_never_pass_the_cap(self):
        Member.objects.filter(user=self.alice).update(monthly_cap=Decimal("1.00"))
        jobs = [failed_job(self.alice, f"refused {n}") for n in range(2)]
        said = at_once(
            2, lambda n: self.post_as(self.alice, "generations:submit_again", jobs[n].pk)
        )
        self.assertEqual(sum("This starts a new paid job" in s for s in said), 1)
        self.assertEqual(sum("monthly cap leaves $0.36" in s for s in said), 1)
        self.assertEqual(Generation.objects.filter(status=Status.WAITING).count(), 1)
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0.64"))

    def test_twelve_try_agains_at_once_stop_at_the_limit(self):
        with time_machine.travel(timezone.now() - timedelta(minutes=5)):
            jobs = [failed_job(self.alice, f"refused {n}") for n in range(12)]
        with override_settings(BILLING_CREATE_PER_MINUTE=10):
            said = at_once(
                12, lambda n: self.post_as(self.alice, "generations:submit_again", jobs[n].pk)
            )
        self.assertEqual(sum("This starts a new paid job" in s for s in said), 10)
        self.assertEqual(sum("up to 10 a minute" in s for s in said), 2)
        recent = LedgerEntry.objects.filter(
            kind="reserve", created_at__gte=timezone.now() - timedelta(minutes=1)
        )
        self.assertEqual(recent.count(), 10)

    @mock.patch("billing.ledger.charge_of", slow_charge_of)
    def test_a_verdict_racing_check_again_never_leaves_a_running_job_unreserved(self):
        jobs = [stopped_job(self.alice, f"stopped{n}") for n in range(3)]
        for job in jobs:
            entry = LedgerEntry.objects.get(generation_ref=job.pk)

            def race(n, job=job, entry=entry):
                if n == 0:
                    return self.post_as(self.alice, "generations:check_again", job.pk)
                try:
                    return Generation.objects.resolve_reservation(
                        entry.pk, "not_charged", self.carol
                    )
                except ledger.CannotResolve as refusal:
                    return refusal.message

            results = at_once(2, race)
            self.assertFalse([r for r in results if isinstance(r, Exception)], results)
            job.refresh_from_db()
            still_held = LedgerEntry.objects.open_reservations().filter(generation_ref=job.pk)
            if job.is_active:
                self.assertEqual(still_held.count(), 1, results)
            else:
                self.assertEqual(still_held.count(), 0, results)
        # Every job that went back to CometAPI holds its cost: the month shows it.
        running = Generation.objects.filter(status=Status.RENDERING).count()
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0.64") * running)


class CheckingAtCometAPI(CometAPIClient):
    """The worker's client, held in the middle of its check at CometAPI (claimed, asking,
    nothing written yet) until the verdict has answered: what "while the worker renders"
    means, whatever the machine's load. (Left to the scheduler, a busy machine sometimes
    ran the worker's whole step first: the video was already charged, and the verdict
    found no open reservation to give.)"""

    def __init__(self):
        client = worker.get_client()
        super().__init__(client.base_url, client.api_key, session=client.session)
        self.timeout = client.timeout
        self.asking = threading.Event()
        self.answered = threading.Event()

    def retrieve(self, task_id: str):
        self.asking.set()
        if not self.answered.wait(timeout=20):
            raise AssertionError("the verdict never answered")
        return super().retrieve(task_id)


@pytest.mark.usefixtures("sim")
class VerdictRacingTheWorkerTests(TransactionTestCase):
    def test_a_verdict_while_the_worker_renders_is_refused_and_the_video_is_charged(self):
        alice, carol = make_user("alice"), make_user("carol")
        carol.is_staff = True
        carol.save()
        StudioSettings.load()
        Price.table()
        for round_ in range(3):
            job = make_generation(alice, prompt=f"kite {round_}", seconds=8)
            job = step(job)  # sent: the next check finds it made
            self.assertEqual(job.status, Status.SUBMITTED)
            entry = LedgerEntry.objects.get(generation_ref=job.pk)
            client = CheckingAtCometAPI()

            def race(n, job=job, entry=entry, client=client):
                if n == 0:
                    Generation.objects.filter(pk=job.pk).update(next_action_at=timezone.now())
                    return worker.advance(job.pk, client)
                try:
                    if not client.asking.wait(timeout=20):
                        raise AssertionError("the worker never asked CometAPI")
                    return Generation.objects.resolve_reservation(entry.pk, "not_charged", carol)
                except ledger.CannotResolve as refusal:
                    return refusal.message
                finally:
                    client.answered.set()

            results = at_once(2, race)
            self.assertIn("still being made", str(results[1]), results)
            self.assertEqual(results[0], Status.SAVING, results)
            # Once the worker's step has charged the video there is nothing left to give
            # a verdict on (the admin's page answers 404).
            with self.assertRaises(LedgerEntry.DoesNotExist):
                Generation.objects.resolve_reservation(entry.pk, "not_charged", carol)
            job = drive(job)
            self.assertEqual(job.status, Status.READY)
            self.assertEqual(
                list(
                    LedgerEntry.objects.filter(generation_ref=job.pk)
                    .order_by("pk")
                    .values_list("kind", "reason")
                ),
                [("reserve", "created"), ("settle", "rendered")],
            )
