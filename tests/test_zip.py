"""Many videos as one streamed ZIP: exact size up front, readable names, flat memory."""

import io
import tracemalloc
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import Generation, video_name
from tests.helpers import StudioTestCase, make_ready_generation


class ZipTests(StudioTestCase):
    def test_the_zip_streams_with_its_exact_size_and_readable_names(self):
        a = make_ready_generation(self.alice, prompt="Same words")
        b = make_ready_generation(self.alice, prompt="Same words")
        running = make_ready_generation(self.alice, prompt="Other")
        Generation.objects.filter(pk=running.pk).update(status="rendering")
        theirs = make_ready_generation(self.bob, prompt="Bob's")

        response = self.client.get(
            reverse("generations:zip"), {"ids": [a.pk, b.pk, running.pk, theirs.pk, "nonsense"]}
        )

        self.assertTrue(response.streaming)
        data = b"".join(response.streaming_content)
        self.assertEqual(int(response["Content-Length"]), len(data))
        self.assertEqual(response["Content-Type"], "application/zip")
        archive = zipfile.ZipFile(io.BytesIO(data))
        self.assertIsNone(archive.testzip())
        names = sorted(archive.namelist())
        base = a.download_name[: -len(".mp4")]
        self.assertEqual(names, [f"{base}-2.mp4", f"{base}.mp4"])
        stored = {(Path(settings.MEDIA_ROOT) / v.video.name).read_bytes() for v in (a, b)}
        self.assertEqual({archive.read(name) for name in names}, stored)

    def test_nothing_ready_goes_back_with_a_hint(self):
        response = self.client.get(reverse("generations:zip"), follow=True)

        self.assertContains(response, "Pick at least one ready video")

    def test_memory_stays_flat_however_big_the_videos(self):
        videos = []
        for n in range(12):
            video = make_ready_generation(self.alice, prompt=f"Big {n}")
            name = default_storage.save(video_name(), ContentFile(bytes([n]) * 2_000_000))
            Generation.objects.filter(pk=video.pk).update(video=name)
            videos.append(video)

        response = self.client.get(reverse("generations:zip"), {"ids": [v.pk for v in videos]})
        tracemalloc.start()
        try:
            total = sum(len(chunk) for chunk in response.streaming_content)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        self.assertEqual(total, int(response["Content-Length"]))
        self.assertGreater(total, 24_000_000)
        self.assertLess(peak, 4_000_000)  # a few read buffers, not the 24 MB of videos
