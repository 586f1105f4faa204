"""The worker's steps: submit, poll once, download. Each is small, idempotent and safe
to be killed between any two lines; the Generation row says where a job stands.

A step first *claims* its job with a conditional UPDATE (a lease), so two workers never
act on one job at once, and writes its outcome only while it still holds that lease.
"""

import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from . import storage
from .cometapi import CometAPIClient, CometAPIError
from .models import (
    ACTIVE_STATUSES,
    Generation,
    Status,
    WorkerHeartbeat,
    poster_name,
    video_name,
)
from .video import NotAVideo, looks_like_mp4, poster_jpeg, probe_mp4

log = logging.getLogger(__name__)

MAX_VIDEO_BYTES = 2 * 1024**3
PARTIAL_DOWNLOAD_MAX_AGE = timedelta(minutes=10)
ABANDONED_TASK_AGE = timedelta(hours=6)
FINISHED_TASK_KEEP = timedelta(days=7)

# Everything a step may change, written back in one conditional UPDATE.
STATE_FIELDS = [
    "status",
    "progress",
    "task_id",
    "video_url",
    "failure_reason",
    "error_code",
    "submitted_at",
    "completed_at",
    "saved_at",
    "video",
    "video_bytes",
    "video_duration",
    "video_width",
    "video_height",
    "poster",
    "next_action_at",
    "attempts",
    "polls",
    "deadline",
    "submit_started_at",
]


def get_client() -> CometAPIClient:
    return CometAPIClient(
        settings.COMETAPI_BASE_URL,
        settings.COMETAPI_KEY or "demo",
        connect_timeout=settings.COMETAPI_CONNECT_TIMEOUT,
        read_timeout=settings.COMETAPI_READ_TIMEOUT,
    )


def lease_seconds(status: str) -> float:
    call = settings.COMETAPI_CONNECT_TIMEOUT + settings.COMETAPI_READ_TIMEOUT
    if status == Status.WAITING:
        # A submit retaken too early would be marked uncertain; be generous.
        return call + 60
    return max(settings.WORKER_STEP_LEASE_SECONDS, settings.COMETAPI_READ_TIMEOUT + 10)


def claim(pk) -> Generation | None:
    """Take the job if its next action is due and no live worker holds it."""
    now = timezone.now()
    current = Generation.objects.filter(pk=pk).values_list("status", flat=True).first()
    if current not in ACTIVE_STATUSES:
        return None
    token = uuid.uuid4()
    taken = Generation.objects.filter(pk=pk, status=current, next_action_at__lte=now).update(
        lease=token, next_action_at=now + timedelta(seconds=lease_seconds(current))
    )
    if not taken:
        return None
    return Generation.objects.get(pk=pk)


def release(generation: Generation) -> bool:
    """Write the step's outcome if we still hold the lease; False if another worker took over."""
    values = {name: getattr(generation, name) for name in STATE_FIELDS}
    for name in ("video", "poster"):
        values[name] = values[name].name or ""
    written = Generation.objects.filter(pk=generation.pk, lease=generation.lease).update(
        **values, lease=None, updated_at=timezone.now()
    )
    if not written:
        log.warning("generation %s: lease lost, outcome of this step dropped", generation.pk)
    return bool(written)


def advance(pk, client: CometAPIClient | None = None) -> str | None:
    """Run whichever step the job needs now. Returns the status it left, or None if not due."""
    generation = claim(pk)
    if generation is None:
        return None
    client = client or get_client()
    try:
        if generation.status == Status.WAITING:
            submit(generation, client)
        elif generation.status in (Status.SUBMITTED, Status.RENDERING):
            poll(generation, client)
        elif generation.status == Status.SAVING:
            download(generation, client)
    except Exception:
        # A bug or an outage of our own must not spin forever or lose the job silently.
        log.exception("generation %s: step failed unexpectedly", generation.pk)
        if generation.submit_started_at and not generation.task_id:
            generation.mark_uncertain("internal")
        elif generation.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS:
            generation.retry_later(generation.backoff())
        else:
            generation.mark_failed(
                "Something went wrong on our side while handling this video. "
                "An admin has the details in the logs.",
                "internal",
            )
    if release(generation) and generation.is_active:
        enqueue(generation)
    return generation.status


def enqueue(generation: Generation) -> None:
    from .tasks import advance_generation

    run_after = generation.next_action_at or timezone.now()

    def send():
        task = advance_generation
        if run_after > timezone.now():
            task = task.using(run_after=run_after)
        task.enqueue(str(generation.pk))

    transaction.on_commit(send)


# --- the three steps -------------------------------------------------------------------


