"""The review links' pieces on the studio's pages: the panel on a video's page (drawn apart
from the page's kept HTML, so a new or revoked link shows at once) and the project's
button."""

import uuid

from django import template
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from generations.access import may_change_project, may_generate
from generations.links import numbered_url
from generations.models import Generation, Status
from lib.prepared import Prepared, PreparedModels

from ..models import ReviewLink

register = template.Library()

_PERSON = Generation._meta.get_field("owner").target_field
_VIDEO_PK = Generation._meta.pk
_NOW = ReviewLink._meta.get_field("expires_at")
_PROJECT = ReviewLink._meta.get_field("project").target_field

# The video of the page, by its id alone; the panel checks that it is the person's own and
# out of the Trash (what changeable_generations(person) finds). With the owner in the query,
# PostgreSQL without statistics took the owner's index and walked their rows (3.5 ms).
THE_VIDEO = Prepared(
    lambda pk: Generation.objects.filter(pk=pk).values_list(
        "owner_id", "trashed_at", "status", "video", "project_id", "stack_id"
    ),
    _VIDEO_PK,
)


def links_showing(links, pk, root, now, project=None):
    """The live links of `links` that show video `pk` (its stack's first is `root`): it
    is named in them, a stack's link holds any version of its stack (linksplus), or a
    project's link is for its `project`."""
    in_link = Q(videos=pk) | Q(
        whole_stack=True, videos__in=Generation(pk=root).versions().values("pk")
    )
    if project is not None:
        in_link |= Q(project_id=project)
    return links.live(now).filter(in_link).distinct()


def links_until_of_outer_job(person) -> Subquery:
    """For a query of jobs: the latest expiry of the unrevoked links that show the job (as
    links_showing) in `person`'s panel, NULL without any: the job is theirs (the panel is
    the maker's) and the links are (ReviewLink.objects.made_by) theirs, or anyone's for an
    admin. A video's page asks it with its facts (generations/video_page.py): with no
    expiry to come, the panel has no link to ask for."""
    root = Coalesce(OuterRef(OuterRef("stack_id")), OuterRef(OuterRef("pk")))
    versions = Generation.objects.filter(Q(pk=root) | Q(stack_id=root)).values("pk")
    in_link = (
        Q(videos=OuterRef("pk"))
        | Q(whole_stack=True, videos__in=versions)
        | Q(project_id=OuterRef("project_id"))
    )
    # The job's maker is `person`: their own staff flag is the job's maker's.
    made_by = Q(created_by=person) | Exact(OuterRef("owner__is_staff"), True)
    links = ReviewLink.objects.filter(
        Exact(OuterRef("owner_id"), person), made_by, in_link, revoked_at__isnull=True
    )
    return Subquery(links.order_by("-expires_at").values("expires_at")[:1])


# Built once per process (lib/prepared.py): by whom the links were made (an admin
# sees everyone's, as ReviewLink.objects.made_by) and whether the video is in a project.
PANEL_LINKS = {
    (False, False): PreparedModels(
        lambda person, pk, root, now: links_showing(
            ReviewLink.objects.filter(created_by=person), pk, root, now
        ),
        _PERSON,
        _VIDEO_PK,
        _VIDEO_PK,
        _NOW,
    ),
    (False, True): PreparedModels(
        lambda person, pk, root, now, project: links_showing(
            ReviewLink.objects.filter(created_by=person), pk, root, now, project
        ),
        _PERSON,
        _VIDEO_PK,
        _VIDEO_PK,
        _NOW,
        _PROJECT,
    ),
    (True, False): PreparedModels(
        lambda pk, root, now: links_showing(ReviewLink.objects.all(), pk, root, now),
        _VIDEO_PK,
        _VIDEO_PK,
        _NOW,
    ),
    (True, True): PreparedModels(
        lambda pk, root, now, project: links_showing(
            ReviewLink.objects.all(), pk, root, now, project
        ),
        _VIDEO_PK,
        _VIDEO_PK,
        _NOW,
        _PROJECT,
    ),
}


def panel_links(person, video: Generation, now=None) -> list[ReviewLink]:
    """ReviewLink.objects.made_by(person).live(now) showing `video` (the panel's list)."""
    now = now or timezone.now()
    admin = bool(person.is_staff and person.is_active)
    in_project = video.project_id is not None
    values = [] if admin else [person.pk]
    values += [video.pk, video.stack_root_id, now]
    if in_project:
        values.append(video.project_id)
    return PANEL_LINKS[admin, in_project].objects(*values)


@register.simple_tag(takes_context=True)
def review_links_panel(context) -> str:
    """The owner's panel on the page of the video the URL names: its live links, each with
    Revoke, and Make a review link. Nothing for anyone else, or for a video not finished."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    pk = match.kwargs.get("pk") if match else None
    if request is None or pk is None or not may_generate(request.user):
        return ""
    # A video's page read these with its own facts (generations/video_page.py).
    found = [context["video_row"]] if "video_row" in context else THE_VIDEO.rows(pk)
    if not found or found[0][0] != request.user.pk or found[0][1] is not None:
        return ""
    status, video_file, project_id, stack_id = found[0][2:]
    if status != Status.READY or not video_file:  # Generation.is_ready, from the row
        return ""
    video_pk = uuid.UUID(str(pk))
    links = []
    # A video's page knows from its facts whether any link of the panel's is live (most
    # videos have none): then there is nothing to ask, and no job to build for it (building
    # a Generation, 47 fields with their defaults, cost more than drawing the panel).
    if context.get("review_links_live", True):
        video = Generation(
            pk=video_pk,
            status=status,
            video=video_file,
            project_id=project_id,
            # SQLite answers an id as hex text.
            stack_id=uuid.UUID(str(stack_id)) if stack_id else None,
        )
        links = panel_links(request.user, video)
    # Drawn in the page's own context, as an inclusion tag draws: the context processors
    # have run for the page already.
    panel = context.new({"video_pk": video_pk, "links": links, "here": request.get_full_path()})
    panel["csrf_token"] = context.get("csrf_token")
    return context.template.engine.get_template("reviewlinks/_video_links.html").render(panel)


@register.filter
def may_link_project(project, user) -> bool:
    return may_change_project(user, project)


@register.filter
def link_url(pk: int, name: str) -> str:
    """`{{ link.pk|link_url:"reviewlinks:revoke" }}`: `{% url %}` of a link's page, reversed
    once per process (generations/links.py)."""
    return numbered_url(name, pk)
