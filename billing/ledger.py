"""Prices, estimates and the ledger: reserve when a job is accepted, settle when CometAPI
made the video, release when nothing was made (or a failed task is not charged).

Money only: nothing here reads or writes a job. The jobs (generations) call `reserve`,
`hold_again`, `settle`, `failed_task`, `release` and `check_rate` with plain values (a `Job`:
who, which job id, what it renders) inside the transaction that writes the job's change of
state, so the state and the money commit together; the refusals are this module's own
exceptions (`CapExceeded`, `TooFast`), which the jobs let through to their views.

The one rule for money: a reservation is released only when the job can no longer make a
video, by the system (refused, failed task, cancelled before sending) or by an admin's
verdict on a job that has ended (`resolve`). Every way a job goes (back) to CometAPI (a new
job, Try again, Check again) passes `check_rate` and holds a reservation checked against the
caps, in the transaction of its state change; a video that renders with nothing held for it
is reserved and charged at once and flagged for the admins (`rendered_unreserved`).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from lib.prepared import Prepared
from veo.catalogue import EIGHT_SECONDS_ONLY, TIERS, Tier

from .models import (
    AuditEntry,
    EntryKind,
    LedgerEntry,
    Member,
    Price,
    ProjectAccount,
    StudioSettings,
    exact_sum,
    from_ticks,
    person_and_team_totals_of,
)

UNRESERVED = "rendered_unreserved"

# What a reservation reads, as queries built once per process (lib/prepared.py); the New
# video form's price box asks the same three (generations/price_box.py).
_PERSON = Member._meta.get_field("user")
_DAY = LedgerEntry._meta.get_field("day")
# `standing`'s month sums: one row of whole ticks (PERSON_AND_TEAM).
MONTH_TOTALS = Prepared(
    lambda pk, first, end: LedgerEntry.objects.in_days(first, end).person_and_team_sums(pk),
    _PERSON,
    _DAY,
    _DAY,
)
# A model's list price at a tier; `.values()` gives it as the exact Decimal.
LISTED_PRICE = Prepared(
    lambda model, tier: Price.objects.filter(model=model, tier=tier).values_list("list_per_second"),
    Price._meta.get_field("model"),
    Price._meta.get_field("tier"),
)
MEMBER = Prepared(lambda pk: Member.objects.filter(user_id=pk), _PERSON)
# The person's lock (`lock`): built in the first transaction that asks for it.
MEMBER_LOCKED = Prepared(lambda pk: Member.objects.select_for_update().filter(user_id=pk), _PERSON)

CENT = Decimal("0.01")


class ProjectBudget(NamedTuple):
    """What the ledger needs to know of a job's project: its id (kept on every entry), its
    name and whom to ask (for a refusal), and its budgets (None: no budget)."""

    ref: int
    name: str
    monthly_cap: Decimal | None = None
    total_cap: Decimal | None = None
    ask: str = "an admin"


class Job(NamedTuple):
    """What the ledger needs to know of a job: whose it is, its id, what it renders, and
    the project it is made for (None: no project)."""

    person: Any  # the owner (a user)
    ref: UUID
    model: str
    size: str
    seconds: int
    project: ProjectBudget | None = None


def dollars(value) -> str:
    amount = Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)
    # abs() also turns a rounded-away -0.004 into 0.00: never "$-0.00".
    return f"{'-' if amount < 0 else ''}${abs(amount)}"


def rate_label(rate: Decimal) -> str:
    text = f"{rate.quantize(Decimal('0.0001')).normalize():f}"
    if "." not in text or len(text.split(".")[1]) < 2:
        text = f"{rate.quantize(CENT)}"
    return f"${text}/s"


@dataclass
class Estimate:
    rate: Decimal
    seconds: int
    takes: int

    @property
    def per_take(self) -> Decimal:
        return self.rate * self.seconds

    @property
    def amount(self) -> Decimal:
        return self.per_take * self.takes

    @property
    def label(self) -> str:
        takes = f"{self.takes} takes × " if self.takes > 1 else ""
        return f"{dollars(self.amount)} · {takes}{self.seconds} s × {rate_label(self.rate)}"


def rate_for(
    model: str,
    size: str,
    studio: StudioSettings | None = None,
    listed: Decimal | None = None,
) -> Decimal:
    """The price per second after the studio's discount. `listed`: the list price of the
    model at the size's tier, when the caller already read its row (None: read here)."""
    studio = studio or StudioSettings.load()
    if listed is None:
        tier = TIERS.get(size, Tier.P720)
        found = LISTED_PRICE.values(model, tier)
        if found:
            listed = found[0][0]
        else:
            price = next(p for p in Price.table() if (p.model, p.tier) == (model, tier))
            listed = price.list_per_second
    return (listed * (100 - studio.discount_percent) / 100).quantize(Decimal("0.0001"))


