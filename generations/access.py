"""Who may see a generation and who may change it: the only doors to a job (and to a
project).

No view checks access by itself; each one asks here, and anything a person may not see
answers 404, so that nothing about other people's videos is revealed. The rule (README,
"Who sees what"): a video in no project is its owner's alone until shared with the team; a
video in a project is seen by that project's people, which is the whole studio unless an
admin limited the project to named people (then those people, the admins and the video's
maker). Only its owner may change a video (share, move, retry, delete), and only while
they may make videos: a reviewer watches, downloads, stars and comments, nothing more
(README, "Roles"; `is_reviewer`, `may_generate`, `members_only`).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Q, Value
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from lib.prepared import Prepared, PreparedModels

from .errors import forbidden
from .models import TEAM_CANDIDATES, Comment, Generation, Project, ReviewStatus, Role, Teammate


def visible_generations(user):
    """Every generation `user` may watch: their own, every one shared with the team and
    not in a project, and every one in a project they see (see the module's docstring).
    Out of its owner's Trash only: to everyone else, a trashed video is gone."""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    return Generation.objects.filter(visible_to(user.pk))


def projects_seen_by(user_pk):
    """The projects whose videos the active person `user_pk` sees: the open ones, the
    limited ones naming them, and every one for an admin. Spelt on the id alone (the
    admin test is a subquery) so that prepared queries can hold it (prepared.py)."""
    is_admin = get_user_model().objects.filter(pk=user_pk, is_staff=True, is_active=True)
    return Project.objects.filter(Q(limited=False) | Q(members__pk=user_pk) | Exists(is_admin))


def visible_to(user_pk) -> Q:
    """The rule of `visible_generations` for an active person's id (check that first)."""
    seen_projects = projects_seen_by(user_pk).order_by().values("pk")
    return Q(owner_id=user_pk) | Q(trashed_at__isnull=True) & (
        Q(project__isnull=True, shared_at__isnull=False) | Q(project_id__in=seen_projects)
    )


# The same rule as `visible_generations`, on values already read (tests/test_access.py
# holds the two together). For a list of ids the OR above lets SQLite walk every row out of
# the Trash instead of seeking the ids; the page's poll reads the ids, then asks this.
WATCH_FIELDS = ("owner_id", "project_id", "shared_at", "trashed_at")


def may_watch(user, owner_id, project_id, shared_at, trashed_at) -> bool:
    return watcher(user)(owner_id, project_id, shared_at is not None, trashed_at is not None)


def watcher(user) -> Callable[[int, int | None, bool, bool], bool]:
    """The same rule as a function of (owner id, project id, shared, in the Trash), with
    the person read once for every row of a poll, and the projects they see only when a
    row in a project asks (most polls see only the person's own jobs)."""
    if not (user.is_authenticated and user.is_active):
        return lambda owner_id, project_id, shared, trashed: False
    viewer = user.pk
    seen: set[int] = set()
    asked = False

    def may(owner_id, project_id, shared, trashed) -> bool:
        nonlocal asked
        if owner_id == viewer:
            return True
        if trashed:
            return False
        if project_id is None:
            return shared
        if not asked:
            seen.update(pk for pk, _, _ in SEEN_PROJECTS.rows(viewer))  # built once
            asked = True
        return project_id in seen

    return may


def watches(may: Callable[[int, int | None, bool, bool], bool], row) -> bool:
    """`may` (a `watcher`) asked of a row: a Generation or a PollRow."""
    return may(row.owner_id, row.project_id, row.shared_at is not None, row.trashed_at is not None)


def changeable_generations(user):
    """Every generation `user` may change (delete, retry, share…): only their own, and
    none for a reviewer (who may have made videos before becoming one)."""
    if not may_generate(user):
        return Generation.objects.none()
    return Generation.objects.filter(owner=user)


def own_generations(user):
    """What "Your videos" lists: the person's own (a reviewer's from before too)."""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    return Generation.objects.filter(owner=user)


def is_reviewer(user) -> bool:
    """A reviewer: watches, downloads, stars and comments; never makes, spends or changes
    anything. Admins (staff) are never reviewers. Read once per request (kept on the user
    object)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_staff", False):
        return False
    role = getattr(user, "_studio_role", None)
    if role is None:
        descriptor = get_user_model().teammate
        if descriptor.is_cached(user):  # read with the user (generations/auth.py)
            row = descriptor.related.get_cached_value(user, default=None)
            role = getattr(row, "role", Role.MEMBER)
        else:
            role = Teammate.role_of(user)
        user._studio_role = role
    return role == Role.REVIEWER


def may_generate(user) -> bool:
    """Whether `user` may make videos, spend, and change their own work and projects: any
    active person in the studio but a reviewer."""
    return bool(user.is_authenticated and user.is_active and not is_reviewer(user))


def viewer_key(user) -> str:
    """Who looks at a kept page or card, as its cache key names them: the person and
    whether they are a reviewer or an admin (a page drawn for a member offers buttons a
    reviewer must not see, so a change of role draws it afresh)."""
    role = "reviewer" if is_reviewer(user) else "member"
    # An admin's page folds in details for support (a job's CometAPI task id).
    return f"{user.pk}:{role}{':admin' if is_admin(user) else ''}"


def members_only(view):
    """The door to everything that makes videos or changes something: a reviewer gets the
    studio's 403 page with a plain sentence."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_reviewer(request.user):
            return forbidden(request, reviewer=True)
        return view(request, *args, **kwargs)

    return wrapper


def team_generations(user):
    """What the Team view lists: everything the person sees that is not a private draft:
    shared with the team or in a project they see, their own included; out of the Trash."""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    # The projects' ids first (a query built once per process): the query with their rule
    # inside took three times as long to build and to turn into SQL as the database takes
    # to answer both, on every first load of the Team page.
    seen = [pk for pk, _, _ in SEEN_PROJECTS.rows(user.pk)]
    return Generation.objects.filter(team_to(user.pk, seen))


def team_to(user_pk, seen_projects=None) -> Q:
    """The rule of `team_generations` for an active person's id (check that first), with
    the ids of the projects they see if read already (projects_seen_by)."""
    if seen_projects is None:
        seen_projects = projects_seen_by(user_pk).order_by().values("pk")
    return (
        Q(trashed_at__isnull=True)
        # Implied by the three below, and said on its own so that the planners walk the
        # Team's index (models.Generation: generation_team_gallery) rather than every row.
        & TEAM_CANDIDATES
        & (
            Q(project__isnull=True, shared_at__isnull=False)
            | Q(project_id__in=seen_projects)
            | Q(owner_id=user_pk, project__isnull=False)
        )
    )


def visible_projects(user):
    """The projects a person may open and put videos in (archived ones included)."""
    if not (user.is_authenticated and user.is_active):
        return Project.objects.none()
    return Project.objects.filter(pk__in=projects_seen_by(user.pk).order_by().values("pk"))


# visible_projects' (id, name, archived_at) in their order, from a query built once per
# process: the gallery's project filter and the Move menus read it on every first load.
SEEN_PROJECTS = Prepared(
    lambda pk: Project.objects.filter(
        pk__in=projects_seen_by(pk).order_by().values("pk")
    ).values_list("pk", "name", "archived_at"),
    get_user_model()._meta.pk,
)


def get_project_for_viewing(request: HttpRequest, project_pk) -> Project:
    return get_object_or_404(visible_projects(request.user), pk=project_pk)


def may_change_project(user, project: Project) -> bool:
    """Renaming, describing, archiving, its budget: the admins and the person who made the
    project (unless they are a reviewer now)."""
    return is_admin(user) or (project.created_by_id == user.pk and may_generate(user))


def get_project_for_changing(request: HttpRequest, project_pk) -> Project:
    """404 for a project the person may not see; a project they see but may not change
    is still 404 here: the page offers no such button, so only a guessed URL lands."""
    project = get_project_for_viewing(request, project_pk)
    if not may_change_project(request.user, project):
        raise Http404("No project here")
    return project


def get_for_viewing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(visible_generations(request.user), pk=pk)


# A video's status and stored files, as `get_for_viewing` finds it: the door of the routes
# that hand the files out (a player asks for every range it seeks to, a gallery for each of
# its posters). Built once per process (prepared.py): the whole row through the ORM's query
# took about 2 ms of the 3.4 ms of CPU a range request cost (bench/README.md).
STORED_FILES = PreparedModels(
    lambda viewer, pk: Generation.objects.filter(visible_to(viewer), pk=pk).only(
        "status", "video", "poster", "first_frame_thumbnail"
    ),
    get_user_model()._meta.pk,
    Generation._meta.pk,
)


def get_files_for_viewing(request: HttpRequest, pk) -> Generation:
    """`get_for_viewing` with only the video's status and files read: any other field is
    read from the database when asked for, one query each."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        raise Http404("No video here")
    found = STORED_FILES.objects(user.pk, pk)
    if not found:
        raise Http404("No video here")
    return found[0]


def get_for_changing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(changeable_generations(request.user), pk=pk)


def get_comment_for_changing(request: HttpRequest, pk, comment_pk) -> Comment:
    """A comment its author may edit or delete, on a video the author may still see:
    unsharing a video closes its comments to the team at once, the author's own too."""
    return get_object_or_404(
        Comment.objects.select_related("generation"),
        pk=comment_pk,
        generation__in=visible_generations(request.user),
        generation_id=pk,
        author=request.user,
    )


def is_admin(user) -> bool:
    """A studio admin: staff, and still active. The one test every admin door and every
    admin-only part of a page asks."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
    )


def admin_required(view):
    """The door to every admin page: anyone else gets the studio's 403 page in a plain
    sentence. Answered here rather than raised, so a member's click is not logged as an
    error with a traceback."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_admin(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper


def people_who_see(generation: Generation):
    """The active people who may watch `generation`: the same rule as `visible_to`, turned
    round (tests/test_inbox_never_leaks.py holds the two together). Whom a comment may
    mention, and whom the inbox may tell about the video."""
    people = get_user_model().objects.filter(is_active=True)
    owner = Q(pk=generation.owner_id)
    if generation.trashed_at is not None:
        return people.filter(owner)
    if generation.project_id is None:
        return people if generation.shared_at is not None else people.filter(owner)
    project = Project.objects.get(pk=generation.project_id)
    if not project.limited:
        return people
    members = project.members.values("pk")
    return people.filter(owner | Q(is_staff=True) | Q(pk__in=members))


def may_resolve(user, comment: Comment, generation: Generation) -> bool:
    """Resolving and reopening a comment: its author, the video's owner and the admins."""
    return bool(user.is_authenticated and user.is_active) and (
        comment.author_id == user.pk or generation.owner_id == user.pk or is_admin(user)
    )


def get_comment_for_resolving(request: HttpRequest, pk, comment_pk) -> Comment:
    """A comment on a video the person sees, which they may resolve or reopen (404 else)."""
    comment = get_object_or_404(
        Comment.objects.select_related("generation"),
        pk=comment_pk,
        generation__in=visible_generations(request.user),
        generation_id=pk,
    )
    if not may_resolve(request.user, comment, comment.generation):
        raise Http404("No comment here")
    return comment


def may_decide(user, generation: Generation) -> bool:
    """Who sets a video's review status (Draft, In review, Changes requested, Approved):
    its owner, the admins and the reviewers, among those who may see it (the caller has
    checked that). The one place the rule lives."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    return generation.owner_id == user.pk or is_admin(user) or is_reviewer(user)


def get_for_deciding(request: HttpRequest, pk) -> Generation:
    """A video the person may see and decide on; 404 otherwise (as every door here)."""
    generation = get_for_viewing(request, pk)
    if not may_decide(request.user, generation):
        raise Http404("No video here")
    return generation


def approved_in(user, where: str):
    """The approved videos of a list, for its "Download approved (ZIP)": `own` (the
    person's gallery), `team` (the Team view) or a project's id; none for anything else."""
    if where == "own":
        rows = own_generations(user)
    elif where == "team":
        rows = team_generations(user)
    elif where.isdigit():
        rows = visible_generations(user).filter(project_id=int(where))
    else:
        return visible_generations(user).none()
    return rows.filter(review_status=ReviewStatus.APPROVED)


def approved_count(user, where: str) -> int:
    """How many videos of `approved_in(user, where)` are out of the Trash: the count beside
    a list's "Download approved (ZIP)", on every load of the gallery, Team and a project.
    The same rows, from a query built once per process (APPROVED): building it cost more
    than the database takes to count them (bench/README.md)."""
    if not (user.is_authenticated and user.is_active):
        return 0
    if where == "own":
        found = APPROVED_OWN.rows(user.pk)
    elif where == "team":
        found = APPROVED_TEAM.rows(user.pk)
    elif where.isdigit():
        found = APPROVED_IN_PROJECT.rows(user.pk, int(where))
    else:
        return 0
    return found[0][0] if found else 0


def _approved_count(rows):
    """One row holding how many of `rows` are approved and out of the Trash (none: 0)."""
    return (
        rows.filter(review_status=ReviewStatus.APPROVED, trashed_at__isnull=True)
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(n=Count("*"))
        .values_list("n")
    )


_USER_PK = get_user_model()._meta.pk
APPROVED_OWN = Prepared(
    lambda pk: _approved_count(Generation.objects.filter(owner_id=pk)), _USER_PK
)
APPROVED_TEAM = Prepared(
    lambda pk: _approved_count(Generation.objects.filter(team_to(pk))), _USER_PK
)
APPROVED_IN_PROJECT = Prepared(
    lambda pk, project_pk: _approved_count(
        Generation.objects.filter(visible_to(pk), project_id=project_pk)
    ),
    _USER_PK,
    Project._meta.pk,
)
