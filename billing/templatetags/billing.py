from django import template

from .. import ledger, slots

register = template.Library()


@register.inclusion_tag("billing/_estimate.html", takes_context=True)
def price_estimate(context, form):
    from ..views import estimate_context

    names = [name for name in ("model", "seconds", "size", "takes") if name in form.fields]
    data = form.data if form.is_bound else {name: form[name].value() for name in names}
    return estimate_context(context["request"].user, data)


@register.simple_tag(takes_context=True)
def slot_wait(context, generation) -> str:
    """The "Waiting for a free slot — 2 ahead of you" line of a job held back by a limit.
    The queue is read once per request, however many cards a page or a poll renders."""
    if generation.status != "waiting" or generation.submit_started_at is not None:
        return ""
    request = context.get("request")
    plan = getattr(request, "_billing_slots", None)
    if plan is None:
        plan = slots.snapshot()
        if request is not None:
            request._billing_slots = plan
    ahead = slots.ahead_of(generation, plan)
    if ahead is None:
        return ""
    if ahead == 0:
        return "Waiting for a free slot — you are next"
    return f"Waiting for a free slot — {ahead} ahead of you"


@register.inclusion_tag("billing/_job_money.html")
def job_money(generation):
    charge = ledger.charge_of(generation)
    label = ledger.Estimate(charge.rate, charge.seconds, 1).label if charge else ""
    return {"generation": generation, "charge": charge, "label": label}


@register.filter
def dollars(value) -> str:
    return ledger.dollars(value)
