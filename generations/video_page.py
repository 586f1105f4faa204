"""What a video's page reads, in as few and as narrow queries as the page allows.

Most of the page's cost was the ORM building queries and the templates rendering, not the
database answering: each query here asks only for what the page shows. A finished job's
whole page is kept (`kept_video_page`, stored by `kept()` of templatetags/fragments.py),
keyed on one prepared query's answer (prepared.py) and the comments as shown, so a reload
reads neither the job nor its neighbours. A running job's page is drawn each time.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404, HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from billing.ledger import money_from, reservations_of
from billing.models import LedgerEntry
from lib.prepared import Prepared, PreparedModels, as_aware, asked_together

from . import gallery, wording
from .access import (
    SEEN_PROJECTS,
    WATCH_FIELDS,
    may_generate,
    own_generations,
    team_generations,
    team_to,
    viewer_key,
    visible_to,
    watcher,
)
from .forms import CommentForm, seen_project_rows, usable_project_choices
from .models import (
    ACTIVE_STATUSES,
    Comment,
    Favourite,
    Generation,
    GenerationEvent,
    GenerationQuerySet,
    Project,
)
from .team_views import TeamFilter
from .templatetags.fragments import kept
from .templatetags.team import comments_as_shown

# What a link to another job needs (its address, its first line, its date).
LINK_FIELDS = ("pk", "prompt", "created_at")

# A whole page is kept as long as a gallery's sections: a change shows at once (it moves
# the key); this bounds what no key names (a history actor's renamed username).
PAGE_KEEP_SECONDS = gallery.SECTIONS_KEEP_SECONDS


# What the review links panel asks of the page's video besides its status: the page's facts
# carry them, so that the panel, drawn apart from the kept page, asks nothing more.
PANEL_COLUMNS = ("owner_id", "trashed_at", "video", "project_id", "stack_id")

# For the facts' "links_until", by the viewer's id: the latest expiry of the unrevoked
# review links their panel lists (on their own job), NULL without any (most jobs: the
# panel then asks for no links). reviewlinks sets it in its AppConfig.ready(), as the
# worker's EXTRA_STEPS: nothing here imports an app above this one.
review_links_until: Callable[[Any], Subquery] | None = None


# The columns of PAGE_FACTS' row, in their order.
FACT_COLUMNS = (
    "status",
    "prompt",
    "updated_at",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__is_active",
    "starred",
    "n_comments",
    "newest_comment",
    "edited",
    "event",
    "n_stars",
    "newest_star",
    "projects",
    # For what the page reads beside the job's row, in the same round trip (_page_reads):
    # its neighbours, the jobs it links to, its takes.
    "created_at",
    "made_from",
    "continues",
    "take_group",
    # The review links panel's (reviewlinks' THE_VIDEO, but the status at 0).
    *PANEL_COLUMNS,
    "links_until",
    "title",
)
FACT = {name: n for n, name in enumerate(FACT_COLUMNS)}


def _page_facts(user_pk, pk):
    """Everything a finished job's page shows, as versions, in one query: the job's row
    (every event is written with it), its maker, the viewer's star, its comments, and for
    the neighbours, remakes and takes the newest event anywhere (a job made, shared,
    trashed or gone is an event) with the viewer's stars (a "Favourites" list)."""
    comments = Comment.objects.filter(generation=OuterRef("pk")).order_by().values("generation")
    stars = Favourite.objects.filter(person_id=user_pk)
    return (
        Generation.objects.filter(visible_to(user_pk), pk=pk)
        .annotate(
            starred=Exists(stars.filter(generation=OuterRef("pk"))),
            n_comments=Subquery(comments.annotate(n=Count("pk")).values("n")),
            newest_comment=Subquery(comments.annotate(newest=Max("pk")).values("newest")),
            edited=Subquery(comments.annotate(latest=Max("updated_at")).values("latest")),
            event=gallery._newest(GenerationEvent.objects.all()),
            n_stars=gallery._how_many(stars),
            newest_star=gallery._newest(stars),
            # A project made, renamed or archived: the page's project and Move choices.
            projects=gallery._newest(Project.objects.all(), "updated_at"),
            links_until=review_links_until(user_pk)
            if review_links_until
            else Value(None, output_field=DateTimeField()),
        )
        .values_list(*FACT_COLUMNS)
        .order_by()[:1]
    )


