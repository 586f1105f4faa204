"""The "New video" form: what it accepts, what it refuses, and what it leaves on disk."""

import io
import re
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, TestCase
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from generations.forms import GenerationForm
from generations.models import Generation, Project, Status
from tests import factories_media as media
from tests.helpers import (
    StudioTestCase,
    make_generation,
    make_ready_generation,
    make_user,
    multipart_body,
    valid_data,
    with_first_frame,
)
from veo.catalogue import Size, VideoModel

CREATE_URL = reverse("generations:create")
XSS = "<script>alert(1)</script>"

NOT_ACCEPTED = "This file isn't a JPEG, PNG or WebP image."
DAMAGED = "This image looks damaged or incomplete."
TOO_LARGE = "The image is too large"
ANIMATED = "Animated images can't be used as a first frame."
CONTROL = "The prompt contains invisible control characters."
REQUIRED = "Please describe the video you want."


def media_files() -> set[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


# Hashing the cast's passwords with PBKDF2 would cost more than the tests themselves.
class CreateFormTestCase(StudioTestCase):
    def post(self, data, **extra):
        return self.client.post(CREATE_URL, data, **extra)

    def assert_refused(self, data, message, **extra):
        """The form comes back with `message` shown, and nothing was created or stored."""
        before = media_files()
        response = self.post(data, **extra)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "generations/create.html")
        self.assertContains(response, 'id="generation-form"')
        self.assertContains(response, '<p class="error">')
        self.assertIn(escape(message), response.content.decode())
        self.assertEqual(Generation.objects.count(), 0)
        self.assertEqual(media_files(), before)
        return response


class TextToVideoTests(CreateFormTestCase):
    def test_it_creates_one_waiting_job_and_redirects_to_its_page(self):
        response = self.post(
            valid_data(prompt="  A heron lands on a pier.  ", model="veo3.1", seconds="6")
        )

        generation = Generation.objects.get()
        self.assertRedirects(response, reverse("generations:detail", args=[generation.pk]))
        self.assertEqual(generation.owner, self.alice)
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(generation.prompt, "A heron lands on a pier.")
        self.assertEqual(generation.model, "veo3.1")
        self.assertEqual(generation.seconds, 6)
        self.assertEqual(generation.size, "1280x720")
        self.assertFalse(generation.first_frame)
        self.assertIsNotNone(generation.client_token)
        self.assertIsNotNone(generation.deadline)

    def test_it_accepts_1080p_and_4k_at_8_seconds(self):
        for size in ("1920x1080", "3840x2160"):
            with self.subTest(size=size):
                self.post(valid_data(prompt=f"A lighthouse in {size}", size=size, seconds="8"))
                self.assertTrue(Generation.objects.filter(size=size, seconds=8).exists())

    def test_a_new_job_is_due_for_the_worker_at_once(self):
        self.post(valid_data(prompt="A second, different shot."))

        generation = Generation.objects.get(prompt="A second, different shot.")
        self.assertEqual(list(Generation.objects.due()), [generation])
        self.assertIsNone(generation.lease)

    def test_it_ignores_a_forged_owner_field(self):
        self.post(valid_data(owner=str(self.bob.pk), owner_id=str(self.bob.pk)))

        generation = Generation.objects.get()
        self.assertEqual(generation.owner, self.alice)
        self.assertFalse(Generation.objects.filter(owner=self.bob).exists())

    def test_it_refuses_a_post_without_a_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)

        response = client.post(CREATE_URL, valid_data())

        self.assertEqual(response.status_code, 403)
        self.assertEqual(Generation.objects.count(), 0)

    def test_it_accepts_a_multi_line_prompt_as_a_browser_sends_it(self):
        # Browsers submit textarea line breaks as CRLF (HTML form submission rules).
        response = self.post(valid_data(prompt="A kite rises.\r\nThe camera tilts up."))

        generation = Generation.objects.filter(owner=self.alice).first()
        self.assertIsNotNone(generation, "the CRLF prompt was refused")
        self.assertRedirects(response, generation.get_absolute_url())
        self.assertEqual(generation.prompt, "A kite rises.\nThe camera tilts up.")


