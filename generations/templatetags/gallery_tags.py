from django import template
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.utils import make_template_fragment_key
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from generations import polling
from generations.access import viewer_key
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
    needs (how many jobs one request may carry and in how long a URL, the paces when
    nothing runs and in a hidden tab) come with it."""
    return format_html(
        'hx-get="{}" hx-trigger="every {}ms, poll-now" hx-swap="none"'
        ' data-poll-every-ms="{}" data-poll-limit="{}" data-poll-url-limit="{}"'
        ' data-poll-hidden-every-ms="{}" data-poll-idle-every-ms="{}"',
        page_url("generations:poll"),
        polling.POLL_EVERY_MS,
        polling.POLL_EVERY_MS,
        polling.POLL_LIMIT,
        polling.POLL_URL_LIMIT,
        polling.POLL_HIDDEN_EVERY_MS,
        polling.POLL_IDLE_EVERY_MS,
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
    return make_template_fragment_key(
        "card",
        [
            generation.pk,
            generation.poll_version,
            generation.is_starred,
            generation.comment_count,
            list_query,
            viewer_key(user),
            owner.get_full_name(),
            owner.get_username(),
            owner.is_active,
            generation.project_id,
            project.updated_at if project is not None else "",
            generation.__dict__.get("n_versions", 1),  # review branch: "3 versions"
        ],
    )


@register.simple_tag(takes_context=True)
def cards(context, generations, list_query: str = "") -> SafeString:
    """`{% cards page.object_list gallery.query %}`: each card as `{% include
    "generations/_card.html" with list_query=… %}` draws it, the finished ones read from
    the cache in one call. After a change one card of the 24 is drawn; including
    _card.html and resolving its `{% cache %}` keys in the template cost more than drawing
    that one card, on every first load of a page."""
    try:
        kept_cards = caches["template_fragments"]
    except InvalidCacheBackendError:
        kept_cards = caches["default"]
    user = context.get("user")
    keys = {
        generation.pk: card_key(generation, list_query, user)
        for generation in generations
        if not generation.is_active
    }
    found = kept_cards.get_many(list(keys.values())) if keys else {}
    tile = None
    drawn = []
    with context.push(list_query=list_query):
        for generation in generations:
            key = keys.get(generation.pk)
            html = found.get(key) if key else None
            if html is None:
                if tile is None:
                    tile = context.template.engine.get_template(CARD_TILE)
                with context.push(generation=generation):
                    html = tile.render(context)
                if key:
                    kept_cards.set(key, html, CARD_KEEP_SECONDS)
            drawn.append(html)
    return mark_safe("\n".join(drawn))


def _counted(label, count) -> SafeString:
    return format_html("{} ({})", label, count) if count is not None else format_html("{}", label)


@register.simple_tag
def facet_menus(facets, form) -> SafeString:
    """`{% facet_menus facets f %}`: the filters' menus (and the Favourites box) of
    _filters.html, with their counts once known. Drawn here rather than by a loop of
    template nodes: about fifty options, each a handful of lookups, on every first load of a
    gallery page and in every counts request."""
    drawn = []
    for facet in facets:
        if facet.name == "starred":
            checked = mark_safe(" checked") if form["starred"].value() else ""
            for _value, label, count in facet.options:
                drawn.append(
                    format_html(
                        '<label class="facet-check"><input type="checkbox" name="starred"'
                        ' value="true"{}> ★ {}</label>',
                        checked,
                        _counted(label, count),
                    )
                )
            continue
        chosen = attr_value(form, facet.name)
        options = [format_html('<option value="">{}: any</option>', facet.label)]
        options += [
            format_html(
                '<option value="{}"{}>{}</option>',
                value,
                mark_safe(" selected") if chosen == value else "",
                _counted(label, count),
            )
            for value, label, count in facet.options
        ]
        drawn.append(
            format_html(
                '<label class="facet"><span class="visually-hidden">{}</span>\n'
                '<select name="{}" aria-label="{}">\n{}\n</select>\n</label>',
                facet.label,
                facet.name,
                facet.label,
                mark_safe("\n".join(options)),
            )
        )
    return mark_safe("\n".join(drawn))
