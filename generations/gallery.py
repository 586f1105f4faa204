"""The gallery as a pipeline over any base queryset: search, filters, sort, pages, and the
filters' counts.

`gallery_sections(request, base, counts_version, action)` draws a page's filters and cards
(the personal gallery passes the person's visible jobs, the Team view what is shared);
`gallery_counts` answers the request the page makes for its filters' counts once it is
shown, because counting walks every row the search keeps. Both are kept in the cache for
at most a minute, under a version that moves with every event, star and comment they read
(`own_counts_version`, `team_counts_version`), so a change shows at once.
"""

import copy
import functools
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Field,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from lib.prepared import Prepared, asked_together

from .access import (
    SEEN_PROJECTS,
    WATCH_FIELDS,
    may_generate,
    viewer_key,
    visible_generations,
    watcher,
)
from .forms import seen_project_rows
from .models import (
    ACTIVE_STATUSES,
    FAILED_STATUSES,
    PORTRAIT_SIZES,
    Comment,
    Favourite,
    Generation,
    GenerationEvent,
    Project,
    ReviewStatus,
    Seconds,
    Size,
    Status,
    VideoModel,
    poll_version_of,
    search_key,
)

PAGE_SIZE = 24


@dataclass(frozen=True)
class Choice:
    """One value of a facet: the rows it keeps, as a Q for the database and as a test on
    one row of the grouped counts, side by side so that the two cannot drift apart."""

    key: str
    label: str
    column: str
    values: frozenset
    where: Q | None = None

    @property
    def q(self) -> Q:
        return self.where if self.where is not None else Q(**{f"{self.column}__in": self.values})

    def holds(self, row: dict) -> bool:
        return row[self.column] in self.values


def _plain(column: str, choices) -> dict[str, Choice]:
    return {str(v): Choice(str(v), label, column, frozenset({v})) for v, label in choices}


LANDSCAPE_SIZES = frozenset(Size) - frozenset(PORTRAIT_SIZES)
FACET_CHOICES: dict[str, dict[str, Choice]] = {
    "status": {
        "ready": Choice("ready", "Ready", "status", frozenset({Status.READY})),
        "active": Choice("active", "In progress", "status", frozenset(ACTIVE_STATUSES)),
        "failed": Choice("failed", "Failed", "status", frozenset(FAILED_STATUSES)),
    },
    "model": _plain("model", VideoModel.choices),
    "size": _plain("size", Size.choices),
    "orientation": {
        "landscape": Choice("landscape", "Landscape", "size", LANDSCAPE_SIZES),
        "portrait": Choice("portrait", "Portrait", "size", frozenset(PORTRAIT_SIZES)),
    },
    "seconds": _plain("seconds", Seconds.choices),
    "review": _plain("review_status", ReviewStatus.choices),
    "first_frame": {
        "with": Choice(
            "with", "With a first frame", "has_frame", frozenset({True}), ~Q(first_frame_sha256="")
        ),
        "without": Choice(
            "without", "Without", "has_frame", frozenset({False}), Q(first_frame_sha256="")
        ),
    },
}
FACETS = list(FACET_CHOICES)
DATE_CHOICES = [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]
SORTS = {"newest": ("-created_at", "-pk"), "oldest": ("created_at", "pk")}


def _choices(name: str) -> list[tuple[str, str]]:
    return [(key, choice.label) for key, choice in FACET_CHOICES[name].items()]