def estimate(
    model: str,
    size: str,
    seconds: int,
    takes: int = 1,
    studio: StudioSettings | None = None,
    listed: Decimal | None = None,
) -> Estimate:
    if size in EIGHT_SECONDS_ONLY:
        seconds = 8  # Veo renders these only at 8 s; price what will be made
    return Estimate(rate_for(model, size, studio, listed), int(seconds), max(1, int(takes)))


# --- months -----------------------------------------------------------------------------


def studio_day(when=None) -> date:
    return timezone.localdate(when or timezone.now())


def month_range(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    end = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return first, end


@dataclass(frozen=True)
class Spend:
    """What a set of jobs cost: charged (spent) and still held for jobs being made, this
    month and since the start; exact (summed as whole ticks, see models.exact_sum)."""

    month_spent: Decimal
    month_held: Decimal
    spent: Decimal
    held: Decimal

    @property
    def month_total(self) -> Decimal:
        return self.month_spent + self.month_held

    @property
    def total(self) -> Decimal:
        return self.spent + self.held


def spend_of(job_refs, day: date | None = None) -> Spend:
    """The money of the jobs `job_refs` (ids, or a query of ids the caller builds: this
    module knows nothing of what groups them), in one query over the ledger."""
    first, end = month_range(day or studio_day())
    this_month = Q(day__gte=first, day__lt=end)
    sums = LedgerEntry.objects.filter(generation_ref__in=job_refs).aggregate(
        month_spent=exact_sum("charged", filter=this_month),
        month_held=exact_sum("reserved", filter=this_month),
        spent=exact_sum("charged"),
        held=exact_sum("reserved"),
    )
    return Spend(**{key: from_ticks(value) for key, value in sums.items()})


def last_months(count: int, today: date | None = None) -> list[date]:
    first = month_range(today or studio_day())[0]
    months = [first]
    while len(months) < count:
        previous = months[-1]
        months.append(
            previous.replace(year=previous.year - 1, month=12)
            if previous.month == 1
            else previous.replace(month=previous.month - 1)
        )
    return months


# --- where a person stands ---------------------------------------------------------------


@dataclass
class Standing:
    """A person's month: what is spent, what is held for jobs, and what is left under the
    tighter of their cap and the team's."""

    spent: Decimal
    reserved: Decimal
    cap: Decimal | None
    team_spent: Decimal
    team_cap: Decimal | None

    @property
    def committed(self) -> Decimal:
        return self.spent + self.reserved

    @property
    def left(self) -> Decimal | None:
        lefts = []
        if self.cap is not None:
            lefts.append(self.cap - self.committed)
        if self.team_cap is not None:
            lefts.append(self.team_cap - self.team_spent)
        return max(min(lefts), Decimal("0")) if lefts else None

    @property
    def team_is_tighter(self) -> bool:
        if self.team_cap is None:
            return False
        team_left = self.team_cap - self.team_spent
        return self.cap is None or team_left < self.cap - self.committed

    def allows(self, amount: Decimal) -> bool:
        return self.left is None or amount <= self.left


def standing(
    person,
    day: date | None = None,
    *,
    studio: StudioSettings | None = None,
    member: Member | None = None,
    totals: dict[str, Decimal] | None = None,
) -> Standing:
    """Read in one pass over the month's entries (the person's sums and the team's), with
    the caps from the rows the caller may already hold locked. `totals`: those sums for
    this month (`LedgerQuerySet.person_and_team_totals`), when the caller read them."""
    if totals is None:
        totals = month_totals(person, day)
    member = member or Member.for_user(person)
    return Standing(
        spent=totals["my_charged"],
        reserved=totals["my_reserved"],
        cap=member.monthly_cap,
        team_spent=totals["team_charged"] + totals["team_reserved"],
        team_cap=(studio or StudioSettings.load()).team_cap,
    )


def month_totals(person, day: date | None = None) -> dict[str, Decimal]:
    """The person's and the team's sums of the month of `day` (today), as `standing` checks
    them (`LedgerQuerySet.person_and_team_totals`), from the query built once per process."""
    first, end = month_range(day or studio_day())
    return person_and_team_totals_of(MONTH_TOTALS.rows(person.pk, first, end)[0])


def admins_to_ask() -> str:
    names = list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("username")
        .values_list("username", flat=True)[:3]
    )
    return ", ".join(names) if names else "an admin"


