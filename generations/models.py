import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


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


# Veo renders 1080p and 4K only as 8-second clips.
EIGHT_SECONDS_ONLY = {Size.LANDSCAPE_1080, Size.LANDSCAPE_4K}


class Seconds(models.IntegerChoices):
    FOUR = 4, "4 seconds"
    SIX = 6, "6 seconds"
    EIGHT = 8, "8 seconds"


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

    def get_absolute_url(self) -> str:
        return reverse("generations:detail", args=[self.pk])

    # --- what the pages show -------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

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
        seconds = int(self.elapsed.total_seconds())
        if seconds < 60:
            return f"{seconds} s"
        return f"{seconds // 60} min {seconds % 60:02d} s"

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
        if self.status == Status.WAITING:
            return "Waiting to be sent to Veo…"
        if self.status == Status.SUBMITTED:
            return "Sent to Veo. Waiting for rendering to start…"
        if self.status == Status.RENDERING:
            return "Veo is rendering your video…"
        if self.status == Status.SAVING:
            return "Rendering finished. Saving the video…"
        if self.status == Status.READY:
            return "Ready."
        return self.failure_reason or self.get_status_display()

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

    def stored_files(self):
        fields = [self.video, self.poster, self.first_frame, self.first_frame_thumbnail]
        return [f for f in fields if f]

    # --- state changes used by the worker and the views ----------------------------

    def schedule(self, delay: float = 0.0) -> None:
        self.next_action_at = timezone.now() + timedelta(seconds=delay)

    def start(self) -> None:
        self.status = Status.WAITING
        self.deadline = timezone.now() + timedelta(minutes=settings.COMETAPI_DEADLINE_MINUTES)
        self.attempts = 0
        self.schedule()

    def mark_submitted(self, task_id: str) -> None:
        self.task_id = task_id
        self.status = Status.SUBMITTED
        self.submitted_at = timezone.now()
        self.attempts = 0
        self.progress = 0
        self.schedule(self.poll_interval())

    def mark_progress(self, progress: int | None, started: bool) -> None:
        if progress is not None:
            self.progress = max(progress, self.progress or 0)
        if started or (progress or 0) > 0:
            self.status = Status.RENDERING
        self.attempts = 0
        self.polls += 1
        self.schedule(self.poll_interval())

    def mark_rendered(self, video_url: str, completed_at=None) -> None:
        self.status = Status.SAVING
        self.progress = 100
        self.video_url = video_url
        self.completed_at = completed_at or timezone.now()
        self.attempts = 0
        self.schedule()

    def mark_saved(self, *, video_name, size, info, poster_name) -> None:
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

    def mark_failed(self, reason: str, code: str = "") -> None:
        self.status = Status.FAILED
        self.failure_reason = reason
        self.error_code = code[:100]
        self.next_action_at = None

    def mark_timed_out(self) -> None:
        minutes = round((timezone.now() - self.created_at).total_seconds() / 60)
        self.status = Status.TIMED_OUT
        self.failure_reason = (
            f"Timed out after {max(minutes, 1)} minute{'s' if minutes != 1 else ''}: "
            "Veo had not finished. You can check once more."
        )
        self.error_code = "timeout"
        self.next_action_at = None

    def mark_uncertain(self, code: str = "") -> None:
        self.status = Status.UNCERTAIN
        self.failure_reason = (
            "Submission uncertain — check before retrying. We lost contact with CometAPI "
            "while sending this job, so it may or may not have started (and may be billed). "
            "We did not resend it, so you are never charged twice."
        )
        self.error_code = code[:100] or "uncertain"
        self.next_action_at = None

    def retry_later(self, delay: float) -> None:
        self.attempts += 1
        self.schedule(delay)

    def check_again(self) -> None:
        """A user asked to look once more at a job that timed out."""
        self.status = Status.RENDERING if self.task_id else Status.WAITING
        self.deadline = timezone.now() + timedelta(minutes=settings.COMETAPI_DEADLINE_MINUTES)
        self.failure_reason = ""
        self.error_code = ""
        self.attempts = 0
        self.schedule()

    def submit_again(self) -> None:
        """A user confirmed that an uncertain or failed job should be sent once more."""
        self.task_id = ""
        self.submit_started_at = None
        self.submitted_at = None
        self.progress = None
        self.polls = 0
        self.failure_reason = ""
        self.error_code = ""
        self.video_url = ""
        self.start()

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


class WorkerHeartbeat(models.Model):
    name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


def first_frame_name() -> str:
    return _private_name("first-frames", "jpg")


def thumbnail_name() -> str:
    return _private_name("thumbnails", "jpg")


def video_name() -> str:
    return _private_name("videos", "mp4")


def poster_name() -> str:
    return _private_name("posters", "jpg")