class _SharedFields(dict):
    """A form class's fields, which each of its forms shares instead of deep-copying them."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


class GalleryFilter(django_filters.FilterSet):
    """The gallery's filters. Each one is a `Q` (see `clause`), so the counts of every
    filter value can be taken in one aggregate query."""

    q = django_filters.CharFilter(method="apply", label="Search prompts")
    status = django_filters.ChoiceFilter(choices=_choices("status"), method="apply", label="Status")
    model = django_filters.ChoiceFilter(choices=VideoModel.choices, method="apply")
    size = django_filters.ChoiceFilter(choices=Size.choices, method="apply", label="Format")
    orientation = django_filters.ChoiceFilter(
        choices=_choices("orientation"), method="apply", label="Orientation"
    )
    seconds = django_filters.TypedChoiceFilter(
        choices=Seconds.choices, coerce=int, method="apply", label="Duration"
    )
    review = django_filters.ChoiceFilter(
        choices=ReviewStatus.choices, method="apply", label="Review"
    )
    first_frame = django_filters.ChoiceFilter(
        choices=_choices("first_frame"), method="apply", label="First frame"
    )
    starred = django_filters.BooleanFilter(
        method="apply", label="Favourites only", widget=forms.CheckboxInput
    )
    when = django_filters.ChoiceFilter(choices=DATE_CHOICES, method="apply", label="Date")
    after = django_filters.DateFilter(
        method="apply", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = django_filters.DateFilter(
        method="apply", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    project = django_filters.CharFilter(method="apply", label="Project")
    sort = django_filters.ChoiceFilter(
        choices=[("newest", "Newest first"), ("oldest", "Oldest first")],
        method="apply",
        empty_label=None,
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter deep-copies every filter (their choices too) on each request: a
        # sixth of drawing a gallery page. Ours keep nothing of a request but their parent.
        ours: dict[str, django_filters.Filter] = self.base_filters
        self.__dict__["base_filters"] = {}  # what the parent deep-copies
        super().__init__(data, queryset, request=request, prefix=prefix)
        del self.__dict__["base_filters"]
        self.filters = {name: copy.copy(one) for name, one in ours.items()}
        for one in self.filters.values():
            one.model, one.parent = self.queryset.model, self
            one.method = one.method  # its FilterMethod points at the filter: this copy

    def get_form_class(self):
        # One form class per filter set (the parent builds one on each request), whose forms
        # share its fields: a form deep-copies its fields (each choice, each widget), a
        # fifth of finding a gallery page, and nothing here changes a field per request.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    def apply(self, queryset, name, value):
        return queryset.filter(self.clause(name, value))

    def filter_queryset(self, queryset):
        # What django-filter does (`apply` for each value it does not skip as empty) in one
        # filter(): each filter() copies the whole query, six times for a searched page.
        wanted = [
            self.clause(name, value)
            for name, value in self.form.cleaned_data.items()
            if value not in django_filters.constants.EMPTY_VALUES
        ]
        combined = _all(q for q in wanted if q)
        return queryset.filter(combined) if combined else queryset

    def clause(self, name: str, value) -> Q:
        return clause_of(*clause_parts(name, value), self.request.user.pk)

    def extra_facets(self) -> dict[str, tuple[str, dict[str, Choice]]]:
        """Facets a view's own filters add, counted in the same query: name → (label,
        choices by key); every value a valid form can hold must be among the choices.
        The gallery's own: the projects the person sees (open ones, and the one chosen)."""
        if "project" not in self.filters:
            return {}
        wanted = self.form.cleaned_data.get("project") if self.form.is_valid() else ""
        choices = {"none": project_choice("none")}
        chosen = _int(wanted)
        for pk, name, archived_at in seen_project_rows(self.request):
            if archived_at is None or pk == chosen:
                choices[str(pk)] = project_choice(str(pk), name)
        if wanted and wanted not in choices:
            # A project this person may not see, or none by that number: finds nothing.
            choices[wanted] = project_choice(wanted, "No such project")
        return {"project": ("Project", choices)}

    def clauses(self) -> dict[str, Q]:
        """Every filter that is set, as a Q; call only when the form is valid."""
        found = {}
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", False):
                continue
            clause = self.clause(name, value)
            if clause:
                found[name] = clause
        return found


# How far back each "when" choice reaches, in days before today.
WHEN_DAYS = {"today": 0, "7d": 6, "30d": 29}


def clause_parts(name: str, value) -> tuple[tuple, list]:
    """A filter's value as (its shape, its values): the shape decides the SQL of the filter
    (clause_of), the values only fill it in; a page's query is built once per shape
    (PreparedPages)."""
    if name == "q":
        words = search_key(value).split()[:12]
        return ("q", len(words)), words
    if name in FACET_CHOICES:
        return (name, str(value)), []
    if name == "starred":
        return ("starred", bool(value)), []
    if name == "when":
        return ("from",), [_start_of(timezone.localdate() - timedelta(days=WHEN_DAYS[value]))]
    if name == "after":
        return ("from",), [_start_of(value)]
    if name == "before":
        return ("until",), [_start_of(value + timedelta(days=1))]
    if name == "person":  # the Team's and a project's filters (team_views.TeamFilter)
        return ("person",), [value]
    if name == "project":
        if value == "none":
            return ("project", "none"), []
        pk = _int(value)
        return (("project", "pk"), [pk]) if pk is not None else (("project", "unknown"), [])
    return ("sort",), []  # applied after the counts


def clause_of(shape: tuple, values: list, person_pk) -> Q:
    """The filter of clause_parts' shape and values, as a Q (an empty Q filters nothing)."""
    kind = shape[0]
    if kind == "q":
        return Q(*[Q(search_text__contains=word) for word in values])
    if kind in FACET_CHOICES:
        return FACET_CHOICES[kind][shape[1]].q
    if kind == "starred":
        return Q(pk__in=_starred_ids(person_pk)) if shape[1] else Q()
    if kind == "from":
        return Q(created_at__gte=values[0])
    if kind == "until":
        return Q(created_at__lt=values[0])
    if kind == "project":
        return project_choice(str(values[0]) if values else shape[1]).q
    if kind == "person":
        return Q(owner_id=values[0])
    return Q()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def project_choice(key: str, label: str = "") -> Choice:
    """The project filter's value: a project's id, or "none" for videos in no project."""
    if key == "none":
        return Choice("none", "No project", "project_id", frozenset({None}), Q(project=None))
    pk = _int(key)
    if pk is None:
        return Choice(key, label, "project_id", frozenset(), Q(pk__in=[]))
    return Choice(key, label, "project_id", frozenset({pk}), Q(project_id=pk))


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def with_stars(queryset: QuerySet, person) -> QuerySet:
    """Each row carries `is_starred` for `person`: the cards need no query of their own."""
    mine = Favourite.objects.filter(person=person, generation=OuterRef("pk"))
    return queryset.annotate(is_starred=Exists(mine))


