"""The truth about a job. Every change of a job's state is a method here, and each one
appends a GenerationEvent, so a job's history, the audit log and the usage pages read rows.
"""

import functools
import io
import random
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from PIL import Image

from billing import ledger
from billing.models import AuditEntry, LedgerEntry, StudioSettings, label_of
from lib.images import FirstFrame
from lib.prepared import Prepared, statement_cursor
from veo.catalogue import (  # noqa: F401  (re-exported for the gallery and the forms)
    EIGHT_SECONDS_ONLY,
    PORTRAIT_SIZES,
    SIZE_LABELS,
    Seconds,
    Size,
    VideoModel,
)

from . import wording
from .links import job_url


class Status(models.TextChoices):
    WAITING = "waiting", "Waiting"
    SUBMITTED = "submitted", "Submitted"
    RENDERING = "rendering", "Rendering"
    SAVING = "saving", "Saving"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    UNCERTAIN = "uncertain", "Needs your check"


# The error code of a job cancelled while it waited for a slot (never sent, never billed).
CANCELLED_CODE = "cancelled"
ACTIVE_STATUSES = [Status.WAITING, Status.SUBMITTED, Status.RENDERING, Status.SAVING]
ACTIVE_STATUS_VALUES = frozenset(status.value for status in ACTIVE_STATUSES)
# Ended without a video: the gallery's "Failed" and the statuses Try again is offered on.
FAILED_STATUSES = [Status.FAILED, Status.TIMED_OUT, Status.UNCERTAIN]
# A job sent (or being sent) that CometAPI has not finished: it holds a slot.
AT_COMETAPI = frozenset({Status.SUBMITTED, Status.RENDERING})

# Sent after the commit that takes a job away from CometAPI (a slot is free): the queue's
# policy (slots.py) listens and wakes the next waiting job. A signal, because slots.py reads
# this module and this module must not import it back.
slot_freed = Signal()
# Sent after a reservation commits that brought a project to 80 % or 100 % of a budget
# (project=, alerts=): notifications.py tells the project's people.
budget_reached = Signal()


def waits_for_slot(status: str, submit_started_at) -> bool:
    """Accepted but not yet sent, held back by a concurrency limit: unpaid, cancellable, and
    shown with its place in the queue. The one definition (WAITS_FOR_SLOT for queries)."""
    return status == Status.WAITING and submit_started_at is None


WAITS_FOR_SLOT = Q(status=Status.WAITING, submit_started_at__isnull=True)


REPEAT_WINDOW = timedelta(seconds=30)
# What makes two New video posts the same request (the repeat guard, `create_for`).
REQUEST_FIELDS = ("prompt", "model", "seconds", "size", "first_frame_sha256", "take_number")
COMMENT_MAX_LENGTH = 2000

# What "usually" means before the studio has made a few videos with the same settings:
# CometAPI's Veo 3.1 Fast jobs mostly end within two minutes, the standard model's within four.
USUAL_SECONDS_BEFORE_HISTORY: dict[str, float] = {VideoModel.FAST: 100, VideoModel.STANDARD: 200}
USUAL_SAMPLE = 20  # the most recent ready jobs that say what "usually" is
USUAL_MIN_HISTORY = 3


def _private_name(folder: str, extension: str) -> str:
    # Server-chosen names only: nothing a user sends ever becomes part of a path.
    return f"{folder}/{uuid.uuid4().hex}.{extension}"


