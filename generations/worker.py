"""The worker: a loop over the Generation rows whose next action is due, and its steps
(submit, poll once, download). Each step is small, idempotent and safe to be killed between
any two lines; the Generation row says where a job stands, and it is the only queue.

A step first claims its job (`Generation.objects.claim_next`, a lease that also moves its
next action to the lease's end), changes it through the model's `mark_*` methods, and
writes the outcome with `Generation.release` only while it still holds that lease. A worker
that dies holding a job simply lets the lease run out: the row is due again and the next
worker to look takes it. Every state change, and its event, is in models.py.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from generations import slots
from lib import storage
from lib.cometapi import CometAPIClient, CometAPIError, DownloadLimits
from lib.video import NotAVideo, looks_like_mp4, poster_jpeg, probe_mp4

from . import notifications, wording
from .models import Generation, Status, WorkerHeartbeat, lease_seconds, poster_name, video_name

log = logging.getLogger(__name__)

# Work of the apps above this one for the same loop, tried when no job step was due (the
# sequences' shots waiting for the shot before them, and their exports). Each returns True
# when it did something; they register in their AppConfig.ready(), so nothing here imports
# them (layers).
EXTRA_STEPS: list[Callable[[], bool]] = []

MAX_VIDEO_BYTES = 2 * 1024**3
PARTIAL_DOWNLOAD_MAX_AGE = timedelta(minutes=10)
# Waits after a database error: 1, 2, 4 … seconds, never more than this.
DATABASE_WAIT_MAX_SECONDS = 30.0
# The database busy, locked or out of reach, as opposed to a query of ours that is wrong.
DATABASE_AWAY = (OperationalError, InterfaceError)


def get_client() -> CometAPIClient:
    return CometAPIClient(
        settings.COMETAPI_BASE_URL,
        settings.COMETAPI_KEY or "demo",
        connect_timeout=settings.COMETAPI_CONNECT_TIMEOUT,
        read_timeout=settings.COMETAPI_READ_TIMEOUT,
    )


def advance(pk, client: CometAPIClient | None = None) -> str | None:
    """Run whichever step this job needs now. Returns the status it left, or None if the
    job was not due or another worker holds it."""
    generation = Generation.objects.claim(pk)
    if generation is None:
        return None
    return _run_step(generation, client or get_client())


def advance_next(client: CometAPIClient | None = None) -> str | None:
    """Claim the job that has been due longest and run its step. Returns the status it
    left, or None when nothing is due."""
    generation = Generation.objects.claim_next()
    if generation is None:
        return None
    return _run_step(generation, client or get_client())


def _run_step(generation: Generation, client: CometAPIClient) -> str:
    lease_ends = time.monotonic() + lease_seconds(generation.status)
    before = generation.status
    try:
        if generation.status == Status.WAITING:
            submit(generation, client)
        elif generation.status in (Status.SUBMITTED, Status.RENDERING):
            poll(generation, client)
        elif generation.status == Status.SAVING:
            download(generation, client)
    except DATABASE_AWAY:
        # The database, not the job: leave the row as it is, as a killed worker would. Its
        # lease runs out and the step is taken again once the database answers.
        raise
    except Exception:
        # A bug or an outage of our own must not spin forever or lose the job silently.
        log.exception("generation %s: step failed unexpectedly", generation.pk)
        if generation.submit_started_at and not generation.task_id:
            generation.mark_uncertain("internal")
        elif generation.may_retry:
            generation.retry_later(generation.backoff(), "Something went wrong on our side.")
        else:
            generation.mark_failed(wording.INTERNAL_FAILURE, "internal")
    if not _release(generation, lease_ends):
        log.warning("generation %s: lease lost, outcome of this step dropped", generation.pk)
    elif generation.status != before and not generation.is_active:
        _tell_owner(generation)
    return generation.status


def _tell_owner(generation: Generation) -> None:
    """The owner's inbox says the video is ready or failed. A lost line is no lost job:
    the outcome is written already, so a failure here is only logged."""
    try:
        notifications.tell_job_ended(generation)
    except DATABASE_AWAY:
        log.warning("generation %s: could not tell its owner it ended", generation.pk)


def _release(generation: Generation, lease_ends: float) -> bool:
    """Write the step's outcome, waiting out a busy database while the lease lasts: the
    outcome may be a paid task's id, which only this worker knows. Written late is safe,
    as the write is conditional on the lease: once another worker holds it, nothing is."""
    waited = 0
    while True:
        try:
            return generation.release()
        except DATABASE_AWAY as error:
            if time.monotonic() >= lease_ends:
                raise
            delay = _database_wait(waited, error)
            waited += 1
            time.sleep(min(delay, max(lease_ends - time.monotonic(), 0.1)))


# --- the three steps -------------------------------------------------------------------


def submit(generation: Generation, client: CometAPIClient) -> None:
    if generation.submit_started_at is not None:
        # A previous attempt began sending and never recorded an answer: it may have
        # created a paid task. Only a person may decide to send it again.
        log.warning("generation %s: earlier submit was interrupted", generation.pk)
        generation.mark_uncertain("interrupted")
        return
    if not slots.admit(generation):  # over a concurrency limit: wait here, unpaid
        return
    image = None
    if generation.first_frame:
        with generation.first_frame.open("rb") as handle:
            image = handle.read()
    try:
        task = client.create(
            model=generation.model,
            prompt=generation.prompt,
            seconds=generation.seconds,
            size=generation.size,
            image=image,
        )
    except CometAPIError as error:
        _log_error(generation, "submit", error)
        if error.maybe_accepted:
            generation.mark_uncertain(error.code_for_record)
        elif error.retryable and generation.may_retry:
            generation.submit_started_at = None  # CometAPI said no: nothing was created
            generation.retry_later(
                generation.backoff(error.retry_after),
                wording.cometapi_refusal(error),
                error.code_for_record,
            )
        else:
            generation.mark_failed(wording.cometapi_refusal(error), error.code_for_record)
        return
    log.info("generation %s: submitted as %s", generation.pk, task.id)
    generation.mark_submitted(task.id)


def poll(generation: Generation, client: CometAPIClient) -> None:
    if generation.past_deadline:
        generation.mark_timed_out()
        return
    try:
        task = client.retrieve(generation.task_id)
    except CometAPIError as error:
        _log_error(generation, "poll", error)
        # A task created a moment ago may not be visible everywhere yet: 404 is retried too.
        transient = error.retryable or error.kind == "not_found"
        reason = wording.cometapi_refusal(error)
        if transient and generation.may_retry:
            generation.retry_later(
                generation.backoff(error.retry_after), reason, error.code_for_record
            )
        elif transient:
            generation.mark_failed(reason + wording.STILL_RENDERING_HINT, error.code_for_record)
        else:
            generation.mark_failed(reason, error.code_for_record)
        return
    if task.is_completed:
        completed = None
        if task.completed_at:
            completed = datetime.fromtimestamp(task.completed_at, tz=UTC)
        generation.mark_rendered(task.video_url, completed)
    elif task.is_failed:
        generation.mark_failed(wording.task_failure(task), f"task:{task.status}:{task.error_code}")
    else:
        generation.mark_progress(task.progress, started=task.status == "in_progress")
        if generation.past_deadline:
            generation.mark_timed_out()


def download(generation: Generation, client: CometAPIClient) -> None:
    sources = []
    if generation.video_url:
        sources.append(("video_url", generation.video_url, False))
    sources.append(("content", client.content_url(generation.task_id), True))
    last_error: Exception | None = None
    for label, url, with_key in sources:
        try:
            _store_video(generation, client, url, with_key)
            return
        except (CometAPIError, NotAVideo) as error:
            log.warning("generation %s: download from %s failed: %s", generation.pk, label, error)
            last_error = error
        except OSError as error:
            # Disk full or unwritable storage: not the video's fault. Keep the job
            # recoverable and try again later; an admin must look at the disk.
            log.error("generation %s: could not write the video: %s", generation.pk, error)
            generation.retry_later(
                min(generation.backoff(), 300.0), "We could not write the video to storage."
            )
            generation.failure_reason = ""
            return
    code = getattr(last_error, "code_for_record", "") or "download:not_video"
    if generation.may_retry:
        generation.retry_later(
            generation.backoff(), "The download did not give a valid video.", code
        )
        return
    generation.mark_failed(wording.DOWNLOAD_FAILED, code)


def _store_video(generation: Generation, client: CometAPIClient, url: str, with_key: bool):
    partial_dir = Path(settings.WORKER_SCRATCH_DIR)
    partial_dir.mkdir(parents=True, exist_ok=True)
    partial = partial_dir / f"{uuid.uuid4().hex}.part"
    stored: list[str] = []
    try:
        size = _stream_to_file(generation, client, url, with_key, partial)
        with open(partial, "rb") as handle:
            head = handle.read(16)
        if not looks_like_mp4(head):
            raise NotAVideo(f"not an MP4 (starts with {head[:12]!r})")
        info = probe_mp4(partial)
        poster = poster_jpeg(partial)
        with open(partial, "rb") as handle:
            stored.append(default_storage.save(video_name(), storage.finished_file(handle)))
        stored.append(default_storage.save(poster_name(), ContentFile(poster)))
        generation.mark_saved(video_name=stored[0], size=size, info=info, poster_name=stored[1])
        stored.clear()
    finally:
        partial.unlink(missing_ok=True)
        for name in stored:  # a half-finished save leaves nothing behind
            default_storage.delete(name)


def _stream_to_file(generation, client, url, with_key, path: Path) -> int:
    total = 0
    renewed = time.monotonic()
    limits = DownloadLimits(
        max_seconds=settings.COMETAPI_DOWNLOAD_MAX_SECONDS,
        min_bytes_per_second=settings.COMETAPI_DOWNLOAD_MIN_KBPS * 1024,
        max_bytes=MAX_VIDEO_BYTES,
        deadline=generation.deadline.timestamp() if generation.deadline else None,
    )
    with open(path, "wb") as handle:
        for chunk in client.stream_video(url, with_key=with_key, limits=limits):
            total += len(chunk)
            if total > MAX_VIDEO_BYTES:
                raise NotAVideo("download larger than 2 GB")
            handle.write(chunk)
            if time.monotonic() - renewed > 10:
                generation.renew_lease()
                beat()  # a long download must not look like a dead worker
                renewed = time.monotonic()
        handle.flush()
        os.fsync(handle.fileno())
    if total == 0:
        raise NotAVideo("empty download")
    return total


# --- the loop ----------------------------------------------------------------------------


def run(stop: threading.Event, interval: float = 0.5, name: str | None = None) -> None:
    """The worker process: due steps one after another, sleeping `interval` when nothing is
    due, and every HOUSEKEEPING_INTERVAL_SECONDS the heartbeat and the tidying. It returns
    only when `stop` is set: a busy, locked or briefly absent database makes it wait and
    go on, as does any other error in a pass (logged with its traceback)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    tidy_at = 0.0
    waited = 0
    while not stop.is_set():
        busy = False
        try:
            if time.monotonic() >= tidy_at:
                tidy_at = time.monotonic() + settings.HOUSEKEEPING_INTERVAL_SECONDS
                beat(name)
                tidy()
            busy = advance_next() is not None
            if not busy:
                busy = any([extra() for extra in EXTRA_STEPS])
            waited = 0
        except DatabaseError as error:
            _forget_connections()
            stop.wait(_database_wait(waited, error))
            waited += 1
            continue
        except Exception:
            log.exception("worker pass failed; going on")
        try:
            close_old_connections()  # as after a web request: CONN_MAX_AGE, broken ones
        except DatabaseError:
            _forget_connections()
        if not busy:
            stop.wait(interval)