class PromptRefusalTests(CreateFormTestCase):
    def test_it_refuses_every_bad_prompt_with_a_message_and_creates_nothing(self):
        cases = [
            ("empty", "", REQUIRED),
            ("whitespace only", "   \n\t  ", REQUIRED),
            ("over 2000 characters", "a" * 2001, "under 2000 characters (it has 2001)"),
            ("10k emoji", "🎬" * 10_000, "under 2000 characters (it has 10000)"),
            ("bell", "A kite\x07 in the sky", CONTROL),
            ("ANSI colour", "\x1b[31mA red kite", CONTROL),
            ("backspace", "A kite\x08\x08", CONTROL),
            ("NUL", "A kite\x00 in the sky", "Null characters are not allowed."),
        ]
        for label, prompt, message in cases:
            with self.subTest(label):
                self.assert_refused(valid_data(prompt=prompt), message)

    def test_it_accepts_exactly_2000_characters(self):
        self.post(valid_data(prompt="a" * 2000))

        self.assertEqual(len(Generation.objects.get().prompt), 2000)

    def test_it_refuses_a_missing_prompt_field(self):
        data = valid_data()
        del data["prompt"]

        self.assert_refused(data, REQUIRED)


class ChoiceRefusalTests(CreateFormTestCase):
    def test_it_refuses_values_outside_the_lists(self):
        cases = [
            ("model", "veo4", "Please pick one of the listed models."),
            ("model", "", "This field is required."),
            ("seconds", "5", "Please pick 4, 6 or 8 seconds."),
            ("seconds", "10", "Please pick 4, 6 or 8 seconds."),
            ("seconds", "four", "Please pick 4, 6 or 8 seconds."),
            ("size", "1024x1024", "Please pick one of the listed formats."),
            ("size", "1920X1080", "Please pick one of the listed formats."),
        ]
        for field, value, message in cases:
            with self.subTest(field=field, value=value):
                self.assert_refused(valid_data(**{field: value}), message)

    def test_it_refuses_1080p_at_4_seconds(self):
        self.assert_refused(
            valid_data(size="1920x1080", seconds="4"),
            "Landscape 1080p is only available as an 8-second clip",
        )

    def test_it_refuses_1080p_at_6_seconds(self):
        self.assert_refused(
            valid_data(size="1920x1080", seconds="6"),
            "Landscape 1080p is only available as an 8-second clip",
        )

    def test_it_refuses_4k_at_4_seconds_and_says_8_seconds(self):
        response = self.assert_refused(
            valid_data(size="3840x2160", seconds="4"), "Landscape 4K is only available"
        )

        self.assertContains(response, "Choose 8 seconds")

    def test_eight_second_only_formats_explain_themselves(self):
        for size in ("1920x1080", "3840x2160"):
            for seconds in ("4", "6"):
                with self.subTest(size=size, seconds=seconds):
                    response = self.assert_refused(
                        valid_data(size=size, seconds=seconds), "8-second clip"
                    )
                    page = response.content.decode()
                    message = re.search(r'<p class="error">([^<]*)</p>', page)[1]
                    self.assertIn("8-second clip", message)
                    self.assertIn("8 seconds", message)

    def test_a_valid_image_is_kept_only_until_the_form_is_corrected(self):
        upload = SimpleUploadedFile("frame.png", media.png_bytes(), content_type="image/png")
        before = media_files()

        response = self.post(valid_data(size="3840x2160", seconds="6", first_frame=upload))

        self.assertContains(response, "Landscape 4K is only available")
        self.assertEqual(Generation.objects.count(), 0)
        kept = media_files() - before
        self.assertEqual([name.split("/")[0] for name in kept], ["kept-frames"])
        token = response.context["form"].kept_token
        self.post(valid_data(size="3840x2160", seconds="8", first_frame_token=token))
        self.assertTrue(Generation.objects.get().first_frame)
        self.assertFalse(kept & media_files())  # the job has its own copy now

    def test_it_shows_the_kept_image_after_refusing_another_field(self):
        upload = SimpleUploadedFile("frame.png", media.png_bytes(), content_type="image/png")

        response = self.post(valid_data(size="3840x2160", seconds="6", first_frame=upload))

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "kept from your last try")
        self.assertContains(response, 'src="data:image/jpeg;base64,')

    def test_it_keeps_what_was_typed_when_it_refuses(self):
        response = self.assert_refused(
            valid_data(prompt="A fox in the snow", seconds="5"), "Please pick 4, 6 or 8"
        )

        self.assertContains(response, "A fox in the snow</textarea>")


