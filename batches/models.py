"""A batch: a plan of videos read from a sheet, kept as a draft (so a reload or a fix
loses nothing) until the whole plan is generated at once."""

import functools
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from billing.models import StudioSettings
from generations.access import visible_generations
from generations.forms import usable_projects
from generations.models import Generation, Project
from sequences.access import visible_sequences
from sequences.models import Sequence

from . import rows as checks
from .sheet import MAX_ROWS, Sheet


class PlanRefused(Exception):
    """The plan was not generated, and nothing was reserved or sent: the sentence says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _BadRows(Exception):
    def __init__(self, rows: list):
        super().__init__(rows)
        self.rows = rows


class BatchQuerySet(models.QuerySet["Batch"]):
    def for_user(self, user):
        return self.filter(owner=user)


class Batch(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    name = models.CharField(max_length=200, blank=True)  # the file's name, or "Pasted rows"
    encoding = models.CharField(max_length=60, blank=True)  # what the file was read as
    ignored_columns = models.CharField(max_length=500, blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # linksplus: the sequence the videos go into as shots, in the rows' order.
    sequence = models.ForeignKey(
        Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return self.name or f"Batch {self.pk}"

    def get_absolute_url(self) -> str:
        if self.generated_at:
            return reverse("batches:videos", args=[self.pk])
        return reverse("batches:plan", args=[self.pk])

    @classmethod
    def from_sheet(cls, owner, sheet: Sheet, name: str) -> "Batch":
        """A draft of every row of the sheet, each checked now (bad ones keep their reason)."""
        with transaction.atomic():
            batch = cls.objects.create(
                owner=owner,
                name=name[:200],
                encoding=sheet.encoding,
                ignored_columns=", ".join(sheet.ignored_columns)[:500],
            )
            made = []
            for row in sheet.rows[:MAX_ROWS]:
                checked = checks.check(row.values, owner)
                reason = checked.reason
                # An unquoted comma in a prompt shifts the row's cells to the right.
                if row.extra_filled or (row.extra_cells and reason):
                    reason = (
                        f"This row has {row.extra_cells} more cell{'s' if row.extra_cells > 1 else ''} "
                        "than the header names: a comma inside a prompt needs the prompt in "
                        "double quotes. " + reason
                    ).strip()
                made.append(
                    BatchRow(batch=batch, line=row.line, **stored(checked.values), reason=reason)
                )
            BatchRow.objects.bulk_create(made)
        return batch

    @property
    def is_generated(self) -> bool:
        return self.generated_at is not None

    def plan_for(self, person) -> "Plan":
        """The rows with their prices, the total and where it stands against the caps."""
        rows = list(self.rows.all())
        studio = StudioSettings.load()
        # One price lookup per kind of row, not one per row (a plan has up to 200).
        quote = functools.cache(functools.partial(ledger.estimate, studio=studio))
        priced = [
            PlannedRow(
                row,
                None
                if row.reason
                else quote(row.model, row.size, int(row.seconds), int(row.takes)),
            )
            for row in rows
        ]
        return Plan(self, priced, ledger.standing(person, studio=studio))

    def choose_project(self, person, project: Project | None) -> None:
        if project is not None and not usable_projects(person).filter(pk=project.pk).exists():
            raise PlanRefused("That project is no longer open. Please pick another.")
        self.project = project
        fields = ["project", "updated_at"]
        if self.sequence is not None and self.sequence.project_id not in (None, self.project_id):
            self.sequence = None  # a project's sequence takes that project's videos only
            fields.append("sequence")
        self.save(update_fields=fields)

    def choose_sequence(self, person, sequence: Sequence | None) -> None:
        """The sequence the videos go into; a project's sequence brings its project (it
        takes that project's videos only, so its people see every shot)."""
        if sequence is not None:
            if not visible_sequences(person).filter(pk=sequence.pk).exists():
                raise PlanRefused("That sequence is no longer yours to edit. Please pick another.")
            if sequence.project_id is not None and sequence.project_id != self.project_id:
                if not usable_projects(person).filter(pk=sequence.project_id).exists():
                    raise PlanRefused(
                        "That sequence's project is no longer open. Please pick another."
                    )
                self.project = sequence.project
        self.sequence = sequence
        self.save(update_fields=["sequence", "project", "updated_at"])

    def _sequence_for(self, person, project: Project | None) -> Sequence | None:
        """The chosen sequence, locked, checked again as the plan is sent."""
        if self.sequence_id is None:
            return None
        sequence = (
            visible_sequences(person)
            .select_for_update(of=("self",))
            .filter(pk=self.sequence_id)
            .first()
        )
        if sequence is None:
            raise PlanRefused(
                "The sequence chosen for this plan is no longer yours to edit. "
                "Please pick another. Nothing was sent."
            )
        if sequence.project_id is not None and sequence.project_id != getattr(project, "pk", None):
            raise PlanRefused(
                f"“{sequence.title}” takes its project's videos only: please put the plan "
                "in that project, or pick another sequence. Nothing was sent."
            )
        return sequence

    def generate_for(self, person) -> bool:
        """Make every row's videos in one transaction: reserved as a whole through the New
        video form's create path, or refused as a whole (PlanRefused) with nothing reserved
        or sent. Once: a second click finds the first one's videos. True when this call
        made them."""
        total = Decimal("0")
        try:
            with transaction.atomic():
                batch = Batch.objects.select_for_update().get(pk=self.pk)
                if batch.generated_at:
                    return False
                rows = list(batch.rows.all())
                if not rows:
                    raise PlanRefused("This plan has no rows left. Upload a sheet to start again.")
                checked = [(row, checks.check(row.values(), person)) for row in rows]
                bad = [(row, one.reason) for row, one in checked if not one.ok]
                if bad:
                    raise _BadRows(bad)
                project = None
                if batch.project_id is not None:
                    project = usable_projects(person).filter(pk=batch.project_id).first()
                    if project is None:
                        raise PlanRefused(
                            "The project chosen for this plan is no longer open to you. "
                            "Please pick another. Nothing was sent."
                        )
                sequence = batch._sequence_for(person, project)
                studio = StudioSettings.load()
                total = sum(
                    (
                        ledger.estimate(
                            one.data["model"],
                            one.data["size"],
                            one.data["seconds"],
                            one.data["takes"],
                            studio,
                        ).amount
                        for _, one in checked
                    ),
                    Decimal("0"),
                )
                # The plan is one deliberate send: counted once against the per-minute limit;
                # each job's money is the ledger's own check as it is reserved.
                Generation.objects.check_rate_for(person)
                made: list[Generation] = []
                for row, one in checked:
                    jobs, _ = Generation.objects.create_takes(
                        person,
                        {**one.data, "client_token": row.token, "project": project},
                        takes=one.data["takes"],
                        planned=True,
                    )
                    row.videos.set(jobs)
                    made.extend(sorted(jobs, key=lambda job: job.take_number or 0))
                if sequence is not None:
                    sequence.add_jobs(person, made)
                batch.generated_at = timezone.now()
                batch.save(update_fields=["generated_at", "updated_at"])
        except _BadRows as refused:
            # Kept after the rolled-back transaction, so the plan shows each row's reason.
            for row, reason in refused.rows:
                BatchRow.objects.filter(pk=row.pk).update(reason=reason)
            count = len(refused.rows)
            lines = ", ".join(str(row.line) for row, _ in refused.rows[:10])
            raise PlanRefused(
                f"Nothing was sent: {count} row{'s' if count > 1 else ''} "
                f"still need{'' if count > 1 else 's'} fixing (line {lines})."
            ) from None
        except ledger.CapExceeded as exceeded:
            # Read after the refused transaction, so what is left is what is really left.
            where = ledger.standing(person)
            message = (
                ledger.refusal(person, total, where)
                if not where.allows(total)
                else exceeded.message  # a cap the standing does not show (a budget)
            )
            raise PlanRefused(
                f"The whole plan was refused: {message[0].lower()}{message[1:]}"
            ) from None
        except ledger.TooFast as refusal:
            raise PlanRefused(refusal.message) from None
        self.generated_at = batch.generated_at
        return True

    def videos_for(self, person):
        """The batch's videos `person` may see, in the plan's order."""
        return visible_generations(person).filter(batch_rows__batch=self)


