"""The truth about a job. Every change of a job's state is a method here, and each one
appends a GenerationEvent, so a job's history, the audit log and the usage pages read rows.
"""

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import wording


class Status(models.TextChoices):
    WAITING = "waiting", "Waiting"
    SUBMITTED = "submitted", "Submitted"
    RENDERING = "rendering", "Rendering"
    SAVING = "saving", "Saving"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    UNCERTAIN = "uncertain", "Needs your check"


ACTIVE_STATUSES = [Status.WAITING, Status.SUBMITTED, Status.RENDERING, Status.SAVING]


class VideoModel(models.TextChoices):
    FAST = "veo3.1-fast", "Veo 3.1 Fast"
    STANDARD = "veo3.1", "Veo 3.1"


class Size(models.TextChoices):
    LANDSCAPE_720 = "1280x720", "Landscape 720p (1280×720)"
    PORTRAIT_720 = "720x1280", "Portrait 720p (720×1280)"
    LANDSCAPE_1080 = "1920x1080", "Landscape 1080p (1920×1080)"
    LANDSCAPE_4K = "3840x2160", "Landscape 4K (3840×2160)"


# Veo renders 1080p and 4K only as 8-second clips. The form and the page script read this.
EIGHT_SECONDS_ONLY = {Size.LANDSCAPE_1080, Size.LANDSCAPE_4K}


class Seconds(models.IntegerChoices):
    FOUR = 4, "4 seconds"
    SIX = 6, "6 seconds"
    EIGHT = 8, "8 seconds"


REPEAT_WINDOW = timedelta(seconds=30)


def _private_name(folder: str, extension: str) -> str:
    # Server-chosen names only: nothing a user sends ever becomes part of a path.
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


class GenerationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(owner=user)

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def overdue(self, grace_seconds: float):
        cutoff = timezone.now() - timedelta(seconds=grace_seconds)
        return self.active().filter(Q(next_action_at__lt=cutoff) | Q(next_action_at=None))

    def create_for(self, owner, request: dict, first_frame=None) -> tuple["Generation", bool]:
        """Start a job from a validated form, once: a double click, a second tab or
        back-and-resubmit finds the job the first post made. Returns (job, is_new)."""
        token = request.get("client_token") or uuid.uuid4()
        settings_sent = {key: request[key] for key in ("prompt", "model", "seconds", "size")}
        sha = first_frame.sha256 if first_frame else ""
        mine = self.for_user(owner)
        same_request = mine.filter(**settings_sent, first_frame_sha256=sha)
        repeat = (
            same_request.filter(client_token=token).first()
            or same_request.filter(created_at__gte=timezone.now() - REPEAT_WINDOW)
            .exclude(status=Status.FAILED)
            .first()
        )
        if repeat:
            return repeat, False
        if mine.filter(client_token=token).exclude(pk__in=same_request.values("pk")).exists():
            token = uuid.uuid4()  # went back and changed the form: that is a new video

        generation = Generation(
            owner=owner, client_token=token, first_frame_sha256=sha, **settings_sent
        )
        saved_files: list[str] = []
        try:
            if first_frame:
                saved_files.append(
                    default_storage.save(first_frame_name(), ContentFile(first_frame.image))
                )
                generation.first_frame.name = saved_files[-1]
                saved_files.append(
                    default_storage.save(thumbnail_name(), ContentFile(first_frame.thumbnail))
                )
                generation.first_frame_thumbnail.name = saved_files[-1]
            generation.start(actor=owner)
            with transaction.atomic():
                from billing.ledger import check_rate

                check_rate(owner, jobs=1)  # and saving reserves the money, or refuses
                generation.save(force_insert=True)
                generation.enqueue_next_step()
        except IntegrityError:
            _delete_files(saved_files)
            return mine.get(client_token=token), False
        except BaseException:
            _delete_files(saved_files)
            raise
        return generation, True

    def claim(self, pk) -> "Generation | None":
        """Take the job for one worker step if its next action is due and no live worker
        holds it. The lease is written with a conditional UPDATE, so two workers never act
        on one job at once."""
        now = timezone.now()
        current = self.filter(pk=pk).values_list("status", flat=True).first()
        if current not in ACTIVE_STATUSES:
            return None
        token = uuid.uuid4()
        taken = self.filter(pk=pk, status=current, next_action_at__lte=now).update(
            lease=token, next_action_at=now + timedelta(seconds=lease_seconds(current))
        )
        if not taken:
            return None
        return Generation.objects.get(pk=pk)

    def requeue_overdue(self, grace_seconds: float) -> list["Generation"]:
        """Jobs whose next action is overdue (their task was lost or their worker died),
        each taken with a compare-and-set so that several reconcilers re-enqueue a job once
        per grace period and a worker that merely lags behind is not buried in duplicates."""
        taken = []
        for generation in self.overdue(grace_seconds).only("pk", "next_action_at"):
            now = timezone.now()
            if self.filter(pk=generation.pk, next_action_at=generation.next_action_at).update(
                next_action_at=now
            ):
                generation.next_action_at = now
                taken.append(generation)
        return taken