# Columns no card shows nor keys its cache by: left out of a gallery page's rows, its 24 cost
# less to read (on SQLite each date is parsed from text) and their query less to build.
# tests/test_gallery.py fails if a card reads one of them.
NOT_ON_CARDS = (
    "client_token",
    "search_text",
    "video_url",
    "task_id",
    "lease",
    "attempts",
    "polls",
    "deadline",
    "next_action_at",
    "completed_at",
    "started_at",
    "submitted_at",
    "saved_at",
    "first_frame",
    "first_frame_thumbnail",
    "first_frame_sha256",
    "video_bytes",
    "video_duration",
    "video_width",
    "video_height",
    "made_from",
    # Of the maker, a card shows the name and whether they are still in the studio.
    "owner__password",
    "owner__last_login",
    "owner__date_joined",
    "owner__email",
)


def as_cards(queryset: QuerySet, person, *, versions: bool = True) -> QuerySet:
    """Rows as a card shows them (and keys its cache by): with `person`'s star, the comment
    count, the number of versions `person` may watch (unless `versions` is False: then
    count_versions on the rows read) and the maker, in the one query."""
    cards = with_stars(queryset, person).with_comment_counts()  # type: ignore[attr-defined]
    if versions:
        cards = with_version_counts(cards, person)
    return cards.select_related("owner", "project")


def count_versions(cards: list, person) -> None:
    """Each card's `n_versions` as with_version_counts gives it, for a page's rows already
    read: one plain query on the stack index and the primary key, the visibility rule applied
    to the few rows it finds (access.watcher). The two correlated counts cost more to build
    than the page's whole query takes to answer, on every first load of a gallery page."""
    roots = list({card.stack_id or card.pk for card in cards})
    if not roots:
        return
    may = watcher(person)
    as_id = Generation._meta.pk.to_python  # SQLite answers an id as hex text
    seen: Counter = Counter()
    for some in _slotted(roots):
        for pk, stack_id, owner_id, project_id, shared_at, trashed_at in STACKS.rows(*some):
            if trashed_at is None and may(owner_id, project_id, shared_at is not None, False):
                seen[as_id(stack_id or pk)] += 1
    for card in cards:
        card.n_versions = seen[card.stack_id or card.pk]


def _slotted(ids: list) -> list[list]:
    """`ids` in lists of exactly PAGE_SIZE, for the prepared queries that take a page's ids:
    the last list filled up with its own first id (an id twice finds its row once)."""
    lists = [ids[n : n + PAGE_SIZE] for n in range(0, len(ids), PAGE_SIZE)]
    return [some + [some[0]] * (PAGE_SIZE - len(some)) for some in lists]


_GENERATION_PK = Generation._meta.pk
# The Trash is left out in count_versions, not in the query: with `trashed_at IS NULL` in it
# SQLite walked that column's index (60 ms at 100,000 rows) instead of seeking the two.
# Built once per process (prepared.py), as is the page's cards query below: building each
# cost more than the database takes to answer it.
STACKS = Prepared(
    lambda *roots: Generation.objects.filter(Q(stack_id__in=roots) | Q(pk__in=roots)).values_list(
        "pk", "stack_id", *WATCH_FIELDS
    ),
    *[_GENERATION_PK] * PAGE_SIZE,
)


def _card_rows(person_pk, *ids) -> QuerySet:
    cards = as_cards(Generation.objects.filter(pk__in=ids), person_pk, versions=False)
    return cards.defer(*NOT_ON_CARDS)  # a poll reads more


PAGE_CARDS = Prepared(_card_rows, get_user_model()._meta.pk, *[_GENERATION_PK] * PAGE_SIZE)


# What a finished card's cache key reads of its row (gallery_tags.card_key), by position.
_KEY_COLUMNS = (
    "id",
    "stack_id",
    "status",
    "updated_at",
    "is_starred",
    "n_comments",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__is_active",
    "project_id",
    "project__updated_at",
)