def search_key(text: str) -> str:
    """Text as the search compares it: accents dropped, case folded, spaces collapsed, so
    "Café" and "cafe" meet on SQLite and PostgreSQL alike without database extensions."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


# Where retrying with the same settings cannot help: the request itself was refused.
_HOPELESS_CODES = ("invalid", "forbidden")
_HOPELESS_WORDS = ("safety", "policy", "blocked", "moderat", "invalid", "prohibited", "celebrity")


class GenerationQuerySet(models.QuerySet["Generation"]):
    def for_user(self, user):
        return self.filter(owner=user)

    def in_gallery(self):
        return self.filter(trashed_at=None)

    def in_trash(self):
        return self.filter(trashed_at__isnull=False)

    def trash_for(self, person) -> tuple[list, int]:
        """Move these to the Trash: (the ids moved, how many were still being made)."""
        trashed, running = [], 0
        for generation in self.only("pk", "status", "trashed_at"):
            if generation.trash_for(person):
                trashed.append(generation.pk)
            else:
                running += generation.is_active
        return trashed, running

    def restore_for(self, person) -> int:
        return sum(generation.restore_for(person) for generation in self.in_trash().only("pk"))

    def star_for(self, person, starred: bool) -> int:
        chosen = list(self.only("pk"))
        for generation in chosen:
            generation.set_star_for(person, starred)
        return len(chosen)

    def purge_trash(self, older_than: timedelta) -> int:
        """Delete for good what has lain in the Trash longer than `older_than`, files too."""
        cutoff = timezone.now() - older_than
        purged = 0
        for pk in self.filter(trashed_at__lt=cutoff).values_list("pk", flat=True):
            try:
                purged += Generation(pk=pk).purge(cutoff)
            except Generation.DoesNotExist:
                pass  # a person deleted it for good meanwhile
        return purged

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def waiting_for_slot(self):
        return self.filter(WAITS_FOR_SLOT)

    def running_for(self, user) -> list[str]:
        """Ids of the jobs `user` started that are still being made (the header indicator)."""
        # Unordered: "newest first" would make the planners walk every video of the person
        # by date instead of seeking the few running ones by status.
        running = self.for_user(user).active().order_by().values_list("pk", flat=True)[:50]
        return [str(pk) for pk in running]

    def with_comment_counts(self):
        """Each job's number of comments, as `n_comments`, in the same query (a subquery, so
        the list keeps its order and needs no GROUP BY over every column)."""
        counts = (
            Comment.objects.filter(generation=models.OuterRef("pk"))
            .order_by()
            .values("generation")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(n_comments=Coalesce(models.Subquery(counts), 0))

    def create_takes(
        self,
        owner,
        request: dict,
        first_frame=None,
        takes: int = 1,
        made_from=None,
        *,
        planned: bool = False,
        continues=None,
        continues_at: float | None = None,
    ) -> tuple[list["Generation"], bool]:
        """Start `takes` jobs of the same settings, each its own paid CometAPI task, grouped
        so that they can be seen side by side. Idempotent like `create_for`."""
        token = request.get("client_token") or uuid.uuid4()
        shot = {"continues": continues, "continues_at": continues_at}
        if takes <= 1:
            job, is_new = self.create_for(
                owner, request, first_frame, made_from=made_from, planned=planned, **shot
            )
            return [job], is_new
        group = uuid.uuid5(token, "takes")
        jobs, any_new = [], False
        try:
            # One transaction: a set of takes is reserved (or refused by a cap) as a whole.
            with transaction.atomic():
                for number in range(1, takes + 1):
                    take_token = token if number == 1 else uuid.uuid5(token, f"take-{number}")
                    job, is_new = self.create_for(
                        owner,
                        {**request, "client_token": take_token},
                        first_frame,
                        made_from=made_from,
                        take_group=group,
                        take_number=number,
                        planned=planned,
                        **shot,
                    )
                    jobs.append((job, is_new))
                    any_new = any_new or is_new
        except BaseException:
            # The rows are gone with the transaction; so must the files the new ones saved.
            _delete_files([f.name for job, is_new in jobs if is_new for f in job.stored_files()])
            raise
        return [job for job, _ in jobs], any_new

    def create_for(
        self,
        owner,
        request: dict,
        first_frame=None,
        *,
        made_from=None,
        take_group=None,
        take_number: int = 1,
        planned: bool = False,
        continues=None,
        continues_at: float | None = None,
    ) -> tuple["Generation", bool]:
        """Start a job from a validated form, once: a double click, a second tab or
        back-and-resubmit finds the job the first post made. Returns (job, is_new).
        `planned`: one row of a batch (batches/), found again by its token alone (two rows
        of a sheet may ask for the same video on purpose) and counted against the
        per-minute limit by the batch as a whole (`check_rate_for`), not job by job.
        `continues`: the video whose frame (at `continues_at` seconds) starts this one."""
        token = request.get("client_token") or uuid.uuid4()
        settings_sent = {key: request[key] for key in ("prompt", "model", "seconds", "size")}
        sha = first_frame.sha256 if first_frame else ""
        mine = self.for_user(owner)
        asked = {**settings_sent, "first_frame_sha256": sha, "take_number": take_number}
        since = timezone.now() - REPEAT_WINDOW
        found = made_by_token_or_asking(owner, token, asked, None if planned else since)
        made = next((job for job in found if job.client_token == token), None)
        if made is not None and made.asks_for(asked):
            return made, False
        # The others are the same request's recent jobs that did not fail (none if planned).
        repeat = next((job for job in found if job is not made), None)
        if repeat is not None:
            return repeat, False
        if made is not None:
            token = uuid.uuid4()  # went back and changed the form: that is a new video

        generation = Generation(
            owner=owner,
            client_token=token,
            first_frame_sha256=sha,
            made_from=made_from,
            take_group=take_group,
            take_number=take_number,
            continues=continues,
            continues_at=continues_at if continues is not None else None,
            project=request.get("project"),  # checked by the form: one the owner may use
            title=" ".join(str(request.get("title") or "").split())[:120],
            **settings_sent,
        )
        saved_files: list[str] = []
        try:
            if first_frame:
                generation._store_first_frame(first_frame, saved_files)
            generation.start(actor=owner)
            with transaction.atomic(), ledger.holding(owner) as (studio, _):
                if studio.share_new_videos:
                    generation.share(actor=owner, reason=wording.SHARED_BY_DEFAULT)
                if not planned:
                    generation._check_rate()
                generation._join_stack(made_from or continues)
                # Saving reserves the money under every cap (billing.ledger), or refuses.
                generation.save(force_insert=True)
        except IntegrityError:
            _delete_files(saved_files)
            return mine.get(client_token=token), False
        except BaseException:
            _delete_files(saved_files)
            raise
        return generation, True

    def check_rate_for(self, owner) -> None:
        """billing's per-minute limit for one more send by `owner` (raises TooFast): what a
        batch of planned jobs counts as, in the transaction that creates them."""
        Generation(owner=owner)._check_rate()

    def create_planned(
        self,
        owner,
        pk: uuid.UUID,
        request: dict,
        first_frame: FirstFrame | None = None,
        *,
        reserved: bool = False,
        continues: "Generation | None" = None,
        continues_at: float | None = None,
    ) -> "Generation":
        """A sequence's planned shot started as a job (sequences/). No repeat guard (two
        shots of a plan may share a prompt); the caller checks the per-minute limit for the
        whole plan, in its transaction. Its cost is held now, under the caps (CapExceeded
        undoes it), or was already held under `pk` when the plan was generated (`reserved`:
        a shot that waited for the video it continues)."""
        settings_sent = {key: request[key] for key in ("prompt", "model", "seconds", "size")}
        generation = Generation(
            pk=pk,
            owner=owner,
            client_token=pk,
            first_frame_sha256=first_frame.sha256 if first_frame else "",
            project=request.get("project"),
            continues=continues,
            continues_at=continues_at,
            **settings_sent,
        )
        saved_files: list[str] = []
        try:
            if first_frame:
                generation._store_first_frame(first_frame, saved_files)
            generation._begin()
            generation._record(
                EventKind.CREATED,
                wording.PLANNED_SHOT_HELD if reserved else wording.PLANNED_SHOT,
                actor=owner,
                was="",
                money=None if reserved else generation._reserve,
            )
            if StudioSettings.load().share_new_videos:
                generation.share(actor=owner, reason=wording.SHARED_BY_DEFAULT)
            with transaction.atomic():
                generation.save(force_insert=True)
        except BaseException:
            _delete_files(saved_files)
            raise
        return generation

    def resolve_reservation(self, entry_id: int, verdict: str, admin) -> LedgerEntry:
        """An admin's verdict ("charged" or "not_charged") on a reservation whose job ended
        without CometAPI's word. Taken under the job's row lock (the job first, then the
        reservation): a job still being made is never resolved, and a job checked again
        after a "not charged" verdict is held again (`_hold_again`). Raises
        LedgerEntry.DoesNotExist, or billing's CannotResolve with a sentence to show."""
        reservation = ledger.open_reservation(entry_id)
        with transaction.atomic():
            job = self.select_for_update().filter(pk=reservation.generation_ref).first()
            if job is not None and job.is_active:
                raise ledger.CannotResolve(
                    "This video is still being made: its cost is settled when CometAPI finishes it."
                )
            entry = ledger.resolve(entry_id, verdict, admin)
            if job is not None:
                job.note_money_changed()
        return entry

    def due(self, now=None):
        """The queue: active jobs whose next action has come (a job without one is due
        too, so that no active job can be forgotten). A claimed job's next action is its
        lease's end, so the job of a worker that died comes due again by itself."""
        now = now or timezone.now()
        return self.active().filter(Q(next_action_at__lte=now) | Q(next_action_at=None))

    def claim(self, pk) -> "Generation | None":
        """Take the job for one worker step if its next action is due and no live worker
        holds it. The lease is written with a conditional UPDATE, so two workers never act
        on one job at once."""
        current = self.filter(pk=pk).values_list("status", flat=True).first()
        if current not in ACTIVE_STATUSES:
            return None
        return self._take(pk, current)

    def claim_next(self) -> "Generation | None":
        """Take the job that has been due longest, or None when nothing is due."""
        due = self.due().order_by(models.F("next_action_at").asc(nulls_first=True), "pk")
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: workers skip the rows another one is taking instead of queueing
            # behind its lock, and the row is leased in the same transaction.
            with transaction.atomic():
                row = due.select_for_update(skip_locked=True).values_list("pk", "status").first()
                return self._take(*row) if row else None
        for pk, status in due.values_list("pk", "status")[:10]:
            taken = self._take(pk, status)
            if taken:  # else another worker took it between the read and the update
                return taken
        return None

    def _take(self, pk, status: str) -> "Generation | None":
        now = timezone.now()
        taken = (
            self.due(now)
            .filter(pk=pk, status=status)
            .update(
                lease=uuid.uuid4(), next_action_at=now + timedelta(seconds=lease_seconds(status))
            )
        )
        return Generation.objects.get(pk=pk) if taken else None


class PollRow(NamedTuple):
    """A row as the poll reads it. The versions are worked out only when asked for: a
    gallery's poll compares card versions, a video page's the status version, and most
    polls compare one per job and find it unchanged."""

    key: str  # the id as 32 hex digits: no UUID object is made for a row nobody redraws
    status: str
    owner_id: int
    # Each moment as the database gives it cheapest (see _poll_columns).
    updated_at: datetime | str | int
    submit_started_at: datetime | str | int | None
    shared_at: datetime | str | int | None
    trashed_at: datetime | str | int | None
    project_id: int | None
    review_status: str
    title: str

    @property
    def pk(self) -> uuid.UUID:
        return uuid.UUID(hex=self.key)

    @property
    def poll_version(self) -> int:
        return _poll_version_of_column(self.updated_at)

    @property
    def card_version(self) -> int:
        return _card_version_of_columns(
            self.status,
            self.submit_started_at,
            self.shared_at,
            self.trashed_at,
            self.project_id,
            self.review_status,
            self.title,
        )

    @property
    def waits_for_slot(self) -> bool:
        return waits_for_slot(self.status, self.submit_started_at)


