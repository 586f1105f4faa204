"""A teammate's browser keeps a shared video's files, but asks again before each use:
a reload costs a 304 and no bytes, and after Unshare the same question answers 404.

Once, with `private, max-age=3600`, the video and poster played on from the
browser's cache after the video was unshared."""

import os
import time

from django.urls import reverse
from django.utils.http import http_date

from tests.helpers import StudioTestCase, body, make_ready_generation, make_user, with_first_frame

MEDIA = ("video", "download", "poster", "first_frame")


class MediaCachingTests(StudioTestCase):
    def setUp(self):
        self.generation = with_first_frame(make_ready_generation(self.alice, seconds=2.0))
        self.generation.share_for(self.alice)
        self.client.force_login(self.bob)

    def url(self, name: str) -> str:
        return reverse(f"generations:{name}", args=[self.generation.pk])

    def test_a_reload_is_a_304_and_after_unshare_the_same_question_is_a_404(self):
        first = {name: self.client.get(self.url(name)) for name in MEDIA}
        for name, answer in first.items():
            with self.subTest(name):
                self.assertEqual(answer.status_code, 200)
                self.assertEqual(answer["Cache-Control"], "private, no-cache")
                self.assertTrue(answer["ETag"].startswith('"'))
                self.assertTrue(answer["Last-Modified"])
                again = self.client.get(
                    self.url(name),
                    headers={
                        "If-None-Match": answer["ETag"],
                        "If-Modified-Since": answer["Last-Modified"],
                    },
                )
                self.assertEqual(again.status_code, 304)
                self.assertEqual(again.content, b"")
                self.assertEqual(again["ETag"], answer["ETag"])
                self.assertEqual(again["Cache-Control"], "private, no-cache")

        self.generation.unshare_for(self.alice)

        for name, answer in first.items():
            with self.subTest(name):
                by_tag = self.client.get(self.url(name), headers={"If-None-Match": answer["ETag"]})
                by_date = self.client.get(
                    self.url(name), headers={"If-Modified-Since": answer["Last-Modified"]}
                )
                self.assertEqual(by_tag.status_code, 404)
                self.assertEqual(by_date.status_code, 404)

    def test_a_changed_file_or_an_older_date_gets_the_bytes_again(self):
        video = self.client.get(self.url("video"))
        stale = self.client.get(self.url("video"), headers={"If-None-Match": '"1-2"'})
        self.assertEqual(stale.status_code, 200)
        self.assertEqual(body(stale), body(video))
        older = http_date(time.time() - 86400 * 365)
        dated = self.client.get(self.url("video"), headers={"If-Modified-Since": older})
        self.assertEqual(dated.status_code, 200)

    def test_the_tag_is_the_one_nginx_gives_the_same_file(self):
        path = self.generation.video.path
        stat = os.stat(path)
        answer = self.client.get(self.url("video"))
        self.assertEqual(answer["ETag"], f'"{int(stat.st_mtime):x}-{stat.st_size:x}"')

    def test_a_range_of_the_same_file_resumes_and_of_another_starts_over(self):
        whole = self.client.get(self.url("video"))
        size = int(whole["Content-Length"])
        same = self.client.get(
            self.url("video"), headers={"Range": "bytes=10-19", "If-Range": whole["ETag"]}
        )
        self.assertEqual(same.status_code, 206)
        self.assertEqual(same["Content-Range"], f"bytes 10-19/{size}")
        other = self.client.get(
            self.url("video"), headers={"Range": "bytes=10-19", "If-Range": '"0-0"'}
        )
        self.assertEqual(other.status_code, 200)
        self.assertEqual(other["Content-Length"], str(size))

    def test_someone_it_was_never_shared_with_gets_a_404_whatever_they_claim_to_hold(self):
        tag = self.client.get(self.url("poster"))["ETag"]
        self.client.force_login(make_user("carol"))
        self.generation.unshare_for(self.alice)
        for claim in (tag, "*"):
            answer = self.client.get(self.url("poster"), headers={"If-None-Match": claim})
            self.assertEqual(answer.status_code, 404)
