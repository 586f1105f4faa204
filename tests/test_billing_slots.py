"""Jobs at CometAPI at once: over a limit a job waits here, unpaid, and the next one is
chosen round-robin between people from our own rows."""

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from billing.models import LedgerEntry, Member, StudioSettings
from generations import slots, worker
from generations.models import Generation, Status

from .helpers import drive, events, make_generation, make_user, step, swaps


def team_limit(n: int) -> None:
    StudioSettings.load()
    StudioSettings.objects.filter(pk=1).update(team_concurrency=n)


@pytest.mark.usefixtures("sim")
class RoundRobinTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")

    def queue(self, person, count):
        return [make_generation(person, prompt=f"{person} {n + 1}") for n in range(count)]

    def test_bob_s_first_job_is_sent_before_alice_s_fourth(self):
        team_limit(2)
        alice = self.queue(self.alice, 6)
        for job in alice:
            step(job)
        bob = self.queue(self.bob, 2)
        for job in bob:
            step(job)
        sent = [job.prompt for job in Generation.objects.filter(status=Status.SUBMITTED)]
        self.assertCountEqual(sent, ["alice 1", "alice 2"])

        order = ["alice 1", "alice 2"]
        while len(order) < 8:
            running = Generation.objects.filter(status=Status.SUBMITTED).order_by(
                "submit_started_at"
            )
            drive(running.first())  # a slot frees
            # Every waiting job asks, alice's first: the queue's order must not decide.
            for job in Generation.objects.filter(status=Status.WAITING).order_by("created_at"):
                if step(job).status == Status.SUBMITTED:
                    order.append(job.prompt)
        self.assertLess(order.index("bob 1"), order.index("alice 4"))
        self.assertEqual(
            order,
            ["alice 1", "alice 2", "bob 1", "alice 3", "bob 2", "alice 4", "alice 5", "alice 6"],
        )
        self.assertEqual(self.sim.create_count, 8)

    def test_the_person_limit_holds_even_with_free_team_slots(self):
        Member.for_user(self.alice)
        Member.objects.filter(user=self.alice).update(concurrency=1)
        jobs = self.queue(self.alice, 3)
        for job in jobs:
            step(job)
        self.assertEqual(Generation.objects.filter(status=Status.SUBMITTED).count(), 1)
        self.assertEqual(self.sim.create_count, 1)

    def test_a_held_job_is_not_due_and_the_worker_leaves_it_alone(self):
        team_limit(1)
        first, held = self.queue(self.alice, 2)
        step(first)
        held = step(held)
        self.assertEqual(held.status, Status.WAITING)
        self.assertIsNone(held.submit_started_at)
        self.assertGreater(held.next_action_at, timezone.now())
        self.assertFalse(Generation.objects.due().filter(pk=held.pk).exists())
        worker.tidy()
        self.assertIsNone(worker.advance_next())
        self.assertEqual(Generation.objects.get(pk=held.pk).next_action_at, held.next_action_at)

    def test_a_freed_slot_wakes_the_next_job_at_once(self):
        team_limit(1)
        first, held = self.queue(self.alice, 2)
        step(first)
        step(held)
        with self.captureOnCommitCallbacks(execute=True):
            drive(first)
        held.refresh_from_db()
        self.assertLessEqual(held.next_action_at, timezone.now())

    def test_a_full_team_turns_a_job_away_without_reading_the_queue(self):
        # The worker asks under the slots' lock for every waiting job that comes due.
        team_limit(1)
        step(self.queue(self.alice, 1)[0])
        held = self.queue(self.bob, 1)[0]
        with self.assertNumQueries(2):  # who is at CometAPI, and the team's limit
            self.assertEqual(slots.admissible(), [])
        self.queue(self.bob, 30)
        with self.assertNumQueries(2):
            self.assertEqual(slots.admissible(), [])
        self.assertEqual(step(held).status, Status.WAITING)

    def test_the_card_says_how_many_are_ahead(self):
        team_limit(2)
        alice = self.queue(self.alice, 6)
        for job in alice:
            step(job)
        bob = self.queue(self.bob, 2)
        for job in bob:
            step(job)
        self.client.force_login(self.alice)
        page = self.client.get(alice[3].get_absolute_url())  # order: b1, a3, b2, a4
        self.assertContains(page, "Waiting for a free slot — 3 ahead of you")
        card = self.client.get(
            reverse("generations:status", args=[alice[2].pk]) + "?view=card",
            headers={"HX-Request": "true"},
        )
        self.assertContains(card, "Waiting for a free slot — 1 ahead of you")
        self.client.force_login(self.bob)
        self.assertContains(
            self.client.get(bob[0].get_absolute_url()), "Waiting for a free slot — you are next"
        )


