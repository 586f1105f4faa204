from django import template

from billing import ledger
from generations import slots

from ..views import estimate_context

register = template.Library()


@register.inclusion_tag("billing/_estimate.html", takes_context=True)
def price_estimate(context, form):
    names = [
        name for name in ("model", "seconds", "size", "takes", "project") if name in form.fields
    ]
    # An unsent form's values are its first ones (what `form[name].value()` gives, without
    # making a bound field of each: the drawing of the form kept, nothing else needs them).
    if form.is_bound:
        data = form.data
    else:
        fields = form.fields
        data = {
            name: fields[name].prepare_value(form.get_initial_for_field(fields[name], name))
            for name in names
        }
    return estimate_context(
        context["request"].user,
        data,
        form.usable_projects,
        studio=context.get("studio"),
        read=context.get("price_reads"),
    )


@register.inclusion_tag("billing/_slot_wait.html", takes_context=True)
def slot_wait_line(context, generation, view: str, strong: bool = False):
    """The "Waiting for a free slot — 2 ahead of you" line of a job held back by a limit,
    as its own polled element: when only the place moves, the page's poll swaps this line,
    not the whole card. The queue is read once per request, however many cards it shows."""
    return slots.wait_line_context(generation, view, _ahead(context, generation), strong=strong)


def _ahead(context, generation) -> int | None:
    if not generation.waits_for_slot:
        return None
    request = context.get("request")
    plan = getattr(request, slots.PLAN_ATTRIBUTE, None)
    if plan is None:
        plan = slots.snapshot()
        if request is not None:
            setattr(request, slots.PLAN_ATTRIBUTE, plan)
    return slots.ahead_of(generation, plan)


@register.inclusion_tag("billing/_job_money.html")
def job_money(generation):
    return {"generation": generation, "money": ledger.money_of(generation.pk, generation.is_active)}


@register.filter
def dollars(value) -> str:
    return ledger.dollars(value)
