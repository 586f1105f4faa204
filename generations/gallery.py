"""The gallery as a pipeline over any base queryset: search, filters with counts, sort, pages.

`gallery_page(request, base)` is what a page of cards needs; the personal gallery passes the
person's visible jobs, a team view can pass its own base and reuse all of it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from .models import (
    ACTIVE_STATUSES,
    PORTRAIT_SIZES,
    Favourite,
    Seconds,
    Size,
    Status,
    VideoModel,
    search_key,
)

PAGE_SIZE = 24
FAILED_STATUSES = [Status.FAILED, Status.TIMED_OUT, Status.UNCERTAIN]

STATUS_FILTERS = {
    "ready": ("Ready", Q(status=Status.READY)),
    "active": ("In progress", Q(status__in=ACTIVE_STATUSES)),
    "failed": ("Failed", Q(status__in=FAILED_STATUSES)),
}
ORIENTATION_FILTERS = {
    "landscape": ("Landscape", ~Q(size__in=PORTRAIT_SIZES)),
    "portrait": ("Portrait", Q(size__in=PORTRAIT_SIZES)),
}
FIRST_FRAME_FILTERS = {
    "with": ("With a first frame", ~Q(first_frame_sha256="")),
    "without": ("Without", Q(first_frame_sha256="")),
}
DATE_CHOICES = [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]
SORTS = {"newest": ("-created_at", "-pk"), "oldest": ("created_at", "pk")}


def _choices(table: dict) -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _) in table.items()]


class GalleryFilter(django_filters.FilterSet):
    """The gallery's filters. Each one is a `Q` (see `clause`), so the counts of every
    filter value can be taken in one aggregate query."""

    q = django_filters.CharFilter(method="apply", label="Search prompts")
    status = django_filters.ChoiceFilter(
        choices=_choices(STATUS_FILTERS), method="apply", label="Status"
    )
    model = django_filters.ChoiceFilter(choices=VideoModel.choices, method="apply")
    size = django_filters.ChoiceFilter(choices=Size.choices, method="apply", label="Format")
    orientation = django_filters.ChoiceFilter(
        choices=_choices(ORIENTATION_FILTERS), method="apply", label="Orientation"
    )
    seconds = django_filters.TypedChoiceFilter(
        choices=Seconds.choices, coerce=int, method="apply", label="Duration"
    )
    first_frame = django_filters.ChoiceFilter(
        choices=_choices(FIRST_FRAME_FILTERS), method="apply", label="First frame"
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
    sort = django_filters.ChoiceFilter(
        choices=[("newest", "Newest first"), ("oldest", "Oldest first")],
        method="apply",
        empty_label=None,
    )

    TABLES = {
        "status": STATUS_FILTERS,
        "orientation": ORIENTATION_FILTERS,
        "first_frame": FIRST_FRAME_FILTERS,
    }

    def apply(self, queryset, name, value):
        return queryset.filter(self.clause(name, value))

    def clause(self, name: str, value) -> Q:
        if name == "q":
            words = search_key(value).split()[:12]
            return Q(*[Q(search_text__contains=word) for word in words])
        if name in self.TABLES:
            return self.TABLES[name][value][1]
        if name in ("model", "size", "seconds"):
            return Q(**{name: value})
        if name == "starred":
            return Q(pk__in=_starred_ids(self.request.user)) if value else Q()
        if name == "when":
            days = {"today": 0, "7d": 6, "30d": 29}[value]
            return Q(created_at__gte=_start_of(timezone.localdate() - timedelta(days=days)))
        if name == "after":
            return Q(created_at__gte=_start_of(value))
        if name == "before":
            return Q(created_at__lt=_start_of(value + timedelta(days=1)))
        return Q()  # sort: applied after the counts

    def extra_facets(self) -> list[tuple[str, str, list[tuple[str, str, Q]]]]:
        """Facets a view's own filters add: (name, label, [(value, text, Q)])."""
        return []

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


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def with_stars(queryset: QuerySet, person) -> QuerySet:
    """Each row carries `is_starred` for `person`: the cards need no query of their own."""
    mine = Favourite.objects.filter(person=person, generation=OuterRef("pk"))
    return queryset.annotate(is_starred=Exists(mine))


@dataclass
class Facet:
    name: str
    label: str
    options: list[tuple[str, str, int]] = field(default_factory=list)  # value, label, count


# Which facet's counts come from which Q for each value.
def _facet_values(name: str) -> list[tuple[str, str, Q]]:
    if name in GalleryFilter.TABLES:
        return [(key, label, q) for key, (label, q) in GalleryFilter.TABLES[name].items()]
    choices: dict[str, Sequence[tuple[object, str]]] = {
        "model": VideoModel.choices,
        "size": Size.choices,
        "seconds": Seconds.choices,
    }
    return [(str(value), label, Q(**{name: value})) for value, label in choices[name]]


FACETS = ["status", "model", "size", "orientation", "seconds", "first_frame"]


