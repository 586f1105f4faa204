"""What the Usage page shows, read from the ledger: every figure is a sum of entries."""

import functools
import html
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import dateformat, translation
from django.utils.safestring import SafeString, mark_safe

from billing import ledger
from billing.ledger import (
    MEMBER,
    MONTH_TOTALS,
    UNRESERVED,
    dollars,
    last_months,
    month_range,
    studio_day,
)
from billing.models import (
    STUDIO_ROW,
    EntryKind,
    LedgerEntry,
    Member,
    StudioSettings,
    exact_sum,
    from_ticks,
    person_and_team_totals_of,
    usage_sums,
)
from generations import price_box
from generations.models import ACTIVE_STATUSES, Generation, Project
from generations.price_box import PriceBox
from lib.prepared import Prepared, asked_together, side_by_side

CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 620, 150, 12
# Room on the left of the day chart for its dollar axis; two steps: $0, half, the top.
CHART_GUTTER, AXIS_STEPS = 72, 2


@dataclass
class Month:
    first: date
    spent: Decimal
    reserved: Decimal
    not_charged: Decimal
    seconds: int
    videos: int
    # "Improve my prompt" calls: their cost (part of `spent`) and how many.
    prompt_help: Decimal = Decimal("0")
    prompt_helps: int = 0


def entries(person=None):
    found = LedgerEntry.objects.all()
    return found if person is None else found.filter(person=person)


# --- the months and the day chart, added up from each day's sums ---------------------------

FIGURES = tuple(usage_sums())
_DAY = LedgerEntry._meta.get_field("day")
_PERSON = LedgerEntry._meta.get_field("person").target_field


def _by_day(found):
    return found.values("day").annotate(**usage_sums()).order_by().values_list("day", *FIGURES)


# Each day's sums over a stretch of days, the team's or one person's, from queries built
# once per process (prepared.py): building the aggregate's SQL took the ORM some 4 ms, the
# database answers in a fraction of that. A year is at most 366 rows.
TEAM_DAYS = Prepared(
    lambda first, end: _by_day(LedgerEntry.objects.in_days(first, end)), _DAY, _DAY
)
PERSON_DAYS = Prepared(
    lambda pk, first, end: _by_day(LedgerEntry.objects.filter(person_id=pk).in_days(first, end)),
    _PERSON,
    _DAY,
    _DAY,
)
# The month's sums of each person who has entries in it (the admins' "Everyone" table).
PEOPLE_MONTH = Prepared(
    lambda first, end: (
        LedgerEntry.objects.in_days(first, end)
        .values("person")
        .annotate(**usage_sums())
        .order_by()
        .values_list("person", *FIGURES)
    ),
    _DAY,
    _DAY,
)


def _as_date(value) -> date:
    # SQLite hands a raw query's dates back as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def day_sums(person, first: date, end: date) -> dict[date, dict]:
    """Each day's sums (see billing.models.usage_sums) from `first` to before `end`, for
    `person` or the team (None): only the days with entries."""
    rows = TEAM_DAYS.rows(first, end) if person is None else PERSON_DAYS.rows(person.pk, first, end)
    return {_as_date(row[0]): dict(zip(FIGURES, row[1:], strict=True)) for row in rows}


def _month(first: date, days) -> Month:
    """A month from its days' sums: integers (ticks, seconds, counts) added up exactly."""
    total = dict.fromkeys(FIGURES, 0)
    for sums in days:
        for name, value in sums.items():
            total[name] += value or 0
    return Month(
        first=first,
        spent=from_ticks(total["charged"]),
        reserved=from_ticks(total["reserved"]),
        not_charged=from_ticks(total["not_charged"]),
        seconds=int(total["seconds"]),
        videos=int(total["videos"]),
        prompt_help=from_ticks(total["prompt_help"]),
        prompt_helps=int(total["prompt_helps"]),
    )


@dataclass
class History:
    """The last months of a person (or the team), newest first, and the days of the
    newest, from one query."""

    months: list[Month]
    days: dict[date, dict]

    @property
    def month(self) -> Month:
        return self.months[0]

    def chart(self) -> dict:
        first, end = month_range(self.month.first)
        spent = {
            day: from_ticks(sums["charged"]) for day, sums in self.days.items() if day >= first
        }
        return day_chart(first, end, spent)