class Card:
    """A card of a gallery page as its row was read: what its cache key and count_versions
    read, converted as the ORM converts them; the model instance (`generation`) only for
    the cards drawn (see built). After a change one card of the 24 is drawn: building the
    other 23 instances cost more than the rest of reading the page."""

    def __init__(self, row: tuple, facts: list):
        self.row = row
        (self.pk, self.stack_id, self.status, self.updated_at, self.is_starred) = facts[:5]
        (self.comment_count, first_name, last_name, username, owner_is_active) = facts[5:10]
        self.project_id, project_updated_at = facts[10:]
        # As User.get_full_name() and get_username() give them.
        self.owner_facts = (f"{first_name} {last_name}".strip(), username, owner_is_active)
        self.project_updated_at = project_updated_at if self.project_id is not None else ""
        self.n_versions = 1
        self.generation: Generation | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def poll_version(self) -> int:
        return poll_version_of(self.updated_at)


def built(cards: list[Card]) -> list[Generation]:
    """The model instances of `cards` (as `as_cards(…, versions=False)` reads them), each
    with its `n_versions`; built once, in one go for those not built yet."""
    missing = [card for card in cards if card.generation is None]
    for card, generation in zip(
        missing, PAGE_CARDS.instances_of([card.row for card in missing]), strict=True
    ):
        generation.n_versions = card.n_versions
        card.generation = generation
    return [card.generation for card in cards]  # type: ignore[misc]


def page_cards(ids: list, person) -> list[Card]:
    """The cards of these ids, in their order, as `as_cards(…, versions=False)` reads them
    without NOT_ON_CARDS; with each one's `n_versions` (count_versions)."""
    positions = PAGE_CARDS.positions()
    key_positions = [positions[name] for name in _KEY_COLUMNS]
    found = {}
    for some in _slotted(ids):
        rows = PAGE_CARDS.rows(person.pk, *some)
        for row, facts in zip(rows, PAGE_CARDS.converted(rows, key_positions), strict=True):
            found[facts[0]] = Card(row, facts)
    as_id = Generation._meta.pk.to_python  # the ids of a page read as plain rows
    cards = [found[pk] for pk in map(as_id, ids) if pk in found]
    count_versions(cards, person)
    return cards


def _root_of_outer():
    return Coalesce(OuterRef("stack_id"), OuterRef("pk"))


def stack_heads(rows: QuerySet) -> QuerySet:
    """One row per stack of versions: the newest version among `rows` themselves (so a
    filter that keeps only an older version, "Approved", shows that one). A correlated
    NOT EXISTS that seeks the stack index: no query per card, no walk per row."""
    # The later version is sought by the stack index, then checked against `rows` by its id.
    # With the search's own terms in the NOT EXISTS, SQLite walked the person's rows by date
    # for each row it kept (450 ms for a searched page at 100,000 rows).
    kept = rows.order_by().filter(pk=OuterRef("pk"))
    later = Generation.objects.filter(
        Exists(kept), stack_id=_root_of_outer(), version__gt=OuterRef("version")
    )
    return rows.filter(~Exists(later.values("pk")))


def with_version_counts(rows: QuerySet, person) -> QuerySet:
    """Each row's `n_versions`: how many versions of its stack `person` may watch (out of
    the Trash), in the same query."""
    root = _root_of_outer()
    seen = visible_generations(person).in_gallery()
    # Two counts, each on its own index (the stack's, the primary key): an OR would not.
    later, first = _how_many(seen.filter(stack_id=root)), _how_many(seen.filter(pk=root))
    return rows.annotate(n_versions=Coalesce(later, 0) + Coalesce(first, 0))


@dataclass
class Facet:
    name: str
    label: str
    # value, label, count (None before the counts are taken)
    options: list[tuple[str, str, int | None]] = field(default_factory=list)


def _all(clauses) -> Q:
    combined = Q()
    for clause in clauses:
        combined &= clause
    return combined


# How long grouped counts are kept at most. A change shows at once (it moves the version in
# the key); this bounds the rare miss: a change whose event got its id before another's
# but committed after it (PostgreSQL), or a deleted account's events.
COUNTS_KEEP_SECONDS = 60


def own_counts_version(person) -> str:
    """Moves whenever a count or a card of `person`'s gallery may: every change to a job that
    a facet reads (created, each status, trashed, restored, deleted) is an event of its
    owner; with the person's stars and every comment (see _version)."""
    return "own:" + _version(person, OWN_VERSION)


def team_counts_version(person) -> str:
    """As above for everything shared: sharing and unsharing are events too."""
    return "team:" + _version(person, TEAM_VERSION)


def _newest(rows: QuerySet, column: str = "id") -> Subquery:
    return Subquery(rows.order_by(f"-{column}").values(column)[:1])


def _how_many(rows: QuerySet) -> Subquery:
    return Subquery(
        rows.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("*")).values("n")
    )


_VERSION_COLUMNS = ("event", "stars", "star", "comments", "comment", "edited", "projects")


