"""`{% frame_head %}` and `{% frame_header %}`: base.html's asset tags and header, from
generations/frame.py (the same HTML as the templates they replace, at a fraction of the
cost of walking them on every page)."""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from generations import frame, polling
from generations.notifications import unread_count

from .gallery_tags import poller_attributes

register = template.Library()


@register.simple_tag(takes_context=True)
def frame_head(context) -> SafeString:
    user = context.get("user")
    return frame.head(getattr(user, "is_authenticated", False), context.get("csp_nonce"))


@register.simple_tag(takes_context=True)
def frame_header(context) -> SafeString:
    user = context.get("user")
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    news = context.get("person_news")  # the pill's and the bell's (context_processors.py)
    if news is not None:
        running, unread = news.running, news.unread
    else:  # a whole page answering htmx: the pill empty, as for any partial
        running = context.get("running_jobs", [])
        unread = unread_count(user) if getattr(user, "is_authenticated", False) else 0
    return frame.header(
        user=user,
        here=getattr(match, "view_name", "") or "",
        demo_mode=context.get("demo_mode", False),
        account_problem=context.get("account_problem", ""),
        running_jobs=running,
        unread=unread,
        csrf_token=context.get("csrf_token"),
    )


@register.simple_tag(takes_context=True)
def frame_poller(context) -> SafeString:
    """base.html's poller, for a person logged in."""
    user = context.get("user")
    if not getattr(user, "is_authenticated", False):
        return mark_safe("")
    return _poller(
        get_script_prefix(),
        polling.POLL_EVERY_MS,
        polling.POLL_LIMIT,
        polling.POLL_URL_LIMIT,
        polling.POLL_HIDDEN_EVERY_MS,
        polling.POLL_IDLE_EVERY_MS,
    )


@lru_cache(maxsize=16)
def _poller(prefix: str, *paces: int) -> SafeString:
    # The same on every page: its URL (with the script prefix) and the poll's numbers, which
    # are the key, so that a number changed (a test's slower pace) is never served stale.
    return mark_safe(f'\n    <div id="poller" hidden {poller_attributes()}></div>\n  ')  # noqa: S308
