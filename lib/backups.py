"""One archive holds the whole studio: a consistent copy of the database and every file its
videos name. `manage.py backup` writes it while the app runs; `manage.py restore` puts it back
into a fresh install (any storage backend: local folder or S3 bucket).

Layout of the archive (a tar file, gzip-compressed when its name ends in .gz), readable by
its owner only (0600): it holds password hashes.
    veostudio-backup.json   what is inside: format, database kind, and each file's size and
                            SHA-256
    database.sqlite3        SQLite's online backup of the live database, or
    database.pgdump         pg_dump's custom format
    media/<name>            each file a job names (first frame, thumbnail, video, poster),
                            or a preset (its first frame), under the name the database uses
Sessions are left out: a restored studio asks everyone to sign in again.

An archive is data from outside until proven otherwise. Restore never joins a name from the
archive onto a folder: it checks every member against what a backup holds (a regular file,
an expected name, the manifest's size and checksum), rebuilds each media name from the
studio's own layout, and only then replaces the database and writes files.
"""

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection, connections

FORMAT = 2
READABLE_FORMATS = (1, 2)  # format 1: no checksums, every stored file, no file list
MANIFEST = "veostudio-backup.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA_PREFIX = "media/"
SESSION_TABLE = "django_session"
CHUNK = 1024 * 1024

# The table whose rows name every stored file, read straight from a copy of the database,
# and where each of a job's files lives: its column, then the folder and extension the
# model's name functions use (generations.models.video_name() and friends). The archive's
# layout is the studio's, so they are written here; a test keeps them in step with the model.
FILE_TABLE = "generations_generation"
FILE_COLUMNS = {
    "first_frame": ("first-frames", "jpg"),
    "first_frame_thumbnail": ("thumbnails", "jpg"),
    "video": ("videos", "mp4"),
    "poster": ("posters", "jpg"),
}
LAYOUT = {folder: extension for folder, extension in FILE_COLUMNS.values()}
# Other tables whose rows name files in the same folders (a preset's first frame), read when
# the database has them, so an archive made before they existed still restores.
OTHER_FILE_TABLES = {"prompts_preset": ("first_frame", "first_frame_thumbnail")}
_NAME = re.compile(r"(?P<folder>[a-z-]{1,32})/(?P<hex>[0-9a-f]{32})\.(?P<ext>[a-z0-9]{1,8})")
# Form state that lives for hours (a picture kept while a New-video form is fixed): older
# archives carried it; it is never restored.
TRANSIENT = re.compile(r"(kept-frames/[0-9a-f]{32}\.jpg|health/[0-9a-f]{32})")


class BackupError(Exception):
    """Something a person must fix; the message says what."""


def database_kind() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def stored_name(text: object, folder: str | None = None) -> str | None:
    """The studio's own name for a stored file, rebuilt from its parts, or None when `text`
    is not one (another folder, a path, a `..`, a name a person chose)."""
    match = _NAME.fullmatch(text) if isinstance(text, str) else None
    if match is None or LAYOUT.get(match["folder"]) != match["ext"]:
        return None
    if folder is not None and match["folder"] != folder:
        return None
    return f"{match['folder']}/{uuid.UUID(hex=match['hex']).hex}.{LAYOUT[match['folder']]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# --- writing -------------------------------------------------------------------------------