# A running card's columns change a few times in its life and are polled every few seconds:
# each version is worked out once per process from the columns as the database gives them.
@functools.lru_cache(maxsize=4096)
def _card_version_of_columns(status, submit_started_at, shared_at, trashed_at, *rest) -> int:
    return card_version_of(
        status, *map(_as_datetime, (submit_started_at, shared_at, trashed_at)), *rest
    )


@functools.lru_cache(maxsize=4096)
def _poll_version_of_column(updated_at) -> int:
    return poll_version_of(_as_datetime(updated_at))


# The ids a poll reads are padded to one of these counts with an id no row has, so that
# the statement's text is one of a few, built once per process (POLL_LIMIT and the
# header's 50 fit in the largest).
POLL_ROW_SHAPES = (8, 32, 64, 192)
_NO_ROW = "0" * 32
_poll_sql: dict[tuple[str, int | str], str] = {}


def poll_rows(pks, running_of: int | None = None) -> list[PollRow]:
    """What the page's poll compares for these ids (UUIDs, or 32 hex digits), and with
    `running_of` also the running jobs of that person (the header indicator: at most 50,
    as `running_for`). Plain SQL of fixed shapes, not a queryset: this runs every few
    seconds for everyone with a job on screen, and the ORM's query building and per-column
    conversion cost more than the query itself.

    The person's running jobs are read first: they are most often all the page polls
    for, and then that one read is the whole poll. Ids it did not hold (a teammate's job,
    a job that just ended) are read by primary key after it."""
    rows: dict[str, PollRow] = {}
    if running_of is not None:
        rows = _poll_read("running", [running_of])
    missing = list({pk if isinstance(pk, str) else pk.hex for pk in pks}.difference(rows))
    if missing:
        shape = next((size for size in POLL_ROW_SHAPES if size >= len(missing)), 0)
        if not shape:
            raise ValueError(f"a poll reads at most {POLL_ROW_SHAPES[-1]} rows")
        missing += [_NO_ROW] * (shape - len(missing))
        native = connection.features.has_native_uuid_field
        params: list[Any] = [uuid.UUID(hex=key) for key in missing] if native else missing
        rows.update(_poll_read(shape, params))
    return list(rows.values())


def _poll_read(shape: int | str, params: list) -> dict[str, PollRow]:
    sql = _poll_sql.get((connection.alias, shape))
    if sql is None:
        sql = _poll_sql[connection.alias, shape] = _poll_rows_sql(shape)
    with statement_cursor(connection.alias) as cursor:
        cursor.execute(sql, params)
        return {row[0]: PollRow._make(row) for row in cursor.fetchall()}


def _poll_rows_sql(shape: int | str) -> str:
    table = connection.ops.quote_name(Generation._meta.db_table)
    if isinstance(shape, str):  # "running"
        # The statuses are written in, as prepared.py writes constants: PostgreSQL keeps
        # this statement's plan, which must see them (they pick the index).
        active = ", ".join(f"'{status}'" for status in sorted(ACTIVE_STATUS_VALUES))
        return (
            f"SELECT {_poll_columns()} FROM {table} "
            f"WHERE owner_id = %s AND status IN ({active}) LIMIT 50"
        )
    return f"SELECT {_poll_columns()} FROM {table} WHERE id IN ({', '.join(['%s'] * shape)})"