def standing(person, month: Month) -> ledger.Standing:
    """Where `person` stands this month (ledger.standing), from their month already added
    up, the team's month, their cap row and the studio's (prepared reads)."""
    first, end = month_range(month.first)
    team = _month(first, day_sums(None, first, end).values())
    sums = {
        "my_charged": month.spent,
        "my_reserved": month.reserved,
        "team_charged": team.spent,
        "team_reserved": team.reserved,
    }
    return ledger.standing(
        person, month.first, totals=sums, member=member_of(person), studio=StudioSettings.load()
    )


def history(person=None, count: int = 12, day: date | None = None) -> History:
    firsts = last_months(count, day)
    return _history(firsts, day_sums(person, firsts[-1], month_range(firsts[0])[1]))


def _history(firsts: list[date], days: dict[date, dict]) -> History:
    in_month: dict[date, list[dict]] = {first: [] for first in firsts}
    for when, sums in days.items():
        in_month[when.replace(day=1)].append(sums)
    return History(months=[_month(first, in_month[first]) for first in firsts], days=days)


@dataclass
class PersonUsage:
    """What a person's Usage page reads of the ledger and their caps (see person_usage)."""

    history: History
    standing: ledger.Standing
    # Whether a reservation waits for a verdict (open_reservations' first question).
    awaiting_verdicts: bool


def person_usage(person, verdicts_for=None, count: int = 12) -> PersonUsage:
    """`history(person, count)`, `standing(person, …)` of this month and whether
    `open_reservations(verdicts_for)` has any, in one round trip on PostgreSQL: the
    person's days, the month's sums, their cap row, the studio's and the first open
    reservation (prepared.asked_together: each planned alone; joined side by side they took
    PostgreSQL half as long again, 0.74 ms against 0.50; tests/test_usage_page_reads.py
    holds them to the separate reads)."""
    firsts = last_months(count)
    first, end = month_range(firsts[0])
    waiting = (
        OPEN_IN_TEAM.statement() if verdicts_for is None else OPEN_OF.statement(verdicts_for.pk)
    )
    days, (totals,), member, studio, open_ = asked_together(
        [
            PERSON_DAYS.statement(person.pk, firsts[-1], end),
            MONTH_TOTALS.statement(person.pk, first, end),  # sums without GROUP BY: one row
            MEMBER.statement(person.pk),
            STUDIO_ROW.statement(1),
            waiting,
        ]
    )
    history = _history(
        firsts, {_as_date(row[0]): dict(zip(FIGURES, row[1:], strict=True)) for row in days}
    )
    where = ledger.standing(
        person,
        first,
        totals=person_and_team_totals_of(totals),
        member=MEMBER.instances_of(member)[0] if member else Member.for_user(person),
        studio=STUDIO_ROW.instances_of(studio)[0] if studio else StudioSettings.load(),
    )
    return PersonUsage(history, where, bool(open_))


def month(person=None, day: date | None = None) -> Month:
    return history(person, 1, day).month


def months(person=None, count: int = 12) -> list[Month]:
    return history(person, count).months


def per_person(day: date | None = None) -> list[tuple]:
    first, end = month_range(day or studio_day())
    found = {
        row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in PEOPLE_MONTH.rows(first, end)
    }
    people = get_user_model().objects.order_by("username")
    return [(person, _month(first, [found.get(person.pk, {})])) for person in people]


def chart(person=None, day: date | None = None) -> dict:
    return history(person, 1, day).chart()


def day_chart(first: date, end: date, spent: dict[date, Decimal]) -> dict:
    """Bars of the spend per day of the month, laid out for an inline SVG, with a value
    axis on the left: gridlines at round dollar amounts from $0 to just above the top day.
    Drawn once per month, spend and language (it took the page a tenth of its time), and
    shared: read it, never change it."""
    return _day_chart(first, end, tuple(sorted(spent.items())), translation.get_language())


