"""Continue this shot with the videos in an S3 bucket: the frame is read from the bucket,
and the new video's first frame lands there too (moto's S3 server on loopback)."""

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from generations.models import Generation, video_name
from lib.video import probe_mp4
from tests.frame_videos import numbered_mp4, read_index
from tests.helpers import make_generation, make_user, valid_data


@pytest.fixture
def bucket(request, s3_storage, tmp_path):
    request.cls.bucket = s3_storage
    request.cls.scratch = tmp_path


@pytest.mark.usefixtures("bucket")
class ContinueFromABucketTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice")
        self.client.force_login(self.alice)

    def numbered_video_in_the_bucket(self) -> Generation:
        generation = make_generation(self.alice, prompt="Kite over field")
        data = numbered_mp4(width=256, height=144)
        probe_copy = self.scratch / "probe.mp4"
        probe_copy.write_bytes(data)
        name = default_storage.save(video_name(), ContentFile(data))
        generation.task_id = "task_numbered"
        generation.mark_saved(
            video_name=name, size=len(data), info=probe_mp4(probe_copy), poster_name=""
        )
        generation.save()
        return generation

    def test_the_last_frame_comes_from_the_bucket_and_the_new_first_frame_goes_there(self):
        kite = self.numbered_video_in_the_bucket()
        assert kite.video.name in self.bucket.keys()

        response = self.client.post(reverse("generations:use_frame", args=[kite.pk]), {"at": "end"})
        self.assertEqual(response.status_code, 302)
        token = parse_qs(urlsplit(response["Location"]).query)["frame"][0]
        self.client.post(reverse("generations:create"), valid_data(first_frame_token=token))

        new = Generation.objects.exclude(pk=kite.pk).get()
        self.assertEqual(new.continues, kite)
        self.assertIn(new.first_frame.name, self.bucket.keys())
        with Image.open(io.BytesIO(self.bucket.read(new.first_frame.name))) as first:
            self.assertEqual(read_index(first), 49)
        media_root = Path(settings.MEDIA_ROOT)
        self.assertFalse(media_root.exists() and any(media_root.rglob("*")))

    def test_a_video_read_from_the_bucket_waits_on_disk_not_in_memory(self):
        kite = self.numbered_video_in_the_bucket()
        with default_storage.open(kite.video.name, "rb") as handle:
            handle.read(16)
            assert handle.file._max_size == 8 * 1024 * 1024  # spilled to disk past one part
