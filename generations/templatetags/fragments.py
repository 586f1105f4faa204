"""`{% fragment name key… %}…{% endfragment %}`: Django's `{% cache %}` for parts of a page
that carry forms.

`{% cache %}` would store the CSRF token of whoever rendered a fragment first and hand it
to everyone after. This tag renders the fragment with a marker where the token goes and puts
the reader's own token in on the way out, so the cache never holds anybody's token.

Each process and host has a cache of its own: a key must name everything the fragment shows
(read from the database in the same request), never rely on being deleted when it changes.
"""

from collections.abc import Callable

from django import template
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Long enough to serve the repeat views of a page, short enough that what no key names (a
# history actor's renamed username) is not wrong for long.
TIMEOUT_SECONDS = 600

# Autoescaped text can never hold a raw "<", so nothing a person wrote can spell the marker.
_MARKER = mark_safe("<csrf-token>")
_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
_MARKED_INPUT = format_html(_INPUT, _MARKER)


class FragmentNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context) -> SafeString:
        key = make_template_fragment_key(
            self.name, [value.resolve(context) for value in self.vary_on]
        )
        html = cache.get(key)
        if html is None:
            with context.push(csrf_token=_MARKER):
                html = self.nodelist.render(context)
            cache.set(key, html, TIMEOUT_SECONDS)
        return with_token(html, context.get("csrf_token", ""))


@register.filter
def with_token(html: str, token) -> SafeString:
    """Kept HTML with the reader's own CSRF token where the marker is:
    `{{ kept_html|with_token:csrf_token }}`."""
    if _MARKER in html:
        text = conditional_escape(token)
        # What {% csrf_token %} renders, without building a Context for it.
        field = "" if text in ("", "NOTPROVIDED") else _INPUT.format(text)
        html = html.replace(_MARKED_INPUT, field).replace(_MARKER, text)
    return mark_safe(html)


def kept(key: str, render: Callable[[dict], str], timeout: float = TIMEOUT_SECONDS) -> SafeString:
    """A view's part of a page from the cache under `key`, else `render(extra_context)`'s,
    kept there: the view renders with `extra_context` (the token's marker), and reads what
    the part shows only when it must render it. The template puts the reader's token in
    (the with_token filter)."""
    html = cache.get(key)
    if html is None:
        html = render({"csrf_token": _MARKER})
        cache.set(key, html, timeout)
    return mark_safe(html)


@register.tag
def fragment(parser, token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name and at least one key")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