class FirstFrameTests(CreateFormTestCase):
    def post_image(self, data: bytes, name: str = "frame.png", **fields):
        upload = SimpleUploadedFile(name, data, content_type="image/png")
        return self.post(valid_data(first_frame=upload, **fields))

    def test_it_stores_a_clean_jpeg_and_thumbnail_under_names_it_chooses(self):
        upload = media.jpeg_with_all_metadata(640, 360)
        before = media_files()

        response = self.post_image(upload, "holiday photo.jpg")

        generation = Generation.objects.get()
        self.assertRedirects(response, generation.get_absolute_url())
        self.assertRegex(generation.first_frame.name, r"^first-frames/[0-9a-f]{32}\.jpg$")
        self.assertRegex(generation.first_frame_thumbnail.name, r"^thumbnails/[0-9a-f]{32}\.jpg$")
        self.assertEqual(
            media_files() - before,
            {generation.first_frame.name, generation.first_frame_thumbnail.name},
        )
        stored = default_storage.open(generation.first_frame.name).read()
        self.assertNotEqual(stored, upload)
        for secret in (b"SpyCam", b"secret", b"shot at home", b"Exif", b"ICC_PROFILE"):
            self.assertNotIn(secret, stored)
        image = Image.open(io.BytesIO(stored))
        self.assertEqual((image.format, image.mode, image.size), ("JPEG", "RGB", (640, 360)))
        self.assertEqual(len(generation.first_frame_sha256), 64)
        thumbnail = Image.open(default_storage.open(generation.first_frame_thumbnail.name))
        self.assertEqual(thumbnail.format, "JPEG")
        self.assertLessEqual(max(thumbnail.size), 480)

    def test_it_never_uses_the_uploaded_file_name(self):
        names = [b"../../etc/passwd.png", b"frame\x00.png.php", b"..\\..\\evil.png"]
        for filename in names:
            with self.subTest(filename=filename):
                Generation.objects.all().delete()
                before = media_files()
                body, content_type = multipart_body(
                    valid_data(prompt=f"Named {filename!r}"),
                    filename=filename,
                    data=media.png_bytes(),
                )

                response = self.client.post(CREATE_URL, body, content_type=content_type)

                generation = Generation.objects.get()
                self.assertRedirects(response, generation.get_absolute_url())
                added = media_files() - before
                self.assertEqual(
                    added,
                    {
                        generation.first_frame.name,
                        generation.first_frame_thumbnail.name,
                    },
                )
                for name in added:
                    self.assertRegex(name, r"^(first-frames|thumbnails)/[0-9a-f]{32}\.jpg$")
                self.assertFalse((Path(settings.MEDIA_ROOT).parent / "etc").exists())

    def test_it_stores_a_cmyk_jpeg_rotated_as_its_exif_says(self):
        # Portrait once turned, on a landscape format: keep it whole and let Veo crop.
        self.post_image(
            media.cmyk_jpeg_with_exif_rotation(200, 100), "scan.jpg", first_frame_fit="veo"
        )

        generation = Generation.objects.get()
        image = Image.open(default_storage.open(generation.first_frame.name))
        self.assertEqual(image.mode, "RGB")
        self.assertEqual(image.size, (100, 200))
        # The red square stored top-left is top-right once turned 90° clockwise.
        red, green, blue = image.getpixel((image.width - 5, 5))
        self.assertGreater(red, 200)
        self.assertLess(green, 80)
        self.assertLess(blue, 80)

    def test_it_refuses_bad_images_and_stores_nothing(self):
        cases = [
            ("not an image", lambda: b"just some notes\n", "notes.png", NOT_ACCEPTED),
            ("truncated PNG", media.truncated_png, "frame.png", DAMAGED),
            ("truncated JPEG", media.truncated_jpeg, "frame.jpg", DAMAGED),
            ("PNG with bad CRC", media.png_with_bad_crc, "frame.png", DAMAGED),
            ("HTML renamed .png", media.html_bytes, "cat.png", NOT_ACCEPTED),
            ("SVG", media.svg_bytes, "logo.svg", NOT_ACCEPTED),
            ("SVG renamed .png", media.svg_bytes, "logo.png", NOT_ACCEPTED),
            (
                "60k x 60k header",
                lambda: media.jpeg_header_claiming(60_000, 60_000),
                "huge.jpg",
                TOO_LARGE,
            ),
            ("0 bytes", lambda: b"", "empty.png", "The submitted file is empty."),
            ("over 20 MB", media.over_size_limit, "big.png", "larger than 20 MB"),
            ("animated GIF", media.animated_gif, "loop.gif", NOT_ACCEPTED),
            ("animated WebP", media.animated_webp, "loop.webp", ANIMATED),
            ("APNG", media.apng, "loop.png", ANIMATED),
            ("TIFF", media.tiff_bytes, "scan.tiff", NOT_ACCEPTED),
            ("BMP", media.bmp_bytes, "paint.bmp", NOT_ACCEPTED),
            ("PDF", media.pdf_bytes, "board.pdf", NOT_ACCEPTED),
            ("HEIC", media.fake_heic, "IMG_0001.HEIC", "It looks like a HEIC photo"),
            ("decompression bomb", media.decompression_bomb_png, "bomb.png", TOO_LARGE),
            ("polyglot GIF/JS", media.polyglot_gif_js, "x.jpg", NOT_ACCEPTED),
            (
                "huge iCCP",
                media.png_with_huge_iccp,
                "frame.png",
                "oversized colour profile",
            ),
            ("too small", lambda: media.png_bytes(32, 32), "icon.png", "too small"),
        ]
        for label, make, name, message in cases:
            with self.subTest(label):
                upload = SimpleUploadedFile(name, make(), content_type="image/png")
                response = self.assert_refused(
                    valid_data(prompt=f"From {label}", first_frame=upload), message
                )
                self.assertContains(response, f"From {label}</textarea>")


