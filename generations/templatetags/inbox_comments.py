"""What a comment shows of the inbox's work: its drawing for drawing.js, and who may
resolve it."""

import json

from django import template

from generations.access import may_resolve as _may_resolve
from generations.drawings import COLOURS

register = template.Library()


@register.filter
def drawing_json(drawing) -> str:
    """The checked shapes as JSON for a data- attribute (autoescaped by the template)."""
    return json.dumps(drawing or [], separators=(",", ":"))


@register.simple_tag(takes_context=True)
def may_resolve(context, comment, generation) -> bool:
    return _may_resolve(context["user"], comment, generation)


@register.simple_tag
def drawing_colours() -> str:
    """The colours a drawing may use, by name, for drawing.js (generations/drawings.py
    holds the list the server accepts: one list, rendered, never copied)."""
    return _COLOURS_JSON


_COLOURS_JSON = json.dumps(COLOURS, separators=(",", ":"))
