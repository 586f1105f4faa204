"""The "Send again anyway" button on an uncertain job: the user chooses a new paid job."""

from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from tests.helpers import StudioTestCase, make_generation


class SubmitAgainTests(StudioTestCase):
    def test_it_is_offered_on_an_uncertain_job_and_resets_it(self):
        generation = make_generation(self.alice, task_id="maybe")
        generation.submit_started_at = timezone.now()
        generation.mark_uncertain("read_timeout")
        generation.save()
        page = self.client.get(generation.get_absolute_url())
        self.assertContains(page, "Submission uncertain")
        self.assertContains(page, "Send again anyway")

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("generations:submit_again", args=[generation.pk]), follow=True
            )

        self.assertRedirects(response, generation.get_absolute_url())
        self.assertContains(response, "Sent again. This starts a new paid job at CometAPI.")
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(generation.task_id, "")
        self.assertIsNone(generation.submit_started_at)
        self.assertEqual(generation.failure_reason, "")
        self.assertEqual(list(Generation.objects.due()), [generation])

    def test_it_changes_nothing_on_an_active_job(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_live")
        generation.save()

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("generations:submit_again", args=[generation.pk]))

        self.assertRedirects(response, generation.get_absolute_url(), fetch_redirect_response=False)
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.SUBMITTED)
        self.assertEqual(generation.task_id, "task_live")
        self.assertFalse(Generation.objects.due().exists())  # its next poll stays where it was
