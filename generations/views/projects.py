"""Projects: the list (and making one), a project's page (the gallery scoped to it, with
its spend), changing it (name, description, colour; an admin also its people), archiving
and restoring, and moving videos in or out."""

import functools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, DateField, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import ledger
from lib.prepared import Prepared

from .. import gallery, notifications
from ..access import (
    changeable_generations,
    get_for_changing,
    get_project_for_changing,
    get_project_for_viewing,
    is_admin,
    may_change_project,
    may_generate,
    members_only,
    people_who_see,
    projects_seen_by,
    visible_generations,
    visible_to,
)
from ..errors import forbidden
from ..forms import ProjectBudgetForm, ProjectForm, ProjectPeopleForm, usable_projects
from ..models import Generation, Project
from ..team_views import TeamFilter
from .common import HtmxHttpRequest, back_or, ids_in


class ProjectPageFilter(TeamFilter):
    """The Team view's filters (a person: who made what) within one project."""


# The page is the project: a project filter there would only ever find it or nothing.
ProjectPageFilter.base_filters = {
    name: one for name, one in TeamFilter.base_filters.items() if name != "project"
}


# A page of a project's videos the person sees (as `project` lists them) from a query built
# once per shape of its filters (gallery.PreparedPages).
PROJECT_PAGES = gallery.PreparedPages(
    lambda pk, project_pk: (
        Generation.objects.filter(visible_to(pk)).in_gallery().filter(project=project_pk)
    ),
    ProjectPageFilter,
    Project._meta.pk,
)


def projects(request: HttpRequest) -> HttpResponse:
    """The projects the person sees, with their videos' count, last activity and spend;
    POST makes a new one (anyone in the studio may: it is open to everyone until an admin
    limits it)."""
    if request.method == "POST":
        if not may_generate(request.user):
            return forbidden(request, reviewer=True)
        form = ProjectForm(request.POST)
        if form.is_valid():
            project = form.save(commit=False)
            project.created_by = request.user
            project.save()
            messages.success(request, f"Project “{project.name}” made. Put videos in it.")
            return redirect(project)
    else:
        form = ProjectForm()
    shown, facts, spends = _listed(request.user)
    rows = []
    for project in shown:
        videos, last = facts.get(project.pk, (0, None))
        rows.append(
            {
                "project": project,
                "videos": videos,
                "last": last,
                "spend": spends.get(project.pk, ledger.NO_SPEND),
            }
        )
    return render(
        request,
        "generations/projects.html",
        {
            "open_rows": [row for row in rows if not row["project"].is_archived],
            "archived_rows": [row for row in rows if row["project"].is_archived],
            "form": form,
            "blank_fields": blank_project_fields() if not form.is_bound else "",
        },
    )


@functools.cache
def blank_project_fields() -> str:
    """The New project form's fields, empty: the same HTML on every load, drawn once per
    process (Django's widget templates took a sixth of the page's time)."""
    return render_to_string("generations/_project_fields.html", {"form": ProjectForm()})


def _listed(person) -> tuple[list[Project], dict, dict]:
    """The projects `person` sees (visible_projects), each one's (videos, newest video's
    date) of those they see out of the Trash, and each one's spend: three queries built once
    per process (prepared.py), none when the studio has no project the person sees."""
    if not (person.is_authenticated and person.is_active):
        return [], {}, {}
    shown = SHOWN_PROJECTS.instances(person.pk)
    if not shown:
        return [], {}, {}
    facts = {pk: (videos, last) for pk, videos, last in PROJECT_FACTS.values(person.pk)}
    first, end = ledger.month_range(ledger.studio_day())
    spends = ledger.spends_by_project(PROJECT_SPENDS.values(person.pk, first, end))
    return shown, facts, spends


def _seen(pk):
    return projects_seen_by(pk).order_by().values("pk")


_USER_PK = get_user_model()._meta.pk
_DAY = DateField()
SHOWN_PROJECTS = Prepared(
    lambda pk: Project.objects.filter(pk__in=_seen(pk)).select_related("created_by"), _USER_PK
)
# visible_generations(…).in_gallery() counted in each project the person sees: there the
# rule (access.visible_to) keeps every video out of the Trash. Asked from the projects' side:
# from the videos', SQLite walked the Trash column's index over every row (100 ms at 100,000).
_KEPT = Q(videos__trashed_at=None)
PROJECT_FACTS = Prepared(
    lambda pk: (
        Project.objects.filter(pk__in=_seen(pk))
        .values_list("pk")
        .annotate(n=Count("videos", filter=_KEPT), last=Max("videos__created_at", filter=_KEPT))
        .order_by()
    ),
    _USER_PK,
)
# Every project's money in one query over the ledger (not one per project).
PROJECT_SPENDS = Prepared(
    lambda pk, first, end: ledger.project_spend_rows(_seen(pk), first, end),
    _USER_PK,
    _DAY,
    _DAY,
)


def spend_of(project: Project) -> ledger.Spend:
    """What was spent and is held for the project: the money reserved for its videos while
    they were in it (the ledger keeps the project on each entry; a video moved in later
    keeps its money with the project it was made for)."""
    return ledger.project_spend([project.pk]).get(project.pk, ledger.NO_SPEND)


