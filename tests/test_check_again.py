"""The "Check again" button on a timed-out job: back to rendering (or waiting), due again."""

from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from tests.helpers import StudioTestCase, make_generation, make_ready_generation


class CheckAgainTests(StudioTestCase):
    def timed_out(self, **fields) -> Generation:
        generation = make_generation(self.alice, **fields)
        generation.mark_timed_out()
        generation.save()
        return generation

    def test_it_is_offered_on_a_timed_out_job(self):
        generation = self.timed_out(task_id="task_slow")

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Timed out after")
        self.assertContains(
            response,
            f'action="{reverse("generations:check_again", args=[generation.pk])}"',
        )
        self.assertContains(response, "Check again</button>")

    def test_it_puts_the_job_back_to_rendering_and_due_for_the_worker(self):
        generation = self.timed_out(task_id="task_slow")

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("generations:check_again", args=[generation.pk]))

        self.assertRedirects(response, generation.get_absolute_url())
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.RENDERING)
        self.assertEqual(generation.failure_reason, "")
        self.assertGreater(generation.deadline, timezone.now())
        self.assertEqual(list(Generation.objects.due()), [generation])

    def test_it_sends_a_job_without_a_task_id_back_to_waiting(self):
        generation = self.timed_out()

        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("generations:check_again", args=[generation.pk]))

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(list(Generation.objects.due()), [generation])

    def test_it_changes_nothing_on_a_ready_job(self):
        generation = make_ready_generation(self.alice)

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("generations:check_again", args=[generation.pk]), follow=True
            )

        self.assertContains(response, "This video is not waiting for a check.")
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.READY)
        self.assertFalse(Generation.objects.due().exists())

    def test_it_refuses_get(self):
        generation = self.timed_out(task_id="task_slow")

        response = self.client.get(reverse("generations:check_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 405)
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.TIMED_OUT)
