"""A project's budget as a meter: spent of the budget, and what is left (team branch)."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from billing.ledger import dollars

register = template.Library()


@register.simple_tag
def budget_meter(label: str, used: Decimal, budget: Decimal) -> SafeString:
    """`{% budget_meter "This month" spend.month_total project.monthly_budget %}`."""
    percent = 100 if budget <= 0 else min(100, int(used * 100 / budget))
    left = max(budget - used, Decimal("0"))
    state = "over" if used >= budget else "near" if percent >= 80 else "fine"
    return format_html(
        '<li class="budget-meter {}"><span class="budget-label">{}: <strong>{}</strong> of {}'
        '</span> <span class="muted">{} left</span>'
        '<meter min="0" max="100" low="80" high="99" optimum="0" value="{}" '
        'aria-label="{} of the budget used">{} %</meter></li>',
        state,
        label,
        dollars(used),
        dollars(budget),
        dollars(left),
        percent,
        f"{percent} %",
        percent,
    )