@functools.lru_cache(maxsize=256)
def _day_chart(
    first: date, end: date, spent_by_day: tuple[tuple[date, Decimal], ...], language: str | None
) -> dict:
    spent = dict(spent_by_day)
    days = (end - first).days
    top = max([Decimal(v or 0) for v in spent.values()] + [Decimal("0")])
    scale = axis_top(top)
    plot = CHART_WIDTH - CHART_GUTTER
    slot = plot / days
    month_name = dateformat.format(first, "M")  # "j M" of each day, worked out once
    bars = []
    for index in range(days):
        when = first + timedelta(days=index)
        value = Decimal(spent.get(when) or 0)
        height = float(value / scale) * (CHART_HEIGHT - CHART_TOP)
        # Drawn as text here, not by filters in the template: a month's 31 bars through
        # localize, |date and |dollars took the template some 5 ms.
        bars.append(
            {
                "x": str(round(CHART_GUTTER + index * slot + 1, 1)),
                "width": str(round(max(slot - 2, 1), 1)),
                "y": str(round(CHART_HEIGHT - height, 1)),
                "height": str(round(height, 1)),
                "day": when,
                "amount": value,
                "title": f"{when.day} {month_name}: {dollars(value)}",
                "label_x": str(round(CHART_GUTTER + index * slot + slot / 2, 1)),
                "label": str(when.day) if index % 5 == 0 else "",
            }
        )
    ticks = [
        {
            "amount": scale * step / AXIS_STEPS,
            "y": round(CHART_HEIGHT - (CHART_HEIGHT - CHART_TOP) * step / AXIS_STEPS, 1),
        }
        for step in range(AXIS_STEPS + 1)
    ]
    return {
        "bars": bars,
        "bars_svg": bars_svg(bars, CHART_HEIGHT + 18),
        "ticks": ticks,
        "ticks_svg": ticks_svg(ticks),
        "top": top,
        "width": CHART_WIDTH,
        "gutter": CHART_GUTTER,
        "height": CHART_HEIGHT,
        "total_height": CHART_HEIGHT + 18,
    }


# The day chart's bars and the months' rows are written here, not by loops in usage.html:
# some 30 bars and 60 cells through the template's lookups and filters cost the page more
# than everything else on it. tests/test_billing_usage.py holds each to the loop it replaces.
_BAR = (
    '\n      <rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}</title></rect>\n      '
    "{}\n    "
)
_BAR_LABEL = '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>'
_TICK = (
    '<line x1="{gutter}" y1="{y}" x2="{width}" y2="{y}" class="{kind}"/><text x="{at}" y="{y}"'
    ' class="tick value" text-anchor="end" dominant-baseline="middle">{amount}</text>'
)
_MONTH_ROW = "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"


def bars_svg(bars: list[dict], label_y: int) -> SafeString:
    """The day chart's bars (day_chart's), each with its day's label every fifth day. All
    but the title are numbers day_chart wrote."""
    return mark_safe(  # the title escaped, the rest figures
        "".join(
            _BAR.format(
                bar["x"],
                bar["y"],
                bar["width"],
                bar["height"],
                html.escape(bar["title"]),
                _BAR_LABEL.format(bar["label_x"], label_y, bar["label"]) if bar["label"] else "",
            )
            for bar in bars
        )
    )


def ticks_svg(ticks: list[dict]) -> SafeString:
    """The value axis: a line and its dollar amount per tick, the first the axis itself."""
    return mark_safe(  # figures only
        "".join(
            _TICK.format(
                gutter=CHART_GUTTER,
                y=tick["y"],
                width=CHART_WIDTH,
                kind="axis" if index == 0 else "grid",
                at=CHART_GUTTER - 6,
                amount=html.escape(dollars(tick["amount"])),
            )
            for index, tick in enumerate(ticks)
        )
    )


def month_rows(months: list[Month]) -> SafeString:
    """The rows of "The last 12 months": month, spent, seconds, videos, not charged (as
    format_html_join drew them; the standard library's escape is what Django's calls),
    written once per figures and language."""
    figures = tuple(
        (month.first, month.spent, month.seconds, month.videos, month.not_charged)
        for month in months
    )
    return _month_rows(figures, translation.get_language())


