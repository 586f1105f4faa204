"""The frame every page draws around its content (base.html): the asset tags in <head> and
the header (brand, jobs pill, inbox bell, main navigation), written in Python.

As templates these were some 120 nodes walked on every page: about half of what the frame
cost over a bare view (1.3 ms). The HTML is the templates' own, byte for byte:
templates/_header.html, generations/_jobs_indicator.html and inbox/_bell.html stay the
readable source (the poll still renders the last two), and tests/test_frame.py holds each
function here to its template's output for every kind of person and page. Change both.
"""

from functools import cache, lru_cache
from typing import NamedTuple

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django_htmx.jinja import htmx_script

from generations.access import may_generate
from generations.links import page_url
from generations.models import RUNNING, RunningJobs
from generations.notifications import UNREAD, UNREAD_LINES
from lib.prepared import statement_cursor

# base.html's stylesheets and scripts, in its order (htmx's own tag goes after the styles).
_STYLES = [
    "css/app.css",
    "css/team.css",
    "css/reviewlinks.css",
    "css/frames.css",
    "css/roles.css",
    "css/review.css",
    "css/smaller.css",
]
_SCRIPTS = ["js/app.js", "js/poll.js", "js/gallery.js", "js/team.js"]

# Stands for the request's CSP nonce in the kept <head> (nothing escaping changes).
_NONCE = "csp-nonce-goes-here"


@cache
def asset(path: str) -> str:
    """`{% static path %}`, worked out once per process (as `{% asset %}` does)."""
    return static(path)


@cache
def _head(authenticated: bool, with_nonce: bool) -> str:
    lines = [f'<link rel="icon" href="{asset("favicon.svg")}" type="image/svg+xml">']
    lines += [f'<link rel="stylesheet" href="{asset(path)}">' for path in _STYLES]
    lines.append(htmx_script(nonce=_NONCE if with_nonce else None))
    lines += [f'<script src="{asset(path)}" defer></script>' for path in _SCRIPTS]
    lines.append(f'<script src="{asset("js/notify.js")}" defer></script>' if authenticated else "")
    lines.append(
        f'<link rel="stylesheet" href="{asset("css/inbox.css")}">'
        f'<script src="{asset("js/inbox.js")}" defer></script>'
        f'<script src="{asset("js/drawing.js")}" defer></script>'
        if authenticated
        else ""
    )
    return "\n  ".join(lines)


def head(authenticated: bool, nonce) -> SafeString:
    """base.html's <head> from the icon to the inbox's script; the same for every page but
    the CSP nonce, which `{% htmx_script %}` puts on htmx's tag."""
    html = _head(authenticated, nonce is not None)
    if nonce is not None:
        html = html.replace(_NONCE, conditional_escape(nonce))
    return mark_safe(html)  # noqa: S308 - our own URLs; the nonce escaped


@receiver(setting_changed)
def _forget_head(*, setting: str, **kwargs) -> None:
    # htmx's tag carries a debug script with DEBUG on; URLs follow the static settings.
    if setting in {"STATIC_URL", "STORAGES", "DEBUG"}:
        asset.cache_clear()
        _head.cache_clear()


class PersonNews(NamedTuple):
    """What the header shows of a person's own: their unfinished jobs and unread lines."""

    running: RunningJobs
    unread: int


def person_news(user, using: str = "default") -> PersonNews:
    """`running_ids(user)` and `unread_count(user)`, in one round trip when nothing is
    unread (most pages): the running jobs beside the count of unread lines, each joined to
    a single row so that neither's lack of rows hides the other's. Only when some line is
    unread does UNREAD check which of them the person still sees (tests/test_frame.py
    holds the answer to the two queries')."""
    lines_sql, lines_params = UNREAD_LINES.statement(user.pk, using=using)
    running_sql, running_params = RUNNING.statement(user.pk, using=using)
    sql = (
        "SELECT unread.*, running.* FROM (SELECT 1 AS one) AS one_row"
        f" LEFT JOIN ({lines_sql}) AS unread ON 1 = 1"
        f" LEFT JOIN ({running_sql}) AS running ON 1 = 1"
    )
    with statement_cursor(using) as cursor:
        cursor.execute(sql, lines_params + running_params)
        rows = cursor.fetchall()
    unread = 0
    # unread_count's rule: an inactive person has no bell to show.
    if rows[0][0] and user.is_active:
        found = UNREAD.rows(user.pk, using=using)
        unread = found[0][0] if found else 0
    return PersonNews(RunningJobs.of(row[1:] for row in rows if row[1] is not None), unread)


