from html import escape as html_escape

from django import template
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.utils import make_template_fragment_key
from django.template.defaultfilters import stringfilter
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from generations import polling
from generations.access import viewer_key
from generations.gallery import Card, built
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


@register.filter(is_safe=True)
@stringfilter
def shortened(text: str, length) -> str:
    """`truncatechars`' answer ("A kite over a field at du…"), without its cost on plain
    text: Django's walks the text a character at a time and looks up the ellipsis's
    translation on every call (20 µs for a prompt; a video's page shows four)."""
    length = int(length)
    if not text.isascii():  # combining characters count for nothing there
        return Truncator(text).chars(length)
    return text if len(text) <= length else text[: length - 1] + "…"


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
    """base.html's poller: htmx asks /status/ at the server's pace, and what poll.js needs
    (how many jobs one request may carry and in how long a URL, the paces when nothing runs
    and in a hidden tab, the letters of its compact form) comes with it."""
    return format_html(
        'hx-get="{}" hx-trigger="every {}ms, poll-now" hx-swap="none"'
        ' data-poll-every-ms="{}" data-poll-limit="{}" data-poll-url-limit="{}"'
        ' data-poll-hidden-every-ms="{}" data-poll-idle-every-ms="{}"'
        ' data-poll-letters="{}"',
        page_url("generations:poll"),
        polling.POLL_EVERY_MS,
        polling.POLL_EVERY_MS,
        polling.POLL_LIMIT,
        polling.POLL_URL_LIMIT,
        polling.POLL_HIDDEN_EVERY_MS,
        polling.POLL_IDLE_EVERY_MS,
        " ".join(f"{view}:{letter}" for view, letter in polling.POLL_VIEW_LETTERS.items())
        + f" watched:{polling.WATCHED_LETTER}",
    )


register.filter("viewer_key", viewer_key)


# As `{% cache 3600 card … %}` of _card.html, whose entries these are.
CARD_KEEP_SECONDS = 3600
CARD_TILE = "generations/_card_tile.html"


def card_key(generation, list_query: str, user) -> str:
    """The key _card.html's `{% cache %}` gives a finished card: the same entries serve the
    gallery's cards and the card a poll asks for."""
    owner = generation.owner
    project = generation.project  # read with the row (gallery.as_cards), or None
    return _card_key(
        generation,
        (owner.get_full_name(), owner.get_username(), owner.is_active),
        project.updated_at if project is not None else "",
        generation.__dict__.get("n_versions", 1),  # review branch: "3 versions"
        list_query,
        viewer_key(user),
    )


def _card_key(card, owner_facts, project_updated_at, n_versions, list_query, viewer) -> str:
    """card_key of a model instance or of a gallery.Card (the facts its row holds)."""
    full_name, username, owner_is_active = owner_facts
    return make_template_fragment_key(
        "card",
        [
            card.pk,
            card.poll_version,
            card.is_starred,
            card.comment_count,
            list_query,
            viewer,
            full_name,
            username,
            owner_is_active,
            card.project_id,
            project_updated_at,
            n_versions,
        ],
    )


@register.simple_tag(takes_context=True)
def cards(context, page_cards: list[Card], list_query: str = "") -> SafeString:
    """`{% cards page.object_list gallery.query %}`: each card (gallery.Card) as `{% include
    "generations/_card.html" with list_query=… %}` draws it, the finished ones read from
    the cache in one call. After a change one card of the 24 is drawn; including
    _card.html and resolving its `{% cache %}` keys in the template cost more than drawing
    that one card, on every first load of a page."""
    try:
        kept_cards = caches["template_fragments"]
    except InvalidCacheBackendError:
        kept_cards = caches["default"]
    viewer = viewer_key(context.get("user"))
    keys = {
        card.pk: _card_key(
            card, card.owner_facts, card.project_updated_at, card.n_versions, list_query, viewer
        )
        for card in page_cards
        if not card.is_active
    }
    found = kept_cards.get_many(list(keys.values())) if keys else {}
    drawn = {}
    for card in page_cards:
        key = keys.get(card.pk)
        if key and key in found:
            drawn[card.pk] = found[key]
    missing = [card for card in page_cards if card.pk not in drawn]
    if missing:
        tile = context.template.engine.get_template(CARD_TILE)
        with context.push(list_query=list_query):
            for card, generation in zip(missing, built(missing), strict=True):
                with context.push(generation=generation):
                    html = tile.render(context)
                key = keys.get(card.pk)
                if key:
                    kept_cards.set(key, html, CARD_KEEP_SECONDS)
                drawn[card.pk] = html
    return mark_safe("\n".join(drawn[card.pk] for card in page_cards))


def _escaped(value) -> str:
    """conditional_escape(value) as plain text, without its lazy-text wrapper: facet_menus
    escapes some 150 values a page."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html_escape(str(value))


def _counted(label, count) -> str:
    return f"{_escaped(label)} ({_escaped(count)})" if count is not None else _escaped(label)


@register.simple_tag
def facet_menus(facets, form) -> SafeString:
    """`{% facet_menus facets f %}`: the filters' menus (and the Favourites box) of
    _filters.html, with their counts once known. Drawn here rather than by a loop of
    template nodes: about fifty options, each a handful of lookups, on every first load of a
    gallery page and in every counts request. (tests/test_gallery.py holds it to the same
    menus drawn with format_html.)"""
    drawn = []
    for facet in facets:
        if facet.name == "starred":
            checked = " checked" if form["starred"].value() else ""
            for _value, label, count in facet.options:
                drawn.append(
                    '<label class="facet-check"><input type="checkbox" name="starred"'
                    f' value="true"{checked}> ★ {_counted(label, count)}</label>'
                )
            continue
        chosen = attr_value(form, facet.name)
        label = _escaped(facet.label)
        options = [f'<option value="">{label}: any</option>']
        options += [
            f'<option value="{_escaped(value)}"{" selected" if chosen == value else ""}>'
            f"{_counted(option_label, count)}</option>"
            for value, option_label, count in facet.options
        ]
        drawn.append(
            f'<label class="facet"><span class="visually-hidden">{label}</span>\n'
            f'<select name="{_escaped(facet.name)}" aria-label="{label}">\n'
            + "\n".join(options)
            + "\n</select>\n</label>"
        )
    return mark_safe("\n".join(drawn))
