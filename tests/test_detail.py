"""A job's own page: the player when it is ready, progress while it runs, the reason it failed."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import thumbnail_name
from tests.factories_media import jpeg_bytes
from tests.helpers import StudioTestCase, make_generation, make_ready_generation


class DetailTests(StudioTestCase):
    def test_it_shows_a_ready_job_in_a_player_with_its_poster(self):
        generation = make_ready_generation(self.alice)

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "<video")
        self.assertContains(response, f'src="{reverse("generations:video", args=[generation.pk])}"')
        self.assertContains(
            response, f'poster="{reverse("generations:poster", args=[generation.pk])}"'
        )
        self.assertContains(response, reverse("generations:download", args=[generation.pk]))
        self.assertContains(response, "320×180")
        self.assertNotContains(response, "data-poll=")

    def test_it_shows_an_active_jobs_progress_and_polls(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_1")
        generation.mark_progress(40, started=True)
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Veo is rendering your video…")
        self.assertContains(response, 'value="40"')
        self.assertContains(response, 'data-poll="')
        self.assertNotContains(response, "<video")
        self.assertNotContains(response, "Delete this video")

    def test_it_shows_why_a_job_failed(self):
        generation = make_generation(self.alice)
        generation.mark_failed("Veo could not make this video: the prompt was blocked.", "task:x")
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Veo could not make this video: the prompt was blocked.")
        self.assertContains(response, "Try again (a new paid job)")
        self.assertNotContains(response, "Check again")
        self.assertNotContains(response, "<video")

    def test_it_escapes_text_from_cometapi_instead_of_running_it(self):
        generation = make_generation(self.alice, prompt="A failed kite")
        generation.mark_failed("CometAPI refused this request: <script>x()</script>", "x")
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertNotContains(response, "<script>x()</script>")
        self.assertContains(response, "&lt;script&gt;x()&lt;/script&gt;")

    def test_it_shows_the_first_frame_as_a_thumbnail(self):
        generation = make_generation(self.alice)
        generation.first_frame_thumbnail.name = default_storage.save(
            thumbnail_name(), ContentFile(jpeg_bytes(96, 64))
        )
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(
            response,
            f'src="{reverse("generations:first_frame", args=[generation.pk])}"',
        )
