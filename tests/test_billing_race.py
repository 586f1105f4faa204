"""Two tabs, a double click, a script or two teammates racing never pass a cap or a slot
limit: real concurrent requests, each thread on its own database connection.

Also run on PostgreSQL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_billing \
      VEOSTUDIO_TESTING=1 .venv/bin/python -m pytest tests/test_billing_race.py
"""

import threading
import time
import uuid
from decimal import Decimal
from unittest import mock

from django.db import connection
from django.test import Client, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from billing import ledger, slots
from billing.models import LedgerEntry, Member, Price, StudioSettings
from generations.models import Generation, Status

from .helpers import make_generation, make_user

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


real_admissible = slots.admissible


def slow_admissible():
    found = real_admissible()
    time.sleep(0.05)
    return found


class SlotRaceTests(TransactionTestCase):
    def test_workers_admitting_at_once_never_exceed_the_team_limit(self):
        # (The round-robin plan is the same for racers that read the same rows, so this
        # one holds even without the team lock; the lock covers stale plans, e.g. a limit
        # lowered by an admin while a worker is deciding.)
        StudioSettings.load()
        StudioSettings.objects.filter(pk=1).update(team_concurrency=2)
        Price.table()
        people = [make_user(f"person{n}") for n in range(6)]
        jobs = [make_generation(person) for person in people]
        claimed = [Generation.objects.claim(job.pk) for job in jobs]
        assert all(claimed)
        with mock.patch("billing.slots.admissible", slow_admissible):
            admitted = at_once(6, lambda n: slots.admit(claimed[n]))
        self.assertEqual(admitted.count(True), 2, admitted)
        in_flight = Generation.objects.filter(
            status=Status.WAITING, submit_started_at__lte=timezone.now()
        )
        self.assertEqual(in_flight.count(), 2)
