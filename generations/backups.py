"""One archive holds the whole studio: a consistent copy of the database and every stored
file. `manage.py backup` writes it while the app runs; `manage.py restore` puts it back
into a fresh install (any storage backend: local folder or S3 bucket).

Layout of the archive (a tar file, gzip-compressed when its name ends in .gz):
    veostudio-backup.json   what is inside (format version, database kind, file count)
    database.sqlite3        SQLite's online backup of the live database, or
    database.pgdump         pg_dump's custom format
    media/<name>            every stored file, under the name the database uses
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections

FORMAT = 1
MANIFEST = "veostudio-backup.json"
MEDIA_PREFIX = "media/"


class BackupError(Exception):
    """Something a person must fix; the message says what."""


def database_kind() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _open_for_writing(path: Path, final_name: str) -> tarfile.TarFile:
    if final_name.endswith((".gz", ".tgz")):
        return tarfile.open(path, "w:gz")
    return tarfile.open(path, "w")


# --- writing -------------------------------------------------------------------------------


def write_backup(archive: Path, say: Callable[[str], None] = print) -> dict:
    """Database first, then the files: every file the copied rows name already existed."""
    kind = database_kind()
    archive = archive.resolve()
    if archive.exists():
        raise BackupError(f"{archive} already exists; choose another name")
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="veostudio-backup-") as tmp:
        dump = Path(tmp) / ("database.sqlite3" if kind == "sqlite" else "database.pgdump")
        if kind == "sqlite":
            _sqlite_online_backup(dump)
        else:
            _pg_dump(dump)
        say(f"database copied ({kind}, {dump.stat().st_size:,} bytes)")
        try:
            with _open_for_writing(partial, archive.name) as tar:
                tar.add(dump, arcname=dump.name)
                files, total = add_stored_files(tar, default_storage)
                manifest = {
                    "format": FORMAT,
                    "created_at": datetime.now(UTC).isoformat(),
                    "database": kind,
                    "database_file": dump.name,
                    "files": files,
                    "file_bytes": total,
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            os.replace(partial, archive)
        finally:
            partial.unlink(missing_ok=True)
    say(f"{files} stored file(s), {total:,} bytes")
    return manifest


def _sqlite_online_backup(target: Path) -> None:
    """SQLite's backup API: a consistent copy while the web server and worker write."""
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=20)
    try:
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # one step: a single read snapshot, writers go on (WAL)
        finally:
            copy.close()
    finally:
        source.close()


def _pg_environment() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    result = subprocess.run(
        command, env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _pg_dump(target: Path) -> None:
    # One snapshot of the whole database; --no-owner so it restores under another role.
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={target}"], "pg_dump")


def _pg_restore(dump: Path) -> None:
    database = _pg_environment().get("PGDATABASE", "")
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl"]
    _run([*command, "--single-transaction", f"--dbname={database}", str(dump)], "pg_restore")


def iter_stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, recursively, in the form the database stores."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from iter_stored_files(storage, f"{folder}/{sub}" if folder else sub)


def add_stored_files(tar: tarfile.TarFile, storage: Storage) -> tuple[int, int]:
    """Every stored file into the archive under media/; returns (files, bytes)."""
    files = total = 0
    for name in iter_stored_files(storage):
        try:
            size = _add_stored_file(tar, storage, name)
        except FileNotFoundError:
            continue  # deleted since the listing: its row is gone too
        files += 1
        total += size
    return files, total


def _add_stored_file(tar: tarfile.TarFile, storage: Storage, name: str) -> int:
    size = storage.size(name)
    info = tarfile.TarInfo(MEDIA_PREFIX + name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    with storage.open(name, "rb") as handle:
        tar.addfile(info, handle)
    return size


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


# --- restoring -----------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError("this is not a VeoStudio backup (no veostudio-backup.json)") from None
    handle = tar.extractfile(member)
    assert handle is not None
    manifest = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def install_is_empty() -> bool:
    """A fresh install: no tables yet, or tables without a single user."""
    tables = connection.introspection.table_names()
    if "auth_user" not in tables:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM auth_user")
        (users,) = cursor.fetchone()
    return users == 0


def restore_backup(archive: Path, *, force: bool, say: Callable[[str], None] = print) -> dict:
    kind = database_kind()
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    try:
        tar = tarfile.open(archive, "r:*")
    except tarfile.TarError as error:
        raise BackupError(f"{archive} is not a readable archive: {error}") from None
    with tar:
        manifest = read_manifest(tar)
        if manifest["database"] != kind:
            raise BackupError(
                f"this backup holds a {manifest['database']} database; this install uses {kind}"
            )
        if not force and not install_is_empty():
            raise BackupError(
                "this install already has users; restore into a fresh install "
                "(or pass --force to replace everything)"
            )
        with tempfile.TemporaryDirectory(prefix="veostudio-restore-") as tmp:
            dump = Path(tmp) / manifest["database_file"]
            source = tar.extractfile(manifest["database_file"])
            if source is None:
                raise BackupError("the archive has no database file")
            with open(dump, "wb") as handle:
                shutil.copyfileobj(source, handle)
            if kind == "sqlite":
                _restore_sqlite(dump)
            else:
                _pg_restore(dump)
        say(f"database restored ({kind})")
        files = restore_stored_files(tar, default_storage)
    say(f"{files} stored file(s) restored")
    return manifest


def restore_stored_files(tar: tarfile.TarFile, storage: Storage) -> int:
    """Put every media/ member back under its own name, in whatever storage this is."""
    files = 0
    for member in tar:
        if not member.name.startswith(MEDIA_PREFIX) or not member.isfile():
            continue
        name = _safe_name(member.name[len(MEDIA_PREFIX) :])
        stored = tar.extractfile(member)
        assert stored is not None
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(stored, name=name))
        if saved != name:
            raise BackupError(f"the storage renamed {name} to {saved}")
        files += 1
    return files


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"refusing a file name that leaves the media folder: {name!r}")
    return str(path)


def _restore_sqlite(dump: Path) -> None:
    """Copy the snapshot over the configured database with the backup API, page by page."""
    connections.close_all()
    target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=20)
    try:
        source = sqlite3.connect(str(dump))
        try:
            source.backup(target)
        finally:
            source.close()
    finally:
        target.close()
