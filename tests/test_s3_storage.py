"""With STORAGE_BACKEND=s3 a video's whole life happens in the bucket: the first frame is
uploaded there, the worker stores the MP4 and poster there, and the file answers check
access, then redirect to a short-lived presigned URL that really plays (Range included).

Runs against moto's S3 server on loopback (the `s3_storage` fixture)."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from generations.models import Generation, Status
from lib import backups
from lib.storage import PrivateS3Storage

from .factories_media import png_bytes
from .helpers import drive, make_user
from .test_settings_env import last_line, manage_check


@pytest.fixture
def bucket(request, simulator, s3_storage):
    request.cls.bucket = s3_storage


@pytest.mark.usefixtures("bucket")
class VideoOnS3Tests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")
        cls.bob = make_user("bob")

    def setUp(self):
        self.client.force_login(self.alice)

    def make_video(self) -> Generation:
        upload = SimpleUploadedFile("kite.png", png_bytes(640, 360), "image/png")
        response = self.client.post(
            reverse("generations:create"),
            {
                "prompt": "A paper kite floats above a wheat field.",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
                "first_frame": upload,
            },
        )
        self.assertEqual(response.status_code, 302)
        generation = drive(Generation.objects.get(owner=self.alice))
        self.assertEqual(generation.status, Status.READY, generation.failure_reason)
        return generation

    def follow(self, answer, **headers) -> requests.Response:
        """What the browser does with our redirect: fetch the presigned URL directly."""
        self.assertEqual(answer.status_code, 302)
        return requests.get(answer["Location"], headers=headers, timeout=10)

    def test_create_worker_and_playback_all_happen_in_the_bucket(self):
        generation = self.make_video()

        stored = self.bucket.keys()
        self.assertEqual(
            stored,
            sorted(
                [
                    generation.video.name,
                    generation.poster.name,
                    generation.first_frame.name,
                    generation.first_frame_thumbnail.name,
                ]
            ),
        )
        self.assertFalse(Path(settings.MEDIA_ROOT).exists(), "media written to local disk")
        self.assertEqual(list(Path(settings.WORKER_SCRATCH_DIR).glob("*.part")), [])

        video = self.client.get(reverse("generations:video", args=[generation.pk]))
        whole = self.follow(video)
        self.assertEqual(whole.status_code, 200)
        self.assertEqual(whole.headers["Content-Type"], "video/mp4")
        self.assertEqual(whole.content, self.bucket.read(generation.video.name))
        self.assertEqual(len(whole.content), generation.video_bytes)
        self.assertTrue(whole.content[4:8] == b"ftyp")

        tail = self.follow(video, Range="bytes=-100")
        self.assertEqual(tail.status_code, 206)
        self.assertEqual(tail.content, whole.content[-100:])

        poster = self.follow(self.client.get(reverse("generations:poster", args=[generation.pk])))
        self.assertEqual(poster.status_code, 200)
        self.assertEqual(poster.headers["Content-Type"], "image/jpeg")
        self.assertEqual(poster.content[:2], b"\xff\xd8")

        frame = self.client.get(reverse("generations:first_frame", args=[generation.pk]))
        self.assertEqual(self.follow(frame).status_code, 200)

    def test_the_link_is_signed_short_lived_and_not_cached_longer_than_it_lives(self):
        generation = self.make_video()

        answer = self.client.get(reverse("generations:video", args=[generation.pk]))

        query = parse_qs(urlsplit(answer["Location"]).query)
        self.assertIn("X-Amz-Signature", query)
        self.assertEqual(query["X-Amz-Expires"], ["60"])
        # The redirect is checked with us on every use; the bucket's bytes live as the link.
        self.assertEqual(answer["Cache-Control"], "private, no-cache")
        self.assertEqual(self.follow(answer).headers["Cache-Control"], "private, max-age=60")
        unsigned = answer["Location"].split("?")[0]
        self.assertEqual(requests.get(unsigned, timeout=10).status_code, 403)

    def test_a_reload_is_a_304_until_unshared_then_a_404(self):
        generation = self.make_video()
        generation.share_for(self.alice)
        self.client.force_login(self.bob)
        url = reverse("generations:video", args=[generation.pk])

        first = self.client.get(url)
        self.assertEqual(self.follow(first).status_code, 200)
        again = self.client.get(url, headers={"If-None-Match": first["ETag"]})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again["ETag"], first["ETag"])

        generation.unshare_for(self.alice)
        self.assertEqual(
            self.client.get(url, headers={"If-None-Match": first["ETag"]}).status_code, 404
        )

    def test_a_304_never_hands_back_a_link_close_to_expiring(self):
        generation = self.make_video()
        url = reverse("generations:video", args=[generation.pk])
        start = (int(time.time()) // 30 + 1) * 30  # the start of a 30 s window
        with time_machine.travel(start, tick=False):
            first = self.client.get(url)
        with time_machine.travel(start + 29, tick=False):  # the link has 31 s left
            self.assertEqual(
                self.client.get(url, headers={"If-None-Match": first["ETag"]}).status_code, 304
            )
        with time_machine.travel(start + 30, tick=False):  # a new link goes out instead
            later = self.client.get(url, headers={"If-None-Match": first["ETag"]})
        self.assertEqual(later.status_code, 302)
        self.assertNotEqual(later["ETag"], first["ETag"])

    def test_the_download_link_names_the_file_for_saving(self):
        generation = self.make_video()

        answer = self.client.get(reverse("generations:download", args=[generation.pk]))

        got = self.follow(answer)
        self.assertEqual(got.status_code, 200)
        self.assertIn("attachment", got.headers["Content-Disposition"])
        self.assertIn(generation.download_name, got.headers["Content-Disposition"])

    def test_someone_else_gets_a_404_and_no_link(self):
        generation = self.make_video()
        self.client.force_login(self.bob)

        for name in ("video", "poster", "download", "first_frame"):
            answer = self.client.get(reverse(f"generations:{name}", args=[generation.pk]))
            self.assertEqual(answer.status_code, 404, name)
            self.assertNotIn("Location", answer)

    def test_deleting_a_video_empties_the_bucket(self):
        generation = self.make_video()

        self.client.post(reverse("generations:delete", args=[generation.pk]))
        self.assertNotEqual(self.bucket.keys(), [])  # in the Trash, files kept for an undo
        answer = self.client.post(reverse("generations:delete_forever", args=[generation.pk]))

        self.assertRedirects(answer, reverse("generations:trash"), fetch_redirect_response=False)
        self.assertFalse(Generation.objects.filter(pk=generation.pk).exists())
        self.assertEqual(self.bucket.keys(), [])

    def test_a_zip_of_videos_in_the_bucket_streams_with_its_exact_size(self):
        generation = self.make_video()

        answer = self.client.get(reverse("generations:zip"), {"ids": [generation.pk]})

        data = b"".join(answer.streaming_content)
        self.assertEqual(int(answer["Content-Length"]), len(data))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertEqual(archive.namelist(), [generation.download_name])
            self.assertIsNone(archive.testzip())

    def test_a_backup_carries_the_bucket_and_restores_into_another(self):
        generation = self.make_video()
        scratch = Path(settings.WORKER_SCRATCH_DIR) / str(generation.pk)
        (scratch / "staging").mkdir(parents=True)
        archive = scratch / "backup.tar"
        dump = scratch / "database.sqlite3"
        dump.write_bytes(b"the database copy")
        names = [(c, getattr(generation, c).name) for c in backups.FILE_COLUMNS]
        with tarfile.open(archive, "w") as tar:
            manifest = backups.write_archive(tar, "sqlite", dump, names, default_storage)
        self.assertEqual(manifest["files"], 4)
        original = self.bucket.keys()
        for key in original:
            self.bucket.client.delete_object(Bucket=self.bucket.name, Key=key)

        with tarfile.open(archive) as tar:
            checked = backups.check_archive(tar, "sqlite", scratch / "staging")
        restored = backups.restore_stored_files(checked.files, default_storage)
        shutil.rmtree(scratch)

        self.assertEqual(restored, 4)
        self.assertEqual(self.bucket.keys(), original)
        video = self.client.get(reverse("generations:video", args=[generation.pk]))
        self.assertEqual(len(self.follow(video).content), generation.video_bytes)

    def test_the_bucket_is_private_whatever_the_options_say(self):
        self.assertIsInstance(default_storage, PrivateS3Storage)
        custom = PrivateS3Storage(bucket_name="x", endpoint_url="http://127.0.0.1:9")
        self.assertTrue(custom.querystring_auth)
        self.assertIsNone(custom.custom_domain)
        self.assertIsNone(custom.default_acl)
        self.assertEqual(custom.transfer_config.max_request_concurrency, 1)


def test_s3_settings_come_from_the_environment_and_open_the_csp_to_the_bucket():
    script = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'veostudio.settings'\n"
        "from django.conf import settings\n"
        "print(json.dumps({'storages': settings.STORAGES['default'],\n"
        "    'serving': settings.MEDIA_SERVING, 'csp': settings.SECURE_CSP['media-src']}))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VEOSTUDIO_SKIP_DOTENV": "1",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "studio-media",
        "S3_ENDPOINT_URL": "https://s3.example.net",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(last_line(result.stdout))
    assert values["storages"]["BACKEND"] == "lib.storage.PrivateS3Storage"
    assert values["storages"]["OPTIONS"]["bucket_name"] == "studio-media"
    assert values["storages"]["OPTIONS"]["addressing_style"] == "path"
    assert values["storages"]["OPTIONS"]["querystring_expire"] == 300
    assert values["serving"] == "redirect"
    assert "https://s3.example.net" in values["csp"]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "MEDIA_SERVING": "nginx"}, "MEDIA_SERVING"),
        ({"MEDIA_SERVING": "redirect"}, "MEDIA_SERVING"),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_URL_SECONDS": "0"}, "S3_URL_SECONDS"),
        ({"MEDIA_ROOT": "/srv/m", "WORKER_SCRATCH_DIR": "/srv/m/tmp"}, "WORKER_SCRATCH_DIR"),
    ],
)
def test_a_bad_storage_setting_stops_the_start_naming_it(variables, named):
    result = manage_check(**variables)
    assert result.returncode != 0
    assert named in last_line(result.stderr)