class CountedPaginator(Paginator):
    """A paginator told its count, which the facet query already gave."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _all(clauses) -> Q:
    combined = Q()
    for clause in clauses:
        combined &= clause
    return combined


def _count(where: Q) -> Count:
    return Count("pk", filter=where) if where else Count("pk")


def facet_counts(filterset: GalleryFilter, base: QuerySet) -> tuple[list[Facet], int]:
    """For each facet value, how many rows it would give with every other filter kept, and
    the number of rows shown: all in one aggregate query, whatever is set."""
    clauses = filterset.clauses()
    extra = filterset.extra_facets()
    facet_names = [*FACETS, "starred", *(name for name, _, _ in extra)]
    scope = base.filter(_all(q for name, q in clauses.items() if name not in facet_names))
    chosen = {name: q for name, q in clauses.items() if name in facet_names}

    def others(name: str) -> Q:
        return _all(q for other, q in chosen.items() if other != name)

    counts: dict[str, Count] = {"total": _count(_all(chosen.values()))}
    for name in FACETS:
        for i, (_, _, value_q) in enumerate(_facet_values(name)):
            counts[f"{name}__{i}"] = _count(value_q & others(name))
    counts["starred__0"] = _count(
        Q(pk__in=_starred_ids(filterset.request.user)) & others("starred")
    )
    for name, _, values in extra:
        for i, (_, _, value_q) in enumerate(values):
            counts[f"{name}__{i}"] = _count(value_q & others(name))
    found = scope.order_by().aggregate(**counts)

    facets = []
    for name in FACETS:
        label = str(filterset.filters[name].label or name.title())
        values = _facet_values(name)
        options = [
            (value, text, found[f"{name}__{i}"]) for i, (value, text, _) in enumerate(values)
        ]
        facets.append(Facet(name, label, options))
    facets.append(Facet("starred", "Favourites", [("true", "Favourites", found["starred__0"])]))
    for name, label, values in extra:
        selected = str(filterset.data.get(name, ""))
        options = [
            (value, text, found[f"{name}__{i}"]) for i, (value, text, _) in enumerate(values)
        ]
        # Only the values that find something (and the one chosen) are worth a line.
        kept = [option for option in options if option[2] or option[0] == selected]
        facets.insert(0, Facet(name, label, kept))
    return facets, found["total"]


@dataclass
class GalleryPage:
    filterset: GalleryFilter
    page: Page
    facets: list[Facet]
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
    def is_filtered(self) -> bool:
        return any(
            value for key, value in self.filterset.data.items() if key not in ("page", "sort")
        )


def _starred_ids(person) -> QuerySet:
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
    rows = filterset.qs if filterset.is_valid() else base.none()
    sort = str(data.get("sort")) if data.get("sort") in SORTS else "newest"
    return filterset, rows.order_by(*SORTS[sort]), sort


def gallery_page(
    request: HttpRequest,
    base: QuerySet,
    page_size: int = PAGE_SIZE,
    filterset_class: type[GalleryFilter] = GalleryFilter,
) -> GalleryPage:
    """One page of cards of `base` (already limited to what the person may see), searched,
    filtered and sorted from the request, with each filter value's count."""
    filterset, rows, sort = filtered(request, base, filterset_class=filterset_class)
    data = request.GET.copy()
    data.pop("page", None)
    facets: list[Facet] = []
    total = 0
    if filterset.is_valid():
        facets, total = facet_counts(filterset, base)
    # What the cards show beyond the row (a star, the maker, a comment count) is added to
    # the page's rows only: the counts above aggregate the bare rows.
    cards = with_stars(rows, request.user).with_comment_counts()  # type: ignore[attr-defined]
    cards = cards.select_related("owner")
    paginator = CountedPaginator(cards, page_size, count=total)
    page = paginator.get_page(request.GET.get("page"))
    return GalleryPage(filterset, page, facets, data.urlencode(), sort)


def neighbours(
    request: HttpRequest,
    base: QuerySet,
    current,
    list_query: str,
    filterset_class: type[GalleryFilter] = GalleryFilter,
):
    """(previous, next) of `current` within the gallery list described by `list_query`."""
    data = QueryDict(list_query)
    _, rows, sort = filtered(request, base, data, filterset_class=filterset_class)
    newer = Q(created_at__gt=current.created_at) | Q(
        created_at=current.created_at, pk__gt=current.pk
    )
    older = Q(created_at__lt=current.created_at) | Q(
        created_at=current.created_at, pk__lt=current.pk
    )
    before_q, after_q = (newer, older) if sort == "newest" else (older, newer)
    previous = rows.filter(before_q).order_by(*_reverse(SORTS[sort])).first()
    following = rows.filter(after_q).first()
    return previous, following


def _reverse(order: tuple[str, ...]) -> list[str]:
    return [key[1:] if key.startswith("-") else f"-{key}" for key in order]
