"""A preset's first frame goes into the backup with the videos' files and comes back on
restore, so a restored studio's presets still start from their picture."""

import tarfile

from tests.test_backups import Install, sha256

CREATE = """
import json
from lib.images import FirstFrame
from prompts.models import Preset
from tests.factories_media import jpeg_bytes
from tests.helpers import make_user, make_ready_generation
alice = make_user("alice")
make_ready_generation(alice, seconds=1.0)
preset = Preset(owner=alice, name="Still", prompt="A {product} on marble")
preset.save_with_frame(FirstFrame(image=jpeg_bytes(320, 180), width=320, height=180,
                                  thumbnail=jpeg_bytes(64, 36)))
print(json.dumps({"frame": preset.first_frame.name, "thumb": preset.first_frame_thumbnail.name}))
"""

READ = """
import json
from prompts.models import Preset
frame = Preset.objects.get().frame()
print(json.dumps({"width": frame.width if frame else None}))
"""


def test_a_presets_first_frame_is_backed_up_and_restored(tmp_path):
    studio = Install(tmp_path / "old-host")
    studio.manage("migrate", "--noinput")
    names = studio.python(CREATE)
    archive = tmp_path / "studio.tar"
    studio.manage("backup", str(archive))
    with tarfile.open(archive) as tar:
        members = set(tar.getnames())
    assert {f"media/{names['frame']}", f"media/{names['thumb']}"} <= members

    fresh = Install(tmp_path / "new-host")
    fresh.manage("restore", str(archive))
    assert sha256(fresh.media / names["frame"]) == sha256(studio.media / names["frame"])
    assert fresh.python(READ) == {"width": 320}