PAGE_FACTS = Prepared(
    _page_facts, Generation._meta.get_field("owner").target_field, Generation._meta.pk
)


# What a job's page reads beside its facts, by the viewer's id and the job's: each built
# once per process (prepared.py; tests/test_prepared.py holds each to the ORM's answer).
_OWNER = Generation._meta.get_field("owner").target_field
_AT = Generation._meta.get_field("created_at")
_PK = Generation._meta.pk


def _seen_by(viewer) -> GenerationQuerySet:
    return Generation.objects.filter(visible_to(viewer))


# The job with its maker and project (the page shows both).
THE_JOB = PreparedModels(
    lambda viewer, pk: _seen_by(viewer).filter(pk=pk).select_related("owner", "project"),
    _OWNER,
    _PK,
)
# A job linked from the page: the one it was made from, the shot it continues.
LINKED_JOB = PreparedModels(
    lambda viewer, pk: _seen_by(viewer).filter(pk=pk).only(*LINK_FIELDS, "title"), _OWNER, _PK
)
REMAKES = PreparedModels(
    lambda viewer, pk: _seen_by(viewer).filter(made_from=pk).in_gallery().only(*LINK_FIELDS)[:12],
    _OWNER,
    _PK,
)
# A job's continuations and its stack's versions: read by their own index (continues_id,
# the stack's), the rule applied to their few rows (seen()). With the visibility OR in the
# query, PostgreSQL without statistics on the table walked all of the person's rows for
# them (175 ms and 36 ms at 100,000).
CONTINUATIONS = PreparedModels(
    lambda pk: Generation.objects.filter(continues=pk).only(
        *LINK_FIELDS, *WATCH_FIELDS, "title", "continues_at"
    ),
    _PK,
)
VERSIONS = PreparedModels(
    lambda root: (
        Generation.objects.filter(Q(pk=root) | Q(stack_id=root))
        .only("pk", "version", "created_at", "status", "video", "review_status", *WATCH_FIELDS)
        .order_by("version", "pk")
    ),
    _PK,
)
TAKES = Prepared(
    lambda group: Generation.objects.filter(take_group=group).values_list(*WATCH_FIELDS),
    Generation._meta.get_field("take_group"),
)
HISTORY = PreparedModels(
    lambda pk: (
        GenerationEvent.objects.filter(generation=pk)
        .order_by("created_at", "pk")
        .select_related("actor")
    ),
    _PK,
)
COMMENTS = PreparedModels(
    lambda pk: Comment.objects.filter(generation=pk).select_related("author", "resolved_by"), _PK
)
LATEST_RESERVATION = PreparedModels(
    lambda pk: reservations_of(pk)[:1], LedgerEntry._meta.get_field("generation_ref")
)


def kept_video_page(request: HttpRequest, pk) -> dict:
    """The context of the page of job `pk` as `request.user` sees it (404 when they may
    not): a finished job's page comes whole from the cache while nothing it shows changed.
    A running job's page is drawn each time: it tells the time since it started."""
    user = request.user
    found = PAGE_FACTS.rows(user.pk, pk) if user.is_authenticated and user.is_active else []
    if not found:
        raise Http404("No video here")
    facts = found[0]
    status, n_comments = facts[FACT["status"]], facts[FACT["n_comments"]]
    prompt = facts[FACT["title"]] or facts[FACT["prompt"]]  # the title, else the prompt
    list_query = request.GET.get("list", "")
    # The star and the comments are read here: the page asks for neither again.
    starred = bool(facts[FACT["starred"]])
    comments = COMMENTS.objects(pk) if n_comments else []
    video_row = (
        *(facts[FACT[name]] for name in ("owner_id", "trashed_at")),
        status,
        *(facts[FACT[name]] for name in ("video", "project_id", "stack_id")),
    )
    panel = {"video_row": video_row, "review_links_live": review_links_live(facts)}

    def shown() -> dict:
        reads = _page_reads(request, pk, facts, list_query)
        return video_page(request, reads, list_query, starred=starred, comments=comments)

    if status in ACTIVE_STATUSES:
        return {**shown(), "page_title": prompt, **panel}
    # A comment's words and its author's name move no version: they are in the key.
    signature = repr(
        [
            viewer_key(user),
            str(pk),
            request.get_full_path(),
            facts,
            comments_as_shown(comments),
            str(timezone.localdate()),  # a list of "today" moves at midnight
            settings.DEMO_MODE,
        ]
    )
    key = "video-page:" + hashlib.sha256(signature.encode()).hexdigest()

    def draw(extra: dict) -> str:
        context = {**shown(), **extra}
        return render_to_string("generations/detail.html#page_content", context, request)

    html = kept(key, draw, PAGE_KEEP_SECONDS)
    return {"page_title": prompt, "page_html": html, **panel}


