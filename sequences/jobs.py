"""The sequences' work in the worker's loop (registered in apps.py, run by generations.worker
when no job step is due): starting a planned shot once the video it continues is ready, and
exporting a sequence as one MP4.

An export is its own row queue, as the jobs are: a worker claims a queued export (or one
whose worker died: its lease ran out) with a conditional UPDATE, renews the lease as it
goes, and writes the outcome only while it still holds it. The file is built in the
worker's scratch folder and stored only once whole: a failed export leaves no file.
"""

import logging
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from generations import worker
from lib import storage
from lib.frames import FrameError
from lib.stitch import BadShot, Plan, stitch

from .frames import continuation_frame
from .models import FPS, Export, ExportStatus, Shot, ShotState

log = logging.getLogger(__name__)

EXPORT_LEASE = timedelta(seconds=90)
SCRATCH_KEEP = timedelta(hours=6)


# --- planned shots that wait for the shot before them -------------------------------------


def start_waiting_shots() -> bool:
    """Start each waiting shot whose video to continue is ready (its last frame becomes the
    shot's first, its cost was held with the plan), or give it up when that video can no
    longer come (its cost released). True when something changed."""
    changed = False
    waiting = Shot.objects.filter(state=ShotState.WAITING).values_list("pk", flat=True)
    for pk in list(waiting[:20]):
        changed |= start_waiting(pk)
    return changed


def start_waiting(pk) -> bool:
    shot = (
        Shot.objects.select_related("sequence", "after__generation", "planned_by")
        .filter(pk=pk, state=ShotState.WAITING)
        .first()
    )
    if shot is None:
        return False
    before = shot.after
    if before is not None and before.state == ShotState.WAITING:
        return False  # a chain: the shot before waits for its own
    source = shot.waits_on
    if source is not None and source.is_active:
        return False
    if source is None or not source.is_ready or shot.planned_by is None:
        return _give_up(
            shot,
            "The shot before it was not made, so this one was not started; "
            "nothing was charged for it. Generate it again when the shot before "
            "has its video.",
        )
    try:
        frame = continuation_frame(source, shot.sequence.size)
    except (FrameError, ValidationError) as error:
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return _give_up(
            shot,
            f"Its first frame could not be taken from the shot before: "
            f"{reason} Nothing was charged for it.",
        )
    with transaction.atomic():
        if not Shot.objects.select_for_update().filter(pk=pk, state=ShotState.WAITING).exists():
            return False  # removed, or started by another worker meanwhile
        shot.start(shot.planned_by, frame, continues=source, reserved=True)
    log.info("sequence %s: shot %s started from the end of %s", shot.sequence_id, pk, source.pk)
    return True


def _give_up(shot: Shot, note: str) -> bool:
    with transaction.atomic():
        locked = Shot.objects.select_for_update().filter(pk=shot.pk, state=ShotState.WAITING)
        if not locked.exists():
            return False
        shot.give_up(note)
        shot.sequence.changed()
    return True


# --- exports -----------------------------------------------------------------------------


class LeaseLost(Exception):
    pass


def _claimable(now):
    return Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, lease_until__lt=now)


_exporting: threading.Thread | None = None


def export_in_background() -> bool:
    """The worker loop's step: an export takes minutes, so it runs in a thread of its own
    (one at a time per worker process) while the loop goes on with the jobs' steps. A
    worker killed mid-export lets the lease run out; the next worker starts it again."""
    global _exporting
    if _exporting is not None and _exporting.is_alive():
        return False
    claimed = claim_export()
    if claimed is None:
        return False

    def run() -> None:
        try:
            run_export(*claimed)
        finally:
            connection.close()

    _exporting = threading.Thread(target=run, name="sequence-export", daemon=True)
    _exporting.start()
    return True


def export_next() -> bool:
    """Claim the oldest export to do and run it whole, here. True when one ran."""
    claimed = claim_export()
    if claimed is None:
        return False
    run_export(*claimed)
    return True