def jobs_indicator(running_jobs) -> str:
    """generations/_jobs_indicator.html: the person's unfinished jobs (RunningJobs), or
    none (a partial's empty list)."""
    running_jobs = running_jobs or []
    waiting = getattr(running_jobs, "waiting", 0)
    at_work = len(running_jobs) - waiting
    counts = ""
    if at_work or not waiting:
        counts = f'<span class="jobs-count">{at_work}</span> <span class="jobs-word">running</span>'
    if waiting:
        between = " · " if at_work else ""
        counts += (
            f'<span class="jobs-waiting">{between}'
            f'<span class="jobs-waiting-count">{waiting}</span> waiting</span>'
        )
    watch = " ".join(escape(pk) for pk in running_jobs)
    return (
        f'\n<a id="jobs-indicator" class="jobs-indicator" href="{page_url("generations:index")}"\n'
        f'   data-watch="{watch}" data-waiting="{waiting}"\n'
        f"   {'' if running_jobs else 'hidden'}>\n"
        '  <span class="dot" aria-hidden="true"></span>\n'
        f'  {counts}<span class="visually-hidden"> — open the gallery</span>\n'
        "</a>\n"
    )


_BELL_ICON = (
    '<svg class="bell-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"'
    ' focusable="false"><path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.5A1 1 0 0 0 5.2 17h13.6a1 1'
    ' 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Zm-2.4 15.5a2.5 2.5 0 0 0 4.8 0Z"'
    ' fill="currentColor"/></svg>'
)


def inbox_bell(unread: int) -> str:
    """inbox/_bell.html: the header's bell with the person's unread count."""
    count = (
        f'<span class="bell-count" aria-hidden="true">{"99+" if unread > 99 else unread}</span>'
        if unread
        else ""
    )
    return (
        f'<a id="inbox-bell" class="inbox-bell{" has-unread" if unread else ""}"'
        f' href="{page_url("inbox:inbox")}"\n'
        f'   data-unread="{unread}" title="Inbox">\n'
        f"  {_BELL_ICON}\n"
        f"  {count}\n"
        '  <span class="visually-hidden">Inbox'
        f"{f', {unread} unread' if unread else ', nothing new'}</span>\n"
        "</a>\n"
    )


# The main navigation's links: (label, URL name); the page at that name is marked current.
_EVERYONE_FIRST = [
    ("Gallery", "generations:index"),
    ("Team", "generations:team"),
    ("Projects", "generations:projects"),
]
_MAKERS = [  # after Batches
    ("Presets", "prompts:library"),
    ("Links", "reviewlinks:index"),
    ("Sequences", "sequences:index"),
    ("Trash", "generations:trash"),
]
_ADMINS = [
    ("People", "billing:team"),
    ("Audit", "billing:audit"),
    ("Prices", "billing:prices"),
    ("Settings", "generations:studio_settings"),
]
_CURRENT = ' aria-current="page"'


def _nav_link(label: str, name: str, here: str) -> str:
    current = _CURRENT if here == name else ""
    return f'<a href="{page_url(name)}"{current}>{label}</a>'


def _csrf_input(token) -> str:
    """What `{% csrf_token %}` renders (nothing without a token)."""
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'