def _poll_columns() -> str:
    """PollRow's columns, the id as 32 hex digits and each moment as a plain value: a
    datetime made for every row on every poll (the drivers' converters) cost more than the
    query, and the versions are worked out once per distinct value anyway."""
    if connection.vendor == "postgresql":
        key, moment = "replace(id::text, '-', '')", "(extract(epoch FROM {}) * 1000000)::bigint"
    else:
        # SQLite stores the id as hex; "+column" is the stored text, as an expression, which
        # the sqlite3 module converts by no declared type.
        key, moment = "id", "+{}"
    moments = {"updated_at", "submit_started_at", "shared_at", "trashed_at"}
    return ", ".join(
        key if name == "key" else moment.format(name) if name in moments else name
        for name in PollRow._fields
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _as_datetime(value) -> datetime | None:
    """A moment as _poll_columns reads it: SQLite's stored text (UTC), PostgreSQL's
    microseconds since 1970, or a datetime."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    return value


def card_version_of(
    status,
    submit_started_at,
    shared_at,
    trashed_at,
    project_id=None,
    review_status="draft",
    title="",
) -> int:
    """A digest of what a running card shows of its row (its other fields never change
    while it runs): the status, whether it still waits for a slot, sharing, the Trash,
    its project, its review status and its title."""
    shown = [str(status), submit_started_at is None, *map(poll_version_of, (shared_at, trashed_at))]
    if project_id is not None:  # its label on the card (unchanged digest for no project)
        shown.append(project_id)
    if review_status != "draft" or title:  # likewise unchanged for a draft never renamed
        shown += [str(review_status), title]
    return zlib.crc32(repr(shown).encode())


def poll_version_of(updated_at: datetime | None) -> int:
    return int(updated_at.timestamp() * 1_000_000) if updated_at else 0


def lease_seconds(status: str) -> float:
    call = settings.COMETAPI_CONNECT_TIMEOUT + settings.COMETAPI_READ_TIMEOUT
    if status == Status.WAITING:
        # A submit retaken too early would be marked uncertain; be generous.
        return call + 60
    return max(settings.WORKER_STEP_LEASE_SECONDS, settings.COMETAPI_READ_TIMEOUT + 10)


class ReviewStatus(models.TextChoices):
    """The team's decision on a video (README, "Review"): every video starts as a draft."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES = "changes", "Changes requested"
    APPROVED = "approved", "Approved"


class Colour(models.TextChoices):
    """A project's label colour: a few that read well as a small label on a card, in
    light and dark, with white text."""

    BLUE = "blue", "Blue"
    GREEN = "green", "Green"
    ORANGE = "orange", "Orange"
    PINK = "pink", "Pink"
    PURPLE = "purple", "Purple"
    TEAL = "teal", "Teal"
    GREY = "grey", "Grey"


class Role(models.TextChoices):
    """What a person may do (README, "Roles"). Admins are the staff users, whatever this
    says; everyone else is a member unless made a reviewer."""

    MEMBER = "member", "Member"
    REVIEWER = "reviewer", "Reviewer"


class Teammate(models.Model):
    """A person's role in the studio. No row means a member (everyone before roles)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teammate"
    )
    role = models.CharField(max_length=16, choices=Role, default=Role.MEMBER)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @staticmethod
    def role_of(user) -> str:
        found = Teammate.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
        return found or Role.MEMBER

    @staticmethod
    def set_role(user, role: str) -> None:
        Teammate.objects.update_or_create(user=user, defaults={"role": role})
        user._studio_role = role  # the request's cached answer (access.is_reviewer)


def budget_field(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Dollars. Leave empty for no budget.",
    )


class ProjectQuerySet(models.QuerySet["Project"]):
    def open(self):
        return self.filter(archived_at__isnull=True)


class Project(models.Model):
    """A campaign or a client's work: a video belongs to one project or to none.

    Who sees a project's videos is decided in generations/access.py: everyone in the
    studio, unless `limited`, then only its `members`, the videos' makers and the admins."""

    name = models.CharField(max_length=80)
    description = models.TextField(max_length=2000, blank=True)
    colour = models.CharField(max_length=16, choices=Colour, default=Colour.BLUE)
    limited = models.BooleanField(
        "only named people",
        default=False,
        help_text="Only the people named below (and the admins) see its videos.",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Moves with every change of the project (its name, colour, people): the galleries'
    # cached pages and cards are keyed by it, so a rename or a new limit shows at once.
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Budgets (README, "Project budgets"): held by billing's ledger with the person's and
    # the team's caps; None means no budget.
    monthly_budget = budget_field("monthly budget")
    total_budget = budget_field("total budget")

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("generations:project", kwargs={"project_pk": self.pk})

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def archive(self) -> None:
        self.archived_at = timezone.now()
        self.save(update_fields=["archived_at", "updated_at"])

    def restore(self) -> None:
        self.archived_at = None
        self.save(update_fields=["archived_at", "updated_at"])

    @property
    def has_budget(self) -> bool:
        return self.monthly_budget is not None or self.total_budget is not None

    def budget(self) -> ledger.ProjectBudget:
        """The project as billing's ledger knows it: a plain value."""
        if not self.has_budget:
            return ledger.ProjectBudget(self.pk, self.name)
        return ledger.ProjectBudget(
            self.pk, self.name, self.monthly_budget, self.total_budget, self.whom_to_ask()
        )

    def whom_to_ask(self) -> str:
        """Who can raise its budget: its maker (while active) and the admins."""
        from django.contrib.auth import get_user_model

        admins = list(
            get_user_model()
            .objects.filter(is_active=True, is_staff=True)
            .order_by("username")
            .values_list("username", flat=True)[:3]
        )
        maker = self.created_by
        names = ([maker.get_username()] if maker is not None and maker.is_active else []) + [
            name for name in admins if maker is None or name != maker.get_username()
        ]
        return " or ".join(names) if names else "an admin"

    def set_budget_for(self, person, monthly, total) -> bool:
        """Its maker's or an admin's new budgets, audited; taken under the project's money
        lock so that a reservation checking the old budget finishes first. False when
        nothing changed."""
        with transaction.atomic():
            ledger.lock_project(self.pk)
            before = Project.objects.filter(pk=self.pk).values_list(
                "monthly_budget", "total_budget"
            )[0]
            if before == (monthly, total):
                return False
            self.monthly_budget, self.total_budget = monthly, total
            self.save(update_fields=["monthly_budget", "total_budget", "updated_at"])
            AuditEntry.record(
                "budget_changed",
                actor=person,
                detail=f"project “{self.name}”: monthly {_budget_words(before[0])} → "
                f"{_budget_words(monthly)}, total {_budget_words(before[1])} → "
                f"{_budget_words(total)}",
            )
        return True

    def set_people(self, limited: bool, people) -> None:
        """Limit the project to `people` (or open it to the studio), in one step that also
        moves `updated_at`, so no page keeps showing its videos to someone taken off."""
        with transaction.atomic():
            self.limited = limited
            self.save(update_fields=["limited", "updated_at"])
            self.members.set(people)


def _budget_words(value) -> str:
    return "none" if value is None else ledger.dollars(value)


# What might be on someone's Team page: shared, or in a project (access.team_to narrows it
# to the projects they see). The Team index's condition and a term of the rule, alike.
TEAM_CANDIDATES = Q(shared_at__isnull=False) | Q(project__isnull=False)


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
    # When the current attempt began: "Try again" restarts the clock, the history keeps the rest.
    started_at = models.DateTimeField(null=True, blank=True)
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

    # The gallery's: what a person did with the finished job.
    search_text = models.TextField(blank=True, editable=False)
    trashed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    made_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remakes"
    )
    take_group = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    take_number = models.PositiveSmallIntegerField(default=1, editable=False)
    # Empty while the video is private to its owner; set while the team may watch it.
    shared_at = models.DateTimeField(null=True, blank=True)
    # None: in no project (a private draft unless shared). See generations/access.py.
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="videos"
    )
    # Empty until someone renames the video: pages show the prompt's beginning instead.
    title = models.CharField(max_length=120, blank=True)
    review_status = models.CharField(
        max_length=16, choices=ReviewStatus, default=ReviewStatus.DRAFT, db_index=True
    )
    # A stack of versions: a retry, an edit or a remake of a video is its next version.
    # `stack` is the stack's first video (None on that first video itself).
    stack = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="later_versions"
    )
    version = models.PositiveSmallIntegerField(default=1)
    # A shot continued from another video's frame ("continues Kite over field at 0:08.0").
    continues = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="continuations"
    )
    continues_at = models.FloatField(null=True, blank=True)

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
            "search_text",
            "trashed_at",
            "made_from",
            "take_group",
            "take_number",
            "shared_at",
            "project",
            "title",
            "review_status",
            "stack",
            "version",
            "continues",
            "continues_at",
        }
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            # A page of someone's gallery, walked in its order (newest first, the id breaking
            # ties): without it PostgreSQL sorted all of that person's videos for 24 cards
            # (38 ms at 10,000, 101 ms at 100,000 on the first load after a change).
            models.Index(
                fields=["owner", "-created_at", "-id"],
                condition=Q(trashed_at__isnull=True),
                name="generation_gallery_page",
            ),
            # A person's Trash, newest deleted first, and its count: only the trashed rows,
            # not a walk through all of that person's videos (9 ms at 100,000 on SQLite).
            models.Index(
                fields=["owner", "-trashed_at"],
                condition=Q(trashed_at__isnull=False),
                name="generation_trash",
            ),
            # The Team view: what is shared or in a project, out of the Trash, newest first.
            # `trashed_at IS NULL` leads, as an equality the planners can walk in order
            # without a sort; the condition is access.team_to's own term, word for word
            # (a planner uses a partial index only for a query that says its condition).
            # Without it SQLite read every video out of the Trash and sorted the lot for
            # the Team page's first 24 (270 ms at 100,000 private videos, none shared).
            models.Index(
                fields=["trashed_at", "-created_at", "-id"],
                condition=TEAM_CANDIDATES,
                name="generation_team_gallery",
            ),
            # Covers the gallery's facet counts: they read these columns of every row. Status
            # second: a person's running jobs (the header indicator, on every page) are then
            # a few seeks, never a walk through all of that person's videos.
            models.Index(
                fields=[
                    "owner",
                    "status",
                    "trashed_at",
                    "size",
                    "model",
                    "seconds",
                    "first_frame_sha256",
                    "review_status",
                    "stack",  # and the version: the count of one per stack reads both
                    "version",
                    "id",
                ],
                name="gallery_facets",
            ),
            # A video's "Made like this" list, newest first. Until PostgreSQL has analysed the
            # table (after a bulk import, or with autovacuum off) it took the visibility OR's
            # indexes and filtered every one of the person's rows: 33-63 ms at 100,000 rows
            # on the first load of a video's page after a change, against 0.04 ms with this.
            models.Index(
                fields=["made_from", "-created_at"],
                condition=Q(trashed_at__isnull=True),
                name="generation_remakes",
            ),
            # A stack's later versions: the galleries' "newest of its stack" test
            # (gallery.stack_heads) seeks it once per row instead of walking the owner's.
            models.Index(fields=["stack", "version"], name="generation_stack_versions"),
            # The count beside "Download approved (ZIP)" on every gallery, Team and project
            # page: without it a count of a person's approved videos walked all of that
            # person's rows (10 ms at 100,000 on SQLite, on every load, warm or cold).
            # All three columns, no condition: SQLite took gallery_facets (owner first,
            # covering) over a partial index and walked the person's rows all the same.
            models.Index(
                fields=["review_status", "owner", "trashed_at"],
                name="generation_review_status",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "client_token"], name="one_generation_per_form_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prompt[:40]} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        self.search_text = search_key(f"{self.title} {self.prompt}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"prompt", "title"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Saving a job and its pending events is one thing: both or neither.
            self._write_events()

    def get_absolute_url(self) -> str:
        return job_url("generations:detail", self.pk)

    def asks_for(self, request: dict) -> bool:
        """Whether this job was made from the same request: each field's value as the row
        keeps it (a form may send "8" for 8 seconds)."""
        fields = {name: self._meta.get_field(name) for name in request}
        return all(
            isinstance(field, models.Field)
            and getattr(self, name) == field.to_python(request[name])
            for name, field in fields.items()
        )

    @property
    def is_cancelled(self) -> bool:
        """Cancelled before it was sent: nothing went wrong (its badge is not a failure's red)."""
        return self.status == Status.FAILED and self.error_code == CANCELLED_CODE

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        """The status as people read it: a job cancelled before it was sent failed at
        nothing, so it says "Cancelled" (its row stays FAILED, counted with the failed)."""
        if self.is_cancelled:
            return "Cancelled"
        return str(Status(self.status).label) if self.status in Status.values else self.status

    # --- what the pages show -------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def poll_version(self) -> int:
        """Changes whenever the job's row does: the page's poll asks only for what changed."""
        return poll_version_of(self.updated_at)

    @property
    def card_version(self) -> int:
        """Changes whenever what a running job's card shows does. Each check at CometAPI
        writes the row (the video's page shows the time so far), but a card shows none
        of it: a gallery of running jobs is not redrawn every few seconds for nothing."""
        return card_version_of(
            self.status,
            self.submit_started_at,
            self.shared_at,
            self.trashed_at,
            self.project_id,
            self.review_status,
            self.title,
        )

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None

    @property
    def comment_count(self) -> int:
        # Galleries annotate `n_comments` (one query for a whole page); a lone card counts.
        if "n_comments" in self.__dict__:
            return self.__dict__["n_comments"]
        return self.comments.count()

    @property
    def is_ready(self) -> bool:
        return self.status == Status.READY and bool(self.video)

    @property
    def orientation(self) -> str:
        return "portrait" if self.size == Size.PORTRAIT_720 else "landscape"

    @property
    def elapsed(self) -> timedelta:
        end = self.saved_at or (timezone.now() if self.is_active else self.updated_at)
        return max(end - (self.started_at or self.created_at), timedelta(0))

    @property
    def elapsed_label(self) -> str:
        return wording.duration_label(self.elapsed)

    @property
    def usual_duration(self) -> timedelta:
        """The median time from start to saved of the studio's recent ready jobs with the
        same model, format and duration; a default per model until there are a few."""
        if "_usual" not in self.__dict__:
            recent = (
                Generation.objects.filter(
                    status=Status.READY, model=self.model, size=self.size, seconds=self.seconds
                )
                .exclude(saved_at=None)
                .order_by("-saved_at")
                .values_list("created_at", "saved_at")[:USUAL_SAMPLE]
            )
            spans = sorted((saved - created).total_seconds() for created, saved in recent if saved)
            if len(spans) >= USUAL_MIN_HISTORY:
                middle = len(spans) // 2
                median = (
                    spans[middle] if len(spans) % 2 else (spans[middle - 1] + spans[middle]) / 2
                )
            else:
                median = USUAL_SECONDS_BEFORE_HISTORY.get(self.model, 120)
            self.__dict__["_usual"] = timedelta(seconds=max(median, 1))
        return self.__dict__["_usual"]

    @property
    def is_slow(self) -> bool:
        """Past twice the usual time: the page says so and what the person can do."""
        return self.is_active and self.elapsed > 2 * self.usual_duration

    @property
    def waiting_sentence(self) -> str:
        return wording.usual_wait(self.elapsed, self.usual_duration)

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
        if self.trashed_at is not None:
            return False  # restore it first: a job in the Trash never starts running again
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
        ended = self.status in FAILED_STATUSES
        return ended and self.trashed_at is None

    @property
    def retry_cannot_help(self) -> bool:
        """Refused for what it asked (a safety filter, an invalid request): the same settings
        would be refused again, so the page offers "Edit and try again" instead."""
        code = self.error_code.lower()
        if code.startswith(_HOPELESS_CODES):
            return True
        return code.startswith("task:") and any(word in code for word in _HOPELESS_WORDS)

    @property
    def can_trash(self) -> bool:
        return not self.is_active and self.trashed_at is None

    @property
    def in_trash(self) -> bool:
        return self.trashed_at is not None

    def purge_due_at(self):
        if self.trashed_at is None:
            return None
        return self.trashed_at + timedelta(days=settings.TRASH_KEEP_DAYS)

    @property
    def short_reason(self) -> str:
        """A failed card's few words."""
        return wording.short_reason(self.error_code, self.failure_reason)

    @property
    def format_label(self) -> str:
        return SIZE_LABELS.get(str(self.size), str(self.size))

    @property
    def download_name(self) -> str:
        # The title when there is one; else the prompt, whose words display_title begins.
        return wording.download_name(
            self.created_at,
            self.title or self.prompt,
            self.seconds,
            self.format_label,
            str(self.pk),
        )

    @property
    def timings(self) -> list[tuple[str, timedelta]]:
        """(label, how long) for each stage this attempt went through."""
        start = self.started_at or self.created_at
        marks = [
            ("Queued", start, self.submitted_at),
            ("Rendering took", self.submitted_at, self.completed_at),
            ("Saving took", self.completed_at, self.saved_at),
            ("Total", start, self.saved_at),
        ]
        return [(label, b - a) for label, a, b in marks if a and b and b >= a]

    @property
    def may_retry(self) -> bool:
        """The retry policy: a failed attempt is tried again until the attempts run out."""
        return self.attempts + 1 < settings.COMETAPI_MAX_ATTEMPTS

    def first_frame_copy(self):
        """The kept first frame as a form would give it, for "Make another like this": the new
        job saves its own copy, so purging one job never takes the other's image."""
        if not (self.first_frame and self.first_frame_thumbnail):
            return None
        with self.first_frame.open("rb") as handle:
            image = handle.read()
        with self.first_frame_thumbnail.open("rb") as handle:
            thumbnail = handle.read()
        with Image.open(io.BytesIO(image)) as picture:
            width, height = picture.size
        return FirstFrame(image=image, width=width, height=height, thumbnail=thumbnail)

    def stored_files(self):
        fields = [self.video, self.poster, self.first_frame, self.first_frame_thumbnail]
        return [f for f in fields if f]

    @property
    def history(self):
        return self.events.order_by("created_at", "pk")

    def history_with_actors(self):
        """The History list of the job's page (drawn by the page and by its poll)."""
        return self.history.select_related("actor")

    # --- saving state and its history ---------------------------------------------

    @property
    def _pending_events(self) -> list["GenerationEvent"]:
        return self.__dict__.setdefault("_unsaved_events", [])

    def _record(
        self,
        kind: str,
        reason: str = "",
        *,
        actor=None,
        was: str | None = None,
        code: str = "",
        money: "Callable[[GenerationEvent], Decimal | None] | None" = None,
    ) -> None:
        """Note an event, written with the row; `money` is what it does to the bill, run in
        the same transaction (its amount, if any, is kept on the event)."""
        event = GenerationEvent(
            generation_ref=self.pk,
            owner_id=self.owner_id,
            actor=actor,
            kind=kind,
            from_status=self.status if was is None else was,
            to_status=self.status,
            reason=reason[:500],
            code=code or (self.error_code if kind in FAILURE_KINDS else ""),
        )
        event.money = money
        self._pending_events.append(event)

    def _write_events(self) -> None:
        events = self._pending_events
        for event in events:
            event.generation = self
            if event.money is not None:
                amount = event.money(event)  # billing's refusal undoes the whole save
                if amount is not None:
                    event.amount = amount
        GenerationEvent.objects.bulk_create(events)
        if any(event.frees_a_slot for event in events):
            transaction.on_commit(lambda: slot_freed.send(sender=Generation))
        events.clear()

    # --- the money side of a change of state (billing's plain-value calls) ------------

    def _bill(self, checked: bool = False) -> ledger.Job:
        """The job for the ledger; `checked` (a new reservation) reads its project's
        budgets too, else only the project's id is carried (for the entries)."""
        project = None
        if self.project_id is not None:
            # Only a new reservation reads the project's row (its budgets, its name).
            found = self.project if checked else None
            project = found.budget() if found else ledger.ProjectBudget(self.project_id, "")
        return ledger.Job(self.owner, self.pk, self.model, self.size, self.seconds, project)

    def _reserve(self, event: "GenerationEvent") -> Decimal:
        job = self._bill(checked=True)
        amount = ledger.reserve(job, reason=event.kind, actor=event.actor)
        self._tell_budget_alerts(job)
        return amount

    def _hold_again(self, event: "GenerationEvent") -> Decimal | None:
        job = self._bill(checked=True)
        amount = ledger.hold_again(job, reason=event.kind, actor=event.actor)
        if amount is not None:
            self._tell_budget_alerts(job)
        return amount

    def _tell_budget_alerts(self, job: ledger.Job) -> None:
        """At 80 % and 100 % of a project's budget, its people and the admins are told in
        the app, once per level and period (billing remembers, under the project's lock),
        after the reservation commits."""
        if job.project is None:
            return
        alerts = ledger.budget_alerts(job.project)
        if alerts:
            project = self.project
            transaction.on_commit(
                lambda: budget_reached.send(sender=Project, project=project, alerts=alerts)
            )

    def _settle(self, event: "GenerationEvent") -> Decimal | None:
        return ledger.settle(self._bill(), reason=EventKind.RENDERED, actor=event.actor)

    def _cancelled(self, event: "GenerationEvent") -> Decimal | None:
        return ledger.release(self.pk, reason=EventKind.CANCELLED, actor=event.actor)

    def _after_failure(self, event: "GenerationEvent") -> Decimal | None:
        # Only where no video can come of the job. Lost contact or a failed download: the
        # task may be made and billed, so its reservation stays until CometAPI finishes it
        # or an admin gives a verdict (so for timed out, uncertain and stopped, too).
        if not self.task_id:
            # Refused before a task existed (400, 401, 402, a rate limit that never got through).
            return ledger.release(self.pk, reason="not_created", actor=event.actor)
        if self.error_code.startswith("task:"):
            return ledger.failed_task(self._bill(), actor=event.actor)
        return None

    def _check_rate(self) -> None:
        """billing's per-minute limit, counted from this person's sends (raises TooFast)."""

        def sends_since(when) -> int:
            return SENDS_SINCE.rows(self.owner_id, when)[0][0]

        ledger.check_rate(self.owner, sends_since)

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

    # --- what a worker step does (in memory; `release` writes it) -------------------

    def schedule(self, delay: float = 0.0) -> None:
        self.next_action_at = timezone.now() + timedelta(seconds=delay)

    def start(self, actor=None) -> None:
        """A new job: waiting to be sent, with a fresh deadline."""
        self._begin()
        self._record(EventKind.CREATED, actor=actor or self.owner, was="", money=self._reserve)

    def _begin(self) -> None:
        self.started_at = timezone.now()
        self.saved_at = None
        self.completed_at = None
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
        self._record(EventKind.RENDERED, was=was, money=self._settle)

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
        self._record(EventKind.FAILED, reason, was=was, money=self._after_failure)

    def mark_timed_out(self) -> None:
        was = self.status
        self.status = Status.TIMED_OUT
        self.failure_reason = wording.timed_out(
            timezone.now() - (self.started_at or self.created_at)
        )
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
        self._record(EventKind.CHECKED_AGAIN, actor=actor, was=was, money=self._hold_again)

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
        self._record(EventKind.SENT_AGAIN, actor=actor, was=was, money=self._reserve)

    @property
    def waits_for_slot(self) -> bool:
        return waits_for_slot(self.status, self.submit_started_at)

    @property
    def can_cancel(self) -> bool:
        # Not yet handed to CometAPI: nothing can be billed.
        return self.waits_for_slot

    @property
    def can_stop(self) -> bool:
        return self.is_active and not self.can_cancel and self.status != Status.SAVING

    def cancel(self, actor=None) -> None:
        was = self.status
        self.status = Status.FAILED
        self.failure_reason = wording.CANCELLED
        self.error_code = CANCELLED_CODE
        self.next_action_at = None
        self.lease = None  # a worker holding the job loses it and writes nothing
        self._record(EventKind.CANCELLED, actor=actor, was=was, money=self._cancelled)

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
        """A person's "Check again"; False when the job no longer waits for a check. Raises
        billing's TooFast or CapExceeded (and changes nothing) past a limit or a cap."""
        with self._locked_for_sending() as job:
            if not job.can_check_again:
                return False
            job._check_rate()
            job.check_again(actor=person)
            job.save()  # holds its cost again if a verdict had released it, or refuses
        return True

    def submit_again_for(self, person) -> bool:
        """A person's "Try again" or "Send again"; False when the job is not in a state for it.
        Raises billing's TooFast or CapExceeded (and changes nothing) past a limit or a cap."""
        with self._locked_for_sending() as job:
            if not job.can_submit_again:
                return False
            job._check_rate()
            job.submit_again(actor=person)
            job.save()  # reserves the new attempt under the caps, or refuses
        return True

    @contextmanager
    def _locked_for_sending(self) -> Iterator["Generation"]:
        """The job under its row lock, the team's and the owner's money locks taken first
        (the order every New video post takes them in), for a change that sends it back
        to CometAPI: its rate check, state change and reservation commit together."""
        with transaction.atomic(), ledger.holding(self.owner):
            with self._locked() as job:
                yield job

    def note_money_changed(self) -> None:
        """An admin's verdict changed what the job's page says it cost: its row's version
        moves, so no kept page shows the old figure."""
        Generation.objects.filter(pk=self.pk).update(updated_at=timezone.now())

    def delete_for(self, person) -> bool:
        """Delete a finished job and its files; a job still being made cannot be deleted."""
        with self._locked() as job:
            if job.is_active:
                return False
            names = [f.name for f in job.stored_files()]
            job._record(EventKind.DELETED, actor=person)
            job._write_events()
            job._hand_stack_on()
            job.delete()
        _delete_files(names)  # only once the row is gone for good
        return True

    def trash_for(self, person) -> bool:
        """Move a finished job to the Trash; a job still being made cannot be trashed."""
        with self._locked() as job:
            self.status, self.trashed_at = job.status, job.trashed_at
            if not job.can_trash:
                return False
            job.trashed_at = timezone.now()
            job._record(EventKind.TRASHED, actor=person)
            job.save(update_fields=["trashed_at", "updated_at"])
        self.trashed_at = job.trashed_at
        return True

    def restore_for(self, person) -> bool:
        with self._locked() as job:
            if job.trashed_at is None:
                return False
            job.trashed_at = None
            job._record(EventKind.RESTORED, actor=person)
            job.save(update_fields=["trashed_at", "updated_at"])
        self.trashed_at = None
        return True

    def purge(self, trashed_before) -> bool:
        """The worker's: delete a job that lay in the Trash since before `trashed_before`."""
        with self._locked() as job:
            if job.trashed_at is None or job.trashed_at >= trashed_before or job.is_active:
                return False
            names = [f.name for f in job.stored_files()]
            job._record(EventKind.PURGED, "In the Trash longer than the keep period.")
            job._write_events()
            job._hand_stack_on()
            job.delete()
        _delete_files(names)
        return True

    def is_starred_by(self, person) -> bool:
        return self.stars.filter(person=person).exists()

    def set_star_for(self, person, starred: bool) -> None:
        """A person's own star: stars are per person, so sharing keeps them personal."""
        if starred:
            Favourite.objects.get_or_create(person=person, generation=self)
        else:
            Favourite.objects.filter(person=person, generation=self).delete()

    def share(self, actor, reason: str = "") -> None:
        self.shared_at = timezone.now()
        self._record(EventKind.SHARED, reason, actor=actor)

    def share_for(self, person) -> bool:
        """The owner's "Share with the team"; False when it already was shared."""
        with self._locked() as job:
            if job.is_shared:
                return False
            job.share(actor=person)
            job.save(update_fields=["shared_at", "updated_at"])
        self.shared_at = job.shared_at
        return True

    def unshare_for(self, person) -> bool:
        """The owner's "Unshare": from the next request on, only the owner sees the video,
        its files and its comments. False when it was not shared."""
        with self._locked() as job:
            if not job.is_shared:
                return False
            job.shared_at = None
            job._record(EventKind.UNSHARED, actor=person)
            job.save(update_fields=["shared_at", "updated_at"])
        self.shared_at = None
        return True

    def move_for(self, person, project: "Project | None") -> bool:
        """The owner puts the video in `project` (None: out of any project). The caller
        has checked that `person` may use the project. False when it already was there."""
        with self._locked() as job:
            if job.project_id == (project.pk if project else None):
                return False
            job.project = project
            job._record(
                EventKind.MOVED,
                f"Into {project.name}." if project else "Out of its project.",
                actor=person,
            )
            job.save(update_fields=["project", "updated_at"])
        self.project = project
        return True

    @property
    def display_title(self) -> str:
        """What cards, the page, the audit and download names call the video."""
        return self.title or label_of(self.prompt)

    def rename_for(self, person, title: str) -> bool:
        """A new title ("" goes back to the prompt's beginning). False when unchanged.
        The caller has checked that `person` may change the video."""
        title = " ".join(title.split())[:120]
        with self._locked() as job:
            if job.title == title:
                return False
            job.title = title
            job._record(EventKind.RENAMED, f"Now “{job.display_title}”.", actor=person)
            job.save(update_fields=["title", "updated_at"])
        self.title = title
        return True

    def decide_for(self, actor, status: str, *, guest_name: str = "") -> bool:
        """Set the review status; `actor` None with a `guest_name` is a guest's decision
        through a review link. The caller has checked who may decide. False when
        unchanged."""
        status = ReviewStatus(status)
        with self._locked() as job:
            if job.review_status == status:
                return False
            job.review_status = status
            by_guest = f" by {guest_name} (guest)" if actor is None and guest_name else ""
            job._record(EventKind.REVIEWED, f"{status.label}{by_guest}.", actor=actor)
            job.save(update_fields=["review_status", "updated_at"])
        self.review_status = status
        return True

    # --- versions: a stack of one person's tries at one video (README, "Review") --------

    @property
    def stack_root_id(self):
        """The id of the stack's first video (this one's own id on a first version)."""
        return self.stack_id or self.pk

    def _store_first_frame(self, first_frame: FirstFrame, saved_files: list[str]) -> None:
        """Save the first frame and its thumbnail as this job's files, each name added to
        `saved_files` as soon as it exists, for the caller to delete if the row is not saved
        after all (a failed thumbnail leaves no orphan either)."""
        saved_files.append(default_storage.save(first_frame_name(), ContentFile(first_frame.image)))
        self.first_frame.name = saved_files[-1]
        saved_files.append(
            default_storage.save(thumbnail_name(), ContentFile(first_frame.thumbnail))
        )
        self.first_frame_thumbnail.name = saved_files[-1]

    def _join_stack(self, source: "Generation | None") -> None:
        """A new job made from `source` (Edit and try again, Make another like this, a
        continued shot) is its stack's next version, when it is one request's only video
        and its owner's: several takes stay takes, and a teammate's remake starts a stack
        of its own. Called in the transaction that saves the new row: the stack's first
        row is locked, so two tries at once get two numbers."""
        if source is None or self.take_group is not None or source.owner_id != self.owner_id:
            return
        root_id = source.stack_id or source.pk
        with transaction.atomic():
            root = Generation.objects.select_for_update().filter(pk=root_id).first()
            if root is None:
                return
            newest = Generation.objects.filter(stack_id=root_id).aggregate(v=models.Max("version"))[
                "v"
            ]
            self.stack_id = root_id
            self.version = max(newest or 1, root.version) + 1
            self.title = self.title or source.title  # a renamed video's next try keeps its name

    def versions(self):
        """Every version of this video's stack, the first included, oldest first (not
        limited to what anyone may see: ask generations.access)."""
        root = self.stack_root_id
        return Generation.objects.filter(Q(pk=root) | Q(stack_id=root)).order_by("version", "pk")

    def _hand_stack_on(self) -> None:
        """This first version is going for good: the next one becomes the stack's first,
        so the later ones stay one stack (and keep their numbers)."""
        if self.stack_id is not None:
            return
        later = Generation.objects.filter(stack_id=self.pk).order_by("version", "pk")
        heir = later.first()
        if heir is None:
            return
        later.exclude(pk=heir.pk).update(stack_id=heir.pk)
        Generation.objects.filter(pk=heir.pk).update(stack_id=None, updated_at=timezone.now())

    def hand_over_for(self, admin, new_owner) -> bool:
        """An admin gives a finished video to someone else (its maker left the studio). It
        keeps its privacy: shared stays shared, private becomes private to the new owner.
        Its history and its money stay as they were; False while it is still being made."""
        with self._locked() as job:
            if job.is_active or job.owner_id == new_owner.pk:
                return False
            before = job.owner
            job.owner = new_owner
            job._record(
                EventKind.HANDED_OVER,
                f"From {before.get_username()} to {new_owner.get_username()}.",
                actor=admin,
            )
            job.save(update_fields=["owner", "updated_at"])
        self.owner = new_owner
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