class CapExceeded(Exception):
    """A job (or a set of takes) would pass the person's or the team's monthly cap."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refusal(person, amount: Decimal, where: Standing | None = None) -> str:
    where = where or standing(person)
    whose = "the team's" if where.team_is_tighter else "your"
    # Caps are set on the People page (billing:team), which only admins open.
    ask = (
        "You can raise the cap on the People page."
        if getattr(person, "is_staff", False)
        else f"Ask {admins_to_ask()} to raise the cap on the People page."
    )
    return (
        f"This would cost {dollars(amount)}, but {whose} monthly cap leaves "
        f"{dollars(where.left)} this month. Nothing was sent to CometAPI. {ask}"
    )


def lock(person) -> tuple[StudioSettings, Member]:
    """Take the team's money lock, then the person's, until the transaction ends. Always in
    this order (and a project's after them: `lock_project`), so two transactions never wait
    on each other in a circle. Returns the two rows as read under their locks: what the caps
    are while the transaction holds them. The team's lock is shared while the team has no
    cap (`StudioSettings.for_money`): people then only take turns with themselves.
    Inside `holding(person)` the locks are held already: their rows are returned as read."""
    held = _held.get()
    if held is not None and held[0] == person.pk:
        return held[1], held[2]
    studio = StudioSettings.for_money()
    found = MEMBER_LOCKED.objects(person.pk)
    if not found:  # the person's first job: the row is made, then locked
        Member.for_user(person)
        found = MEMBER_LOCKED.objects(person.pk)
    return studio, found[0]


# The person whose money locks a `holding` block took, and the two rows read under them.
_held: ContextVar[tuple[Any, StudioSettings, Member] | None] = ContextVar("held", default=None)


@contextmanager
def holding(person) -> Iterator[tuple[StudioSettings, Member]]:
    """Take `lock(person)` for the block, inside a transaction that outlasts it: the rate
    check and the reservation in it (each calls `lock`) are answered by the one locking read,
    three statements fewer on PostgreSQL for each. Yields the rows read under the locks."""
    assert connection.in_atomic_block, "the locks last until the transaction ends"
    rows = lock(person)
    token = _held.set((person.pk, *rows))
    try:
        yield rows
    finally:
        _held.reset(token)


def lock_project(project_ref: int) -> ProjectAccount:
    """Take a project's lock until the transaction ends: always after the team's and the
    person's (`lock`) and after the job's row where that is held; nothing waits for
    another lock while holding it, so no circle can form."""
    return _locked(
        ProjectAccount,
        lambda: ProjectAccount.objects.get_or_create(project_ref=project_ref),
        project_ref=project_ref,
    )


@dataclass(frozen=True)
class ProjectStanding:
    """A project's money against its budgets: committed (charged and held) this month and
    in all, exact."""

    budget: ProjectBudget
    month: Decimal
    total: Decimal

    @property
    def month_left(self) -> Decimal | None:
        cap = self.budget.monthly_cap
        return None if cap is None else max(cap - self.month, Decimal("0"))

    @property
    def total_left(self) -> Decimal | None:
        cap = self.budget.total_cap
        return None if cap is None else max(cap - self.total, Decimal("0"))

    @property
    def left(self) -> Decimal | None:
        lefts = [v for v in (self.month_left, self.total_left) if v is not None]
        return min(lefts) if lefts else None

    @property
    def monthly_is_tighter(self) -> bool:
        return self.month_left is not None and (
            self.total_left is None or self.month_left <= self.total_left
        )

    def allows(self, amount: Decimal) -> bool:
        return self.left is None or amount <= self.left


def project_spend(project_refs, day: date | None = None) -> dict[int, Spend]:
    """The money spent and held for each project of `project_refs` (plain ids), this month
    and in all, in one query over the ledger: what was reserved for it while a video was in
    it (a video moved later keeps its money where it was spent)."""
    first, end = month_range(day or studio_day())
    return spends_by_project(project_spend_rows(list(project_refs), first, end))


def project_spend_rows(project_refs, first: date, end: date):
    """`project_spend`'s query for the projects `project_refs` (ids, or a query of them)
    and the month from `first` to `end`: its rows go to `spends_by_project`."""
    this_month = Q(day__gte=first, day__lt=end)
    return (
        LedgerEntry.objects.filter(project_ref__in=project_refs)
        .values_list("project_ref")
        .annotate(
            month_spent=exact_sum("charged", filter=this_month),
            month_held=exact_sum("reserved", filter=this_month),
            spent=exact_sum("charged"),
            held=exact_sum("reserved"),
        )
        .order_by()
    )


def spends_by_project(rows) -> dict[int, Spend]:
    """(project, month spent, month held, spent, held) rows, in ticks, as Spends by project."""
    return {
        ref: Spend(
            from_ticks(month_spent), from_ticks(month_held), from_ticks(spent), from_ticks(held)
        )
        for ref, month_spent, month_held, spent, held in rows
        if ref is not None
    }


NO_SPEND = Spend(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"))


def project_standing(budget: ProjectBudget, day: date | None = None) -> ProjectStanding:
    spend = project_spend([budget.ref], day).get(budget.ref, NO_SPEND)
    return ProjectStanding(budget, spend.month_total, spend.total)


def project_refusal(person, amount: Decimal, where: ProjectStanding) -> str:
    which = "monthly budget" if where.monthly_is_tighter else "budget"
    when = " this month" if where.monthly_is_tighter else ""
    ask = (
        "You can raise it on the project's page."
        if getattr(person, "is_staff", False)
        else f"Ask {where.budget.ask} to raise it on the project's page."
    )
    return (
        f"This would cost {dollars(amount)}, but the project “{where.budget.name}” has "
        f"{dollars(where.left)} left of its {which}{when}. Nothing was sent to CometAPI. {ask}"
    )


# Told once each per period and budget: the project's people and the admins (generations).
ALERT_LEVELS = (80, 100)


class BudgetAlert(NamedTuple):
    level: int  # percent
    monthly: bool
    committed: Decimal
    cap: Decimal


def budget_alerts(budget: ProjectBudget, day: date | None = None) -> list[BudgetAlert]:
    """The budget levels the project's spend has reached and nobody was told of yet; they
    are recorded as told. Call it in the transaction that reserved the money: under the
    project's lock, two racers never both report one level."""
    if budget.monthly_cap is None and budget.total_cap is None:
        return []
    account = lock_project(budget.ref)
    where = project_standing(budget, day)
    month = month_range(day or studio_day())[0]
    fresh = []
    periods = [
        (True, f"month:{month:%Y-%m}:{budget.monthly_cap}", budget.monthly_cap, where.month),
        (False, f"total:{budget.total_cap}", budget.total_cap, where.total),
    ]
    for monthly, key, cap, committed in periods:
        if cap is None or cap <= 0:
            continue
        told = account.alerted.get(key, 0)
        reached = [level for level in ALERT_LEVELS if committed * 100 >= cap * level]
        if reached and reached[-1] > told:
            fresh.append(BudgetAlert(reached[-1], monthly, committed, cap))
            account.alerted[key] = reached[-1]
    if fresh:
        account.save(update_fields=["alerted"])
    return fresh


def _locked(model, create, **lookup):
    # The rows exist after a studio's first job: one locking read, not a read and then
    # the locking read. The first time, the row is made and then locked.
    try:
        return model.objects.select_for_update().get(**lookup)
    except model.DoesNotExist:
        create()
        return model.objects.select_for_update().get(**lookup)


# --- what a job's changes of state do to the money ----------------------------------------


def reserve(job: Job, *, reason: str, actor=None) -> Decimal:
    """Hold a new attempt's cost, under the person's and the team's caps (their locks are
    taken first); raises CapExceeded, changing nothing. Returns the amount held."""
    return _reserve(job, reason=reason, actor=actor).amount


def _reserve(job: Job, *, reason: str, actor=None, checked: bool = True) -> LedgerEntry:
    # Unchecked (a video already made) takes no lock: the worker holds the job's row, and
    # the locks are always taken team, person, then job.
    studio, member = lock(job.person) if checked else (StudioSettings.load(), None)
    quote = estimate(job.model, job.size, job.seconds, studio=studio)
    if checked:
        where = standing(job.person, studio=studio, member=member)
        budgeted = job.project is not None and (
            job.project.monthly_cap is not None or job.project.total_cap is not None
        )
        if job.project is not None and budgeted:
            lock_project(job.project.ref)
            project_where = project_standing(job.project)
            if not project_where.allows(quote.amount) and (
                where.left is None or project_where.left <= where.left  # type: ignore[operator]
            ):
                raise CapExceeded(project_refusal(job.person, quote.amount, project_where))
        if not where.allows(quote.amount):
            raise CapExceeded(refusal(job.person, quote.amount, where))
    return LedgerEntry.objects.create(
        person_id=job.person.pk,
        generation_ref=job.ref,
        project_ref=job.project.ref if job.project is not None else None,
        kind=EntryKind.RESERVE,
        reason=reason if checked else UNRESERVED,
        rate=quote.rate,
        seconds=quote.seconds,
        amount=quote.amount,
        reserved=quote.amount,
        charged=Decimal("0"),
        day=studio_day(),
        actor=actor,
    )


def hold_again(job: Job, *, reason: str, actor=None) -> Decimal | None:
    """Check again watches the same task: its reservation still holds it, or the task was
    already charged by a verdict (None: nothing new held). Released by a verdict ("nothing
    was charged"), it may yet make a video, so it is held again, under the caps, like a new
    job."""
    latest = charge_of(job.ref)
    if latest is None or _closed_as(latest) == EntryKind.RELEASE:
        return reserve(job, reason=reason, actor=actor)
    return None


def _closed_as(reservation: LedgerEntry) -> str | None:
    return (
        LedgerEntry.objects.filter(reservation=reservation).values_list("kind", flat=True).first()
    )


def failed_task(job: Job, *, actor=None) -> Decimal | None:
    """A task CometAPI says failed: charged or released as the studio's settings say."""
    if StudioSettings.load().failed_tasks_charged:
        return settle(job, reason="task_failed_charged", actor=actor)
    return release(job.ref, reason="task_failed", actor=actor)


def _open_reservation(job_ref) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.open_reservations()
        .filter(generation_ref=job_ref)
        .order_by("-pk")
        .first()
    )