@functools.lru_cache(maxsize=256)
def _month_rows(figures: tuple[tuple, ...], language: str | None) -> SafeString:
    return mark_safe(  # every cell escaped
        "".join(
            _MONTH_ROW.format(
                *(
                    html.escape(str(cell))
                    for cell in (
                        _month_label(first, language),
                        dollars(spent),
                        seconds,
                        videos,
                        dollars(not_charged),
                    )
                )
            )
            for first, spent, seconds, videos, not_charged in figures
        )
    )


class MonthNames(NamedTuple):
    name: str  # `date:"F"` of the month's first day: "November"
    with_year: str  # `date:"F Y"`: "November 2026"


def month_names(first: date) -> MonthNames:
    return _month_names(first, translation.get_language())


@functools.lru_cache(maxsize=512)
def _month_names(first: date, language: str | None) -> MonthNames:
    # The date filter took some 15 µs a call; a month's names in a language stay.
    return MonthNames(dateformat.format(first, "F"), dateformat.format(first, "F Y"))


@functools.lru_cache(maxsize=512)
def _month_label(first: date, language: str | None) -> str:
    """ "Nov 2026": `date:"M Y"` takes some 10 µs a row; a month's name in a language stays."""
    return dateformat.format(first, "M Y")


def axis_top(top: Decimal) -> Decimal:
    """The smallest round amount (1, 2 or 5 times a power of ten, at least $1) at or above
    `top`, so that the axis reads $0, a half and the whole in plain figures."""
    scale = Decimal("1")
    while scale < top:
        for factor in (2, Decimal("2.5"), 2):  # 1 → 2 → 5 → 10
            scale *= factor
            if scale >= top:
                break
    return scale


# Whether any reservation waits for a verdict (rarely): the page asks the full question,
# people and jobs joined, only when one does.
OPEN_IN_TEAM = Prepared(lambda: LedgerEntry.objects.open_reservations().values_list("pk")[:1])
OPEN_OF = Prepared(
    lambda pk: LedgerEntry.objects.filter(person_id=pk).open_reservations().values_list("pk")[:1],
    _PERSON,
)


def open_reservations(person=None, any_open: bool | None = None):
    """Reservations of jobs that ended without a verdict (uncertain, stopped, timed out,
    lost contact): they stay counted until a person says whether CometAPI charged them.
    `any_open`: whether there are any, when the caller already asked (person_usage)."""
    if any_open is None:
        any_open = bool(OPEN_IN_TEAM.rows() if person is None else OPEN_OF.rows(person.pk))
    if not any_open:
        return []
    open_ = entries(person).open_reservations().select_related("person").order_by("created_at")
    active = set(
        Generation.objects.filter(
            pk__in=[e.generation_ref for e in open_], status__in=ACTIVE_STATUSES
        ).values_list("pk", flat=True)
    )
    return [entry for entry in open_ if entry.generation_ref not in active]


def rendered_unreserved(person=None, day: date | None = None):
    """This month's videos that CometAPI made with nothing held for them, charged when they
    were made: for the admins to look into (how did a job reach CometAPI unreserved?)."""
    first, end = month_range(day or studio_day())
    found = entries(person).in_days(first, end).filter(kind=EntryKind.SETTLE, reason=UNRESERVED)
    return list(found.select_related("person").order_by("-created_at")[:50])


# --- by project (charging a client back) --------------------------------------------------

PROJECT_BAR_HEIGHT = 22


@dataclass
class ProjectUsage:
    """One project's money (None: videos made in no project), from the project kept on
    each ledger entry: what was reserved for it while a video was in it."""

    ref: int | None
    name: str
    month_spent: Decimal
    month_held: Decimal
    spent: Decimal
    held: Decimal
    videos: int  # made (charged) this month
    bar: float = 0.0

    @property
    def total(self) -> Decimal:
        return self.spent + self.held


def _names(refs) -> dict[int, str]:
    return dict(Project.objects.filter(pk__in=refs).values_list("pk", "name"))