def lease_seconds(status: str) -> float:
    call = settings.COMETAPI_CONNECT_TIMEOUT + settings.COMETAPI_READ_TIMEOUT
    if status == Status.WAITING:
        # A submit retaken too early would be marked uncertain; be generous.
        return call + 60
    return max(settings.WORKER_STEP_LEASE_SECONDS, settings.COMETAPI_READ_TIMEOUT + 10)


class Generation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    # Set by the form page so that a double click or a resubmitted form makes one job.
    client_token = models.UUIDField(null=True, blank=True, editable=False)

    prompt = models.TextField()
    model = models.CharField(max_length=32, choices=VideoModel, default=VideoModel.FAST)
    seconds = models.PositiveSmallIntegerField(choices=Seconds, default=Seconds.FOUR)
    size = models.CharField(max_length=16, choices=Size, default=Size.LANDSCAPE_720)
    first_frame = models.FileField(blank=True, editable=False)
    first_frame_thumbnail = models.FileField(blank=True, editable=False)
    first_frame_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    status = models.CharField(max_length=16, choices=Status, default=Status.WAITING)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    task_id = models.CharField("CometAPI task id", max_length=200, blank=True)
    video_url = models.TextField(blank=True, editable=False)
    failure_reason = models.TextField(blank=True)
    error_code = models.CharField(max_length=100, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField("completed upstream", null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    video = models.FileField(blank=True, editable=False)
    video_bytes = models.BigIntegerField(null=True, blank=True)
    video_duration = models.FloatField(null=True, blank=True)
    video_width = models.PositiveIntegerField(null=True, blank=True)
    video_height = models.PositiveIntegerField(null=True, blank=True)
    poster = models.FileField(blank=True, editable=False)

    # What the worker needs to resume after a crash.
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    deadline = models.DateTimeField(null=True, blank=True)
    submit_started_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    # Fields that only a person (or the form) sets. A worker step never writes them back,
    # so a person's change racing a step survives it. Every other field is the job's state.
    PERSON_FIELDS = frozenset(
        {
            "id",
            "owner",
            "client_token",
            "prompt",
            "model",
            "seconds",
            "size",
            "first_frame",
            "first_frame_thumbnail",
            "first_frame_sha256",
            "created_at",
        }
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "client_token"], name="one_generation_per_form_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prompt[:40]} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Saving a job and its pending events is one thing: both or neither.
            self._write_events()

    def get_absolute_url(self) -> str:
        return reverse("generations:detail", args=[self.pk])

    # --- what the pages show -------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def poll_version(self) -> int:
        """Changes whenever the job's row does: the page's poll asks only for what changed."""
        return int(self.updated_at.timestamp() * 1_000_000) if self.updated_at else 0

    @property
    def is_ready(self) -> bool:
        return self.status == Status.READY and bool(self.video)

    @property
    def orientation(self) -> str:
        return "portrait" if self.size == Size.PORTRAIT_720 else "landscape"

    @property
    def elapsed(self) -> timedelta:
        end = self.saved_at or (timezone.now() if self.is_active else self.updated_at)
        return max(end - self.created_at, timedelta(0))

    @property
    def elapsed_label(self) -> str:
        return wording.duration_label(self.elapsed)

    step_list = [
        (Status.WAITING, "Waiting"),
        (Status.SUBMITTED, "Submitted"),
        (Status.RENDERING, "Rendering"),
        (Status.SAVING, "Saving"),
        (Status.READY, "Ready"),
    ]

    @property
    def steps_done(self) -> list[str]:
        keys: list[str] = [key for key, _ in self.step_list]
        if self.status not in keys:
            return []
        return keys[: keys.index(self.status)]

    @property
    def status_sentence(self) -> str:
        return wording.status_sentence(self)

    @property
    def can_check_again(self) -> bool:
        if self.status == Status.TIMED_OUT:
            return True
        # Lost contact or a failed download: the paid video may still be waiting upstream.
        return (
            self.status == Status.FAILED
            and bool(self.task_id)
            and not self.error_code.startswith(("task:", "auth", "quota", "invalid"))
        )

    @property
    def can_submit_again(self) -> bool:
        return self.status in (Status.UNCERTAIN, Status.FAILED)

    @property
    def may_retry(self) -> bool:
        """The retry policy: a failed attempt is tried again until the attempts run out."""
        return self.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS

    def stored_files(self):
        fields = [self.video, self.poster, self.first_frame, self.first_frame_thumbnail]
        return [f for f in fields if f]

    @property
    def history(self):
        return self.events.order_by("created_at", "pk")

    # --- saving state and its history ---------------------------------------------

    @property
    def _pending_events(self) -> list["GenerationEvent"]:
        return self.__dict__.setdefault("_unsaved_events", [])

    def _record(
        self, kind: str, reason: str = "", *, actor=None, was: str | None = None, code: str = ""
    ) -> None:
        self._pending_events.append(
            GenerationEvent(
                generation_ref=self.pk,
                owner_id=self.owner_id,
                actor=actor,
                kind=kind,
                from_status=self.status if was is None else was,
                to_status=self.status,
                reason=reason[:500],
                code=code or (self.error_code if kind in FAILURE_KINDS else ""),
            )
        )

    def _write_events(self) -> None:
        events = self._pending_events
        for event in events:
            event.generation = self
        if events:
            from billing.ledger import on_events

            on_events(self, events)  # the money side, in this same transaction
        GenerationEvent.objects.bulk_create(events)
        events.clear()

    @classmethod
    def state_fields(cls) -> list[str]:
        """What a worker step may change: every concrete field but the person's and the lease."""
        return [
            field.name
            for field in cls._meta.concrete_fields
            if field.name not in cls.PERSON_FIELDS | {"lease", "updated_at"}
        ]

    def release(self) -> bool:
        """Write a step's outcome and its events if this worker still holds the lease;
        False (and nothing written) if another worker took the job over."""
        values = {}
        for name in self.state_fields():
            value = getattr(self, name)
            if isinstance(value, models.fields.files.FieldFile):
                value = value.name or ""
            values[name] = value
        with transaction.atomic():
            written = Generation.objects.filter(pk=self.pk, lease=self.lease).update(
                **values, lease=None, updated_at=timezone.now()
            )
            if written:
                self._write_events()
        self._pending_events.clear()
        return bool(written)

    def renew_lease(self) -> None:
        until = timezone.now() + timedelta(seconds=lease_seconds(self.status))
        Generation.objects.filter(pk=self.pk, lease=self.lease).update(next_action_at=until)

    def note_submit_started(self) -> None:
        """Written at once, before the create call: if the worker dies during the call, the
        next one knows a paid task may exist and never sends it again on its own."""
        self.submit_started_at = timezone.now()
        Generation.objects.filter(pk=self.pk, lease=self.lease).update(
            submit_started_at=self.submit_started_at
        )

    def enqueue_next_step(self) -> None:
        """Queue the job's next step once the surrounding transaction commits."""
        from .tasks import advance_generation

        pk, run_after = str(self.pk), self.next_action_at or timezone.now()

        def send():
            task = advance_generation
            if run_after > timezone.now():
                task = task.using(run_after=run_after)
            task.enqueue(pk)

        transaction.on_commit(send)

    # --- what a worker step does (in memory; `release` writes it) -------------------

    def schedule(self, delay: float = 0.0) -> None:
        self.next_action_at = timezone.now() + timedelta(seconds=delay)

    def start(self, actor=None) -> None:
        """A new job: waiting to be sent, with a fresh deadline."""
        self._begin()
        self._record(EventKind.CREATED, actor=actor or self.owner, was="")

    def _begin(self) -> None:
        self.status = Status.WAITING
        self.deadline = timezone.now() + timedelta(minutes=settings.COMETAPI_DEADLINE_MINUTES)
        self.attempts = 0
        self.schedule()

    def mark_submitted(self, task_id: str) -> None:
        was = self.status
        self.task_id = task_id
        self.status = Status.SUBMITTED
        self.submitted_at = timezone.now()
        self.attempts = 0
        self.progress = 0
        self.schedule(self.poll_interval())
        self._record(EventKind.SUBMITTED, f"CometAPI task {task_id}", was=was)

    def mark_progress(self, progress: int | None, started: bool) -> None:
        was = self.status
        if progress is not None:
            self.progress = max(progress, self.progress or 0)
        if started or (progress or 0) > 0:
            self.status = Status.RENDERING
        self.attempts = 0
        self.polls += 1
        self.schedule(self.poll_interval())
        if was != self.status:
            # Progress alone is not history: only the start of rendering is recorded.
            self._record(EventKind.RENDERING, was=was)

    def mark_rendered(self, video_url: str, completed_at=None) -> None:
        was = self.status
        self.status = Status.SAVING
        self.progress = 100
        self.video_url = video_url
        self.completed_at = completed_at or timezone.now()
        self.attempts = 0
        self.schedule()
        self._record(EventKind.RENDERED, was=was)

    def mark_saved(self, *, video_name, size, info, poster_name) -> None:
        was = self.status
        self.status = Status.READY
        self.video.name = video_name
        self.video_bytes = size
        self.video_duration = info.duration
        self.video_width = info.width
        self.video_height = info.height
        self.poster.name = poster_name
        self.saved_at = timezone.now()
        self.next_action_at = None
        self.failure_reason = ""
        self.error_code = ""
        self._record(EventKind.SAVED, was=was)

    def mark_failed(self, reason: str, code: str = "") -> None:
        was = self.status
        self.status = Status.FAILED
        self.failure_reason = reason
        self.error_code = code[:100]
        self.next_action_at = None
        self._record(EventKind.FAILED, reason, was=was)

    def mark_timed_out(self) -> None:
        was = self.status
        self.status = Status.TIMED_OUT
        self.failure_reason = wording.timed_out(timezone.now() - self.created_at)
        self.error_code = "timeout"
        self.next_action_at = None
        self._record(EventKind.TIMED_OUT, self.failure_reason, was=was)

    def mark_uncertain(self, code: str = "") -> None:
        was = self.status
        self.status = Status.UNCERTAIN
        self.failure_reason = wording.UNCERTAIN_SUBMISSION
        self.error_code = code[:100] or "uncertain"
        self.next_action_at = None
        self._record(EventKind.UNCERTAIN, self.failure_reason, was=was)

    def retry_later(self, delay: float, reason: str = "", code: str = "") -> None:
        self.attempts += 1
        self.schedule(delay)
        self._record(
            EventKind.RETRY, reason or f"Attempt {self.attempts} did not get through.", code=code
        )

    # --- what a person does (saved at once, under a row lock) -------------------------

    def check_again(self, actor=None) -> None:
        """Look once more at a job that timed out or lost contact."""
        was = self.status
        self.status = Status.RENDERING if self.task_id else Status.WAITING
        self.deadline = timezone.now() + timedelta(minutes=settings.COMETAPI_DEADLINE_MINUTES)
        self.failure_reason = ""
        self.error_code = ""
        self.attempts = 0
        self.schedule()
        self._record(EventKind.CHECKED_AGAIN, actor=actor, was=was)

    def submit_again(self, actor=None) -> None:
        """Send an uncertain or failed job once more: a new paid task at CometAPI."""
        self.task_id = ""
        self.submit_started_at = None
        self.submitted_at = None
        self.progress = None
        self.polls = 0
        self.failure_reason = ""
        self.error_code = ""
        self.video_url = ""
        was = self.status
        self._begin()
        self._record(EventKind.SENT_AGAIN, actor=actor, was=was)

    @property
    def can_cancel(self) -> bool:
        # Not yet handed to CometAPI: nothing can be billed.
        return self.status == Status.WAITING and self.submit_started_at is None

    @property
    def can_stop(self) -> bool:
        return self.is_active and not self.can_cancel and self.status != Status.SAVING

    def cancel(self, actor=None) -> None:
        was = self.status
        self.status = Status.FAILED
        self.failure_reason = wording.CANCELLED
        self.error_code = "cancelled"
        self.next_action_at = None
        self.lease = None  # a worker holding the job loses it and writes nothing
        self._record(EventKind.CANCELLED, actor=actor, was=was)

    def stop(self, actor=None) -> None:
        was = self.status
        self.status = Status.FAILED
        self.failure_reason = wording.STOPPED
        self.error_code = "stopped"
        self.next_action_at = None
        self.lease = None
        self._record(EventKind.STOPPED, actor=actor, was=was)

    def cancel_for(self, person) -> bool:
        """Cancel a job that is still waiting in the app; False once it is being sent."""
        with self._locked() as job:
            if not job.can_cancel:
                return False
            job.cancel(actor=person)
            job.save()
        return True

    def stop_for(self, person) -> bool:
        """Stop waiting for a job that CometAPI has (or may have) received."""
        with self._locked() as job:
            if not job.can_stop:
                return False
            job.stop(actor=person)
            job.save()
        return True

    def check_again_for(self, person) -> bool:
        """A person's "Check again"; False when the job no longer waits for a check."""
        with self._locked() as job:
            if not job.can_check_again:
                return False
            job.check_again(actor=person)
            job.save()
            job.enqueue_next_step()
        return True

    def submit_again_for(self, person) -> bool:
        """A person's "Try again" or "Send again"; False when the job is not in a state for it."""
        with self._locked() as job:
            if not job.can_submit_again:
                return False
            job.submit_again(actor=person)
            job.save()
            job.enqueue_next_step()
        return True

    def delete_for(self, person) -> bool:
        """Delete a finished job and its files; a job still being made cannot be deleted."""
        with self._locked() as job:
            if job.is_active:
                return False
            names = [f.name for f in job.stored_files()]
            job._record(EventKind.DELETED, actor=person)
            job._write_events()
            job.delete()
        _delete_files(names)  # only once the row is gone for good
        return True

    @contextmanager
    def _locked(self) -> Iterator["Generation"]:
        # A worker step may be writing this row: take the current row under a lock.
        with transaction.atomic():
            yield Generation.objects.select_for_update().get(pk=self.pk)

    # --- timing ------------------------------------------------------------------------

    def poll_interval(self) -> float:
        base = settings.COMETAPI_POLL_INTERVAL
        return min(base * (1.25 ** min(self.polls, 20)), max(base, 30.0))

    def backoff(self, retry_after: float | None = None) -> float:
        """Exponential backoff with full jitter; CometAPI's Retry-After wins when longer."""
        base = settings.COMETAPI_RETRY_BASE_SECONDS
        ceiling = min(base * (2 ** min(self.attempts, 10)), 600.0)
        delay = random.uniform(base, max(base, ceiling))
        if retry_after is not None:
            delay = max(delay, min(retry_after, 3600.0))
        return delay

    @property
    def past_deadline(self) -> bool:
        return self.deadline is not None and timezone.now() >= self.deadline


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    SUBMITTED = "submitted", "Sent to CometAPI"
    RENDERING = "rendering", "Rendering started"
    RENDERED = "rendered", "Rendered"
    SAVED = "saved", "Saved"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    UNCERTAIN = "uncertain", "Submission uncertain"
    RETRY = "retry", "Will try again"
    CHECKED_AGAIN = "checked_again", "Checked again"
    SENT_AGAIN = "sent_again", "Sent again"
    DELETED = "deleted", "Deleted"
    CANCELLED = "cancelled", "Cancelled before sending"
    STOPPED = "stopped", "Stopped waiting"


FAILURE_KINDS = {EventKind.FAILED, EventKind.TIMED_OUT, EventKind.UNCERTAIN}
# Events that carry CometAPI's latest word on a job (what the account banner reads).
OUTCOME_KINDS = [
    EventKind.SUBMITTED,
    EventKind.RENDERING,
    EventKind.RENDERED,
    EventKind.SAVED,
    *FAILURE_KINDS,
]


class GenerationEvent(models.Model):
    """One thing that happened to a job (the idea of healthchecks' Flip).

    Events outlive their job: deleting a job keeps its events (the link becomes empty,
    `generation_ref` keeps its id) because the audit log and the month's spend must still
    add up after a video is gone. They go only when their owner's account is deleted.
    """

    generation = models.ForeignKey(
        Generation, null=True, on_delete=models.SET_NULL, related_name="events"
    )
    generation_ref = models.UUIDField(db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Empty for the worker.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=EventKind)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=100, blank=True)
    # What the event did to the bill, in dollars; filled by the cost ledger.
    amount = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.from_status} → {self.to_status})"

    @property
    def by_worker(self) -> bool:
        return self.actor_id is None


def latest_account_problem() -> str:
    """The last answer CometAPI gave about the studio's key or credit, read from the newest
    outcome event (the primary key's index finds it without sorting the table)."""
    code = (
        GenerationEvent.objects.filter(kind__in=OUTCOME_KINDS)
        .order_by("-pk")
        .values_list("code", flat=True)
        .first()
    )
    return wording.account_problem(code or "")


class WorkerHeartbeat(models.Model):
    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def first_frame_name() -> str:
    return _private_name("first-frames", "jpg")


def thumbnail_name() -> str:
    return _private_name("thumbnails", "jpg")


def video_name() -> str:
    return _private_name("videos", "mp4")


def poster_name() -> str:
    return _private_name("posters", "jpg")