# The header's running jobs (Generation.objects.running_for), asked on every page.
RUNNING = Prepared(
    lambda owner_pk: (
        Generation.objects.filter(owner_id=owner_pk)
        .active()
        .order_by()
        .values_list("pk", "status", "submit_started_at")[:50]
    ),
    Generation._meta.get_field("owner").target_field,
)


class RunningJobs(list):
    """A person's unfinished jobs as the header's pill counts them: their ids (text), and
    how many of them still wait for a slot (accepted, not yet sent: "2 running · 4
    waiting", so the pill never calls a queued job running)."""

    waiting = 0

    @property
    def at_work(self) -> int:
        return len(self) - self.waiting

    @classmethod
    def of(cls, rows) -> "RunningJobs":
        """From (pk, status, submit_started_at) rows; pk a UUID or the database's text."""
        to_python = Generation._meta.pk.to_python
        jobs = cls()
        for pk, status, submit_started_at in rows:
            jobs.append(str(to_python(pk)))
            jobs.waiting += waits_for_slot(status, submit_started_at)
        return jobs


def _made_by_token(owner, token):
    return Generation.objects.filter(owner_id=owner, client_token=token)


def _made_by_token_or_asking(owner, token, prompt, model, seconds, size, sha, take, since):
    asking = Q(prompt=prompt, model=model, seconds=seconds, size=size, first_frame_sha256=sha)
    recent = asking & Q(take_number=take, created_at__gte=since) & ~Q(status=Status.FAILED)
    return Generation.objects.filter(Q(client_token=token) | recent, owner_id=owner)