class DoubleSubmitTests(CreateFormTestCase):
    def test_the_same_form_token_twice_makes_one_job(self):
        token = str(uuid.uuid4())
        with self.captureOnCommitCallbacks(execute=True):
            first = self.post(valid_data(client_token=token))
            second = self.post(valid_data(client_token=token), follow=True)

        generation = Generation.objects.get()
        self.assertEqual(str(generation.client_token), token)
        self.assertEqual(first["Location"], generation.get_absolute_url())
        self.assertRedirects(second, generation.get_absolute_url())
        self.assertContains(second, "You had already started this video")
        self.assertEqual(Generation.objects.due().count(), 1)

    def test_the_same_token_with_an_image_stores_the_image_once(self):
        token = str(uuid.uuid4())
        image = media.png_bytes()
        self.post(valid_data(client_token=token, first_frame=SimpleUploadedFile("a.png", image)))
        after_first = media_files()

        self.post(valid_data(client_token=token, first_frame=SimpleUploadedFile("a.png", image)))

        self.assertEqual(Generation.objects.count(), 1)
        self.assertEqual(media_files(), after_first)

    def test_a_racing_double_submit_keeps_one_job_and_no_stray_files(self):
        token = str(uuid.uuid4())
        image = media.png_bytes()
        first = self.post(
            valid_data(client_token=token, first_frame=SimpleUploadedFile("a.png", image))
        )
        after_first = media_files()
        blinded = []

        def blind_read(*args):
            # The second request checked for a repeat before the first one committed.
            blinded.append(args)
            return []

        with mock.patch("generations.models.made_by_token_or_asking", blind_read):
            second = self.post(
                valid_data(client_token=token, first_frame=SimpleUploadedFile("a.png", image))
            )

        self.assertEqual(len(blinded), 1)  # the repeat check missed the first job
        generation = Generation.objects.get()
        self.assertEqual(first["Location"], generation.get_absolute_url())
        self.assertEqual(second["Location"], generation.get_absolute_url())
        self.assertEqual(media_files(), after_first)

    def test_identical_content_without_a_token_within_30_seconds_makes_one_job(self):
        with time_machine.travel("2026-03-01 12:00:00 +0000", tick=False) as clock:
            first = self.post(valid_data())
            clock.shift(timedelta(seconds=20))
            second = self.post(valid_data())

        generation = Generation.objects.get()
        self.assertEqual(first["Location"], generation.get_absolute_url())
        self.assertEqual(second["Location"], generation.get_absolute_url())

    def test_identical_content_after_30_seconds_is_a_new_job(self):
        with time_machine.travel("2026-03-01 12:00:00 +0000", tick=False) as clock:
            self.post(valid_data())
            clock.shift(timedelta(seconds=31))
            self.post(valid_data())

        self.assertEqual(Generation.objects.count(), 2)

    def test_asking_again_for_a_video_that_failed_a_moment_ago_starts_a_new_one(self):
        with time_machine.travel("2026-03-01 12:00:00 +0000", tick=False) as clock:
            self.post(valid_data())
            Generation.objects.update(status=Status.FAILED)
            clock.shift(timedelta(seconds=10))
            self.post(valid_data())

        self.assertEqual(Generation.objects.filter(status=Status.FAILED).count(), 1)
        self.assertEqual(Generation.objects.exclude(status=Status.FAILED).count(), 1)

    def test_the_same_prompt_at_another_length_within_30_seconds_is_a_new_job(self):
        with time_machine.travel("2026-03-01 12:00:00 +0000", tick=False) as clock:
            self.post(valid_data(seconds="4"))
            clock.shift(timedelta(seconds=5))
            self.post(valid_data(seconds="8"))
            clock.shift(timedelta(seconds=5))
            self.post(valid_data(seconds="8"))  # this one is a repeat of the second

        self.assertEqual(sorted(Generation.objects.values_list("seconds", flat=True)), [4, 8])

    def test_another_users_identical_job_does_not_swallow_mine(self):
        bobs = make_generation(self.bob, prompt=valid_data()["prompt"])

        response = self.post(valid_data())

        mine = Generation.objects.get(owner=self.alice)
        self.assertRedirects(response, mine.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(set(Generation.objects.all()), {mine, bobs})


class EscapingTests(CreateFormTestCase):
    def test_script_in_the_prompt_is_shown_as_text_on_every_page(self):
        self.post(valid_data(prompt=f"A cat {XSS} on a roof"))
        generation = Generation.objects.get()

        pages = [
            self.client.get(generation.get_absolute_url()),
            self.client.get(reverse("generations:index")),
            self.client.get(
                reverse("generations:status", args=[generation.pk]),
                HTTP_HX_REQUEST="true",
            ),
            self.client.get(
                reverse("generations:status", args=[generation.pk]) + "?view=card",
                HTTP_HX_REQUEST="true",
            ),
        ]
        for response in pages:
            with self.subTest(response.request["PATH_INFO"]):
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, XSS)
                self.assertNotContains(response, "<script>alert")
        self.assertContains(pages[0], "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertContains(pages[1], "&lt;script&gt;alert(1)")

    def test_script_in_a_refused_prompt_is_escaped_in_the_form(self):
        response = self.assert_refused(
            valid_data(prompt=XSS, seconds="5"), "Please pick 4, 6 or 8 seconds."
        )

        self.assertNotContains(response, XSS)
        self.assertContains(response, escape(XSS))


class WrittenOutInputsTests(CreateFormTestCase):
    """The page writes its inputs out itself rather than through Django's widget templates
    (they cost a third of its drawing time): each must be what the widget would draw, ids,
    values, required and aria attributes included, in every state of the form."""

    def assert_drawn_as_django_would(self, response):
        self.assertEqual(response.status_code, 200)
        form, html = response.context["form"], response.content.decode()
        for name in ("client_token", "made_from", "prompt"):
            with self.subTest(name):
                self.assertIn(str(form[name]), html)
        if form.usable_projects or form["project"].errors:
            with self.subTest("project"):
                self.assertIn(str(form["project"]), html)
        for radio in form["first_frame_fit"]:
            with self.subTest(radio.data["value"]):
                self.assertIn(radio.tag(), html)
        return html

    def test_a_blank_form(self):
        html = self.assert_drawn_as_django_would(self.client.get(CREATE_URL))
        self.assertIn('aria-describedby="id_prompt_helptext" id="id_prompt"', html)

    def test_a_refused_form_keeps_what_was_sent_escaped_and_marks_the_prompt(self):
        data = valid_data(
            prompt="", client_token='"><b>', made_from="not <a> uuid", first_frame_fit="crop"
        )
        html = self.assert_drawn_as_django_would(self.post(data))
        self.assertIn(
            'aria-invalid="true" aria-describedby="id_prompt_helptext id_prompt_error"', html
        )
        self.assertIn('value="&quot;&gt;&lt;b&gt;" id="id_client_token"', html)
        self.assertIn('value="crop" id="id_first_frame_fit_0" checked>', html)

    def test_a_refused_prompt_comes_back_in_the_box(self):
        html = self.assert_drawn_as_django_would(self.post(valid_data(prompt=XSS, seconds="5")))
        self.assertIn(f"{escape(XSS)}</textarea>", html)

    def test_a_picture_of_another_shape_marks_the_fit_choices(self):
        portrait = SimpleUploadedFile("p.jpg", media.jpeg_bytes(360, 640), "image/jpeg")
        html = self.assert_drawn_as_django_would(self.post(valid_data(first_frame=portrait)))
        self.assertIn('id="id_first_frame_fit_1" aria-invalid="true">', html)

    def test_the_project_menu_with_the_last_project_chosen_or_none(self):
        Project.objects.create(name='Fish & "chips" <b>', created_by=self.alice)
        self.assert_drawn_as_django_would(self.client.get(CREATE_URL))  # the empty option
        spring = Project.objects.create(name="Spring", created_by=self.alice)
        make_generation(self.alice, project=spring)

        html = self.assert_drawn_as_django_would(self.client.get(CREATE_URL))

        self.assertIn(f'<option value="{spring.pk}" selected>Spring</option>', html)

    def test_the_project_menu_of_a_refused_form_with_a_project_no_longer_open(self):
        Project.objects.create(name="Spring", created_by=self.alice)
        closed = Project.objects.create(name="Closed", created_by=self.alice)
        closed.archived_at = closed.created_at
        closed.save()

        for project in (str(closed.pk), "", "not a number"):
            with self.subTest(project):
                self.assert_drawn_as_django_would(self.post(valid_data(prompt="", project=project)))

    def test_make_another_like_this_carries_its_source(self):
        source = make_generation(self.alice)
        page = self.client.get(reverse("generations:make_another", args=[source.pk]))
        self.assert_drawn_as_django_would(page)
        self.assertContains(page, f'name="made_from" value="{source.pk}" id="id_made_from"')


class KeptFirstFrameFieldTests(CreateFormTestCase):
    """A blank form's first-frame field is kept once drawn; a form with a picture of its
    own draws it afresh."""

    def test_a_blank_form_shows_the_field_as_drawn_for_it_then_as_kept(self):
        cache.clear()
        for _ in range(2):
            response = self.client.get(CREATE_URL)
            drawn = render_to_string(
                "generations/_first_frame_field.html", {"form": response.context["form"]}
            )
            self.assertIn(drawn, response.content.decode())

    def test_a_form_made_like_a_video_with_a_first_frame_offers_to_keep_it(self):
        self.client.get(CREATE_URL)  # the blank field is kept
        source = with_first_frame(make_ready_generation(self.alice))

        page = self.client.get(reverse("generations:make_another", args=[source.pk]))

        self.assertContains(page, 'id="kept-frame"')
        self.assertContains(page, "Keep this first frame")


class ChangedFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice-changes")

    def test_going_back_and_changing_the_prompt_makes_a_new_video(self):
        self.client.force_login(self.alice)
        token = str(uuid.uuid4())
        self.client.post(CREATE_URL, valid_data(client_token=token, prompt="A red kite."))
        self.client.post(CREATE_URL, valid_data(client_token=token, prompt="A blue kite."))

        prompts = sorted(Generation.objects.values_list("prompt", flat=True))
        self.assertEqual(prompts, ["A blue kite.", "A red kite."])


class OwnFieldsTests(TestCase):
    """Each form has fields of its own, as Django's copy gives them: what one form changes
    in its fields never reaches another's (generations.forms copies them faster itself)."""

    def test_changing_one_form_s_fields_leaves_the_next_form_s_as_declared(self):
        names = ("prompt", "model", "size")

        def declared():
            return {
                name: (
                    dict(GenerationForm.base_fields[name].widget.attrs),
                    dict(GenerationForm.base_fields[name].error_messages),
                    len(GenerationForm.base_fields[name].validators),
                )
                for name in names
            }

        before = declared()
        first = GenerationForm()
        for name in names:
            first.fields[name].widget.attrs["placeholder"] = "changed"
            first.fields[name].error_messages["required"] = "changed"
            first.fields[name].validators.append(lambda value: None)
        first.fields["model"].widget.choices.append(("other", "Other"))
        first.fields["size"].choices = [("1x1", "Square")]

        second = GenerationForm()

        self.assertEqual(declared(), before)
        for name in names:
            with self.subTest(name):
                field = second.fields[name]
                self.assertEqual(
                    (dict(field.widget.attrs), dict(field.error_messages), len(field.validators)),
                    before[name],
                )
        self.assertEqual(second.fields["model"].widget.choices, list(VideoModel.choices))
        self.assertEqual(second.fields["size"].choices, list(Size.choices))
        self.assertTrue(second.fields["first_frame_refused"].widget.is_hidden)

    def test_a_form_sent_without_a_person_offers_no_project(self):
        project = Project.objects.create(name="Spring", created_by=make_user("maker"))

        form = GenerationForm(valid_data(project=str(project.pk)))

        self.assertFalse(form.is_valid())
        self.assertEqual(
            form.errors["project"], ["That project is no longer open. Please pick another."]
        )
        self.assertTrue(GenerationForm(valid_data()).is_valid())
