from django import template

from generations import wording

register = template.Library()


@register.simple_tag
def words(name: str) -> str:
    """A sentence from generations/wording.py, so templates keep no copy of it."""
    return getattr(wording, name)


@register.filter
def rough_progress(progress: int) -> str:
    return wording.rough_progress(progress)