def claim_export() -> tuple[int, uuid.UUID] | None:
    now = timezone.now()
    for pk in list(Export.objects.filter(_claimable(now)).order_by("pk").values_list("pk")[:5]):
        lease = uuid.uuid4()
        taken = Export.objects.filter(_claimable(now), pk=pk[0]).update(
            status=ExportStatus.RUNNING, lease=lease, lease_until=now + EXPORT_LEASE, progress=0
        )
        if taken:
            return pk[0], lease
    return None


def run_export(pk, lease) -> None:
    export = Export.objects.select_related("sequence").get(pk=pk)
    sequence = export.sequence
    shots = list(sequence.ordered_shots())
    # The export shows the sequence as it is now: that is the version it stands for.
    Export.objects.filter(pk=pk, lease=lease).update(
        version=sequence.version,
        transition=sequence.transition,
        size=sequence.size,
        videos=[str(shot.generation_id) for shot in shots if shot.generation_id],
    )
    problem = sequence.export_problem(None)
    if problem:
        _finish(pk, lease, status=ExportStatus.FAILED, error=problem)
        return
    scratch = _scratch_dir() / f"{uuid.uuid4().hex}.mp4"
    width, height = sequence.frame_size
    plan = Plan(width, height, FPS, sequence.crossfade)
    written = {"at": time.monotonic()}

    def progress(done: int, total: int) -> None:
        if time.monotonic() - written["at"] < 0.5 and done < total:
            return
        written["at"] = time.monotonic()
        percent = min(99, int(100 * done / max(total, 1)))
        kept = Export.objects.filter(pk=pk, lease=lease).update(
            progress=percent, lease_until=timezone.now() + EXPORT_LEASE
        )
        if not kept:
            raise LeaseLost()
        worker.beat()  # a long export must not look like a dead worker

    sources = [_opener(shot.generation.video.name) for shot in shots if shot.generation]
    stored = ""
    try:
        duration = stitch(sources, str(scratch), plan, progress)
        size = scratch.stat().st_size
        with open(scratch, "rb") as handle:
            stored = default_storage.save(
                f"exports/{uuid.uuid4().hex}.mp4", storage.finished_file(handle)
            )
        if _finish(
            pk,
            lease,
            status=ExportStatus.READY,
            file=stored,
            file_bytes=size,
            duration=duration,
            progress=100,
        ):
            stored = ""  # kept: it is the export's now
            _drop_older(export)
    except BadShot as bad:
        shot = shots[bad.index]
        log.warning("export %s: shot %s unreadable: %s", pk, bad.index + 1, bad.reason)
        _finish(
            pk,
            lease,
            status=ExportStatus.FAILED,
            error=(
                f"Shot {bad.index + 1} (“{shot.label[:60]}”) could not be read: its video file is "
                "missing or damaged. Remove or replace that shot, then export again."
            ),
        )
    except LeaseLost:
        log.warning("export %s: lease lost; another worker took it over", pk)
    except Exception:
        log.exception("export %s failed unexpectedly", pk)
        _finish(
            pk,
            lease,
            status=ExportStatus.FAILED,
            error="Something went wrong on our side while exporting. Please try again.",
        )
    finally:
        scratch.unlink(missing_ok=True)
        if stored:
            default_storage.delete(stored)


def _finish(pk, lease, **values) -> bool:
    return bool(
        Export.objects.filter(pk=pk, lease=lease).update(
            **values, lease=None, lease_until=None, finished_at=timezone.now()
        )
    )


def _drop_older(export: Export) -> None:
    """A new export replaces the older ones of the sequence, files and all."""
    older = list(
        Export.objects.filter(sequence_id=export.sequence_id, pk__lt=export.pk).exclude(
            status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
        )
    )
    for old in older:
        name = old.file.name
        old.delete()
        if name:
            default_storage.delete(name)


def _opener(name: str):
    def open_shot():
        if storage.is_local():
            path = default_storage.path(name)
            if not Path(path).is_file():
                raise FileNotFoundError("the video file is missing")
            return path
        return default_storage.open(name, "rb")

    return open_shot


def _scratch_dir() -> Path:
    folder = Path(settings.WORKER_SCRATCH_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - SCRATCH_KEEP.total_seconds()
    for path in folder.glob("*.mp4"):  # left by a worker killed mid-export
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass
    return folder
