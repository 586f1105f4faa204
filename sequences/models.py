"""A sequence: shots in order (ready videos and planned ones) that play and export as one.

Who sees a sequence follows generations/access.py: a sequence in a project is the
project's (everyone who sees the project sees and edits it); a personal one is its maker's
alone (sequences/access.py). Every change of the shots moves `version`, so an export made
before says it is out of date.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import F, Max
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from billing import ledger
from generations.access import visible_generations, watcher, watches
from generations.models import (
    SENDS,
    Generation,
    GenerationEvent,
    Project,
    Seconds,
    Size,
    Status,
    VideoModel,
)
from generations.wording import slug
from lib.frames import FrameError
from veo.catalogue import EIGHT_SECONDS_ONLY, size_name

CROSSFADE_SECONDS = 0.5
FPS = 24
MAX_SHOTS = 40


class Transition(models.TextChoices):
    CUT = "cut", "Hard cuts"
    CROSSFADE = "crossfade", f"Crossfades ({CROSSFADE_SECONDS} s)"


class PlanRefused(Exception):
    """The plan cannot be generated as it stands; `message` says why, for the page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Sequence(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sequences"
    )
    # None: personal (its owner's alone). Else the project's people see and edit it.
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="sequences"
    )
    title = models.CharField(max_length=120)
    size = models.CharField("format", max_length=16, choices=Size, default=Size.LANDSCAPE_720)
    transition = models.CharField(max_length=16, choices=Transition, default=Transition.CUT)
    # Moves with every change an export would show: the shots, their order, the cuts.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sequences:detail", kwargs={"sequence_pk": self.pk})

    @property
    def frame_size(self) -> tuple[int, int]:
        width, height = self.size.split("x")
        return int(width), int(height)

    @property
    def crossfade(self) -> float:
        return CROSSFADE_SECONDS if self.transition == Transition.CROSSFADE else 0.0

    @property
    def format_name(self) -> str:
        return size_name(self.size)

    def ordered_shots(self):
        return self.shots.select_related("generation").order_by("position", "pk")

    def changed(self) -> None:
        Sequence.objects.filter(pk=self.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        self.refresh_from_db(fields=["version", "updated_at"])

    # --- the shots --------------------------------------------------------------------

    def _next_position(self) -> int:
        top = self.shots.aggregate(top=Max("position"))["top"]
        return 0 if top is None else top + 1

    def add_video(self, generation: Generation) -> "Shot":
        """A ready video at the end. The caller has checked that the person may see it and
        that it may be in this sequence (`accepts`)."""
        with transaction.atomic():
            shot = Shot.objects.create(
                sequence=self, position=self._next_position(), generation=generation
            )
            self.changed()
        return shot

    def add_jobs(self, person, generations: list[Generation]) -> list["Shot"]:
        """Videos still being made (a batch's, in its rows' order) at the end, as shots that
        fill in when each video is ready, as a generated plan's shots do. In the caller's
        transaction; the caller has checked that `person` may edit this sequence and that
        the videos go where its people see them (its project)."""
        with transaction.atomic():
            start = self._next_position()
            shots = Shot.objects.bulk_create(
                Shot(
                    sequence=self,
                    position=start + offset,
                    generation=generation,
                    state=ShotState.MADE,
                    planned_by=person,
                )
                for offset, generation in enumerate(generations)
            )
            self.changed()
        return shots

    def accepts(self, generation: Generation) -> bool:
        """A video whose audience is the sequence's: a project sequence takes the project's
        videos only, so that its page and export show nobody a video kept from them."""
        if generation.trashed_at is not None or not generation.is_ready:
            return False
        if self.project_id is None:
            return watches(watcher(self.owner), generation)
        return generation.project_id == self.project_id

    def plan_shot(self, *, prompt: str, model: str, seconds: int, continues: bool) -> "Shot":
        with transaction.atomic():
            shot = Shot.objects.create(
                sequence=self,
                position=self._next_position(),
                prompt=prompt,
                model=model,
                seconds=8 if self.size in EIGHT_SECONDS_ONLY else seconds,
                continues_previous=continues,
                state=ShotState.PLANNED,
            )
            self.changed()
        return shot

    def move(self, shot: "Shot", offset: int) -> bool:
        """Swap the shot with its neighbour `offset` (-1 up, +1 down) places away."""
        shots = list(self.ordered_shots())
        index = next((i for i, s in enumerate(shots) if s.pk == shot.pk), None)
        if index is None or not 0 <= index + offset < len(shots):
            return False
        shots[index], shots[index + offset] = shots[index + offset], shots[index]
        self._renumber(shots)
        return True

    def reorder(self, pks: list[int]) -> bool:
        """The order a drag left: every shot's id once, else nothing changes."""
        shots = {shot.pk: shot for shot in self.shots.all()}
        if sorted(pks) != sorted(shots):
            return False
        self._renumber([shots[pk] for pk in pks])
        return True

    def _renumber(self, shots: list["Shot"]) -> None:
        with transaction.atomic():
            for position, shot in enumerate(shots):
                if shot.position != position:
                    Shot.objects.filter(pk=shot.pk).update(position=position)
            self.changed()

    def remove(self, shot: "Shot") -> None:
        """Take a shot out; a planned shot whose cost was held releases it (nothing was
        made of it). A video started from the plan is the person's, and stays theirs."""
        with transaction.atomic():
            shot = Shot.objects.select_for_update().get(pk=shot.pk)
            if shot.state == ShotState.WAITING:
                ledger.release(shot.job_ref, reason="not_created", actor=None)
            shot.delete()
            self.changed()

    def set_transition(self, transition: str) -> None:
        if transition != self.transition:
            self.transition = transition
            self.save(update_fields=["transition", "updated_at"])
            self.changed()

    # --- prices and the plan --------------------------------------------------------------

    def planned_shots(self) -> list["Shot"]:
        return [shot for shot in self.ordered_shots() if shot.state == ShotState.PLANNED]

    def plan_price(self) -> Decimal:
        return sum((shot.estimate.amount for shot in self.planned_shots()), Decimal("0"))

    def generate_planned(self, person) -> int:
        """Start every planned shot, its cost reserved as a whole against every cap in one
        transaction: a plan over a cap (or over the per-minute limit) starts nothing, and
        billing's CapExceeded or TooFast comes through. A shot that continues one not yet
        made holds its cost now and waits (`jobs.start_waiting_shots`). Returns how many
        shots were planned."""
        from .frames import continuation_frame

        saved: list[Generation] = []
        try:
            with transaction.atomic(), ledger.holding(person):
                # Only the shots are locked (`of`): PostgreSQL refuses to lock the nullable
                # side of the outer join to their videos.
                shots = list(self.ordered_shots().select_for_update(of=("self",)))
                planned = [s for s in shots if s.state == ShotState.PLANNED]
                if not planned:
                    return 0

                def sends_since(when) -> int:
                    return GenerationEvent.objects.filter(
                        owner_id=person.pk, kind__in=SENDS, created_at__gte=when
                    ).count()

                ledger.check_rate(person, sends_since, jobs=len(planned))
                for index, shot in enumerate(shots):
                    if shot.state != ShotState.PLANNED:
                        continue
                    before = shots[index - 1] if index else None
                    if not shot.continues_previous:
                        saved.append(shot.start(person))
                        continue
                    if before is None:
                        raise PlanRefused(
                            f"Shot {index + 1} continues the shot before it, but it is the "
                            "first. Untick “Continue the previous shot” or move it. "
                            "Nothing was started."
                        )
                    shot.after = before
                    source = before.generation
                    if source is not None and source.is_ready:
                        try:
                            frame = continuation_frame(source, self.size)
                        except (FrameError, ValidationError) as error:
                            raise PlanRefused(
                                f"Shot {index + 1} cannot start from the end of shot {index}: "
                                f"{_sentence(error)} Nothing was started."
                            ) from error
                        saved.append(shot.start(person, frame, continues=source))
                    elif before.state == ShotState.WAITING or (
                        source is not None and source.is_active
                    ):
                        shot.hold(person)
                    else:
                        raise PlanRefused(
                            f"Shot {index + 1} continues shot {index}, which has no video "
                            "to continue. Remove or replace that shot. Nothing was started."
                        )
                self.changed()
        except BaseException:
            for generation in saved:  # the rows went with the transaction; the files too
                for stored in generation.stored_files():
                    if stored.name:
                        default_storage.delete(stored.name)
            raise
        return len(planned)

    # --- exports ----------------------------------------------------------------------

    def latest_export(self) -> "Export | None":
        return self.exports.order_by("-pk").first()

    def export_problem(self, viewer) -> str:
        """Why the sequence cannot be exported now, or "" when it can."""
        shots = list(self.ordered_shots())
        if not shots:
            return "Add a shot first: there is nothing to export yet."
        for number, shot in enumerate(shots, 1):
            generation = shot.generation
            if generation is None or not generation.is_ready:
                return f"Shot {number} is not made yet. Export once every shot has its video."
            if not self.accepts(generation):
                return (
                    f"Shot {number} is no longer a video this sequence's people may watch "
                    "(moved out of the project, unshared or in the Trash). Remove it to "
                    "export."
                )
        return ""

    def request_export(self, person) -> "Export":
        return Export.objects.create(
            sequence=self,
            requested_by=person,
            version=self.version,
            transition=self.transition,
            size=self.size,
        )

    def delete_with_files(self) -> None:
        names = [e.file.name for e in self.exports.all() if e.file.name]
        with transaction.atomic():
            for shot in self.shots.filter(state=ShotState.WAITING):
                ledger.release(shot.job_ref, reason="not_created", actor=None)
            self.delete()
        for name in names:
            default_storage.delete(name)


class ShotState(models.TextChoices):
    PLANNED = "planned", "Planned"
    WAITING = "waiting", "Waits for the shot before"
    MADE = "made", "Made"


class Shot(models.Model):
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="shots")
    position = models.PositiveIntegerField(default=0)
    # The shot's video: chosen, or started from the plan. Empty while planned or waiting
    # (or once the video was deleted for good).
    generation = models.ForeignKey(
        Generation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Indexed: the worker's loop asks for the waiting shots whenever it is idle.
    state = models.CharField(
        max_length=16, choices=ShotState, default=ShotState.MADE, db_index=True
    )
    # A planned shot's settings (its format is the sequence's).
    prompt = models.TextField(blank=True)
    model = models.CharField(max_length=32, choices=VideoModel, default=VideoModel.FAST)
    seconds = models.PositiveSmallIntegerField(choices=Seconds, default=Seconds.EIGHT)
    continues_previous = models.BooleanField(default=False)
    # Fixed when the plan is generated: the shot whose last frame starts this one.
    after = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The job the shot becomes: its cost is held under this id while it waits.
    job_ref = models.UUIDField(default=uuid.uuid4, editable=False)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.generation is not None:
            return self.generation.display_title
        return self.prompt[:60] or "Continues the previous shot"

    @property
    def is_planned(self) -> bool:
        return self.state == ShotState.PLANNED

    @property
    def estimate(self) -> ledger.Estimate:
        return ledger.estimate(self.model, self.sequence.size, self.seconds)

    @property
    def duration(self) -> float | None:
        if self.generation is not None and self.generation.is_ready:
            return self.generation.video_duration
        return None

    def _request(self) -> dict:
        return {
            "prompt": self.prompt,
            "model": self.model,
            "seconds": self.seconds,
            "size": self.sequence.size,
            "project": self.sequence.project,
        }

    def start(self, person, frame=None, *, continues=None, reserved=False) -> Generation:
        """The planned shot becomes a job (in the plan's or the waiting shot's transaction)."""
        generation = Generation.objects.create_planned(
            person,
            self.job_ref,
            self._request(),
            frame,
            reserved=reserved,
            continues=continues,
            continues_at=continues.video_duration if continues is not None else None,
        )
        self.generation = generation
        self.state = ShotState.MADE
        self.planned_by = person
        self.note = ""
        self.save(update_fields=["generation", "state", "planned_by", "note", "after"])
        return generation

    def hold(self, person) -> None:
        """Reserve the cost now, under the caps, and wait for the shot before."""
        ledger.reserve(
            ledger.Job(person, self.job_ref, self.model, self.sequence.size, self.seconds),
            reason="created",
            actor=person,
        )
        self.state = ShotState.WAITING
        self.planned_by = person
        self.note = ""
        self.save(update_fields=["state", "planned_by", "note", "after"])

    def give_up(self, note: str) -> None:
        """The shot before can no longer give a video: release the held cost, plan again."""
        ledger.release(self.job_ref, reason="not_created", actor=None)
        self.state = ShotState.PLANNED
        self.job_ref = uuid.uuid4()  # a new plan holds under a new id
        self.after = None
        self.note = note[:300]
        self.save(update_fields=["state", "job_ref", "after", "note"])

    @property
    def waits_on(self) -> Generation | None:
        if self.after is None:
            return None
        return self.after.generation


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Exporting"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Export(models.Model):
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=ExportStatus, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField()
    transition = models.CharField(max_length=16, choices=Transition)
    size = models.CharField(max_length=16, choices=Size)
    file = models.FileField(blank=True, editable=False)
    file_bytes = models.BigIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # The videos the file holds (ids as text): only who may watch every one of them may
    # watch the export, whatever became of the sequence since.
    videos = models.JSONField(default=list, blank=True)
    lease = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.sequence} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def is_ready(self) -> bool:
        return self.status == ExportStatus.READY and bool(self.file)

    def may_be_watched_by(self, user) -> bool:
        wanted = set(self.videos)
        seen = visible_generations(user).filter(pk__in=wanted).values_list("pk", flat=True)
        return len({str(pk) for pk in seen}) == len(wanted)

    @property
    def out_of_date(self) -> bool:
        return self.version != self.sequence.version

    @property
    def download_name(self) -> str:
        day = timezone.localtime(self.finished_at or self.created_at).strftime("%Y-%m-%d")
        words = slug(self.sequence.title) or f"sequence-{self.sequence_id}"
        return f"{day}_{words}_sequence.mp4"

    @property
    def status_sentence(self) -> str:
        if self.status == ExportStatus.QUEUED:
            return "Waiting for the worker to start the export…"
        if self.status == ExportStatus.RUNNING:
            return f"Exporting… {self.progress}%"
        if self.status == ExportStatus.FAILED:
            return self.error
        return "Ready."


def _sentence(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def ready_shot_count(sequence: Sequence) -> int:
    return sequence.shots.filter(generation__status=Status.READY).count()


@receiver(post_delete, sender=Export)
def _export_file_goes_with_its_row(sender, instance: Export, **kwargs) -> None:
    # However the row goes (its sequence deleted, its maker's account deleted, a newer
    # export replacing it), its file goes once the deletion is committed.
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