def release(job_ref, *, reason: str, actor=None) -> Decimal | None:
    """Release the job's open reservation: call it only when no video can come of the job.
    Returns what the job was charged by it (nothing), or None when nothing was held."""
    reservation = _open_reservation(job_ref)
    if reservation is None:
        return None
    close(reservation, EntryKind.RELEASE, reason, actor=actor)
    return Decimal("0")


def settle(job: Job, *, reason: str, actor=None) -> Decimal | None:
    """Charge the job's reservation; None when an admin already recorded it as charged."""
    reservation = _open_reservation(job.ref)
    if reservation is None:
        latest = charge_of(job.ref)
        if latest is not None and _closed_as(latest) == EntryKind.SETTLE:
            return None  # an admin already recorded this task as charged: never twice
        # Made with nothing held for it: CometAPI bills it all the same. Charge it now,
        # past any cap (the money is spent), and tell the admins.
        reservation = _reserve(job, reason=reason, actor=actor, checked=False)
        reason = UNRESERVED
        AuditEntry.record(
            UNRESERVED,
            subject=job.person,
            detail="CometAPI made a video that had no reservation; it is charged now.",
            generation_ref=job.ref,
            amount=reservation.amount,
        )
    close(reservation, EntryKind.SETTLE, reason, actor=actor)
    return reservation.amount