def review_links_live(facts: tuple) -> bool:
    """Whether the review links panel of the job of PAGE_FACTS' row `facts` has a live link
    to list: one of its unrevoked links expires later than now, the clock its query reads."""
    until = facts[FACT["links_until"]]
    return until is not None and as_aware(until) > timezone.now()


class PageReads(NamedTuple):
    """What a job's page reads beside its facts, each as its prepared query gives it."""

    job: Generation
    neighbours: tuple | None  # (previous, next) in the whole list; None: not asked
    history: list
    remakes: list
    made_from: list
    continues: list
    continuations: list
    versions: list
    takes: list  # TAKES' rows
    reservation: list


def _page_reads(request: HttpRequest, pk, facts: tuple, list_query: str) -> PageReads:
    """The job `pk` (404 when request.user, active, may not see it) and everything its page
    reads beside, asked in one round trip (prepared.asked_together) from its PAGE_FACTS
    row: the job's row with its neighbours in the whole list (unless the page is of a list,
    or of the Trash), its history, remakes, linked jobs, continuations, versions, takes,
    reservation and the viewer's projects for its Move menu (theirs only)."""
    user = request.user
    viewer = user.pk
    fact = {name: facts[n] for name, n in FACT.items()}
    job_sql, job_params = THE_JOB.statement(viewer, pk)
    beside = not list_query and fact["trashed_at"] is None
    if beside:
        (newer_sql, newer_params), (older_sql, older_params) = _neighbour_statements(
            viewer, fact["owner_id"], fact["created_at"], pk
        )
        # Each neighbour is NULL when there is none; no job row (not seen): no row at all.
        job_sql = f"SELECT job.*, ({newer_sql}), ({older_sql}) FROM ({job_sql}) AS job"
        job_params = [*newer_params, *older_params, *job_params]  # in the order of the text
    root = fact["stack_id"] or pk
    asks = {
        "history": HISTORY.statement(pk),
        "job": (job_sql, job_params),
        "remakes": REMAKES.statement(viewer, pk),
        "continuations": CONTINUATIONS.statement(pk),
        "versions": VERSIONS.statement(root),
        "reservation": LATEST_RESERVATION.statement(pk),
    }
    if fact["made_from"] is not None:
        asks["made_from"] = LINKED_JOB.statement(viewer, fact["made_from"])
    if fact["continues"] is not None:
        asks["continues"] = LINKED_JOB.statement(viewer, fact["continues"])
    if fact["take_group"] is not None:
        asks["takes"] = TAKES.statement(fact["take_group"])
    if fact["owner_id"] == viewer and may_generate(user):
        asks["projects"] = SEEN_PROJECTS.statement(viewer)
    found = dict(zip(asks, asked_together(list(asks.values())), strict=True))
    if not found["job"]:
        raise Http404("No video here")
    if "projects" in found:
        seen_project_rows(request, found["projects"])  # the Move menu's
    row = found["job"][0]
    neighbours_found = None
    if beside:
        row, neighbours_found = row[:-2], tuple(_linkable(one) for one in row[-2:])
    return PageReads(
        job=THE_JOB.instances_of([row])[0],
        neighbours=neighbours_found,
        history=HISTORY.instances_of(found["history"]),
        remakes=REMAKES.instances_of(found["remakes"]),
        made_from=LINKED_JOB.instances_of(found.get("made_from", [])),
        continues=LINKED_JOB.instances_of(found.get("continues", [])),
        continuations=CONTINUATIONS.instances_of(found["continuations"]),
        versions=VERSIONS.instances_of(found["versions"]),
        takes=found.get("takes", []),
        reservation=LATEST_RESERVATION.instances_of(found["reservation"]),
    )


