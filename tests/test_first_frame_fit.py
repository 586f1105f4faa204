"""A first frame whose shape differs from the format: said so, cropped on request, kept."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from generations import framing
from generations.models import Generation
from tests import factories_media as media
from tests.helpers import StudioTestCase

CREATE_URL = reverse("generations:create")
PREVIEW_URL = reverse("generations:first_frame_preview")


def form_data(**overrides) -> dict:
    return {
        "prompt": "A lighthouse keeper climbs the stairs at dusk.",
        "model": "veo3.1-fast",
        "seconds": "4",
        "size": "1280x720",
        **overrides,
    }


def portrait_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("portrait.jpg", media.jpeg_bytes(360, 640), "image/jpeg")


def kept_files() -> list[Path]:
    return list((Path(settings.MEDIA_ROOT) / framing.KEPT_FOLDER).glob("*"))


class KeptFramesTestCase(StudioTestCase):
    def setUp(self):
        super().setUp()
        for path in kept_files():  # left by other tests' refused forms
            path.unlink()


class FirstFrameFitTests(KeptFramesTestCase):
    def test_a_portrait_photo_on_a_landscape_format_asks_how_to_fit_it(self):
        response = self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(Generation.objects.count(), 0)
        self.assertContains(response, "Your image is portrait (360×640)")
        self.assertContains(response, "Crop to fit")
        self.assertContains(response, "Let Veo crop")

    def test_crop_to_fit_stores_the_centre_in_the_formats_shape(self):
        self.client.post(
            CREATE_URL, form_data(first_frame=portrait_photo(), first_frame_fit="crop")
        )

        generation = Generation.objects.get()
        with default_storage.open(generation.first_frame.name) as handle:
            self.assertEqual(Image.open(handle).size, (360, 202))

    def test_let_veo_crop_sends_the_whole_image(self):
        self.client.post(CREATE_URL, form_data(first_frame=portrait_photo(), first_frame_fit="veo"))

        generation = Generation.objects.get()
        with default_storage.open(generation.first_frame.name) as handle:
            self.assertEqual(Image.open(handle).size, (360, 640))

    def test_a_portrait_photo_on_the_portrait_format_needs_no_choice(self):
        response = self.client.post(
            CREATE_URL, form_data(first_frame=portrait_photo(), size="720x1280")
        )
        self.assertEqual(response.status_code, 302)

    def test_the_image_kept_after_a_correction_is_used_and_then_removed(self):
        response = self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))
        token = response.context["form"].kept_token
        self.assertEqual(len(kept_files()), 1)

        response = self.client.post(
            CREATE_URL, form_data(first_frame_token=token, first_frame_fit="crop")
        )

        self.assertEqual(response.status_code, 302)
        self.assertTrue(Generation.objects.get().first_frame)
        self.assertEqual(kept_files(), [])

    def test_someone_elses_token_is_refused(self):
        token = framing.keep(framing.crop_to_fit(self._frame(), "1280x720"), self.bob)

        response = self.client.post(CREATE_URL, form_data(first_frame_token=token))

        self.assertContains(response, "no longer kept")
        self.assertEqual(Generation.objects.count(), 0)

    def test_kept_images_of_abandoned_forms_are_swept(self):
        framing.keep(self._frame(), self.alice)
        self.assertEqual(framing.sweep(timezone.now() + timedelta(hours=1)), 0)
        self.assertEqual(framing.sweep(timezone.now() + framing.KEPT_FOR + timedelta(minutes=1)), 1)
        self.assertEqual(kept_files(), [])

    def _frame(self):
        from generations.images import normalise_first_frame

        return normalise_first_frame(portrait_photo())


class FirstFramePreviewTests(KeptFramesTestCase):
    def test_it_checks_keeps_and_previews_the_crop(self):
        response = self.client.post(
            PREVIEW_URL, {"first_frame": portrait_photo(), "size": "1280x720"}
        )

        data = response.json()
        self.assertTrue(data["ok"])
        self.assertEqual((data["width"], data["height"], data["differs"]), (360, 640, True))
        self.assertTrue(data["cropped"].startswith("data:image/jpeg;base64,"))
        self.assertIn("portrait", data["message"])
        self.assertEqual(len(kept_files()), 1)

        again = self.client.post(
            PREVIEW_URL, {"first_frame_token": data["token"], "size": "720x1280"}
        )
        self.assertEqual(again.json()["differs"], False)
        self.assertEqual(len(kept_files()), 1)

    def test_a_refused_file_gets_its_sentence_and_keeps_nothing(self):
        upload = SimpleUploadedFile("notes.png", b"just some notes\n", "image/png")

        data = self.client.post(PREVIEW_URL, {"first_frame": upload}).json()

        self.assertEqual(data["ok"], False)
        self.assertIn("isn't a JPEG, PNG or WebP", data["error"])
        self.assertEqual(kept_files(), [])
