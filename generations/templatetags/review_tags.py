"""The review branch's template helpers: who may decide, and the choices of a decision."""

from django import template

from generations.access import approved_count
from generations.access import may_decide as _may_decide
from generations.models import ReviewStatus

register = template.Library()


@register.filter
def may_decide(generation, user) -> bool:
    """Whether to show the review buttons; the decide view asks access.may_decide again."""
    return _may_decide(user, generation)


# The enum works its choices out again on each reading.
_CHOICES = tuple(ReviewStatus.choices)


@register.simple_tag
def review_choices() -> tuple[tuple[str, str], ...]:
    return _CHOICES


@register.inclusion_tag("generations/_approved.html", takes_context=True)
def approved_summary(context, where) -> dict:
    """`{% approved_summary "team" %}` (or "own", or a project's id): how many videos of the
    list are approved, with a link to the ZIP of those (one count query)."""
    user = context.get("user")
    where = str(where)
    count = approved_count(user, where) if user else 0
    request = context.get("request")
    only = bool(request and request.GET.get("review") == "approved")
    return {"approved_count": count, "where": where, "only_approved": only}
