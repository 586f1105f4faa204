from django import template

from billing.models import StudioSettings
from generations import access
from generations.links import job_item_url
from generations.wording import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    return person_name(user)


@register.filter
def comment_url(comment, name: str) -> str:
    """`{{ comment|comment_url:"generations:comment_edit" }}`: `{% url name job comment %}`
    without reverse() for each (six links a comment)."""
    return job_item_url(name, comment.generation_id, comment.pk)


@register.filter
def comment_author(comment) -> str:
    """Who wrote a comment: a teammate's name, or a guest's through a review link, e.g.
    "Claire (guest via link “Round 2”)". The link is the reviewlinks app's row tied to the
    comment (`guest_link`), read by name so that this layer does not import that one."""
    if comment.author_id is not None:
        return person_name(comment.author)
    name = comment.guest_name or "A guest"
    tie = getattr(comment, "guest_link", None)
    link = getattr(tie, "link", None)
    return f"{name} (guest via link “{link.name}”)" if link is not None else f"{name} (guest)"


@register.filter
def is_owner(generation, user) -> bool:
    """Whether to show the owner's controls (never to a reviewer, who changes nothing);
    the views decide what is allowed."""
    return generation.owner_id == getattr(user, "pk", None) and access.may_generate(user)


@register.filter
def may_generate(user) -> bool:
    """Whether to offer making videos (New video, Make another): not to a reviewer."""
    return access.may_generate(user)


@register.filter
def is_studio_admin(user) -> bool:
    """Whether to show admin-only details (a job's CometAPI task id, for support)."""
    return access.is_admin(user)


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
        + (comment_author(c), c.author.is_active if c.author else True)
        + (c.resolved_at, c.resolved_by_id, repr(c.drawing))
        for c in comments
    ]


@register.simple_tag
def studio_shares_new_videos() -> bool:
    return StudioSettings.load().share_new_videos