def _version_query(events: QuerySet, person_pk, **more) -> QuerySet:
    """One query, asked on every gallery load: the scope's newest event, the person's
    stars (a star adds a row with a new id, an unstar removes one: count and newest id
    move), every comment (written, edited or deleted anywhere) and the projects' newest
    change; then the columns of `more` (name → subquery)."""
    stars = Favourite.objects.filter(person_id=person_pk)
    comments = Comment.objects.all()
    return (
        get_user_model()
        .objects.filter(pk=person_pk)
        .annotate(
            event=_newest(events),
            stars=_how_many(stars),
            star=_newest(stars),
            comments=_how_many(comments),
            comment=_newest(comments),
            edited=_newest(comments, "updated_at"),
            # A project renamed, recoloured, archived or limited: cards and filters move.
            projects=_newest(Project.objects.all(), "updated_at"),
            **more,
        )
        .values_list(*_VERSION_COLUMNS, *more)
        .order_by()[:1]
    )


_USER_PK = get_user_model()._meta.pk
# Built once per process (prepared.py): building it cost 40 times what SQLite takes to answer.
OWN_VERSION = Prepared(
    lambda pk: _version_query(GenerationEvent.objects.filter(owner_id=pk), pk), _USER_PK
)
TEAM_VERSION = Prepared(lambda pk: _version_query(GenerationEvent.objects.all(), pk), _USER_PK)


# OWN_VERSION with how many of the person's videos are approved and out of the Trash
# (access.approved_count(person, "own"), the count the gallery shows above its cards): one
# round trip for the two on every load of the gallery.
OWN_VERSION_AND_APPROVED = Prepared(
    lambda pk: _version_query(
        GenerationEvent.objects.filter(owner_id=pk),
        pk,
        approved=_how_many(
            Generation.objects.filter(
                owner_id=pk, review_status=ReviewStatus.APPROVED, trashed_at__isnull=True
            )
        ),
    ),
    _USER_PK,
)


def own_gallery_state(request: HttpRequest) -> tuple[str, int]:
    """(own_counts_version(person), approved_count(person, "own")) of the request's person
    (active), from one query; asked in the same round trip as the projects of the Move
    menu and the project filter, when they may move videos (seen_project_rows)."""
    person = request.user
    statements = [OWN_VERSION_AND_APPROVED.statement(person.pk)]
    if may_generate(person):
        statements.append(SEEN_PROJECTS.statement(person.pk))
    found, *projects = asked_together(statements)
    if projects:
        seen_project_rows(request, projects[0])
    if not found:
        return f"own:{person.pk}:None", 0
    row = tuple(found[0])
    width = len(_VERSION_COLUMNS)
    return f"own:{person.pk}:{row[:width]}", row[width] or 0


def _version(person, query: Prepared) -> str:
    found = query.rows(person.pk)
    return f"{person.pk}:{tuple(found[0]) if found else None}"


def _grouped(rows: QuerySet, version: str | None, person) -> list[dict]:
    """The grouped counts, from the cache when nothing they read changed since.

    Counting is a walk over every row the search keeps (65 ms at 100,000 videos on SQLite);
    pages of one gallery, "Load more" and a reload ask for the same counts again."""
    if version is None:
        return list(rows)
    signature = f"{version}|{rows.query}"
    key = "gallery-counts:" + hashlib.sha256(signature.encode()).hexdigest()
    groups = cache.get(key)
    if groups is None:
        groups = list(rows)
        cache.set(key, groups, COUNTS_KEEP_SECONDS)
    return groups


