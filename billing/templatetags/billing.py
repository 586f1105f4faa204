from django import template

from .. import ledger, slots

register = template.Library()


@register.inclusion_tag("billing/_estimate.html", takes_context=True)
def price_estimate(context, form):
    from ..views import estimate_context

    names = [name for name in ("model", "seconds", "size", "takes") if name in form.fields]
    data = form.data if form.is_bound else {name: form[name].value() for name in names}
    return estimate_context(context["request"].user, data)


@register.simple_tag
def slot_wait(generation) -> str:
    """ "Waiting for a free slot — 2 ahead of you" for a job held back by a limit."""
    ahead = slots.ahead_of(generation)
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
