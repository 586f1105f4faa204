"""The server picks every stored file's name: a hostile upload name never becomes part of a
path, inside MEDIA_ROOT or outside it."""

import re
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from generations.models import Generation
from tests.factories_media import png_bytes
from tests.helpers import StudioTestCase, multipart_body

CREATE_URL = reverse("generations:create")
BASE_DIR = Path(settings.BASE_DIR)
STORED_NAME = {
    "first_frame": re.compile(r"^first-frames/[0-9a-f]{32}\.jpg$"),
    "first_frame_thumbnail": re.compile(r"^thumbnails/[0-9a-f]{32}\.jpg$"),
}


class StoredFileNameTests(StudioTestCase):
    HOSTILE_NAMES = {
        "path traversal": b"../../evil.png",
        "absolute path": b"/tmp/evil-absolute.png",
        "windows traversal": b"..\\..\\evil-windows.png",
        "NUL byte": b"evil\x00.png",
        "reserved Windows name": b"con.png",
        "300 characters": b"a" * 296 + b".png",
    }

    def setUp(self):
        super().setUp()
        # Nested deep in a fresh directory, so a traversal would land somewhere we can see.
        self.sandbox = Path(tempfile.mkdtemp(prefix="veostudio-names-"))
        self.media_root = self.sandbox / "outer" / "inner" / "media"
        self.media_root.mkdir(parents=True)
        media = override_settings(MEDIA_ROOT=str(self.media_root))
        media.enable()
        self.addCleanup(media.disable)

    def upload(self, filename: bytes):
        fields = {
            # A different prompt each time, or the second upload counts as a repeat.
            "prompt": f"A kite from my photo {uuid.uuid4()}",
            "model": "veo3.1-fast",
            "seconds": "4",
            "size": "1280x720",
            "client_token": str(uuid.uuid4()),
        }
        body, content_type = multipart_body(fields, filename=filename, data=png_bytes(320, 180))
        return self.client.post(CREATE_URL, data=body, content_type=content_type)

    def test_it_never_lets_a_hostile_file_name_become_part_of_a_path(self):
        before = set(BASE_DIR.iterdir())
        for label, filename in self.HOSTILE_NAMES.items():
            with self.subTest(label):
                response = self.upload(filename)
                self.assertEqual(response.status_code, 302)
                generation = Generation.objects.latest("created_at")
                self.assertRedirects(
                    response, generation.get_absolute_url(), fetch_redirect_response=False
                )
                for field, pattern in STORED_NAME.items():
                    name = getattr(generation, field).name
                    self.assertRegex(name, pattern)
                    self.assertTrue((self.media_root / name).is_file())
        self.assertEqual(Generation.objects.count(), len(self.HOSTILE_NAMES))

        written = [p for p in self.sandbox.rglob("*") if p.is_file()]
        outside = [p for p in written if not p.is_relative_to(self.media_root)]
        self.assertEqual(outside, [])
        for path in written:
            name = path.relative_to(self.media_root).as_posix()
            self.assertTrue(any(p.match(name) for p in STORED_NAME.values()), name)
        self.assertEqual(len(written), 2 * len(self.HOSTILE_NAMES))
        self.assertEqual(set(BASE_DIR.iterdir()), before)
        self.assertFalse(Path("/tmp/evil-absolute.png").exists())
