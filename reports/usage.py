"""What the Usage page shows, read from the ledger: every figure is a sum of entries."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from billing.ledger import UNRESERVED, last_months, month_range, studio_day
from billing.models import EntryKind, LedgerEntry
from generations.models import ACTIVE_STATUSES, Generation

CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 620, 150, 12


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


def month(person=None, day: date | None = None) -> Month:
    first, end = month_range(day or studio_day())
    sums = entries(person).in_days(first, end).totals()
    return Month(
        first=first,
        spent=Decimal(sums["charged"]),
        reserved=Decimal(sums["reserved"]),
        not_charged=Decimal(sums["not_charged"]),
        seconds=int(sums["seconds"]),
        videos=int(sums["videos"]),
        prompt_help=Decimal(sums["prompt_help"]),
        prompt_helps=int(sums["prompt_helps"]),
    )


def months(person=None, count: int = 12) -> list[Month]:
    return [month(person, first) for first in last_months(count)]


def per_person(day: date | None = None) -> list[tuple]:
    people = get_user_model().objects.order_by("username")
    return [(person, month(person, day)) for person in people]


def chart(person=None, day: date | None = None) -> dict:
    """Bars of the spend per day of the month, laid out for an inline SVG."""
    first, end = month_range(day or studio_day())
    spent = entries(person).in_days(first, end).per_day()
    days = (end - first).days
    top = max([Decimal(v or 0) for v in spent.values()] + [Decimal("0")])
    slot = CHART_WIDTH / days
    bars = []
    for index in range(days):
        when = first + timedelta(days=index)
        value = Decimal(spent.get(when) or 0)
        height = float(value / top) * (CHART_HEIGHT - CHART_TOP) if top else 0.0
        bars.append(
            {
                "x": round(index * slot + 1, 1),
                "width": round(max(slot - 2, 1), 1),
                "y": round(CHART_HEIGHT - height, 1),
                "height": round(height, 1),
                "day": when,
                "amount": value,
                "label_x": round(index * slot + slot / 2, 1),
                "labelled": index % 5 == 0,
            }
        )
    return {
        "bars": bars,
        "top": top,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "total_height": CHART_HEIGHT + 18,
    }


def open_reservations(person=None):
    """Reservations of jobs that ended without a verdict (uncertain, stopped, timed out,
    lost contact): they stay counted until a person says whether CometAPI charged them."""
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
