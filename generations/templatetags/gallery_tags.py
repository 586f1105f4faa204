from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from generations import polling
from generations.links import job_url as _job_url
from generations.links import page_url
from generations.wording import duration_label

register = template.Library()


@register.filter
def job_url(pk, name: str) -> str:
    """`{{ generation.pk|job_url:"generations:poster" }}`: `{% url %}` at a fraction of its
    cost, for the pages that link many jobs (see generations/links.py)."""
    return _job_url(name, pk)


@register.simple_tag
def link(name: str) -> str:
    """`{% link "generations:index" %}`: `{% url %}` of a page without arguments, for the
    links every page carries (see generations/links.py)."""
    return page_url(name)


@register.filter
def undo_ids(extra_tags: str) -> list[str]:
    """The ids a "Moved to the Trash" message can bring back (kept in its extra tags)."""
    for tag in (extra_tags or "").split():
        if tag.startswith("undo:"):
            return [pk for pk in tag[len("undo:") :].split(",") if pk]
    return []


@register.filter
def first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


@register.filter
def attr_value(form, name: str) -> str:
    """A bound form field's current value as text, for marking the selected option."""
    value = form[name].value()
    return "" if value is None else str(value)


@register.filter
def duration_words(elapsed) -> str:
    return duration_label(elapsed)


@register.simple_tag
def poller_attributes() -> SafeString:
    """base.html's poller: htmx asks /status/ at the server's pace, and the numbers poll.js
    needs (how many jobs one request may carry, the pace in a hidden tab) come with it."""
    return format_html(
        'hx-get="{}" hx-trigger="every {}ms, poll-now" hx-swap="none"'
        ' data-poll-every-ms="{}" data-poll-limit="{}" data-poll-hidden-every-ms="{}"',
        page_url("generations:poll"),
        polling.POLL_EVERY_MS,
        polling.POLL_EVERY_MS,
        polling.POLL_LIMIT,
        polling.POLL_HIDDEN_EVERY_MS,
    )
