from django import template

from billing.models import StudioSettings
from generations.wording import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    return person_name(user)


@register.filter
def is_owner(generation, user) -> bool:
    """Whether to show the owner's controls; the views decide what is allowed."""
    return generation.owner_id == getattr(user, "pk", None)


@register.filter
def maker_as_seen_by(generation, user) -> tuple:
    """What a video's page says of its maker to `user`: nothing to the maker, their name and
    whether they are still in the studio to a teammate (a key of the cached fragment)."""
    if generation.owner_id == getattr(user, "pk", None):
        return ()
    return (generation.owner_id, person(generation.owner), generation.owner.is_active)


@register.filter
def comments_as_shown(comments) -> list[tuple]:
    """Everything a list of comments shows of them, names included: the key of its cached
    fragment (read from the rows, so no clock on any host can make two versions look alike)."""
    return [
        (c.pk, c.body, c.at_seconds, c.created_at, c.updated_at, c.author_id)
        + (person(c.author), c.author.is_active)
        + (c.resolved_at, c.resolved_by_id, repr(c.drawing))
        for c in comments
    ]


@register.simple_tag
def studio_shares_new_videos() -> bool:
    return StudioSettings.load().share_new_videos
