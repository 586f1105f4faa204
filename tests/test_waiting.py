"""Honest waiting: how long these settings usually take, and what to do when it is slow."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from generations.models import USUAL_SECONDS_BEFORE_HISTORY, Generation, Status
from tests.helpers import StudioTestCase, make_generation, make_ready_generation
from veo.catalogue import VideoModel

HTMX = {"HTTP_HX_REQUEST": "true"}


class WaitingTests(StudioTestCase):
    def finished_in(self, seconds: float, **fields) -> Generation:
        generation = make_ready_generation(self.alice, **fields)
        Generation.objects.filter(pk=generation.pk).update(
            created_at=generation.saved_at - timedelta(seconds=seconds)
        )
        return generation

    def rendering(self, started_ago: timedelta, **fields) -> Generation:
        generation = make_generation(self.alice, **fields)
        generation.mark_submitted("task_1")
        generation.mark_progress(50, started=True)
        generation.save()
        began = timezone.now() - started_ago
        Generation.objects.filter(pk=generation.pk).update(created_at=began, started_at=began)
        return generation

    def status_page(self, generation: Generation):
        return self.client.get(reverse("generations:status", args=[generation.pk]), **HTMX)

    def test_before_any_history_it_says_a_sensible_default(self):
        generation = self.rendering(timedelta(seconds=20))
        expected = USUAL_SECONDS_BEFORE_HISTORY[VideoModel.FAST]
        self.assertEqual(generation.usual_duration, timedelta(seconds=expected))
        self.assertContains(self.status_page(generation), "usually about 1 min 40 s")

    def test_the_usual_time_is_the_median_of_recent_jobs_with_the_same_settings(self):
        for seconds in (60, 70, 300):
            self.finished_in(seconds)
        self.finished_in(900, size="720x1280")  # another format says nothing about this one
        self.finished_in(900, model=VideoModel.STANDARD)
        generation = self.rendering(timedelta(seconds=30))

        response = self.status_page(generation)

        self.assertContains(response, "usually about 1 min 10 s for these settings")
        self.assertNotContains(response, "taking longer than usual")

    def test_past_twice_the_usual_time_it_says_so_and_what_can_be_done(self):
        for seconds in (60, 70, 80):
            self.finished_in(seconds)
        generation = self.rendering(timedelta(minutes=6, seconds=42))

        response = self.status_page(generation)

        self.assertContains(response, "6 min 42 s so far")
        self.assertContains(response, "taking longer than usual")
        self.assertContains(response, "keep waiting")
        self.assertContains(response, "close this page")
        self.assertContains(response, "“Stop waiting” below ends it here")
        self.assertContains(response, ">Stop waiting</button>")

    def test_cometapis_progress_is_shown_as_the_rough_figure_it_is(self):
        response = self.status_page(self.rendering(timedelta(seconds=30)))
        self.assertContains(response, "CometAPI reports about 50%")
        self.assertContains(response, "not a countdown")

    def test_a_failed_job_is_not_slow(self):
        generation = self.rendering(timedelta(minutes=30))
        generation.mark_failed("Veo could not make this video: blocked.", "task:failed")
        generation.save()
        self.assertFalse(generation.is_slow)
        self.assertEqual(generation.status, Status.FAILED)
