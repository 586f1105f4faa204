"""Bounded work per upload: what a hostile body or picture can still cost the web process.

Reproduces attacks once tried on the studio: a small PNG declaring 50 MP, 2 GB of multipart
sent to `/healthz` by a stranger, and 20 files of 50 MB sent with the New video form.
The memory figure itself is measured by bench/upload_memory.py.
"""

import io
import re
import socket
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, LiveServerTestCase, RequestFactory, override_settings
from django.urls import reverse
from PIL import Image, JpegImagePlugin

from generations.middleware import RequestBodyLimitMiddleware
from generations.models import Generation
from generations.uploads import CappedUploadHandler, OversizedUpload
from lib import images
from lib.images import normalise_first_frame
from tests import factories_media as media
from tests.helpers import StudioTestCase, valid_data

CREATE_URL = reverse("generations:create")
MB = 1024 * 1024
README = Path(settings.BASE_DIR) / "README.md"


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def refused_before_reading(path: str, length: int, method: str = "POST"):
    request = RequestFactory().generic(method, path)
    request.META["CONTENT_LENGTH"] = str(length)
    request.META["wsgi.input"] = _Unreadable()
    request._stream = _Unreadable()

    def view(_request):
        raise AssertionError("the request went past the body limit")

    return RequestBodyLimitMiddleware(view)(request)


class BodyLimitTests(StudioTestCase):
    def test_two_gigabytes_to_healthz_are_refused_unread(self):
        response = refused_before_reading("/healthz", 40 * 50 * MB)

        self.assertEqual(response.status_code, 413)

    def test_every_url_but_the_form_takes_only_a_small_body(self):
        for path in ("/healthz", "/readyz", reverse("login"), "/admin/login/", "/nowhere"):
            with self.subTest(path):
                response = refused_before_reading(path, settings.REQUEST_MAX_BYTES + 1)
                self.assertEqual(response.status_code, 413)
                self.assertContains(response, "does not accept that much", status_code=413)

    def test_the_form_takes_the_picture_and_no_more(self):
        response = refused_before_reading(CREATE_URL, settings.UPLOAD_REQUEST_MAX_BYTES + 1)

        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "at most 20.0\xa0MB", status_code=413)

    def test_a_body_within_the_limit_goes_through(self):
        request = RequestFactory().post(CREATE_URL, {"prompt": "x"})
        passed = RequestBodyLimitMiddleware(lambda r: "view")(request)
        self.assertEqual(passed, "view")

    def test_a_garbled_content_length_is_a_bad_request(self):
        request = RequestFactory().post("/healthz")
        request.META["CONTENT_LENGTH"] = "-5"
        response = RequestBodyLimitMiddleware(lambda r: None)(request)
        self.assertEqual(response.status_code, 400)

    def test_twenty_files_of_fifty_megabytes_start_no_job(self):
        response = refused_before_reading(CREATE_URL, 20 * 50 * MB)

        self.assertEqual(response.status_code, 413)
        self.assertFalse(Generation.objects.exists())

    def test_a_second_file_part_is_refused_and_starts_no_job(self):
        one, two = media.png_bytes(), media.png_bytes(200, 100)
        response = self.client.post(
            CREATE_URL,
            {
                **valid_data(),
                "first_frame": SimpleUploadedFile("a.png", one, "image/png"),
                "other": SimpleUploadedFile("b.png", two, "image/png"),
            },
        )

        self.assertEqual(response.status_code, 400)
        self.assertFalse(Generation.objects.exists())

    def test_a_stranger_s_post_to_the_form_is_sent_to_log_in_unread(self):
        client = Client(enforce_csrf_checks=True)
        client.get(reverse("login"))  # a CSRF cookie, as an attacker would get one
        with mock.patch(
            "django.http.request.HttpRequest._load_post_and_files",
            side_effect=AssertionError("the body was read"),
        ):
            response = client.post(CREATE_URL, valid_data(), headers={"X-CSRFToken": "x"})

        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))

    def test_the_readme_proxy_snippet_sets_the_same_limit(self):
        snippet = re.search(r"client_max_body_size\s+(\d+)m;", README.read_text())

        self.assertIsNotNone(snippet, "the README's proxy snippet lost its body limit")
        self.assertEqual(int(snippet[1]) * MB, settings.UPLOAD_REQUEST_MAX_BYTES)