def video_page(
    request: HttpRequest,
    reads: PageReads,
    list_query: str,
    *,
    starred: bool,
    comments: list[Comment],
) -> dict:
    """The context of the page of `reads.job`, seen by `request.user` (active, and allowed
    to see it), with the viewer's star and the comments (with their authors)."""
    user = request.user
    generation = reads.job
    previous = following = None
    if reads.neighbours is not None:
        previous, following = reads.neighbours
    elif not generation.in_trash:
        previous, following = neighbours(request, generation, list_query)
    own = generation.owner_id == user.pk
    return {
        "generation": generation,
        "history": reads.history,
        "previous": previous,
        "next": following,
        "list_query": list_query,
        "remakes": reads.remakes,
        "made_from": reads.made_from[0] if reads.made_from else None,
        "takes": takes_seen(user, generation.take_group, reads.takes)
        if generation.take_group
        else 0,
        **shots(user, generation, reads.continues, reads.continuations),
        **versions_seen(user, generation, reads.versions),
        "starred": starred,
        "move_choices": usable_project_choices(user, request) if own else [],
        "money": money_from(next(iter(reads.reservation), None), generation.is_active),
        "comments": comments,
        "comments_version": Comment.version_of(comments),
        "comment_form": CommentForm(duration=generation.video_duration),
    }


def shots(
    user, generation: Generation, continues: list | None = None, continuations: list | None = None
) -> dict:
    """The shot `generation` continues and those that continue it, as far as `user` may
    see them ("continues Kite over field at 0:08.0"); `continues`, `continuations`: what
    LINKED_JOB and CONTINUATIONS gave, when the caller read them."""
    if continues is None:
        viewer, shot = user.pk, generation.continues_id
        continues = LINKED_JOB.objects(viewer, shot) if shot else []
    if continuations is None:
        continuations = CONTINUATIONS.objects(generation.pk)
    # Newest first, out of the Trash (the owner's too) in Python: with trashed_at in the
    # query PostgreSQL without statistics read the Trash index's 100,000 entries.
    continuations = [shot for shot in seen(user, continuations) if not shot.in_trash]
    return {
        "continues": continues[0] if continues else None,
        "continues_at": wording.moment_label(generation.continues_at)
        if generation.continues_at is not None
        else "",
        "continuations": [
            {"video": shot, "at": wording.moment_label(shot.continues_at or 0.0)}
            for shot in continuations[:12]
        ],
    }


def versions_seen(user, generation: Generation, stack: list | None = None) -> dict:
    """The versions of `generation`'s stack that `user` may watch (out of the Trash, but
    this one), oldest first; the one before it; the newest. `stack`: what VERSIONS gave,
    when the caller read it."""
    if stack is None:
        stack = VERSIONS.objects(generation.stack_root_id)
    versions = [
        version
        for version in seen(user, stack)
        if version.trashed_at is None or version.pk == generation.pk
    ]
    here = next((i for i, v in enumerate(versions) if v.pk == generation.pk), None)
    return {
        "versions": versions,
        "previous_version": versions[here - 1] if here else None,
        "newest_version": versions[-1] if versions else None,
    }


def seen(user, jobs: list[Generation]) -> list[Generation]:
    """Those of `jobs` (read with WATCH_FIELDS) that `user` may watch."""
    watch = watcher(user)
    return [
        job
        for job in jobs
        if watch(job.owner_id, job.project_id, job.shared_at is not None, job.in_trash)
    ]


def takes_seen(user, group, takes: list[tuple] | None = None) -> int:
    """How many takes of `group` `user` may watch (`takes`: TAKES' rows, when the caller
    read them). A group holds at most four, so the rule is applied to their rows here:
    with the visibility OR in the query, PostgreSQL without statistics on the table walked
    all of the person's rows (3 ms at 100,000) to count four."""
    if takes is None:
        takes = TAKES.rows(group)
    watch = watcher(user)
    return sum(
        watch(owner, project, shared is not None, trashed is not None)
        for owner, project, shared, trashed in takes
    )