def header(
    *,
    user,
    here: str,
    demo_mode: bool,
    account_problem: str,
    running_jobs,
    unread: int,
    csrf_token,
) -> SafeString:
    """templates/_header.html: the top of every page, inside base.html's <body>. `here` is
    the page's view name; `unread` is read only for a person logged in."""
    parts = ['\n  <a class="skip-link" href="#content">Skip to content</a>\n  ']
    if demo_mode:
        parts.append(
            '\n    <div class="demo-banner" role="note"><details><summary>Demo mode — videos are'
            ' simulated<span class="banner-more">; nothing is billed</span></summary>\n'
            "      <p>Demo clips are small stand-ins for the size you choose. Nothing is sent to"
            " CometAPI or billed.</p></details></div>\n  "
        )
    parts.append("\n  ")
    if account_problem:
        parts.append(
            '\n    <div class="admin-banner" role="alert">For admins: '
            f"{conditional_escape(account_problem)}</div>\n  "
        )
    parts.append(
        '\n  <header class="topbar">\n'
        f'    <a class="brand" href="{page_url("generations:index")}">VeoStudio</a>\n    '
    )
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated:
        parts.append(_person_part(user, here, running_jobs, unread, csrf_token))
    parts.append("\n  </header>\n  ")
    if authenticated:
        parts.append(f'<script src="{asset("js/menu.js")}"></script>')
    parts.append("\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


def _person_part(user, here: str, running_jobs, unread: int, csrf_token) -> str:
    offer, nav = _links(get_script_prefix(), may_generate(user), user.is_staff, here)
    name = conditional_escape(user.get_username())
    return (
        '\n      <div class="topbar-actions">\n        '
        f"{jobs_indicator(running_jobs)}\n        "
        f"{inbox_bell(unread)}\n        "
        f"{offer}\n"
        "      </div>\n"
        '      <button type="button" class="menu-button" id="menu-button" aria-expanded="false"'
        ' aria-controls="main-nav" hidden><span class="menu-icon" aria-hidden="true"></span>'
        '<span class="menu-label">Menu</span></button>\n'
        f'      <nav aria-label="Main" id="main-nav">\n        {nav}{name}</a>\n'
        f'        <form method="post" action="{page_url("logout")}" class="inline">\n'
        f"          {_csrf_input(csrf_token)}\n"
        f'          <button type="submit" class="link" aria-label="Log out {name}">Log out</button>\n'
        "        </form>\n"
        "      </nav>\n    "
    )


@lru_cache(maxsize=1024)
def _links(prefix: str, maker: bool, staff: bool, here: str) -> tuple[str, str]:
    """What the header offers one kind of person on one page: the New video button (or a
    reviewer's badge), and the navigation up to the person's name. The same for everyone
    alike, so worked out once per process; the script prefix is in the key (the URLs carry
    it)."""
    if maker:
        current = _CURRENT if here == "generations:create" else ""
        offer = f'<a href="{page_url("generations:create")}" class="button primary"{current}>New video</a>'
    else:
        offer = (
            '<span class="badge role-badge" title="Reviewers watch, download, star and'
            ' comment">Reviewer</span>'
        )
    links = [_nav_link(label, name, here) for label, name in _EVERYONE_FIRST]
    if maker:
        # Every batch page (a batch, its sheet) lights Batches.
        batches = _CURRENT if here[:8] == "batches:" else ""
        makers = [f'<a href="{page_url("batches:batches")}"{batches}>Batches</a>']
        makers += [_nav_link(label, name, here) for label, name in _MAKERS]
        links.append("\n        ".join(makers))
    else:
        links.append("")
    links.append(_nav_link("Usage", "billing:usage", here))
    if staff:
        admin = [_nav_link(label, name, here) for label, name in _ADMINS]
        admin.append(f'<a href="{page_url("admin:index")}">Admin</a>')
        links.append(" ".join(admin))
    else:
        links.append("")
    current = _CURRENT if here == "password_change" else ""
    links.append(
        f'<a class="who" href="{page_url("password_change")}"{current} title="Change my password">'
    )
    return offer, "\n        ".join(links)