class CappedUploadHandlerTests(StudioTestCase):
    def test_it_stops_keeping_a_file_at_the_cap_and_says_how_big_it_was(self):
        handler = CappedUploadHandler()
        handler.new_file("first_frame", "big.png", "image/png", None, None)
        chunk = b"x" * MB
        passed = [handler.receive_data_chunk(chunk, i * MB) for i in range(25)]

        kept = sum(len(c) for c in passed if c)
        self.assertEqual(kept, settings.FIRST_FRAME_MAX_BYTES)
        upload = handler.file_complete(25 * MB)
        self.assertIsInstance(upload, OversizedUpload)
        self.assertEqual(upload.size, 25 * MB)
        self.assertEqual(upload.read(), b"")

    def test_a_file_under_the_cap_is_left_to_the_usual_handlers(self):
        handler = CappedUploadHandler()
        handler.new_file("first_frame", "small.png", "image/png", None, None)
        self.assertEqual(handler.receive_data_chunk(b"abc", 0), b"abc")
        self.assertIsNone(handler.file_complete(3))

    @override_settings(FIRST_FRAME_MAX_BYTES=100_000, UPLOAD_REQUEST_MAX_BYTES=1_000_000)
    def test_an_oversized_picture_within_the_body_limit_is_refused_in_words(self):
        big = media.png_bytes(600, 400) + b"\0" * 200_000
        response = self.client.post(
            CREATE_URL,
            {**valid_data(), "first_frame": SimpleUploadedFile("big.png", big, "image/png")},
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The image is larger than 97.7 KB")
        self.assertFalse(Generation.objects.exists())


class LiveBodyLimitTests(LiveServerTestCase):
    """Over a real socket: the 413 comes back before the client has sent its body."""

    def test_the_refusal_arrives_before_the_body_and_nothing_is_spooled(self):
        spool = Path(tempfile.mkdtemp(prefix="veostudio-spool-"))
        host, port = self.live_server_url.removeprefix("http://").split(":")
        with override_settings(FILE_UPLOAD_TEMP_DIR=str(spool)):
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(
                    b"POST /healthz HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: multipart/form-data; boundary=xx\r\n"
                    + f"Content-Length: {40 * 50 * MB}\r\n\r\n".encode()
                    + b"--xx\r\n"
                )
                answer = conn.recv(200)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer)
        self.assertEqual(list(spool.iterdir()), [])


class PixelBudgetTests(StudioTestCase):
    def test_the_50_megapixel_png_from_the_issue_is_refused_from_its_header(self):
        bomb = media.decompression_bomb_png(7071, 7071)  # ~200 KB, 50 MP
        with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
            error = _rejection(bomb)

        self.assertEqual(error.code, "too_many_pixels")
        self.assertIn("(7071×7071 pixels)", error.message)
        self.assertIn("under 16.8 megapixels", error.message)

    def test_a_png_just_over_the_budget_is_refused_and_one_at_it_is_cut_to_veo_s_size(self):
        self.assertEqual(
            _rejection(media.decompression_bomb_png(4097, 4096)).code, "too_many_pixels"
        )

        frame = normalise_first_frame(_upload(media.decompression_bomb_png(4096, 4096)))

        self.assertEqual((frame.width, frame.height), (3840, 3840))

    def test_a_48_megapixel_phone_jpeg_is_decoded_at_half_size(self):
        data = media.jpeg_bytes(8064, 6048)
        drafted = []
        real_draft = JpegImagePlugin.JpegImageFile.draft

        def spy(image, mode, size):
            result = real_draft(image, mode, size)
            drafted.append(image.size)
            return result

        with mock.patch.object(JpegImagePlugin.JpegImageFile, "draft", spy):
            frame = normalise_first_frame(_upload(data, "phone.jpg"))

        self.assertEqual(drafted[0], (4032, 3024))  # thumbnail() asks again, a no-op
        self.assertEqual((frame.width, frame.height), (3840, 2880))

    def test_a_jpeg_that_a_draft_cannot_bring_under_the_budget_is_refused(self):
        error = _rejection(media.jpeg_header_claiming(8500, 8500), "huge.jpg")
        self.assertEqual(error.code, "too_many_pixels")

    def test_pictures_veo_can_use_whole_are_kept_at_their_size(self):
        frame = normalise_first_frame(_upload(media.jpeg_bytes(3840, 2160), "4k.jpg"))
        self.assertEqual((frame.width, frame.height), (3840, 2160))


class DecodeSlotTests(StudioTestCase):
    @override_settings(FIRST_FRAME_DECODE_CONCURRENCY=2)
    def test_eight_uploads_at_once_decode_two_at_a_time(self):
        running, peak, lock = [0], [0], threading.Lock()
        real = images._normalise_safely

        def slow(data, max_pixels):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            try:
                return real(data, max_pixels)
            finally:
                with lock:
                    running[0] -= 1

        results = []
        with mock.patch.object(images, "_normalise_safely", slow):
            threads = [
                threading.Thread(
                    target=lambda: results.append(normalise_first_frame(_upload(media.png_bytes())))
                )
                for _ in range(8)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        self.assertEqual(len(results), 8)
        self.assertEqual(peak[0], 2)

    @override_settings(FIRST_FRAME_DECODE_CONCURRENCY=1, FIRST_FRAME_DECODE_WAIT_SECONDS=0.05)
    def test_an_upload_that_waits_too_long_is_asked_to_try_again(self):
        slots = images._decode_slots(1)
        slots.acquire()
        try:
            error = _rejection(media.png_bytes())
        finally:
            slots.release()

        self.assertEqual(error.code, "busy")
        self.assertIn(
            "try again", error.message.lower().replace("send the form again", "try again")
        )


def _upload(data: bytes, name: str = "frame.png"):
    return SimpleUploadedFile(name, data, content_type="image/png")


def _rejection(data: bytes, name: str = "frame.png"):
    from django.core.exceptions import ValidationError

    try:
        normalise_first_frame(_upload(data, name))
    except ValidationError as error:
        return error
    raise AssertionError("the picture was accepted")