_FIELD = {field.name: field for field in Generation._meta.concrete_fields}
MADE_BY_TOKEN = Prepared(_made_by_token, _FIELD["owner"], _FIELD["client_token"])
MADE_BY_TOKEN_OR_ASKING = Prepared(
    _made_by_token_or_asking,
    _FIELD["owner"],
    _FIELD["client_token"],
    *[_FIELD[name] for name in REQUEST_FIELDS],
    _FIELD["created_at"],
)


def made_by_token_or_asking(owner, token, asked: dict, since) -> list[Generation]:
    """The repeat guard's one read: the job a form's token made, if any (a person's tokens
    are unique), and, from `since` on (None: not at all), the jobs that ask for the same
    (`asked`: REQUEST_FIELDS) and did not fail. Newest first."""
    if since is None:
        return MADE_BY_TOKEN.objects(owner.pk, token)
    values = [asked[name] for name in REQUEST_FIELDS]
    return MADE_BY_TOKEN_OR_ASKING.objects(owner.pk, token, *values, since)


def running_ids(user) -> RunningJobs:
    """`Generation.objects.running_for(user)` (the header indicator, on every page and
    every few seconds), from the query built once per process."""
    return RunningJobs.of(RUNNING.rows(user.pk))


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
    TRASHED = "trashed", "Moved to the Trash"
    RESTORED = "restored", "Restored from the Trash"
    PURGED = "purged", "Deleted from the Trash for good"
    SHARED = "shared", "Shared with the team"
    UNSHARED = "unshared", "Unshared"
    HANDED_OVER = "handed_over", "Handed over"
    MOVED = "moved", "Moved to another project"
    RENAMED = "renamed", "Renamed"
    REVIEWED = "reviewed", "Review status changed"


