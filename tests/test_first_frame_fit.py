"""A first frame whose shape differs from the format: said so, cropped on request, kept."""

from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from generations.models import Generation
from lib import framing
from lib.images import normalise_first_frame
from tests import factories_media as media
from tests.helpers import StudioTestCase, make_user

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
        from lib.images import normalise_first_frame

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


class KeptFramesBoundTests(KeptFramesTestCase):
    """Once, every refused post kept its picture for 12 h (10 posts = 46 MB)."""

    def test_ten_refused_posts_keep_one_picture_the_latest(self):
        tokens = []
        for _ in range(10):
            # A portrait photo on a landscape format with no fit chosen: refused, kept.
            response = self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))
            self.assertEqual(response.status_code, 200)
            tokens.append(response.context["form"].kept_token)

        self.assertEqual(len(kept_files()), 1)
        latest = self.client.post(
            CREATE_URL, form_data(first_frame_token=tokens[-1], first_frame_fit="crop")
        )
        self.assertEqual(latest.status_code, 302)
        self.assertEqual(kept_files(), [])
        self.assertEqual(Generation.objects.count(), 1)

    def test_an_older_token_says_the_picture_is_gone_and_starts_nothing(self):
        first = self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))
        self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))

        response = self.client.post(
            CREATE_URL,
            form_data(first_frame_token=first.context["form"].kept_token, first_frame_fit="crop"),
        )

        self.assertContains(response, "no longer kept")
        self.assertEqual(Generation.objects.count(), 0)

    def test_each_person_keeps_their_own(self):
        self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))
        self.client.force_login(self.bob)
        self.client.post(CREATE_URL, form_data(first_frame=portrait_photo()))

        self.assertEqual(len(kept_files()), 2)

    def test_the_folder_stays_under_its_byte_bound_oldest_first(self):
        frame = normalise_first_frame(portrait_photo())
        people = [self.alice, self.bob] + [make_user(f"p{n}") for n in range(4)]
        bound = len(frame.image) * 3
        with patch.object(framing, "KEPT_MAX_BYTES", bound):
            tokens = [framing.keep(frame, person) for person in people]

        total = sum(path.stat().st_size for path in kept_files())
        self.assertLessEqual(total, bound)
        self.assertEqual(len(kept_files()), 3)
        self.assertIsNotNone(framing.kept(tokens[-1], people[-1]))
        self.assertIsNone(framing.kept(tokens[0], people[0]))

    def test_the_preview_replaces_the_person_s_picture_too(self):
        for _ in range(3):
            data = self.client.post(PREVIEW_URL, {"first_frame": portrait_photo()}).json()
            self.assertTrue(data["ok"])
        self.assertEqual(len(kept_files()), 1)


class LargePhotoPreviewTests(KeptFramesTestCase):
    """Once, photos over 2.5 MB got no preview, and the preview gave the scaled
    copy's size (2880×3840 for a 3000×4000 photo)."""

    def photo(self) -> SimpleUploadedFile:
        return SimpleUploadedFile("IMG_0001.jpg", media.phone_photo_bytes(), "image/jpeg")

    def test_a_phone_photo_over_2_5_mb_is_previewed_at_its_own_size_with_a_crop(self):
        photo = self.photo()
        self.assertGreater(photo.size, settings.REQUEST_MAX_BYTES)

        data = self.client.post(PREVIEW_URL, {"first_frame": photo, "size": "1280x720"}).json()

        self.assertTrue(data["ok"], data)
        self.assertEqual((data["width"], data["height"]), (3000, 4000))
        self.assertTrue(data["differs"])
        self.assertIn("(3000×4000)", data["message"])
        self.assertTrue(data["cropped"].startswith("data:image/jpeg;base64,"))

    def test_the_kept_picture_still_says_the_photo_s_own_size(self):
        refused = self.client.post(CREATE_URL, form_data(first_frame=self.photo()))

        self.assertContains(refused, "Your image, 3000×4000")
        self.assertContains(refused, "(3000×4000)")
        token = refused.context["form"].kept_token
        again = self.client.post(PREVIEW_URL, {"first_frame_token": token, "size": "720x1280"})
        self.assertEqual((again.json()["width"], again.json()["height"]), (3000, 4000))

    def test_an_upright_photo_taken_on_its_side_is_reported_upright(self):
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90° to display
        data = media.jpeg_bytes(400, 300, exif=exif.tobytes())
        upload = SimpleUploadedFile("side.jpg", data, "image/jpeg")

        answer = self.client.post(PREVIEW_URL, {"first_frame": upload}).json()

        self.assertEqual((answer["width"], answer["height"]), (300, 400))

    def test_the_preview_takes_no_more_than_the_form_does(self):
        response = self.client.post(
            PREVIEW_URL,
            b"x",
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(settings.UPLOAD_REQUEST_MAX_BYTES + 1),
        )
        self.assertEqual(response.status_code, 413)


class RefusedPictureTests(KeptFramesTestCase):
    """Once, after a refused picture, Generate sent a paid text-only video."""

    def test_a_refused_picture_marks_the_form_so_the_next_send_starts_nothing(self):
        notes = SimpleUploadedFile("notes.png", b"just some notes\n", "image/png")
        refused = self.client.post(CREATE_URL, form_data(first_frame=notes))
        self.assertContains(
            refused, 'name="first_frame_refused" id="id_first_frame_refused" value="1"'
        )

        # The browser cannot send the file again: the next try carries only the mark.
        again = self.client.post(CREATE_URL, form_data(first_frame_refused="1"))

        self.assertContains(again, "nothing was started")
        self.assertContains(again, "Make it without a picture")
        self.assertEqual(Generation.objects.count(), 0)

    def test_saying_to_go_on_without_it_makes_a_text_only_video(self):
        response = self.client.post(
            CREATE_URL, form_data(first_frame_refused="1", first_frame_removed="1")
        )

        self.assertEqual(response.status_code, 302)
        self.assertFalse(Generation.objects.get().first_frame)

    def test_a_good_picture_instead_is_used(self):
        response = self.client.post(
            CREATE_URL,
            form_data(first_frame_refused="1", first_frame=portrait_photo(), size="720x1280"),
        )

        self.assertEqual(response.status_code, 302)
        self.assertTrue(Generation.objects.get().first_frame)

    def test_a_fresh_form_carries_no_mark(self):
        response = self.client.get(CREATE_URL)
        self.assertContains(response, 'id="id_first_frame_refused" value=""')
        self.assertContains(response, 'id="frame-refused" hidden')
        self.assertContains(response, 'data-max-bytes="20971520"')
        self.assertContains(response, "up to 20 MB")
