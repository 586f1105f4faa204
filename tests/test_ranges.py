"""Byte ranges, so browsers can seek in a video and Safari will play it at all."""

from django.core.files.storage import default_storage
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import timezone

from lib.ranges import parse_range
from tests.helpers import StudioTestCase, body, make_generation, make_ready_generation


class RangeTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.generation = make_ready_generation(cls.alice, seconds=2.0)
        with default_storage.open(cls.generation.video.name, "rb") as handle:
            cls.data = handle.read()
        cls.size = len(cls.data)
        cls.video_url = reverse("generations:video", args=[cls.generation.pk])
        cls.download_url = reverse("generations:download", args=[cls.generation.pk])

    def get(self, range_header: str | None = None, url: str | None = None):
        extra = {"HTTP_RANGE": range_header} if range_header is not None else {}
        return self.client.get(url or self.video_url, **extra)

    def assert_partial(self, response, start: int, end: int):
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response["Content-Range"], f"bytes {start}-{end}/{self.size}")
        self.assertEqual(response["Content-Length"], str(end - start + 1))
        self.assertEqual(response["Accept-Ranges"], "bytes")
        self.assertEqual(body(response), self.data[start : end + 1])

    def test_the_file_is_large_enough_for_these_tests(self):
        self.assertGreater(self.size, 1000)
        self.assertEqual(self.size, self.generation.video_bytes)

    def test_without_a_range_it_sends_the_whole_file(self):
        response = self.get()

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "video/mp4")
        self.assertEqual(response["Accept-Ranges"], "bytes")
        self.assertEqual(response["Content-Length"], str(self.size))
        self.assertNotIn("Content-Range", response)
        self.assertNotIn("Content-Disposition", response)
        self.assertEqual(body(response), self.data)

    def test_the_first_100_bytes(self):
        self.assert_partial(self.get("bytes=0-99"), 0, 99)

    def test_the_last_100_bytes(self):
        self.assert_partial(self.get("bytes=-100"), self.size - 100, self.size - 1)

    def test_everything_from_byte_100(self):
        self.assert_partial(self.get("bytes=100-"), 100, self.size - 1)

    def test_a_single_byte_in_the_middle(self):
        self.assert_partial(self.get("bytes=500-500"), 500, 500)

    def test_an_end_past_the_file_is_clamped(self):
        self.assert_partial(self.get(f"bytes=10-{self.size * 10}"), 10, self.size - 1)

    def test_a_suffix_longer_than_the_file_sends_all_of_it(self):
        self.assert_partial(self.get(f"bytes=-{self.size * 10}"), 0, self.size - 1)

    def test_a_start_past_the_end_is_416(self):
        for header in (
            f"bytes={self.size}-",
            f"bytes={self.size + 50}-{self.size + 60}",
        ):
            with self.subTest(header):
                response = self.get(header)

                self.assertEqual(response.status_code, 416)
                self.assertEqual(response["Content-Range"], f"bytes */{self.size}")
                self.assertEqual(body(response), b"")

    def test_a_malformed_or_multiple_range_sends_the_whole_file(self):
        for header in (
            "bytes=abc",
            "bytes=0-99,200-299",
            "items=0-99",
            "bytes=-",
            "0-99",
            "",
        ):
            with self.subTest(header):
                response = self.get(header)

                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Length"], str(self.size))
                self.assertEqual(body(response), self.data)

    def test_an_absurdly_long_number_is_not_a_server_error(self):
        self.client.raise_request_exception = False

        response = self.get("bytes=0-" + "9" * 4301)

        # Malformed like any range we cannot read: the whole file, as if none was asked.
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Length"], str(self.size))
        self.assertEqual(body(response), self.data)

    def test_the_download_url_is_an_attachment_and_supports_ranges_too(self):
        day = timezone.localtime(self.generation.created_at).strftime("%Y-%m-%d")
        name = f"{day}_a-paper-kite-floats-above-a-field_4s_720p.mp4"

        whole = self.get(url=self.download_url)
        part = self.get("bytes=0-99", url=self.download_url)

        self.assertEqual(whole.status_code, 200)
        self.assertEqual(whole["Content-Disposition"], f'attachment; filename="{name}"')
        self.assertEqual(body(whole), self.data)
        self.assert_partial(part, 0, 99)
        self.assertTrue(part["Content-Disposition"].startswith("attachment;"))

    def test_media_is_private_and_not_sniffed(self):
        response = self.get()

        self.assertEqual(response["Cache-Control"], "private, no-cache")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_the_poster_is_served_as_a_jpeg(self):
        response = self.get(url=reverse("generations:poster", args=[self.generation.pk]))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        self.assertEqual(body(response)[:3], b"\xff\xd8\xff")

    def test_a_job_without_a_video_yet_answers_404(self):
        pending = make_generation(self.alice)
        for name in ("video", "download", "poster", "first_frame"):
            with self.subTest(name):
                response = self.get(url=reverse(f"generations:{name}", args=[pending.pk]))
                self.assertEqual(response.status_code, 404)

    def test_a_ready_job_whose_file_is_gone_answers_404_not_500(self):
        lost = make_ready_generation(self.alice)
        default_storage.delete(lost.video.name)
        default_storage.delete(lost.poster.name)
        self.client.raise_request_exception = False

        statuses = {
            name: self.get(url=reverse(f"generations:{name}", args=[lost.pk])).status_code
            for name in ("video", "download", "poster")
        }

        self.assertEqual(statuses, {"video": 404, "download": 404, "poster": 404})

    def test_another_users_range_request_answers_404(self):
        self.client.force_login(self.bob)

        response = self.get("bytes=0-99")

        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Content-Range", response)


# (Range header, file size, what parse_range makes of it)
PARSED = [
    ("bytes=0-99", 1000, (0, 99)),  # first-100
    ("bytes=0-0", 1000, (0, 0)),  # first-byte
    ("bytes=-100", 1000, (900, 999)),  # last-100
    ("bytes=100-", 1000, (100, 999)),  # open-ended
    ("bytes=999-", 1000, (999, 999)),  # last-byte-open
    ("bytes=999-999", 1000, (999, 999)),  # last-byte
    ("bytes=0-5000", 1000, (0, 999)),  # end-clamped
    ("bytes=-5000", 1000, (0, 999)),  # suffix-longer-than-file
    (" bytes=0-1 ", 1000, (0, 1)),  # surrounding-space
    ("bytes=1000-", 1000, False),  # start-at-size
    ("bytes=2000-3000", 1000, False),  # start-past-size
    ("bytes=-0", 1000, False),  # empty-suffix
    ("bytes=5-2", 1000, False),  # end-before-start
    ("bytes=0-", 0, False),  # empty-file
    ("bytes=0-99,200-299", 1000, None),  # multiple-ranges
    ("bytes=-", 1000, None),  # no-numbers
    ("bytes=a-b", 1000, None),  # letters
    ("bytes=1.5-2", 1000, None),  # fraction
    ("bytes=-1-5", 1000, None),  # negative
    ("items=0-1", 1000, None),  # other-unit
    ("bytes 0-1", 1000, None),  # no-equals
    ("", 1000, None),  # empty-header
    ("bytes=-100", 0, False),  # suffix-of-empty-file
]


class ParseRangeTests(SimpleTestCase):
    def test_each_header_is_read_as_a_range_ignored_or_refused(self):
        for header, size, expected in PARSED:
            with self.subTest(header=header, size=size):
                self.assertEqual(parse_range(header, size), expected)

    def test_numbers_too_long_to_be_real_are_ignored(self):
        self.assertIsNone(parse_range("bytes=0-" + "9" * 4301, 1000))