def facet_counts(
    filterset: GalleryFilter, base: QuerySet, version: str | None = None
) -> tuple[list[Facet], int]:
    """For each facet value, how many rows it would give with every other filter kept, and
    the number of rows shown. One query: the rows that search and dates keep, counted by
    the few columns the facets read; the rest is sums over those groups. With a `version`
    (see own_counts_version) the groups come from the cache while it holds."""
    clauses = filterset.clauses()
    extra = filterset.extra_facets()
    facet_names = {*FACETS, "starred", *extra}
    extra_columns = sorted({c.column for _, choices in extra.values() for c in choices.values()})
    # One count per card: a stack of versions counts once (its newest the search keeps).
    scope = stack_heads(
        base.filter(_all(q for name, q in clauses.items() if name not in facet_names))
    )
    person = filterset.request.user
    mine = _starred_ids(person)
    rows = (
        scope.annotate(
            has_frame=ExpressionWrapper(~Q(first_frame_sha256=""), output_field=BooleanField()),
            starred=ExpressionWrapper(Q(pk__in=mine), output_field=BooleanField()),
        )
        .values(
            "status",
            "size",
            "model",
            "seconds",
            "review_status",
            "has_frame",
            "starred",
            *extra_columns,
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    groups = _grouped(rows, version, person)
    for row in groups:  # SQLite answers 0 and 1 for the booleans
        row["has_frame"], row["starred"] = bool(row["has_frame"]), bool(row["starred"])
    data = filterset.form.cleaned_data
    chosen = {name: FACET_CHOICES[name][str(data[name])] for name in FACETS if name in clauses}
    if "starred" in clauses:
        chosen["starred"] = STARRED
    for name, (_, by_key) in extra.items():
        if name in clauses:
            chosen[name] = by_key[str(data[name])]

    def kept(row: dict, but: str = "") -> bool:
        return all(choice.holds(row) for name, choice in chosen.items() if name != but)

    facets = []
    for name in [*FACETS, "starred"]:
        label = str(filterset.filters[name].label or name.title())
        choices = [STARRED] if name == "starred" else list(FACET_CHOICES[name].values())
        rows = [row for row in groups if kept(row, but=name)]
        options = [(c.key, c.label, sum(row["n"] for row in rows if c.holds(row))) for c in choices]
        facets.append(Facet(name, "Favourites" if name == "starred" else label, options))
    for name, (label, extra_choices) in reversed(extra.items()):
        rows = [row for row in groups if kept(row, but=name)]
        found = [
            (c.key, c.label, sum(r["n"] for r in rows if c.holds(r)))
            for c in extra_choices.values()
        ]
        picked = chosen[name].key if name in chosen else None
        # Only the values that find something (and the one chosen) are worth a line.
        options = [option for option in found if option[2] or option[0] == picked]
        facets.insert(0, Facet(name, label, options))
    return facets, sum(row["n"] for row in groups if kept(row))


# `where` is filled per person by `GalleryFilter.clause`; the grouped rows carry the flag.
STARRED = Choice("true", "Favourites", "starred", frozenset({True}))


@dataclass
class CardPage:
    """One page of cards, found without counting the rows: a row more than the page says
    whether another page follows. Counting is the walk over every row that made a first
    load slow (see facet_counts); the count comes after the page (GalleryCounts)."""

    object_list: list
    number: int
    more: bool

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def card_page(rows: QuerySet, number, size: int) -> CardPage:
    """Page `number` (any text: a bad one is the first page; one past the end, the last
    page with rows, as Paginator.get_page does) of `rows`."""
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    found = list(rows[(wanted - 1) * size : wanted * size + 1])
    if not found and wanted > 1:
        last = max(1, -(-rows.count() // size))
        return card_page(rows, last, size) if last < wanted else CardPage([], wanted, False)
    return CardPage(found[:size], wanted, len(found) > size)


@dataclass
class GalleryPage:
    filterset: GalleryFilter
    page: CardPage
    query: str  # the filters as a query string, without the page
    sort: str

    def page_url(self, number: int) -> str:
        return f"?{self.query}&page={number}" if self.query else f"?page={number}"

    @property
    def next_url(self) -> str:
        return self.page_url(self.page.next_page_number()) if self.page.has_next() else ""

    @property
    def previous_url(self) -> str:
        return self.page_url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def facets(self) -> list[Facet]:
        """The filters' choices, uncounted: what the page draws before its counts come."""
        facets = [
            Facet(
                name,
                str(self.filterset.filters[name].label or name.title()),
                [(c.key, c.label, None) for c in FACET_CHOICES[name].values()],
            )
            for name in FACETS
        ]
        facets.append(Facet("starred", "Favourites", [(STARRED.key, STARRED.label, None)]))
        if self.filterset.is_valid():
            for name, (label, choices) in reversed(self.filterset.extra_facets().items()):
                facets.insert(
                    0, Facet(name, label, [(c.key, c.label, None) for c in choices.values()])
                )
        return facets

    @property
    def counts_url(self) -> str:
        return f"?{self.query}&counts=1" if self.query else "?counts=1"

    @property
    def active_filters(self) -> int:
        """How many filters beside the search words are set (the Filters button says so)."""
        return sum(
            1
            for key, value in self.filterset.data.items()
            if value and key not in ("q", "page", "sort", "counts")
        )

    @property
    def is_filtered(self) -> bool:
        return any(
            value
            for key, value in self.filterset.data.items()
            if key not in ("page", "sort", "counts")
        )


def _starred_ids(person) -> QuerySet:
    """The ids `person` (a user or their id) starred, as a subquery."""
    return Favourite.objects.filter(person=person).values("generation_id")


def filtered(
    request: HttpRequest,
    base: QuerySet,
    data: QueryDict | None = None,
    filterset_class: type[GalleryFilter] = GalleryFilter,
):
    """(filterset, its rows sorted, sort) for `data` (the request's GET by default)."""
    data = request.GET if data is None else data
    filterset = filterset_class(data, queryset=base, request=request)
    sort = _sort_of(data)
    return filterset, _sorted_rows(filterset, base, sort), sort


def _sort_of(data: QueryDict) -> str:
    return str(data.get("sort")) if data.get("sort") in SORTS else "newest"


def _sorted_rows(filterset: GalleryFilter, base: QuerySet, sort: str) -> QuerySet:
    rows = stack_heads(filterset.qs) if filterset.is_valid() else base.none()
    return rows.order_by(*SORTS[sort])


def _query(request: HttpRequest) -> str:
    data = request.GET.copy()
    data.pop("page", None)
    data.pop("counts", None)
    return data.urlencode()


def gallery_page(
    request: HttpRequest,
    base: QuerySet | Callable[[], QuerySet],
    page_size: int = PAGE_SIZE,
    filterset_class: type[GalleryFilter] = GalleryFilter,
    prepared: "PreparedPages | None" = None,
    within: tuple = (),
) -> GalleryPage:
    """One page of cards of `base` (already limited to what the person may see), searched,
    filtered and sorted from the request; no counts (see gallery_counts). `prepared`, when
    it answers for `base` (OWN_PAGES for the person's own gallery; `within`: the values its
    base takes beside the person's id), finds the page's ids. `base` may be a function
    that builds it: called only when `prepared` does not answer."""
    # Until the list is built, the filters hold a stand-in that finds nothing.
    rows = Generation.objects.none() if callable(base) else base
    filterset = filterset_class(request.GET, queryset=rows, request=request)
    sort = _sort_of(request.GET)
    number = request.GET.get("page")
    page = prepared.page(filterset, sort, number, page_size, *within) if prepared else None
    if page is None:
        if callable(base):
            base = filterset.queryset = base()
        # The page's ids first, then its cards: what a card shows beyond the row (a star,
        # the maker, a comment count) is read for those rows only. In one query SQLite
        # worked out the star and the count of every row the search kept before sorting
        # them (120 ms of a searched page at 100,000 rows).
        rows = _sorted_rows(filterset, base, sort).values_list("pk", flat=True)
        page = card_page(rows, number, page_size)
    page.object_list = page_cards(page.object_list, request.user)
    return GalleryPage(filterset, page, _query(request), sort)


class _LikePattern(TextField):
    """A search word as it reaches the query of `search_text__contains`: its LIKE pattern."""

    def get_db_prep_value(self, value, connection, prepared=False):
        return f"%{connection.ops.prep_for_like_query(value)}%"


# The field each value of a shape (clause_parts) is of, for Prepared.
_VALUE_FIELDS: dict[str, Field] = {
    "q": _LikePattern(),
    "from": Generation._meta.get_field("created_at"),
    "until": Generation._meta.get_field("created_at"),
    "project": Project._meta.pk,
    "person": get_user_model()._meta.pk,
}


def _own_gallery(person_pk) -> QuerySet:
    """`own_generations(person).in_gallery()` on an active person's id."""
    return Generation.objects.filter(owner=person_pk).in_gallery()


class PreparedPages:
    """The ids of a page of a gallery as gallery_page finds them with `filterset_class`
    over `base(person's id, *values)` (the list the view passes it, on an active person's
    id and the values it takes beside: `fields`), from a query built once per shape (the
    filters set, how many search words, the sort and the page: clause_parts) and process.
    Building it with django-filter and the ORM cost some 3 ms on every first load of a
    page, many times what the database takes to answer it."""

    # Shapes past this many are built by the ORM each time: a bound on what a process keeps
    # (each holds its compiled query), whatever pages and filters people ask for.
    MOST_SHAPES = 256

    def __init__(
        self,
        base: Callable[..., QuerySet] = _own_gallery,
        filterset_class: type[GalleryFilter] = GalleryFilter,
        *fields: Field,
    ):
        self.base = base
        self.filterset_class = filterset_class
        self.fields = fields
        self._by_shape: dict[tuple, Prepared] = {}

    def page(
        self, filterset: GalleryFilter, sort: str, number, size: int, *within
    ) -> CardPage | None:
        """The CardPage of page `number` (as card_page reads it) whose object_list holds
        the ids, or None when this is no page it answers (the ORM then finds it)."""
        person = filterset.request.user
        if type(filterset) is not self.filterset_class or not filterset.is_valid():
            return None
        if not (person.is_authenticated and person.is_active):
            return None
        try:
            wanted = max(1, int(number))
        except (TypeError, ValueError):
            wanted = 1
        parts, values = [], []
        for name, value in filterset.form.cleaned_data.items():
            if value not in django_filters.constants.EMPTY_VALUES:  # as filter_queryset
                part, part_values = clause_parts(name, value)
                parts.append(part)
                values += part_values
        if ("project", "unknown") in parts:  # finds nothing, and has no SQL to prepare
            return None
        fields = [_VALUE_FIELDS[part[0]] for part in parts for _ in range(_counted(part))]
        if not all(map(_in_range, fields, values)):
            return None  # an id past the database's integers: the ORM's to answer
        shape = (sort, wanted, size, tuple(parts))
        query = self._by_shape.get(shape)
        if query is None:
            if len(self._by_shape) >= self.MOST_SHAPES:
                return None
            query = Prepared(
                functools.partial(self._page_ids, shape), _USER_PK, *self.fields, *fields
            )
            self._by_shape[shape] = query
        found = [pk for (pk,) in query.rows(person.pk, *within, *values)]
        if not found and wanted > 1:
            return None  # past the last page: card_page finds the last one
        return CardPage(found[:size], wanted, len(found) > size)

    def _page_ids(self, shape: tuple, person_pk, *values) -> QuerySet:
        """The query gallery_page builds for a page of this shape (see filtered, card_page)."""
        sort, wanted, size, parts = shape
        rows = self.base(person_pk, *values[: len(self.fields)])
        wanted_clauses, at = [], len(self.fields)
        for part in parts:
            given = list(values[at : at + _counted(part)])
            wanted_clauses.append(clause_of(part, given, person_pk))
            at += _counted(part)
        combined = _all(q for q in wanted_clauses if q)  # as GalleryFilter.filter_queryset
        rows = stack_heads(rows.filter(combined) if combined else rows).order_by(*SORTS[sort])
        return rows.values_list("pk", flat=True)[(wanted - 1) * size : wanted * size + 1]


def _counted(part: tuple) -> int:
    """How many values a shape's part takes (see clause_parts)."""
    if part[0] == "q":
        return part[1]
    return 1 if part[0] in ("from", "until", "person") or part == ("project", "pk") else 0


def _in_range(field: Field, value) -> bool:
    """Whether `value` is an id within the integers of its column: past them the ORM
    decides what the page finds (nothing, or an error as for any query)."""
    if not isinstance(field, IntegerField):
        return True
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    number = field.get_prep_value(value)
    return (low is None or number >= low) and (high is None or number <= high)


OWN_PAGES = PreparedPages()


@dataclass
class GalleryCounts:
    filterset: GalleryFilter
    facets: list[Facet]
    total: int
    pages: int


def gallery_counts(
    request: HttpRequest,
    base: QuerySet,
    counts_version: str | None,
    filterset_class: type[GalleryFilter] = GalleryFilter,
    page_size: int = PAGE_SIZE,
) -> GalleryCounts:
    """Each filter value's count and the number of videos, for the page's filters: asked
    by the page once it is shown (hx-trigger="load"), so the walk over every row never
    holds the page back. Kept in the cache under `counts_version` (see _grouped)."""
    filterset, _, _ = filtered(request, base, filterset_class=filterset_class)
    if not filterset.is_valid():
        return GalleryCounts(filterset, [], 0, 1)
    facets, total = facet_counts(filterset, base, counts_version)
    return GalleryCounts(filterset, facets, total, max(1, -(-total // page_size)))


# How long a page's drawn sections are kept at most (see COUNTS_KEEP_SECONDS).
SECTIONS_KEEP_SECONDS = COUNTS_KEEP_SECONDS


def gallery_sections(
    request: HttpRequest,
    base: QuerySet | Callable[[], QuerySet],
    counts_version: str,
    action: str,
    filterset_class: type[GalleryFilter] = GalleryFilter,
    prepared: PreparedPages | None = None,
    within: tuple = (),
) -> dict:
    """A gallery page's filters and cards, rendered, with what the page says around them
    (the counts follow: gallery_counts). `base` may be a function that builds it: called
    only when the sections are drawn and `prepared` does not answer (see gallery_page).

    Kept in the cache under everything they show: `counts_version` (which must name the
    base as well as its state, the viewer's stars and the comments: see
    own_counts_version), the viewer and the exact query. A reload or the way back from a
    video costs two small queries instead of reading and drawing 24 cards (bench/README.md
    has the figures). Nothing in them is personal beyond the viewer's own stars and
    switches, and no token: the page around them is drawn for every request."""
    signature = "|".join(
        [
            counts_version,
            viewer_key(request.user),
            filterset_class.__name__,
            action,
            str(timezone.localdate()),  # "today", "last 7 days" move at midnight
            str(sorted(request.GET.lists())),
        ]
    )
    key = "gallery-sections:" + hashlib.sha256(signature.encode()).hexdigest()
    sections = cache.get(key)
    if sections is None:
        sections = _draw_sections(request, base, action, filterset_class, prepared, within)
        cache.set(key, sections, SECTIONS_KEEP_SECONDS)
    return sections


def _draw_sections(request, base, action, filterset_class, prepared=None, within=()) -> dict:
    page = gallery_page(
        request, base, filterset_class=filterset_class, prepared=prepared, within=within
    )
    context = {"gallery": page, "page": page.page, "action": action}
    shown = page.page.object_list
    return {
        "filters": render_to_string("generations/_filters.html", context, request),
        "cards": render_to_string("generations/_gallery_cards.html", context, request)
        if shown
        else "",
        "ids": [str(generation.pk) for generation in shown],  # text unpickles fast
        "is_filtered": page.is_filtered,
    }
