"""`manage.py backup` copies a running studio into one archive; `manage.py restore` brings
it back in a fresh install, where the same people see the same videos play.

Each install is its own SQLite file and media folder, driven through manage.py in a
clean process, as an admin would."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings

CREATE_STUDIO = """
import json
from tests.helpers import make_user, make_ready_generation
alice = make_user("alice")
make_user("bob")
generation = make_ready_generation(alice, seconds=1.0)
print(json.dumps({"id": str(generation.pk), "video": generation.video.name,
                  "poster": generation.poster.name}))
"""

WATCH = """
import hashlib, json, sys
from django.contrib.auth.models import User
from django.test import Client
pk = sys.argv[-1]
answers = {}
for name in ("alice", "bob"):
    client = Client()
    client.force_login(User.objects.get(username=name))
    video = client.get(f"/videos/{pk}/video.mp4")
    body = b"".join(video.streaming_content) if video.streaming else video.content
    page = client.get(f"/videos/{pk}/")
    answers[name] = {"video": video.status_code, "sha": hashlib.sha256(body).hexdigest(),
                     "page": page.status_code}
print(json.dumps(answers))
"""


class Install:
    """A VeoStudio install of its own: database file, media folder, scratch folder."""

    def __init__(self, root: Path):
        root.mkdir()
        self.root = root
        self.database = root / "db.sqlite3"
        self.media = root / "media"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "VEOSTUDIO_SKIP_DOTENV": "1",
            "SQLITE_PATH": str(self.database),
            "MEDIA_ROOT": str(self.media),
            "WORKER_SCRATCH_DIR": str(root / "scratch"),
            "ALLOWED_HOSTS": "testserver",
            # Plain static storage: pages render without a collectstatic manifest.
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def python(self, code: str, *args: str) -> dict:
        out = self.manage("shell", "-c", code, *args).stdout
        return json.loads(out.strip().splitlines()[-1])

    def watch(self, pk: str) -> dict:
        return self.python(WATCH.replace("sys.argv[-1]", repr(pk)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A running studio: migrated, Alice with one finished video, Bob with none."""
    install = Install(tmp_path_factory.mktemp("backups") / "old-host")
    install.manage("migrate", "--noinput")
    install.created = install.python(CREATE_STUDIO)
    return install


def test_a_backup_restored_into_a_fresh_install_plays_the_same_video(studio, tmp_path):
    archive = tmp_path / "studio.tar"
    original = sha256(studio.media / studio.created["video"])

    written = studio.manage("backup", str(archive))

    assert "Backup written" in written.stdout
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"veostudio-backup.json", "database.sqlite3"} <= names
    assert f"media/{studio.created['video']}" in names
    assert f"media/{studio.created['poster']}" in names

    fresh = Install(tmp_path / "new-host")
    restored = fresh.manage("restore", str(archive))

    assert "Restored" in restored.stdout
    assert sha256(fresh.media / studio.created["video"]) == original
    answers = fresh.watch(studio.created["id"])
    assert answers["alice"] == {"video": 200, "sha": original, "page": 200}
    assert answers["bob"]["video"] == 404
    assert answers["bob"]["page"] == 404


def test_the_backup_is_consistent_while_someone_is_writing(studio, tmp_path):
    writer = sqlite3.connect(studio.database, timeout=20, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined) "
        "VALUES ('!', 0, 'half-written', '', '', '', 0, 1, '2026-12-01')"
    )
    try:
        studio.manage("backup", str(tmp_path / "during.tar.gz"))
    finally:
        writer.execute("ROLLBACK")  # the shared studio stays as it was
        writer.close()

    fresh = Install(tmp_path / "new-host")
    fresh.manage("restore", str(tmp_path / "during.tar.gz"))
    users = fresh.python(
        "import json\nfrom django.contrib.auth.models import User\n"
        "print(json.dumps(sorted(User.objects.values_list('username', flat=True))))"
    )
    assert users == ["alice", "bob"]


def test_restore_refuses_an_install_that_already_has_people(studio, tmp_path):
    archive = tmp_path / "studio.tar"
    studio.manage("backup", str(archive))

    result = studio.manage("restore", str(archive), check=False)

    assert result.returncode != 0
    assert "already has users" in result.stderr
    assert "Traceback" not in result.stderr


def test_restore_names_what_is_wrong_with_a_bad_archive(tmp_path):
    fresh = Install(tmp_path / "new-host")
    not_a_backup = tmp_path / "holiday.tar"
    with tarfile.open(not_a_backup, "w") as tar:
        tar.add(__file__, arcname="notes.txt")
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"certainly not a tar file" * 100)

    for archive, says in [
        (not_a_backup, "not a VeoStudio backup"),
        (garbage, "not a readable archive"),
        (tmp_path / "missing.tar", "does not exist"),
    ]:
        result = fresh.manage("restore", str(archive), check=False)
        assert result.returncode != 0, archive
        assert says in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_backup_never_overwrites_an_earlier_archive(studio, tmp_path):
    archive = tmp_path / "studio.tar"
    archive.write_bytes(b"last week's backup")

    result = studio.manage("backup", str(archive), check=False)

    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert archive.read_bytes() == b"last week's backup"