def per_project(day: date | None = None) -> list[ProjectUsage]:
    """Every project's spend this month and in all (and "No project"), biggest month
    first, in one query over the ledger; `bar` is its share of the biggest month, for the
    chart."""
    first, end = month_range(day or studio_day())
    this_month = Q(day__gte=first, day__lt=end)
    rows = list(
        LedgerEntry.objects.values("project_ref")
        .annotate(
            month_spent=exact_sum("charged", filter=this_month),
            month_held=exact_sum("reserved", filter=this_month),
            spent=exact_sum("charged"),
            held=exact_sum("reserved"),
            videos=Count("pk", filter=this_month & Q(kind=EntryKind.SETTLE)),
        )
        .order_by()
    )
    names = _names([row["project_ref"] for row in rows if row["project_ref"] is not None])
    found = [
        ProjectUsage(
            ref=row["project_ref"],
            name=names.get(row["project_ref"], "(a project no longer there)")
            if row["project_ref"] is not None
            else "No project",
            month_spent=from_ticks(row["month_spent"]),
            month_held=from_ticks(row["month_held"]),
            spent=from_ticks(row["spent"]),
            held=from_ticks(row["held"]),
            videos=row["videos"],
        )
        for row in rows
    ]
    found.sort(key=lambda p: (p.ref is None, -(p.month_spent + p.month_held), p.name.lower()))
    top = max([p.month_spent + p.month_held for p in found] + [Decimal("0")])
    for project in found:
        project.bar = float((project.month_spent + project.month_held) / top * 100) if top else 0.0
    return found


def project_chart(rows: list[ProjectUsage]) -> dict:
    """Horizontal bars of each project's month (spent and held), laid out for inline SVG."""
    bars = []
    for index, row in enumerate(rows):
        bars.append(
            {
                "y": index * (PROJECT_BAR_HEIGHT + 8),
                "width": round(row.bar * (CHART_WIDTH - 200) / 100, 1),
                "row": row,
                "text_y": index * (PROJECT_BAR_HEIGHT + 8) + PROJECT_BAR_HEIGHT - 6,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(rows), 1) * (PROJECT_BAR_HEIGHT + 8),
        "label_width": 190,
    }


def per_project_months(count: int = 12) -> list[tuple]:
    """(month, project name, project id, spent, held, seconds, videos) for each project
    and month with money, the last `count` months, oldest first: the charge-back CSV."""
    months_ = sorted(last_months(count))
    first, end = months_[0], month_range(months_[-1])[1]
    rows = list(
        LedgerEntry.objects.in_days(first, end)
        .annotate(month=TruncMonth("day"))
        .values("month", "project_ref")
        .annotate(
            spent=exact_sum("charged"),
            held=exact_sum("reserved"),
            seconds=Sum("seconds", filter=Q(kind=EntryKind.SETTLE)),
            videos=Count("pk", filter=Q(kind=EntryKind.SETTLE)),
        )
        .order_by("month", "project_ref")
    )
    names = _names([row["project_ref"] for row in rows if row["project_ref"] is not None])
    return [
        (
            f"{row['month']:%Y-%m}",
            names.get(row["project_ref"], "") if row["project_ref"] is not None else "No project",
            row["project_ref"],
            from_ticks(row["spent"]),
            from_ticks(row["held"]),
            row["seconds"] or 0,
            row["videos"],
        )
        for row in rows
    ]


def price_box_reads(user, model: str, tier: str, studio: StudioSettings | None = None) -> PriceBox:
    """The list price, `ledger.month_totals(user)`, `member_of(user)` and (unless the caller holds
    it) the studio's settings, in one round trip (tests/test_usage_page_reads.py holds them
    to the separate reads)."""
    asked = price_box.statements(user, model, tier)
    if studio is None:
        asked.append(STUDIO_ROW.statement(1))
    _, rows = side_by_side(None, *asked)
    if studio is None:
        read_studio = rows.pop()
        studio = STUDIO_ROW.instances_of([read_studio])[0] if read_studio else StudioSettings.load()
    return price_box.price_box(user, model, tier, rows, studio)


def member_of(user) -> Member:
    """`Member.for_user(user)`, which makes the row when there is none yet."""
    found = MEMBER.objects(user.pk)
    return found[0] if found else Member.for_user(user)
