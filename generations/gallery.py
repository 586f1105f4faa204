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
    q = django_filters.CharFilter(method="search", label="Search prompts")
    status = django_filters.ChoiceFilter(
        choices=_choices(STATUS_FILTERS),
        method="by_table",
        label="Status",
        empty_label="Any status",
    )
    model = django_filters.ChoiceFilter(choices=VideoModel.choices, empty_label="Any model")
    size = django_filters.ChoiceFilter(
        choices=Size.choices, label="Format", empty_label="Any format"
    )
    orientation = django_filters.ChoiceFilter(
        choices=_choices(ORIENTATION_FILTERS),
        method="by_table",
        label="Orientation",
        empty_label="Any orientation",
    )
    seconds = django_filters.TypedChoiceFilter(
        choices=Seconds.choices, coerce=int, label="Duration"
    )
    first_frame = django_filters.ChoiceFilter(
        choices=_choices(FIRST_FRAME_FILTERS),
        method="by_table",
        label="First frame",
        empty_label="Any start",
    )
    starred = django_filters.BooleanFilter(
        method="by_star", label="Favourites only", widget=forms.CheckboxInput
    )
    when = django_filters.ChoiceFilter(
        choices=DATE_CHOICES, method="by_age", label="Date", empty_label="Any time"
    )
    after = django_filters.DateFilter(
        method="by_range", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    before = django_filters.DateFilter(
        method="by_range", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = django_filters.ChoiceFilter(
        choices=[("newest", "Newest first"), ("oldest", "Oldest first")],
        method="by_sort",
        empty_label=None,
    )

    TABLES = {
        "status": STATUS_FILTERS,
        "orientation": ORIENTATION_FILTERS,
        "first_frame": FIRST_FRAME_FILTERS,
    }

    def search(self, queryset, name, value):
        for word in search_key(value).split()[:12]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    def by_table(self, queryset, name, value):
        return queryset.filter(self.TABLES[name][value][1])

    def by_star(self, queryset, name, value):
        if value:
            return queryset.filter(is_starred=True)
        return queryset

    def by_age(self, queryset, name, value):
        today = timezone.localdate()
        days = {"today": 0, "7d": 6, "30d": 29}[value]
        return queryset.filter(created_at__gte=_start_of(today - timedelta(days=days)))

    def by_range(self, queryset, name, value):
        if name == "after":
            return queryset.filter(created_at__gte=_start_of(value))
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))

    def by_sort(self, queryset, name, value):
        return queryset  # applied last by `apply_sort`, after the counts


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


def facet_counts(filterset: GalleryFilter, base: QuerySet, data: QueryDict) -> list[Facet]:
    """For each facet, how many rows each value would give with every other filter kept:
    one aggregate query per facet, whatever the number of rows."""
    facets = []
    for name in [*FACETS, "starred"]:
        others = data.copy()
        others.pop(name, None)
        others.pop("page", None)
        narrowed = type(filterset)(others, queryset=base, request=filterset.request).qs
        if name == "starred":
            total = narrowed.aggregate(n=Count("pk", filter=Q(is_starred=True)))["n"]
            facets.append(Facet(name, "Favourites", [("true", "Favourites", total)]))
            continue
        values = _facet_values(name)
        counts = narrowed.aggregate(
            **{f"v{i}": Count("pk", filter=q) for i, (_, _, q) in enumerate(values)}
        )
        label = str(filterset.filters[name].label or name.title())
        facets.append(
            Facet(
                name,
                label,
                [(value, text, counts[f"v{i}"]) for i, (value, text, _) in enumerate(values)],
            )
        )
    return facets


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


def filtered(
    request: HttpRequest,
    base: QuerySet,
    data: QueryDict | None = None,
    filterset_class: type[GalleryFilter] = GalleryFilter,
):
    """(filterset, its rows sorted) for `data` (the request's GET by default)."""
    data = request.GET if data is None else data
    base = with_stars(base, request.user)
    filterset = filterset_class(data, queryset=base, request=request)
    rows = filterset.qs if filterset.is_valid() else base.none()
    sort = str(data.get("sort")) if data.get("sort") in SORTS else "newest"
    return filterset, rows.order_by(*SORTS[sort]), base, sort


def gallery_page(
    request: HttpRequest,
    base: QuerySet,
    page_size: int = PAGE_SIZE,
    filterset_class: type[GalleryFilter] = GalleryFilter,
) -> GalleryPage:
    filterset, rows, starred_base, sort = filtered(request, base, filterset_class=filterset_class)
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    data = request.GET.copy()
    data.pop("page", None)
    facets = facet_counts(filterset, starred_base, data) if filterset.is_valid() else []
    query = data.urlencode()
    return GalleryPage(filterset, page, facets, query, sort)


def neighbours(
    request: HttpRequest,
    base: QuerySet,
    current,
    list_query: str,
    filterset_class: type[GalleryFilter] = GalleryFilter,
):
    """(previous, next) of `current` within the gallery list described by `list_query`."""
    data = QueryDict(list_query)
    _, rows, _, sort = filtered(request, base, data, filterset_class=filterset_class)
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