def project(request: HtmxHttpRequest, project_pk) -> HttpResponse:
    """One project: the gallery (search, filters, sort, compare, ZIP, keyboard) of its
    videos the person may see, who made each, and what it cost."""
    found = get_project_for_viewing(request, project_pk)

    def base():  # built only when PROJECT_PAGES does not answer (see gallery.gallery_page)
        return visible_generations(request.user).in_gallery().filter(project=found)

    version = f"project:{found.pk}:" + gallery.team_counts_version(request.user)
    if request.GET.get("counts"):
        counts = gallery.gallery_counts(request, base(), version, ProjectPageFilter)
        return render(
            request,
            "generations/_filters.html#counts",
            {"counts": counts, "facets": counts.facets, "f": counts.filterset.form},
        )
    within = (found.pk,)  # what PROJECT_PAGES' list takes beside the person
    if request.htmx and request.GET.get("page"):
        page = gallery.gallery_page(
            request, base, filterset_class=ProjectPageFilter, prepared=PROJECT_PAGES, within=within
        )
        context = {"gallery": page, "page": page.page}
        return render(request, "generations/_gallery_cards.html#more", context)
    action = found.get_absolute_url()
    sections = gallery.gallery_sections(
        request, base, version, action, ProjectPageFilter, PROJECT_PAGES, within
    )
    return render(
        request,
        "generations/project.html",
        {
            "project": found,
            "sections": sections,
            "spend": spend_of(found),
            "may_change": may_change_project(request.user, found),
            "budget_form": ProjectBudgetForm(
                initial={
                    "monthly_budget": found.monthly_budget,
                    "total_budget": found.total_budget,
                }
            ),
            "move_to": usable_projects(request.user).exclude(pk=found.pk),
        },
    )


def project_edit(request: HttpRequest, project_pk) -> HttpResponse:
    """Rename, describe, recolour (its maker and the admins); an admin also decides who
    sees it."""
    found = get_project_for_changing(request, project_pk)
    admin = is_admin(request.user)
    people_form = None
    if request.method == "POST":
        form = ProjectForm(request.POST, instance=found)
        if admin:
            people_form = ProjectPeopleForm(request.POST)
        if form.is_valid() and (people_form is None or people_form.is_valid()):
            form.save()
            if people_form is not None:
                data = people_form.cleaned_data
                found.set_people(data["limited"], data["members"])
            messages.success(request, "Project saved.")
            return redirect(found)
    else:
        form = ProjectForm(instance=found)
        if admin:
            people_form = ProjectPeopleForm(
                initial={"limited": found.limited, "members": list(found.members.all())}
            )
    return render(
        request,
        "generations/project_edit.html",
        {"project": found, "form": form, "people_form": people_form},
    )


@require_POST
def project_budget(request: HttpRequest, project_pk) -> HttpResponse:
    """Its maker or an admin sets the project's monthly and total budgets (empty: none)."""
    found = get_project_for_changing(request, project_pk)
    form = ProjectBudgetForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"The budget was not changed: {errors}")
        return redirect(found)
    data = form.cleaned_data
    if found.set_budget_for(request.user, data["monthly_budget"], data["total_budget"]):
        messages.success(request, "Budget saved. It applies to the next video at once.")
    return redirect(found)


@require_POST
def project_archive(request: HttpRequest, project_pk) -> HttpResponse:
    found = get_project_for_changing(request, project_pk)
    if not found.is_archived:
        found.archive()
    messages.success(
        request,
        f"“{found.name}” is archived: its videos stay where they are, and it is no longer "
        "offered for new videos.",
    )
    return redirect("generations:projects")


@require_POST
def project_restore(request: HttpRequest, project_pk) -> HttpResponse:
    found = get_project_for_changing(request, project_pk)
    if found.is_archived:
        found.restore()
    messages.success(request, f"“{found.name}” is open again.")
    return redirect(found)


def _chosen_project(request: HttpRequest) -> tuple[bool, Project | None]:
    """(understood, project) from the form's `project`: "" means out of any project; a
    project the person may not use (archived, limited, made up) is not understood."""
    value = request.POST.get("project", "")
    if value == "":
        return True, None
    try:
        return True, usable_projects(request.user).get(pk=int(value))
    except (ValueError, Project.DoesNotExist):
        return False, None


@require_POST
def move(request: HttpRequest, pk) -> HttpResponse:
    """The owner moves one video into a project, or out of any."""
    generation = get_for_changing(request, pk)
    understood, target = _chosen_project(request)
    if not understood:
        messages.error(request, "That project is not open for videos. Please pick another.")
    elif _move_and_tell(request.user, generation, target):
        messages.success(request, _moved_sentence(1, target))
    return back_or(request, generation.get_absolute_url())


@members_only
def move_many(request: HttpRequest) -> HttpResponse:
    """The selection bar's Move: the person's own ticked videos go into the chosen project
    (or out of any); others' videos are left where they are."""
    understood, target = _chosen_project(request)
    if not understood:
        messages.error(request, "That project is not open for videos. Please pick another.")
        return back_or(request, reverse("generations:index"))
    chosen = changeable_generations(request.user).filter(pk__in=ids_in(request.POST))
    moved = sum(_move_and_tell(request.user, generation, target) for generation in chosen)
    skipped = len(ids_in(request.POST)) - chosen.count()
    text = _moved_sentence(moved, target)
    if skipped:
        text += f" {skipped} made by someone else stayed where they were."
    messages.success(request, text)
    return back_or(request, reverse("generations:index"))


def _move_and_tell(person, generation: Generation, target: Project | None) -> bool:
    """Move, and tell whoever sees the video only now (put in a project they see)."""
    before = set(people_who_see(generation).values_list("pk", flat=True))
    if not generation.move_for(person, target):
        return False
    if target is not None:
        notifications.tell_shared(generation, person, already=before)
    return True


def _moved_sentence(count: int, target: Project | None) -> str:
    noun = "video" if count == 1 else "videos"
    if target is None:
        return (
            f"Took {count} {noun} out of its project."
            if count == 1
            else (f"Took {count} {noun} out of their projects.")
        )
    return f"Moved {count} {noun} into “{target.name}”."
