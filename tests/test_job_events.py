"""Every transition a worker or a person makes leaves exactly one event: a job's history."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from generations.models import EventKind, Generation, GenerationEvent, Status
from tests.helpers import StudioTestCase, drive, make_generation


def kinds(generation: Generation) -> list[str]:
    return list(generation.history.values_list("kind", flat=True))


class PersonEventTests(StudioTestCase):
    def test_creating_a_job_records_who_made_it(self):
        generation = make_generation(self.alice)

        [event] = generation.history
        self.assertEqual(event.kind, EventKind.CREATED)
        self.assertEqual(event.actor, self.alice)
        self.assertEqual((event.from_status, event.to_status), ("", Status.WAITING))

    def test_check_again_records_one_event_by_the_person(self):
        generation = make_generation(self.alice)
        generation.mark_timed_out()
        generation.save()

        self.client.post(reverse("generations:check_again", args=[generation.pk]))

        last = generation.history.last()
        self.assertEqual(kinds(generation), ["created", "timed_out", "checked_again"])
        self.assertEqual(last.actor, self.alice)
        self.assertEqual((last.from_status, last.to_status), (Status.TIMED_OUT, Status.WAITING))

    def test_try_again_keeps_the_earlier_failure_in_the_history(self):
        generation = make_generation(self.alice)
        generation.mark_failed(
            "CometAPI kept having server problems after several tries.", "server"
        )
        generation.save()

        self.client.post(reverse("generations:submit_again", args=[generation.pk]))

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(kinds(generation), ["created", "failed", "sent_again"])
        failure = generation.history.get(kind="failed")
        self.assertIn("server problems", failure.reason)
        self.assertEqual(failure.code, "server")

    def test_a_refused_action_records_nothing(self):
        generation = make_generation(self.alice)

        self.client.post(reverse("generations:check_again", args=[generation.pk]))
        self.client.post(reverse("generations:delete", args=[generation.pk]))

        self.assertEqual(kinds(generation), ["created"])

    def test_deleting_a_job_keeps_its_history_for_the_audit(self):
        generation = make_generation(self.alice)
        generation.mark_failed("no", "x")
        generation.save()

        self.client.post(reverse("generations:delete", args=[generation.pk]))
        self.client.post(reverse("generations:delete_forever", args=[generation.pk]))

        events = GenerationEvent.objects.filter(generation_ref=generation.pk).order_by("pk")
        self.assertEqual([e.kind for e in events], ["created", "failed", "trashed", "deleted"])
        self.assertTrue(all(e.generation_id is None for e in events))
        self.assertEqual(events.last().actor, self.alice)

    def test_a_job_and_its_events_are_saved_together_or_not_at_all(self):
        generation = make_generation(self.alice)
        generation.mark_failed("no", "x")
        GenerationEvent.objects.filter(generation=generation).delete()
        generation._pending_events[0].owner_id = None  # the event cannot be written

        with self.assertRaises(IntegrityError):
            generation.save()

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)


class WorkerEventTests(StudioTestCase):
    def worker_step(self, generation: Generation, method: str, *args, **kwargs) -> Generation:
        Generation.objects.filter(pk=generation.pk).update(next_action_at=timezone.now())
        claimed = Generation.objects.claim(generation.pk)
        assert claimed is not None
        getattr(claimed, method)(*args, **kwargs)
        claimed.release()
        return claimed

    def test_each_worker_transition_leaves_exactly_one_event_by_the_worker(self):
        generation = make_generation(self.alice)
        transitions = [
            ("mark_submitted", ("task_1",), {}, EventKind.SUBMITTED),
            ("mark_progress", (0,), {"started": True}, EventKind.RENDERING),
            ("mark_rendered", ("https://cdn.example/v.mp4",), {}, EventKind.RENDERED),
            ("mark_failed", ("Veo could not make this video: blocked.", "task:x"), {}, "failed"),
        ]
        for method, args, kwargs, kind in transitions:
            before = generation.events.count()
            generation = self.worker_step(generation, method, *args, **kwargs)
            new = list(generation.events.order_by("pk")[before:])
            self.assertEqual([e.kind for e in new], [kind], method)
            self.assertIsNone(new[0].actor)

    def test_progress_without_a_change_of_status_is_not_history(self):
        generation = make_generation(self.alice)
        generation = self.worker_step(generation, "mark_submitted", "task_1")
        generation = self.worker_step(generation, "mark_progress", 10, started=True)
        generation = self.worker_step(generation, "mark_progress", 50, started=True)
        generation = self.worker_step(generation, "mark_progress", 90, started=True)

        self.assertEqual(kinds(generation), ["created", "submitted", "rendering"])

    def test_timed_out_uncertain_and_retry_each_leave_one_event(self):
        for method, args, kind in [
            ("mark_timed_out", (), EventKind.TIMED_OUT),
            ("mark_uncertain", ("read_timeout",), EventKind.UNCERTAIN),
            ("retry_later", (5.0, "CometAPI was busy."), EventKind.RETRY),
        ]:
            with self.subTest(method):
                generation = self.worker_step(make_generation(self.alice), method, *args)
                self.assertEqual(kinds(generation), ["created", kind])


@pytest.mark.usefixtures("sim")  # the real client against the loopback CometAPI
class RealClientEventTests(StudioTestCase):
    def test_a_whole_job_s_history_through_the_real_client(self):
        self.sim.fail_next("create", 503)

        generation = drive(make_generation(self.alice))

        self.assertEqual(generation.status, Status.READY)
        history = kinds(generation)
        self.assertEqual(history[:3], ["created", "retry", "submitted"])
        self.assertEqual(history[-2:], ["rendered", "saved"])
        retry = generation.history.get(kind="retry")
        self.assertIn("server problems", retry.reason)

    def test_a_retried_job_shows_each_attempt_and_failure(self):
        self.sim.configure(outcome="failed")
        generation = drive(make_generation(self.alice))
        self.assertEqual(generation.status, Status.FAILED)

        self.sim.configure(outcome="completed")
        self.assertTrue(generation.submit_again_for(self.alice))
        generation = drive(generation)

        self.assertEqual(generation.status, Status.READY)
        history = kinds(generation)
        self.assertEqual(history.count("submitted"), 2)
        self.assertLess(history.index("failed"), history.index("sent_again"))
        self.assertLess(history.index("sent_again"), history.index("saved"))