FAILURE_KINDS = {EventKind.FAILED, EventKind.TIMED_OUT, EventKind.UNCERTAIN}
# The events that send a job (back) to CometAPI: each is counted by the per-minute limit.
SENDS = (EventKind.CREATED, EventKind.SENT_AGAIN, EventKind.CHECKED_AGAIN)
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
        indexes = [
            models.Index(fields=["owner", "created_at"]),
            # A person's newest event: the version of their gallery's counts (gallery.py).
            models.Index(fields=["owner", "-id"], name="event_owner_newest"),
        ]

    # What the event does to the bill before it is written (Generation._record); not a column.
    money: "Callable[[GenerationEvent], Decimal | None] | None" = None

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.from_status} → {self.to_status})"

    @property
    def task_ref(self) -> str:
        """CometAPI's task id when this event is the job's sending: support's business, shown
        folded to admins rather than as the event's reason."""
        prefix = "CometAPI task "
        if self.kind == EventKind.SUBMITTED and self.reason.startswith(prefix):
            return self.reason.removeprefix(prefix)
        return ""

    @property
    def shown_reason(self) -> str:
        return "" if self.task_ref else self.reason

    @property
    def frees_a_slot(self) -> bool:
        return self.from_status in AT_COMETAPI and self.to_status not in AT_COMETAPI

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