@pytest.mark.usefixtures("sim")
class CancelAndStopTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice, cls.bob = make_user("alice"), make_user("bob")

    def setUp(self):
        self.client.force_login(self.alice)

    def test_a_waiting_job_is_cancelled_for_free(self):
        team_limit(1)
        running = make_generation(self.alice)
        waiting = make_generation(self.alice, prompt="second")
        step(running)
        step(waiting)
        response = self.client.post(reverse("generations:cancel", args=[waiting.pk]), follow=True)
        self.assertContains(response, "nothing was charged")
        waiting.refresh_from_db()
        self.assertEqual((waiting.status, waiting.error_code), (Status.FAILED, "cancelled"))
        entries = LedgerEntry.objects.filter(generation_ref=waiting.pk)
        self.assertEqual(list(entries.values_list("kind", "reason")),
                         [("reserve", "created"), ("release", "cancelled")])  # fmt: skip
        step(waiting)
        self.assertEqual(self.sim.create_count, 1)

    def test_a_running_job_is_stopped_and_the_page_says_cometapi_may_still_charge(self):
        job = step(make_generation(self.alice))
        self.assertEqual(job.status, Status.SUBMITTED)
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "Stop waiting")
        self.assertNotContains(page, "Cancel (nothing is charged)")
        response = self.client.post(reverse("generations:stop", args=[job.pk]), follow=True)
        self.assertContains(response, "CometAPI may still make this video and charge for it")
        job.refresh_from_db()
        self.assertEqual(job.error_code, "stopped")
        self.assertEqual(LedgerEntry.objects.open_reservations().count(), 1)  # still counted
        self.assertIsNone(worker.advance(job.pk))  # the worker lets it be

    def test_a_job_being_sent_cannot_be_cancelled_only_stopped(self):
        job = make_generation(self.alice)
        Generation.objects.filter(pk=job.pk).update(submit_started_at=timezone.now())
        response = self.client.post(reverse("generations:cancel", args=[job.pk]), follow=True)
        self.assertContains(response, "already being sent")
        self.assertEqual(Generation.objects.get(pk=job.pk).status, Status.WAITING)

    def test_a_worker_holding_a_cancelled_job_writes_nothing(self):
        job = make_generation(self.alice)
        claimed = Generation.objects.claim(job.pk)
        assert claimed is not None
        self.assertTrue(job.cancel_for(self.alice))
        self.assertFalse(slots.admit(claimed))
        self.assertFalse(claimed.release())
        self.assertEqual(Generation.objects.get(pk=job.pk).error_code, "cancelled")
        self.assertEqual(self.sim.create_count, 0)


@pytest.mark.usefixtures("sim")
class PlaceInTheQueueTests(TestCase):
    """A waiting job's place is its own polled line: when a slot frees, the page's poll
    swaps that line, and the card (its poster, its buttons) stays as it is."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def setUp(self):
        self.client.force_login(self.alice)

    def poll(self, *values):
        response = self.client.get(reverse("generations:poll"), {"v": list(values)})
        self.assertEqual(response.status_code, 200)
        return {key: html for key, html in swaps(response).items() if key != "jobs-indicator"}

    def waiting_page(self):
        team_limit(1)
        jobs = [make_generation(self.alice, prompt=f"job {n}") for n in range(3)]
        for job in jobs:
            step(job)
        return jobs

    def test_the_gallery_card_shows_the_place_as_its_own_polled_line(self):
        first, second, third = self.waiting_page()
        page = self.client.get(reverse("generations:index")).content.decode()
        self.assertIn(f'data-poll="wait-card:{third.pk}:1"', page)
        self.assertIn("Waiting for a free slot — 1 ahead of you", page)
        self.assertIn(f'data-poll="wait-card:{second.pk}:0"', page)
        self.assertNotIn(f"wait-card:{first.pk}", page)  # at CometAPI: no place

    def test_a_freed_slot_moves_the_place_line_and_leaves_the_cards_alone(self):
        first, second, third = self.waiting_page()
        third.refresh_from_db()
        second.refresh_from_db()
        cards = [f"card:{job.pk}:{job.card_version}" for job in (second, third)]
        places = [f"wait-card:{second.pk}:0", f"wait-card:{third.pk}:1"]
        self.assertEqual(self.poll(*cards, *places), {})

        drive(first)  # done: its slot frees and the second job goes
        step(Generation.objects.get(pk=second.pk))
        slots.forget_recent_plan()  # a second later

        third.refresh_from_db()
        self.assertEqual(third.card_version, int(cards[1].rsplit(":", 1)[1]))  # card unchanged
        fragments = self.poll(cards[1], places[1])
        self.assertEqual(list(fragments), [f"wait-card-{third.pk}"])
        self.assertIn("you are next", fragments[f"wait-card-{third.pk}"])
        self.assertIn(f'data-poll="wait-card:{third.pk}:0"', fragments[f"wait-card-{third.pk}"])

    def test_a_job_that_leaves_the_queue_loses_its_place_line(self):
        first, second, third = self.waiting_page()
        drive(first)
        step(Generation.objects.get(pk=second.pk))
        slots.forget_recent_plan()

        fragments = self.poll(f"wait-status:{second.pk}:0")
        line = fragments[f"wait-status-{second.pk}"]
        self.assertIn("hidden", line)
        self.assertNotIn("data-poll", line)
        self.assertNotIn("Waiting for a free slot", line)

    def test_the_place_a_poll_shows_is_at_most_a_second_old(self):
        first, second, third = self.waiting_page()
        self.assertEqual(self.poll(f"wait-card:{third.pk}:1"), {})
        drive(first)
        step(Generation.objects.get(pk=second.pk))
        # Within the second, the kept order answers; after it, the new one.
        self.assertEqual(self.poll(f"wait-card:{third.pk}:1"), {})
        slots.forget_recent_plan()
        self.assertIn(f"wait-card-{third.pk}", self.poll(f"wait-card:{third.pk}:1"))

    def test_a_stranger_learns_nothing_about_someone_else_s_place(self):
        _, _, third = self.waiting_page()
        self.client.force_login(make_user("mallory"))
        response = self.client.get(reverse("generations:poll"), {"v": f"wait-card:{third.pk}:5"})
        self.assertEqual(swaps(response), {})
        self.assertEqual(events(response), {"veostudio:gone": [f"wait-card-{third.pk}"]})
