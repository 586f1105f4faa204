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


# --- an archive from outside --------------------------------------------------------------

SESSION = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
session = SessionStore()
session["_auth_user_id"] = str(User.objects.get(username="alice").pk)
session.create()
print('{}')
"""

COUNT_SESSIONS = (
    "import json\nfrom django.contrib.sessions.models import Session\n"
    "print(json.dumps(Session.objects.count()))"
)


def files_under(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def regular_members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isreg()}


def write_tar(path: Path, members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, __import__("io").BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def manifest_of(members: dict[str, bytes]) -> dict:
    return json.loads(members["veostudio-backup.json"])


def with_manifest(members: dict[str, bytes], manifest: dict) -> dict[str, bytes]:
    return {**members, "veostudio-backup.json": json.dumps(manifest).encode()}


def with_video_row_named(members: dict[str, bytes], name: str, scratch: Path) -> dict[str, bytes]:
    """The archive's own database edited so its job names `name`; checksums kept honest."""
    copy = scratch / "edited.sqlite3"
    copy.write_bytes(members["database.sqlite3"])
    db = sqlite3.connect(copy)
    db.execute("UPDATE generations_generation SET video = ?", [name])
    db.commit()
    db.close()
    data = copy.read_bytes()
    manifest = manifest_of(members)
    manifest["database_bytes"] = len(data)
    manifest["database_sha256"] = hashlib.sha256(data).hexdigest()
    return with_manifest({**members, "database.sqlite3": data}, manifest)


@pytest.fixture(scope="module")
def archive(studio, tmp_path_factory):
    """An honest backup of the studio, taken while Alice is signed in."""
    studio.python(SESSION)
    path = tmp_path_factory.mktemp("honest") / "studio.tar"
    studio.manage("backup", str(path))
    return path


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """Another studio with its own people and video, restored over with --force."""
    install = Install(tmp_path_factory.mktemp("target") / "host")
    install.manage("migrate", "--noinput")
    install.created = install.python(CREATE_STUDIO)
    return install


def attacks(members: dict[str, bytes], outside: Path, scratch: Path) -> dict:
    manifest = manifest_of(members)
    video = next(f for f in manifest["stored_files"] if f["name"].startswith("videos/"))
    payload = b"written by the archive"

    def listing(name: str) -> dict[str, bytes]:
        listed = {
            **manifest,
            "stored_files": [
                *manifest["stored_files"],
                {
                    "name": name,
                    "bytes": len(payload),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                },
            ],
        }
        return with_manifest({**members, f"media/{name}": payload}, listed)

    def link(kind: bytes, linkname: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"media/{video['name']}")
        info.type, info.linkname = kind, linkname
        return info

    without_video = {k: v for k, v in members.items() if k != f"media/{video['name']}"}
    bad_sum = {**members, f"media/{video['name']}": b"x" * video["bytes"]}
    return {
        "database file at an absolute path": (
            with_manifest(members, {**manifest, "database_file": str(outside / "db")}),
            [],
        ),
        "database file up the tree": (
            with_manifest(members, {**manifest, "database_file": "../../../outside/db"}),
            [],
        ),
        "a member at an absolute path": ({**members, str(outside / "abs"): payload}, []),
        "a member up the tree": ({**members, "../../../outside/up": payload}, []),
        "a listed file at an absolute path": (listing(str(outside / "listed")), []),
        "a listed file up the tree": (listing("../../../outside/listed"), []),
        "a listed file with a name of its own": (listing("videos/holiday.mp4"), []),
        "a symlink in place of the video": (without_video, [link(tarfile.SYMTYPE, "/etc/passwd")]),
        "a hardlink in place of the video": (
            without_video,
            [link(tarfile.LNKTYPE, "veostudio-backup.json")],
        ),
        "an unexpected member": ({**members, "notes.txt": payload}, []),
        "an unexpected video": ({**members, f"media/videos/{'a' * 32}.mp4": payload}, []),
        "a video its checksum does not match": (bad_sum, []),
        "a missing video": (without_video, []),
        "a row naming a file up the tree": (
            with_video_row_named(members, "../../../outside/row.mp4", scratch),
            [],
        ),
        "a row naming an absolute path": (
            with_video_row_named(members, str(outside / "row.mp4"), scratch),
            [],
        ),
        "a listed file no row names": (listing(f"posters/{'b' * 32}.jpg"), []),
    }