class Favourite(models.Model):
    """One person's star on one video."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "generation"], name="one_star_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} ★ {self.generation_id}"


class CommentQuerySet(models.QuerySet):
    def version(self) -> str:
        """Changes whenever a comment is written, edited or deleted: a poll that finds the
        same version has nothing to swap."""
        facts = self.aggregate(
            count=models.Count("pk"),
            latest=models.Max("updated_at"),
            newest=models.Max("pk"),
            resolved=models.Count("pk", filter=models.Q(resolved_at__isnull=False)),
            last_resolved=models.Max("resolved_at"),
        )
        return _comments_version(
            facts["count"],
            facts["newest"],
            facts["latest"],
            facts["resolved"],
            facts["last_resolved"],
        )


def _comments_version(
    count: int, newest: int | None, latest, resolved=0, last_resolved=None
) -> str:
    """Resolving moves no `updated_at` (it is not an edit): its own two facts are in."""
    version = f"{count}.{newest or 0}.{latest.timestamp() if latest else 0:.6f}"
    if resolved:
        version += f".{resolved}.{last_resolved.timestamp():.6f}"
    return version


class Comment(models.Model):
    """A teammate's (or the owner's) word on a video, perhaps about one moment of it."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="comments")
    # A deactivated author keeps the row, and so their name on what they wrote. Empty for
    # a guest's comment through a review link: `guest_name` is the name they gave.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="video_comments",
    )
    guest_name = models.CharField(max_length=80, blank=True)
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    at_seconds = models.FloatField("moment of the video", null=True, blank=True)
    # Shapes drawn on the paused frame, in the frame's own 0..1 coordinates (not pixels).
    drawing = models.JSONField(default=list, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["generation", "created_at"])]

    def __str__(self) -> str:
        return self.body[:40]

    @staticmethod
    def version_of(comments: "list[Comment]") -> str:
        """`CommentQuerySet.version` of rows already read: a page that shows every comment
        needs no second query to know it."""
        return _comments_version(
            len(comments),
            max((c.pk for c in comments), default=None),
            max((c.updated_at for c in comments), default=None),
            sum(c.resolved_at is not None for c in comments),
            max((c.resolved_at for c in comments if c.resolved_at), default=None),
        )

    @property
    def was_edited(self) -> bool:
        return self.updated_at - self.created_at > timedelta(seconds=1)

    @property
    def moment_label(self) -> str:
        return wording.moment_label(self.at_seconds) if self.at_seconds is not None else ""

    def edit(self, body: str, at_seconds: float | None) -> None:
        self.body = body
        self.at_seconds = at_seconds
        self.updated_at = timezone.now()
        self.save(update_fields=["body", "at_seconds", "updated_at"])

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    def resolve_for(self, person) -> bool:
        """Mark the comment dealt with (it folds, still readable); False if it already
        was. The caller has checked that `person` may (access.may_resolve)."""
        now = timezone.now()
        done = Comment.objects.filter(pk=self.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=person
        )
        if done:
            self.resolved_at, self.resolved_by = now, person
        return bool(done)

    def reopen_for(self, person) -> bool:
        """Undo `resolve_for`; False if the comment was open."""
        done = Comment.objects.filter(pk=self.pk, resolved_at__isnull=False).update(
            resolved_at=None, resolved_by=None
        )
        if done:
            self.resolved_at, self.resolved_by = None, None
        return bool(done)

    @property
    def moment_link(self) -> str:
        """Where a notification about this comment leads: the video's page at its moment,
        the comment picked out (static/js/drawing.js reads `c`)."""
        at = f"t={self.at_seconds:.1f}&" if self.at_seconds is not None else ""
        return f"{self.generation.get_absolute_url()}#{at}c={self.pk}"


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentioned you"
    COMMENT = "comment", "Comment on your video"
    DECISION = "decision", "Decision on your video"
    READY = "ready", "Video ready"
    FAILED = "failed", "Video failed"
    SHARED = "shared", "Shared with you"
    BUDGET = "budget", "Project budget"
    GUEST = "guest", "From a review link"


class Notification(models.Model):
    """One line in a person's inbox. Written only through generations.notifications.notify,
    which never writes one about a video the person cannot see."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind)
    generation = models.ForeignKey(
        Generation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who did it, as shown: a teammate's name, or a guest's through a review link.
    actor_name = models.CharField(max_length=150, blank=True)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text}"


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


def _sends_since(owner, when):
    # One row without GROUP BY: the count of the person's sends since then.
    sends = GenerationEvent.objects.filter(owner_id=owner, kind__in=SENDS, created_at__gte=when)
    one_row = sends.order_by().annotate(whole=models.Value(1)).values("whole")
    return one_row.annotate(sends=models.Count("pk")).values_list("sends")


# The per-minute limit's count (`Generation._check_rate`), built once per process.
SENDS_SINCE = Prepared(
    _sends_since,
    GenerationEvent._meta.get_field("owner"),
    GenerationEvent._meta.get_field("created_at"),
)