class BatchRow(models.Model):
    """One line of the sheet, as written (friendly spellings made exact), and why it cannot
    be made yet (`reason`, empty for a good row). Checked again when generated."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    prompt = models.TextField(blank=True)
    model = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=100, blank=True)
    seconds = models.CharField(max_length=100, blank=True)
    takes = models.CharField(max_length=100, blank=True)
    title = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    # The row's jobs are found again by it (and its takes' tokens made from it).
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    videos = models.ManyToManyField(Generation, blank=True, related_name="batch_rows")

    class Meta:
        ordering = ["line", "pk"]

    def __str__(self) -> str:
        return f"Line {self.line}"

    def estimate(self, studio: StudioSettings | None = None) -> ledger.Estimate | None:
        """The row's price (all its takes), or None while it cannot be made."""
        if self.reason:
            return None
        return ledger.estimate(self.model, self.size, int(self.seconds), int(self.takes), studio)

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in checks.FIELDS}

    def _options(self, name: str) -> list[tuple[str, str, bool]]:
        """The edit form's choices, with the row's own value first when it is not one of
        them (so a wrong cell shows as it was written until another is picked)."""
        current = getattr(self, name)
        options = [(value, label, value == current) for value, label in checks.CHOICES[name]]
        if current not in {value for value, _, _ in options}:
            options.insert(0, (current, f"“{current}” (not available)", True))
        return options

    @property
    def model_options(self):
        return self._options("model")

    @property
    def size_options(self):
        return self._options("size")

    @property
    def seconds_options(self):
        return self._options("seconds")

    @property
    def takes_options(self):
        return self._options("takes")

    def change(self, person, values: dict[str, str]) -> checks.Checked:
        """Fix the row in place: kept as written, with its new reason (if any)."""
        checked = checks.check(values, person)
        for name, value in stored(checked.values).items():
            setattr(self, name, value)
        self.reason = checked.reason
        self.save()
        Batch.objects.filter(pk=self.batch_id).update(updated_at=timezone.now())
        return checked


