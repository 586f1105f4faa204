"""A user's video travels form → worker → CometAPI (the loopback simulator) → saved MP4."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from generations.models import Generation, Status
from lib.video import probe_mp4

from .factories_media import png_bytes
from .helpers import drive, make_user


@pytest.mark.usefixtures("sim")
class GenerateEndToEndTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = make_user("alice")

    def setUp(self):
        self.client.force_login(self.alice)

    def post_form(self, **fields):
        data = {
            "prompt": "A paper kite floats above a wheat field.",
            "model": "veo3.1-fast",
            "seconds": "4",
            "size": "1280x720",
            **fields,
        }
        response = self.client.post(reverse("generations:create"), data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        return Generation.objects.get(owner=self.alice, prompt=data["prompt"])

    def assert_ready_with_real_video(self, generation, width, height, seconds):
        self.assertEqual(generation.status, Status.READY, generation.failure_reason)
        path = default_storage.path(generation.video.name)
        info = probe_mp4(path)
        self.assertEqual((info.width, info.height), (width, height))
        self.assertAlmostEqual(info.duration, seconds, delta=0.3)
        self.assertEqual(generation.video_bytes, default_storage.size(generation.video.name))
        self.assertEqual((generation.video_width, generation.video_height), (width, height))
        with default_storage.open(generation.poster.name) as poster:
            self.assertEqual(Image.open(poster).format, "JPEG")
        self.assertIsNotNone(generation.submitted_at)
        self.assertIsNotNone(generation.completed_at)
        self.assertIsNotNone(generation.saved_at)
        self.assertTrue(generation.video.name.startswith("videos/"))

    def test_text_to_video_ends_with_a_stored_probed_mp4(self):
        generation = drive(self.post_form())

        self.assert_ready_with_real_video(generation, 384, 216, 4)
        self.assertEqual(self.sim.create_count, 1)
        sent = self.sim.creates[0]
        self.assertEqual(
            sent["fields"],
            {
                "model": "veo3.1-fast",
                "prompt": "A paper kite floats above a wheat field.",
                "seconds": "4",
                "size": "1280x720",
            },
        )
        self.assertEqual(sent["files"], {})
        self.assertEqual(sent["headers"].get("Authorization"), "Bearer test-key")

    def test_portrait_eight_seconds_on_the_standard_model(self):
        generation = drive(self.post_form(model="veo3.1", seconds="8", size="720x1280"))

        self.assert_ready_with_real_video(generation, 216, 384, 8)
        self.assertEqual(self.sim.creates[0]["fields"]["seconds"], "8")
        self.assertEqual(self.sim.creates[0]["fields"]["model"], "veo3.1")

    def test_image_to_video_sends_our_reencoded_jpeg_as_input_reference(self):
        upload = SimpleUploadedFile("holiday.png", png_bytes(640, 360), "image/png")
        generation = drive(self.post_form(first_frame=upload))

        self.assert_ready_with_real_video(generation, 384, 216, 4)
        part = self.sim.creates[0]["files"]["input_reference"]
        self.assertEqual(part["content_type"], "image/jpeg")
        self.assertNotIn("holiday", part["filename"])
        with default_storage.open(generation.first_frame.name) as stored:
            self.assertEqual(part["data"], stored.read())
        self.assertEqual(Image.open(io.BytesIO(part["data"])).size, (640, 360))

    def test_the_task_echo_is_not_trusted(self):
        self.sim.configure(odd_echo=True)
        generation = drive(self.post_form(size="1920x1080", seconds="8"))

        self.assertEqual(generation.status, Status.READY)
        self.assertEqual(generation.size, "1920x1080")
        self.assertEqual(generation.seconds, 8)
        self.assertEqual(generation.model, "veo3.1-fast")

    def test_a_task_id_only_in_task_id_is_understood(self):
        self.sim.configure(id_field="task_id")
        generation = drive(self.post_form())
        self.assertEqual(generation.status, Status.READY)
        self.assertTrue(generation.task_id)

    def test_the_ready_page_plays_the_video(self):
        generation = drive(self.post_form())
        page = self.client.get(generation.get_absolute_url())
        self.assertContains(page, f'src="{reverse("generations:video", args=[generation.pk])}"')
        video = self.client.get(reverse("generations:video", args=[generation.pk]))
        self.assertEqual(video.status_code, 200)
        self.assertEqual(video["Content-Type"], "video/mp4")
        gallery = self.client.get(reverse("generations:index"))
        self.assertContains(gallery, reverse("generations:poster", args=[generation.pk]))