def neighbours(request: HttpRequest, generation: Generation, list_query: str):
    """(previous, next) of `generation` within the list the person came from (`list_query`,
    a gallery query string): theirs when it is their video, else the team's."""
    user = request.user
    own = generation.owner_id == user.pk
    if not list_query and user.is_authenticated and user.is_active:
        # The whole list, newest first: two questions built once per process (building
        # them cost more than the database takes to answer both).
        return _unlisted_neighbours(generation, user.pk)
    if own:
        base, filters = own_generations(user).in_gallery(), gallery.GalleryFilter
    else:
        base, filters = team_generations(user).in_gallery(), TeamFilter
    _, rows, sort = gallery.filtered(request, base, QueryDict(list_query), filterset_class=filters)
    # The plain range on created_at lets the database walk its index from the current row.
    at = generation.created_at
    newer = Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=generation.pk))
    older = Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=generation.pk))
    before, after = (newer, older) if sort == "newest" else (older, newer)
    backwards = [key[1:] if key.startswith("-") else f"-{key}" for key in gallery.SORTS[sort]]
    rows = rows.only("pk")
    return rows.filter(before).order_by(*backwards).first(), rows.filter(after).first()


def _next_to(rows: QuerySet, at, pk, newer: bool, same_list: Q | None = None) -> QuerySet:
    """The id of the row beside (`at`, `pk`) in `rows` newest first: the nearest newer one,
    or the nearest older one (the same sides as neighbours() takes); one per stack of
    versions, as the galleries show them. `same_list`: `rows`' own terms on the later
    version of a stack (OuterRef the row), for a list simple enough to say them."""
    if same_list is None:
        rows = gallery.stack_heads(rows)
    else:
        # gallery.stack_heads checks the later version against `rows` by its id: PostgreSQL
        # without statistics walked all of the person's rows for it (1.8 s at 100,000).
        later = Generation.objects.filter(
            same_list, stack_id=gallery._root_of_outer(), version__gt=OuterRef("version")
        )
        rows = rows.filter(~Exists(later.values("pk")))
    if newer:
        side = Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=pk))
        order = ("created_at", "pk")
    else:
        side = Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=pk))
        order = ("-created_at", "-pk")
    return rows.filter(side).order_by(*order).values_list("pk")[:1]


# own_generations(user).in_gallery() and team_generations(user) (out of the Trash already),
# by the values alone (tests/test_prepared.py holds them to neighbours() with a list).
OWN_NEIGHBOUR = {
    newer: Prepared(
        lambda owner, at, pk, newer=newer: _next_to(
            Generation.objects.filter(owner_id=owner).in_gallery(),
            at,
            pk,
            newer,
            # A stack is one person's (Generation._join_stack): its later versions are
            # theirs. Naming the owner let PostgreSQL walk the owner's rows for it again.
            same_list=Q(trashed_at__isnull=True),
        ),
        _OWNER,
        _AT,
        Generation._meta.pk,
    )
    for newer in (True, False)
}
TEAM_NEIGHBOUR = {
    newer: Prepared(
        lambda viewer, at, pk, newer=newer: _next_to(
            Generation.objects.filter(team_to(viewer)), at, pk, newer
        ),
        _OWNER,
        _AT,
        Generation._meta.pk,
    )
    for newer in (True, False)
}


def _neighbour_statements(viewer, owner, created_at, pk) -> list[tuple[str, list]]:
    """The SQL and values of the questions for the newer and the older neighbour of the
    job (`owner`'s, made at `created_at`, `pk`) in its whole list as `viewer` sees it: the
    owner's own when it is theirs, else the team's."""
    at = as_aware(created_at)  # SQLite's driver answers a date as text
    if owner == viewer:
        return [OWN_NEIGHBOUR[newer].statement(owner, at, pk) for newer in (True, False)]
    return [TEAM_NEIGHBOUR[newer].statement(viewer, at, pk) for newer in (True, False)]


def _linkable(pk) -> Generation | None:
    """The job `pk` as neighbours() with a list gives it: its id alone, the rest deferred
    (a Generation() fills its 47 fields with their defaults: 55 µs, against 7 µs)."""
    if pk is None:
        return None
    # SQLite answers an id as hex text: a link needs the id as the page's URLs spell it.
    return Generation.from_db("default", ["id"], [uuid.UUID(str(pk))])


def _unlisted_neighbours(generation: Generation, viewer):
    """(previous, next) of `generation` in its whole list, newest first, as linkable jobs:
    both questions in one round trip."""
    (newer_sql, newer_params), (older_sql, older_params) = _neighbour_statements(
        viewer, generation.owner_id, generation.created_at, generation.pk
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({newer_sql}), ({older_sql})", [*newer_params, *older_params])
        newer, older = cursor.fetchone()
    return _linkable(newer), _linkable(older)