def submit(generation: Generation, client: CometAPIClient) -> None:
    if generation.submit_started_at is not None:
        # A previous attempt began sending and never recorded an answer: it may have
        # created a paid task. Only a person may decide to send it again.
        log.warning("generation %s: earlier submit was interrupted", generation.pk)
        generation.mark_uncertain("interrupted")
        return
    generation.submit_started_at = timezone.now()
    Generation.objects.filter(pk=generation.pk, lease=generation.lease).update(
        submit_started_at=generation.submit_started_at
    )
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
        elif error.retryable and generation.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS:
            generation.submit_started_at = None  # CometAPI said no: nothing was created
            generation.retry_later(generation.backoff(error.retry_after))
        else:
            generation.mark_failed(human_reason(error), error.code_for_record)
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
        if transient and generation.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS:
            generation.retry_later(generation.backoff(error.retry_after))
        elif transient:
            generation.mark_failed(
                human_reason(error) + " Your video may still be rendering: "
                "use “Check again” in a few minutes.",
                error.code_for_record,
            )
        else:
            generation.mark_failed(human_reason(error), error.code_for_record)
        return
    if task.is_completed:
        completed = None
        if task.completed_at:
            completed = datetime.fromtimestamp(task.completed_at, tz=UTC)
        generation.mark_rendered(task.video_url, completed)
    elif task.is_failed:
        generation.mark_failed(task_failure_reason(task), f"task:{task.status}:{task.error_code}")
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
            generation.retry_later(min(generation.backoff(), 300.0))
            generation.failure_reason = ""
            return
    if generation.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS:
        generation.retry_later(generation.backoff())
        return
    code = getattr(last_error, "code_for_record", "") or "download:not_video"
    generation.mark_failed(
        "Veo finished the video, but we could not download a valid copy from CometAPI. "
        "Use “Check again” to try once more.",
        code,
    )


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
    with open(path, "wb") as handle:
        for chunk in client.stream_video(url, with_key=with_key):
            total += len(chunk)
            if total > MAX_VIDEO_BYTES:
                raise NotAVideo("download larger than 2 GB")
            handle.write(chunk)
            if time.monotonic() - renewed > 10:
                _renew_lease(generation)
                renewed = time.monotonic()
        handle.flush()
        os.fsync(handle.fileno())
    if total == 0:
        raise NotAVideo("empty download")
    return total


def _renew_lease(generation: Generation) -> None:
    until = timezone.now() + timedelta(seconds=lease_seconds(generation.status))
    Generation.objects.filter(pk=generation.pk, lease=generation.lease).update(next_action_at=until)


# --- recovery ----------------------------------------------------------------------------


def reconcile(grace_seconds: float = 10.0) -> int:
    """Re-enqueue every job whose next action is overdue: its task was lost or its worker died."""
    count = 0
    for generation in Generation.objects.overdue(grace_seconds).only("pk", "next_action_at"):
        # Compare-and-set, so that several reconcilers re-enqueue a job once per grace period
        # and a worker that merely lags behind is not buried under duplicate tasks.
        now = timezone.now()
        taken = Generation.objects.filter(
            pk=generation.pk, next_action_at=generation.next_action_at
        ).update(next_action_at=now)
        if not taken:
            continue
        generation.next_action_at = now
        log.info("generation %s: overdue, re-enqueued", generation.pk)
        enqueue(generation)
        count += 1
    _discard_abandoned_partials()
    _tidy_queue()
    return count


def _tidy_queue() -> None:
    """A worker killed mid-task leaves its queue row RUNNING forever (django-tasks issue #46).
    The job itself was already recovered above; this only keeps the queue table honest."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    DBTaskResult.objects.filter(status="RUNNING", started_at__lt=now - ABANDONED_TASK_AGE).update(
        status="FAILED", finished_at=now
    )
    # Finished queue rows carry nothing the Generation row does not; keep a week for debugging.
    DBTaskResult.objects.filter(
        status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=now - FINISHED_TASK_KEEP
    ).delete()


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


# --- words for people ----------------------------------------------------------------


def human_reason(error: CometAPIError) -> str:
    if error.kind == "auth":
        return "The studio's API key was rejected — ask an admin to check it."
    if error.kind == "quota":
        return "Out of CometAPI credit — ask an admin to top up the account."
    if error.kind == "invalid":
        return f"CometAPI refused this request: {error.message}"
    if error.kind == "forbidden":
        return f"CometAPI blocked this request: {error.message}"
    if error.kind == "unexpected":
        return (
            "CometAPI answered something unexpected. An admin should check the "
            "studio's CometAPI address."
        )
    if error.kind == "not_found":
        return "CometAPI no longer knows this job."
    if error.kind == "rate_limited":
        return "CometAPI stayed too busy to take this job after several tries."
    if error.kind == "server":
        return "CometAPI kept having server problems after several tries."
    return "CometAPI could not be reached after several tries."


def task_failure_reason(task) -> str:
    if task.status in ("cancelled", "canceled"):
        return "The job was cancelled at CometAPI."
    if task.error_message:
        return f"Veo could not make this video: {task.error_message}"
    return "Veo could not make this video, and CometAPI gave no reason."


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