def write_backup(archive: Path, say: Callable[[str], None] = print) -> dict:
    """Database first, then the files its rows name: every one of them already existed."""
    kind = database_kind()
    archive = archive.resolve()
    if archive.exists():
        raise BackupError(f"{archive} already exists; choose another name")
    archive.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="veostudio-backup-") as tmp:
        dump = Path(tmp) / DATABASE_MEMBER[kind]
        if kind == "sqlite":
            _sqlite_online_backup(dump)
            names = _names_in_sqlite(dump)
        else:
            _pg_dump(dump)
            names = _names_in_live_database()
        say(f"database copied ({kind}, {dump.stat().st_size:,} bytes, sessions left out)")
        # mkstemp creates the file 0600 whatever the umask: nobody else may read it, even
        # while it is being written.
        handle, partial_name = tempfile.mkstemp(
            dir=archive.parent, prefix=f".{archive.name}.", suffix=".partial"
        )
        partial = Path(partial_name)
        try:
            with os.fdopen(handle, "wb") as raw:
                compressed = archive.name.endswith((".gz", ".tgz"))
                opened = tarfile.open(fileobj=raw, mode="w:gz" if compressed else "w")
                with opened as tar:
                    manifest = write_archive(tar, kind, dump, names, default_storage)
            _publish(partial, archive)
        finally:
            partial.unlink(missing_ok=True)
    say(f"{manifest['files']} stored file(s), {manifest['file_bytes']:,} bytes")
    return manifest


def write_archive(
    tar: tarfile.TarFile, kind: str, dump: Path, names: list[tuple[str, str]], storage: Storage
) -> dict:
    """The database copy, each file `names` lists ((column, name) pairs), and the manifest
    describing them all."""
    _add_file(tar, DATABASE_MEMBER[kind], dump)
    files = add_stored_files(tar, storage, names, dump.parent)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": kind,
        "database_file": DATABASE_MEMBER[kind],
        "database_bytes": dump.stat().st_size,
        "database_sha256": _sha256(dump),
        "files": len(files),
        "file_bytes": sum(file["bytes"] for file in files),
        "stored_files": files,
    }
    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest


def _publish(partial: Path, archive: Path) -> None:
    try:
        os.link(partial, archive)  # unlike a rename, never replaces an archive
    except FileExistsError:
        raise BackupError(f"{archive} already exists; choose another name") from None
    except OSError:  # a file system without hard links
        if archive.exists():
            raise BackupError(f"{archive} already exists; choose another name") from None
        os.replace(partial, archive)