def _database_wait(waited: int, error: Exception) -> float:
    """How long to wait after the `waited`-th database error in a row, logged in a line."""
    delay = min(2.0**waited, DATABASE_WAIT_MAX_SECONDS)
    reason = (str(error).strip() or type(error).__name__).splitlines()[0][:200]
    log.warning("database busy or unreachable (%s); trying again in %.0f s", reason, delay)
    return delay


def _forget_connections() -> None:
    # A connection that failed may be broken (PostgreSQL restarted): the next query opens
    # a new one. Closing may fail the same way; then there is nothing left to close.
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            pass


def tidy() -> None:
    """The periodic work beside the steps: wake waiting jobs whose slot has freed (in case
    the wake-up at the moment it freed was lost), remove downloads abandoned by a killed
    worker, and purge the Trash."""
    slots.dispatch()
    _discard_abandoned_partials()
    purged = Generation.objects.purge_trash(timedelta(days=settings.TRASH_KEEP_DAYS))
    if purged:
        log.info("purged %d videos from the Trash", purged)
    if settings.EMAIL_HOST_CONFIGURED:
        # The inbox's mail (instant lines and the daily digests that are due), by name: the
        # inbox app sits above this one (.importlinter).
        call_command("send_digests")


def _discard_abandoned_partials() -> None:
    partial_dir = Path(settings.WORKER_SCRATCH_DIR)
    if not partial_dir.is_dir():
        return
    cutoff = time.time() - PARTIAL_DOWNLOAD_MAX_AGE.total_seconds()
    for path in partial_dir.glob("*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def beat(name: str | None = None) -> None:
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def _log_error(generation: Generation, step: str, error: CometAPIError) -> None:
    level = logging.WARNING if error.retryable else logging.ERROR
    log.log(
        level,
        "generation %s: %s failed: %s (%s, status %s) body starts %r",
        generation.pk,
        step,
        error.message,
        error.kind,
        error.status,
        error.body_start[:120],
    )
