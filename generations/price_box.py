"""What the New video form's price box reads besides the form: the model's list price at a
tier, the month's sums a cap is checked against and the person's cap row, from queries
built once per process (billing.ledger's, lib/prepared.py). The form's page asks them with
its own reads in one round trip (forms.new_form_reads); reports.usage.price_box_reads asks
them alone."""

from dataclasses import dataclass
from decimal import Decimal

from billing.ledger import LISTED_PRICE, MEMBER, MONTH_TOTALS, month_range, studio_day
from billing.models import Member, StudioSettings, person_and_team_totals_of


@dataclass
class PriceBox:
    """The price box's reads for a model at a tier."""

    model: str
    tier: str
    listed: Decimal | None  # the model's list price per second at the tier, if set
    totals: dict[str, Decimal]  # billing.ledger.month_totals(user)
    member: Member
    studio: StudioSettings


def statements(user, model: str, tier: str) -> list[tuple[str, list]]:
    """The list price, the month's sums and the cap row, to ask with other statements
    (`prepared.side_by_side`, `prepared.asked_together`)."""
    first, end = month_range(studio_day())
    return [
        LISTED_PRICE.statement(model, tier),
        MONTH_TOTALS.statement(user.pk, first, end),
        MEMBER.statement(user.pk),
    ]


def price_box(user, model: str, tier: str, rows: list, studio: StudioSettings) -> PriceBox:
    """The PriceBox from the row (None: no row) each of `statements(user, model, tier)`
    gave; the cap row made when there is none yet (Member.for_user)."""
    listed, totals, member = rows
    assert totals is not None  # sums without GROUP BY: always one row
    return PriceBox(
        model=model,
        tier=tier,
        listed=LISTED_PRICE.converted([listed], [0])[0][0] if listed else None,
        totals=person_and_team_totals_of(totals),
        member=MEMBER.instances_of([member])[0] if member else Member.for_user(user),
        studio=studio,
    )