def test_restore_refuses_a_crafted_archive_and_changes_nothing(archive, target, tmp_path):
    # The restore's temporary folder sits deep in our sandbox, so a `../` lands where we look.
    sandbox = tmp_path / "sandbox"
    (sandbox / "a" / "b" / "tmp").mkdir(parents=True)
    outside = sandbox / "outside"
    target.env["TMPDIR"] = str(sandbox / "a" / "b" / "tmp")
    members = regular_members(archive)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    database_before = sha256(target.database)
    media_before = files_under(target.media)
    people_before = target.python(
        "import json\nfrom django.contrib.auth.models import User\n"
        "print(json.dumps(sorted(User.objects.values_list('username', 'password'))))"
    )

    for label, (crafted, links) in attacks(members, outside, scratch).items():
        path = write_tar(tmp_path / "crafted.tar", crafted, links)
        result = target.manage("restore", "--force", str(path), check=False)

        assert result.returncode != 0, label
        assert "nothing was changed" in result.stderr, (label, result.stderr)
        assert "Traceback" not in result.stderr, label
        assert sha256(target.database) == database_before, label
        assert files_under(target.media) == media_before, label
        assert files_under(sandbox) == {}, (label, files_under(sandbox))
        assert not outside.exists(), label
        path.unlink()

    people_after = target.python(
        "import json\nfrom django.contrib.auth.models import User\n"
        "print(json.dumps(sorted(User.objects.values_list('username', 'password'))))"
    )
    assert people_after == people_before


def test_a_damaged_archive_is_refused_before_anything_changes(archive, target, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    database_before = sha256(target.database)

    result = target.manage("restore", "--force", str(cut), check=False)

    assert result.returncode != 0
    assert "nothing was changed" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sha256(target.database) == database_before


def test_archives_are_private_and_hold_no_live_sessions(studio, archive, tmp_path):
    assert archive.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no partial left
    dump = tmp_path / "copy.sqlite3"
    dump.write_bytes(regular_members(archive)["database.sqlite3"])
    db = sqlite3.connect(dump)
    assert db.execute("SELECT COUNT(*) FROM django_session").fetchone() == (0,)
    # People still sign in with their own passwords after a restore: hashes stay.
    assert (
        db.execute("SELECT COUNT(*) FROM auth_user WHERE password LIKE 'pbkdf2%'").fetchone()[0]
        == 2
    )
    db.close()
    assert studio.python(COUNT_SESSIONS) >= 1  # the studio itself kept Alice signed in


def test_an_older_archive_restores_without_its_sessions_or_form_leftovers(
    studio, archive, tmp_path
):
    """Format 1 had no file list and carried sessions and kept form pictures."""
    members = regular_members(archive)
    manifest = manifest_of(members)
    copy = tmp_path / "old.sqlite3"
    copy.write_bytes(members["database.sqlite3"])
    db = sqlite3.connect(copy)
    db.execute(
        "INSERT INTO django_session (session_key, session_data, expire_date) "
        "VALUES ('stale', 'x', '2099-01-01')"
    )
    db.commit()
    db.close()
    old = {name: data for name, data in members.items() if name != "veostudio-backup.json"}
    old["database.sqlite3"] = copy.read_bytes()
    old[f"media/kept-frames/{'c' * 32}.jpg"] = b"a picture kept while a form was fixed"
    old["veostudio-backup.json"] = json.dumps(
        {
            "format": 1,
            "created_at": manifest["created_at"],
            "database": "sqlite",
            "database_file": "database.sqlite3",
            "files": 2,
            "file_bytes": 0,
        }
    ).encode()
    fresh = Install(tmp_path / "new-host")

    result = fresh.manage("restore", str(write_tar(tmp_path / "old.tar", old)))

    assert "left out" in result.stdout
    assert fresh.python(COUNT_SESSIONS) == 0
    assert not (fresh.media / "kept-frames").exists()
    answers = fresh.watch(studio.created["id"])
    assert answers["alice"]["video"] == 200
    assert answers["alice"]["sha"] == sha256(studio.media / studio.created["video"])


def test_the_backup_layout_matches_the_names_the_studio_gives_files():
    from generations import models
    from lib import backups

    assert models.Generation._meta.db_table == backups.FILE_TABLE
    for column in backups.FILE_COLUMNS:
        assert models.Generation._meta.get_field(column).column == column

    made = {
        "first_frame": models.first_frame_name(),
        "first_frame_thumbnail": models.thumbnail_name(),
        "video": models.video_name(),
        "poster": models.poster_name(),
    }
    assert set(made) == set(backups.FILE_COLUMNS)
    for column, name in made.items():
        assert backups.stored_name(name, backups.FILE_COLUMNS[column][0]) == name
    for hostile in [
        "../videos/x.mp4",
        "/videos/" + "a" * 32 + ".mp4",
        "videos/" + "A" * 32 + ".mp4",
        "videos/" + "a" * 32 + ".jpg",
        "videos/../" + "a" * 32 + ".mp4",
        None,
        7,
    ]:
        assert backups.stored_name(hostile) is None, hostile