def stored(values: dict[str, str]) -> dict[str, str]:
    """A row's cells as kept: a wrong model or size is kept to show, up to its field's size."""
    short = ("model", "size", "seconds", "takes")
    return {name: value[:100] if name in short else value for name, value in values.items()}


@dataclass
class PlannedRow:
    row: BatchRow
    estimate: "ledger.Estimate | None"


@dataclass
class CapLine:
    whose: str  # "Your monthly cap", "The team's monthly cap"
    cap: Decimal
    used: Decimal
    total: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.cap - self.used, Decimal("0"))

    @property
    def fits(self) -> bool:
        return self.total <= self.left

    @property
    def over_by(self) -> Decimal:
        return self.total - self.left


@dataclass
class Plan:
    batch: Batch
    rows: list[PlannedRow]
    standing: ledger.Standing

    @property
    def bad_rows(self) -> list[BatchRow]:
        return [planned.row for planned in self.rows if planned.row.reason]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.bad_rows

    @property
    def videos(self) -> int:
        return sum(planned.estimate.takes for planned in self.rows if planned.estimate)

    @property
    def total(self) -> Decimal:
        return sum(
            (planned.estimate.amount for planned in self.rows if planned.estimate), Decimal("0")
        )

    @property
    def caps(self) -> list[CapLine]:
        where, lines = self.standing, []
        if where.cap is not None:
            lines.append(CapLine("Your monthly cap", where.cap, where.committed, self.total))
        if where.team_cap is not None:
            lines.append(
                CapLine("The team's monthly cap", where.team_cap, where.team_spent, self.total)
            )
        return lines

    @property
    def fits(self) -> bool:
        return self.standing.allows(self.total)