def _sqlite_online_backup(target: Path) -> None:
    """SQLite's backup API: a consistent copy while the web server and worker write; then
    the copy's sessions are wiped so no live login leaves the machine."""
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=20)
    try:
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # one step: a single read snapshot, writers go on (WAL)
            _forget_sessions(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _forget_sessions(database: sqlite3.Connection) -> None:
    tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    if SESSION_TABLE in tables:
        database.execute("PRAGMA secure_delete = ON")  # zero the freed pages as well
        database.execute(f"DELETE FROM {SESSION_TABLE}")
        database.commit()
        database.execute("VACUUM")


def _file_columns_query(tables: Iterable[str]) -> str:
    """Every stored file's name, as rows of FILE_COLUMNS (NULL where a table lacks one)."""
    quote = connection.ops.quote_name
    parts = [f"SELECT {', '.join(map(quote, FILE_COLUMNS))} FROM {quote(FILE_TABLE)}"]
    present = set(tables)
    for table, columns in OTHER_FILE_TABLES.items():
        if table in present:
            picked = [quote(c) if c in columns else "NULL" for c in FILE_COLUMNS]
            parts.append(f"SELECT {', '.join(picked)} FROM {quote(table)}")
    return " UNION ALL ".join(parts)


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _names_in_sqlite(database: Path) -> list[tuple[str, str]]:
    """(column, name) for every file a job names in this SQLite file, read-only."""
    db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(_file_columns_query(_sqlite_tables(db))).fetchall()
    finally:
        db.close()
    return _pair_with_columns(rows)


def _names_in_live_database() -> list[tuple[str, str]]:
    # Read after pg_dump finished: a job created since then may add a file its row in the
    # dump lacks (restore writes it anyway, unreferenced); a deleted one's file is skipped.
    with connection.cursor() as cursor:
        cursor.execute(_file_columns_query(connection.introspection.table_names(cursor)))
        return _pair_with_columns(cursor.fetchall())


def _pair_with_columns(rows: Iterable[tuple]) -> list[tuple[str, str]]:
    return [
        (column, value)
        for row in rows
        for column, value in zip(FILE_COLUMNS, row, strict=True)
        if value
    ]


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
    # One snapshot of the whole database; --no-owner so it restores under another role;
    # the sessions' table without its rows (live logins stay on this machine).
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-acl"]
    _run([*command, f"--exclude-table-data={SESSION_TABLE}", f"--file={target}"], "pg_dump")


def _pg_restore(dump: Path) -> None:
    database = _pg_environment().get("PGDATABASE", "")
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl"]
    _run([*command, "--single-transaction", f"--dbname={database}", str(dump)], "pg_restore")


def add_stored_files(
    tar: tarfile.TarFile, storage: Storage, names: list[tuple[str, str]], scratch: Path
) -> list[dict]:
    """Each file the rows name into the archive under media/, with its size and checksum."""
    files: list[dict] = []
    seen: set[str] = set()
    for column, name in names:
        if name in seen:
            continue
        seen.add(name)
        if stored_name(name, FILE_COLUMNS[column][0]) != name:
            raise BackupError(f"a job names a stored file outside the studio's folders: {name!r}")
        copy = scratch / "stored-file"
        try:
            with storage.open(name, "rb") as source, open(copy, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        except FileNotFoundError:
            continue  # deleted since the database was copied: its row is gone too
        # From a local copy: size and checksum describe exactly the bytes archived.
        _add_file(tar, MEDIA_PREFIX + name, copy)
        files.append({"name": name, "bytes": copy.stat().st_size, "sha256": _sha256(copy)})
        copy.unlink()
    return files


def _add_file(tar: tarfile.TarFile, arcname: str, path: Path) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = path.stat().st_size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    with open(path, "rb") as handle:
        tar.addfile(info, handle)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- checking an archive -------------------------------------------------------------------


@dataclass
class Expected:
    """A member the archive must hold: where it goes and what it must be."""

    member: str
    bytes: int | None = None
    sha256: str | None = None
    name: str = ""  # the storage name, rebuilt by us; empty for the database
    staged: Path | None = None


@dataclass
class CheckedArchive:
    manifest: dict
    database: Path
    files: list[Expected]
    skipped: list[str]
    missing: int = 0


def _refuse(reason: str) -> BackupError:
    return BackupError(f"{reason}; nothing was changed")


def read_manifest(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> dict:
    member = members.get(MANIFEST)
    if member is None:
        raise BackupError("this is not a VeoStudio backup (no veostudio-backup.json)")
    if not member.isreg() or member.size > 16 * 1024 * 1024:
        raise _refuse("the archive's veostudio-backup.json is not a plain file of a sane size")
    handle = tar.extractfile(member)
    assert handle is not None
    try:
        manifest = json.loads(handle.read())
    except ValueError:
        raise _refuse("the archive's veostudio-backup.json is not readable JSON") from None
    if not isinstance(manifest, dict):
        raise _refuse("the archive's veostudio-backup.json is not a VeoStudio manifest")
    if manifest.get("format") not in READABLE_FORMATS:
        raise _refuse(f"unknown backup format {manifest.get('format')!r}")
    if manifest.get("database") not in DATABASE_MEMBER:
        raise _refuse(f"unknown database kind {manifest.get('database')!r}")
    return manifest


def _expected_files(manifest: dict, members: dict[str, tarfile.TarInfo]) -> list[Expected]:
    """The media members this archive must hold, each name rebuilt from the layout."""
    if manifest["format"] == 1:
        # No list was written: every media member must be one of the studio's own names.
        names = [m[len(MEDIA_PREFIX) :] for m in members if m.startswith(MEDIA_PREFIX)]
        found = []
        for text in names:
            name = stored_name(text)
            if name is None and TRANSIENT.fullmatch(text):
                continue
            if name is None:
                raise _refuse(f"the archive holds a file outside the studio's folders: {text!r}")
            found.append(Expected(MEDIA_PREFIX + name, name=name))
        return found
    listed = manifest.get("stored_files")
    if not isinstance(listed, list):
        raise _refuse("the archive's manifest has no list of stored files")
    found = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise _refuse("the archive's manifest lists a stored file it does not describe")
        name = stored_name(entry.get("name"))
        size, digest = entry.get("bytes"), entry.get("sha256")
        if name is None:
            raise _refuse(
                f"the archive names a file outside the studio's folders: {entry.get('name')!r}"
            )
        if not isinstance(size, int) or size < 0 or not _is_sha256(digest):
            raise _refuse(f"the archive's manifest gives no size or checksum for {name}")
        found.append(Expected(MEDIA_PREFIX + name, bytes=size, sha256=digest, name=name))
    if len({e.name for e in found}) != len(found):
        raise _refuse("the archive's manifest lists a stored file twice")
    return found


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _check_members(
    tar: tarfile.TarFile, expected: dict[str, Expected], transient: set[str]
) -> dict[str, tarfile.TarInfo]:
    members: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        if member.name in members:
            raise _refuse(f"the archive holds {member.name!r} twice")
        members[member.name] = member
        if not member.isreg() or member.issparse():
            what = "a link" if member.issym() or member.islnk() else "not a plain file"
            raise _refuse(f"the archive's {member.name!r} is {what}; a backup holds plain files")
        if member.name == MANIFEST or member.name in transient:
            continue
        want = expected.get(member.name)
        if want is None:
            raise _refuse(
                f"the archive holds {member.name!r}, which a VeoStudio backup never holds"
            )
        if want.bytes is not None and member.size != want.bytes:
            raise _refuse(f"the archive's {member.name!r} is not the size its manifest gives")
    absent = [name for name in expected if name not in members]
    if absent:
        raise _refuse(f"the archive lacks {absent[0]!r}, which its manifest lists")
    return members


def check_archive(tar: tarfile.TarFile, kind: str, staging: Path) -> CheckedArchive:
    """Read and check the whole archive into `staging` (ours, private) before anything is
    replaced: every member expected, a plain file of the right size and checksum."""
    headers: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        headers.setdefault(member.name, member)
    manifest = read_manifest(tar, headers)
    if manifest["database"] != kind:
        raise BackupError(
            f"this backup holds a {manifest['database']} database; this install uses {kind}"
        )
    database = Expected(DATABASE_MEMBER[kind])
    if manifest.get("database_file", database.member) != database.member:
        raise _refuse(f"the archive names its database {manifest['database_file']!r}")
    if manifest["format"] >= 2:
        database.bytes = manifest.get("database_bytes")
        database.sha256 = manifest.get("database_sha256")
        if not isinstance(database.bytes, int) or not _is_sha256(database.sha256):
            raise _refuse("the archive's manifest gives no size or checksum for the database")
    files = _expected_files(manifest, headers)
    expected = {e.member: e for e in [database, *files]}
    transient = set()
    if manifest["format"] == 1:
        transient = {m for m in headers if m.startswith(MEDIA_PREFIX)} - set(expected)
    _check_members(tar, expected, transient)

    for number, want in enumerate([database, *files]):
        want.staged = staging / ("database" if number == 0 else f"file-{number}")
        source = tar.extractfile(want.member)
        assert source is not None  # a regular file, checked above
        digest = hashlib.sha256()
        with source, open(want.staged, "wb") as target:
            while block := source.read(CHUNK):
                digest.update(block)
                target.write(block)
        if want.sha256 is not None and digest.hexdigest() != want.sha256:
            raise _refuse(f"the archive's {want.member!r} is damaged (its checksum differs)")
    assert database.staged is not None
    return CheckedArchive(manifest, database.staged, files, skipped=sorted(transient))


def _check_sqlite_database(checked: CheckedArchive) -> None:
    """The SQLite file is sound, and the files its jobs name are exactly the studio's own:
    media go back only under the names the restored rows use, nothing else."""
    try:
        db = sqlite3.connect(f"{checked.database.as_uri()}?mode=ro", uri=True)
        try:
            (verdict,) = db.execute("PRAGMA quick_check").fetchone()
            rows = db.execute(_file_columns_query(_sqlite_tables(db))).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise _refuse(f"the archive's database cannot be read ({error})") from None
    if verdict != "ok":
        raise _refuse(f"the archive's database is damaged ({verdict})")
    named = set()
    for column, value in _pair_with_columns(rows):
        name = stored_name(value, FILE_COLUMNS[column][0])
        if name is None or name != value:
            raise _refuse(
                f"the archive's database names a file outside the studio's folders: {value!r}"
            )
        named.add(name)
    extra = [e for e in checked.files if e.name not in named]
    if extra and checked.manifest["format"] >= 2:
        raise _refuse(f"the archive holds {extra[0].member!r}, which no video in it names")
    checked.skipped += [e.member for e in extra]
    checked.files = [e for e in checked.files if e.name in named]
    checked.missing = len(named - {e.name for e in checked.files})


def _forget_sessions_in(path: Path) -> None:
    db = sqlite3.connect(str(path))
    try:
        _forget_sessions(db)
    finally:
        db.close()


def _check_destination(storage: Storage, files: list[Expected]) -> None:
    if not isinstance(storage, FileSystemStorage):
        return  # a bucket has keys, not paths; the rebuilt names are all it gets
    root = os.path.normpath(os.path.abspath(storage.location))
    for file in files:
        target = os.path.normpath(os.path.abspath(storage.path(file.name)))
        if os.path.commonpath([root, target]) != root:
            raise _refuse(f"{file.name} would land outside the media folder")


# --- restoring -----------------------------------------------------------------------------


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
    """Check the whole archive first; then replace the database and write the files."""
    kind = database_kind()
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    if not force and not install_is_empty():
        raise BackupError(
            "this install already has users; restore into a fresh install "
            "(or pass --force to replace everything)"
        )
    try:
        tar = tarfile.open(archive, "r:*")
    except tarfile.TarError as error:
        raise BackupError(f"{archive} is not a readable archive: {error}") from None
    # mkdtemp: a folder only we may read; every name inside it is ours.
    with tar, tempfile.TemporaryDirectory(prefix="veostudio-restore-") as tmp:
        try:
            checked = check_archive(tar, kind, Path(tmp))
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise _refuse(f"{archive} is damaged or cut short ({error})") from None
        except OSError as error:  # the temporary folder is full, most likely
            raise _refuse(f"could not unpack {archive} to check it ({error})") from None
        if kind == "sqlite":
            _check_sqlite_database(checked)
            _forget_sessions_in(checked.database)
        _check_destination(default_storage, checked.files)
        say(
            f"archive checked ({len(checked.files)} file(s), written {checked.manifest.get('created_at')})"
        )

        if kind == "sqlite":
            _restore_sqlite(checked.database)
        else:
            _pg_restore(checked.database)
            _forget_sessions_after_restore()
        say(f"database restored ({kind}); everyone signs in again")
        restore_stored_files(checked.files, default_storage)
    say(f"{len(checked.files)} stored file(s) restored")
    if checked.skipped:
        say(f"{len(checked.skipped)} file(s) no video names were left out")
    if checked.missing:
        say(f"{checked.missing} file(s) the database names were not in the archive")
    return checked.manifest


def restore_stored_files(files: list[Expected], storage: Storage) -> int:
    """Write each checked file from the staging folder under its rebuilt name."""
    for file in files:
        assert file.staged is not None
        if storage.exists(file.name):
            storage.delete(file.name)
        with open(file.staged, "rb") as handle:
            saved = storage.save(file.name, File(handle, name=file.name))
        if saved != file.name:
            raise BackupError(f"the storage renamed {file.name} to {saved}")
    return len(files)


def _forget_sessions_after_restore() -> None:
    # Archives from before sessions were left out still carry them.
    if SESSION_TABLE in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SESSION_TABLE}")


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