def close(reservation: LedgerEntry, kind: str, reason: str, actor=None) -> LedgerEntry:
    """Settle or release one reservation (a closed one cannot be closed twice: the
    one-to-one link refuses a second closing entry)."""
    charged = reservation.amount if kind == EntryKind.SETTLE else Decimal("0")
    return LedgerEntry.objects.create(
        person_id=reservation.person_id,
        generation_ref=reservation.generation_ref,
        project_ref=reservation.project_ref,
        kind=kind,
        reservation=reservation,
        reason=reason,
        rate=reservation.rate,
        seconds=reservation.seconds,
        amount=reservation.amount,
        reserved=-reservation.amount,
        charged=charged,
        day=reservation.day,
        actor=actor,
    )


class CannotResolve(Exception):
    """A verdict that may not be given: the job is still being made, or the reservation
    was already closed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def open_reservation(entry_id: int) -> LedgerEntry:
    """A reservation still open, or LedgerEntry.DoesNotExist."""
    reservation = LedgerEntry.objects.open_reservations().filter(pk=entry_id).first()
    if reservation is None:
        raise LedgerEntry.DoesNotExist(entry_id)
    return reservation


def resolve(entry_id: int, verdict: str, admin) -> LedgerEntry:
    """An admin's verdict on a reservation whose job ended without CometAPI's word (stopped,
    timed out, uncertain, lost contact). The caller holds the job's row lock and has seen
    that the job no longer runs (generations' `resolve_reservation`), so a Check again or a
    worker step cannot slip in between."""
    reservation = (
        LedgerEntry.objects.open_reservations()
        .select_for_update(of=("self",))
        .filter(pk=entry_id)
        .first()
    )
    if reservation is None:
        raise CannotResolve("Someone already gave a verdict on this one.")
    charged = verdict == "charged"
    kind = EntryKind.SETTLE if charged else EntryKind.RELEASE
    entry = close(reservation, kind, f"resolved_{verdict}", actor=admin)
    AuditEntry.record(
        "resolved",
        actor=admin,
        subject=reservation.person,
        detail=f"charged {dollars(reservation.amount)}"
        if charged
        else f"not charged: {dollars(reservation.amount)} released",
        generation_ref=reservation.generation_ref,
        amount=reservation.amount if charged else Decimal("0"),
    )
    return entry


def charge_of(job_ref) -> LedgerEntry | None:
    """The rate and amount the job was (last) sent at."""
    return (
        LedgerEntry.objects.filter(generation_ref=job_ref, kind=EntryKind.RESERVE)
        .order_by("-pk")
        .first()
    )


@dataclass
class JobMoney:
    """What a job's page says about its cost: its latest attempt's reservation and how it
    was closed, if it was."""

    reservation: LedgerEntry
    closing: LedgerEntry | None
    active: bool

    @property
    def state(self) -> str:
        if self.closing is None:
            return "held" if self.active else "awaiting_verdict"
        return "charged" if self.closing.kind == EntryKind.SETTLE else "not_charged"

    @property
    def reason(self) -> str:
        return self.closing.reason if self.closing else ""

    @property
    def label(self) -> str:
        return Estimate(self.reservation.rate, self.reservation.seconds, 1).label


def reservations_of(job_ref):
    """A job's reservations, the latest first, each with the entry that closed it, if any
    (a job's page asks for the first: generations prepares the query once per process)."""
    return (
        LedgerEntry.objects.filter(generation_ref=job_ref, kind=EntryKind.RESERVE)
        .select_related("closed_by")
        .order_by("-pk")
    )


def money_of(job_ref, active: bool) -> JobMoney | None:
    return money_from(reservations_of(job_ref).first(), active)


def money_from(latest: LedgerEntry | None, active: bool) -> JobMoney | None:
    """What a job's page says of its cost, from its latest reservation (None: no cost line)."""
    if latest is None:
        return None
    closing = getattr(latest, "closed_by", None)
    return JobMoney(latest, closing, active)


class TooFast(Exception):
    """A burst of new jobs from one person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_rate(person, sends_since: Callable[[datetime], int], jobs: int = 1) -> None:
    """Refuse a burst: more than BILLING_CREATE_PER_MINUTE sends from one person in a minute
    (new jobs, Try again, Check again alike). `sends_since(when)` counts the person's sends
    from then on (the jobs know what a send is); it is asked under the person's lock, so
    parallel posts count too: call this in the transaction that records the send."""
    lock(person)
    limit = settings.BILLING_CREATE_PER_MINUTE
    if sends_since(timezone.now() - timedelta(minutes=1)) + jobs > limit:
        raise TooFast(
            f"That is a lot of videos at once: you can start up to {limit} a minute. "
            "Nothing was sent. Please wait a minute and try again."
        )


def refusal_for(person, data, project: ProjectBudget | None = None) -> str:
    """The refusal for a whole form (all its takes), read after the refused transaction:
    the project's budget when it is the tighter limit, else the person's or the team's cap."""
    quote = estimate(data["model"], data["size"], data["seconds"], data.get("takes", 1))
    where = standing(person)
    if project is not None:
        project_where = project_standing(project)
        if not project_where.allows(quote.amount) and (
            where.left is None or project_where.left <= where.left  # type: ignore[operator]
        ):
            return project_refusal(person, quote.amount, project_where)
    return refusal(person, quote.amount, where)


# --- a chat model's help with a prompt ------------------------------------------------------

MILLION = Decimal("1000000")
TICK = Decimal("0.0001")


def prompt_help_cost(
    input_tokens: int, output_tokens: int, studio: StudioSettings | None = None
) -> Decimal:
    """What one "Improve my prompt" call cost at the studio's token rates, rounded up to the
    ledger's ten-thousandth of a dollar: a call that cost anything is never written as $0."""
    studio = studio or StudioSettings.load()
    exact = (
        Decimal(max(0, input_tokens)) * studio.prompt_help_input_per_million
        + Decimal(max(0, output_tokens)) * studio.prompt_help_output_per_million
    ) / MILLION
    return exact.quantize(TICK, rounding=ROUND_UP)


def check_prompt_help(person) -> None:
    """Refuse a prompt-help call (CapExceeded) when the person's or the team's cap is used up:
    its cost is known only afterwards, but it must not start with nothing left."""
    where = standing(person)
    if where.left is not None and where.left <= 0:
        raise CapExceeded(refusal(person, TICK, where))


def charge_prompt_help(
    person, *, input_tokens: int, output_tokens: int, model: str = ""
) -> LedgerEntry:
    """Write one "Improve my prompt" call to the ledger: charged at once (the tokens are
    spent), nothing reserved, its own kind of entry. `generation_ref` is the call's own id,
    since no video is made; `seconds` stays 0 and `rate` is the output rate per million."""
    studio = StudioSettings.load()
    amount = prompt_help_cost(input_tokens, output_tokens, studio)
    reason = f"{input_tokens}+{output_tokens} tokens {model}".strip()
    return LedgerEntry.objects.create(
        person_id=person.pk,
        generation_ref=uuid4(),
        kind=EntryKind.PROMPT_HELP,
        reason=reason[:32],
        rate=studio.prompt_help_output_per_million,
        seconds=0,
        amount=amount,
        reserved=Decimal("0"),
        charged=amount,
        day=studio_day(),
        actor=person,
    )
