"""Batches from a sheet: upload or paste, the plan (priced, fixed row by row, a project
chosen), generating it as a whole, and the batch's videos with their live status."""

from functools import cache

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from generations import gallery
from generations.access import members_only
from generations.forms import usable_projects
from generations.links import numbered_url
from lib.prepared import Prepared
from sequences.access import visible_sequences

from .forms import SheetForm
from .models import Batch, BatchRow, PlanRefused
from .rows import FIELDS
from .sheet import MAX_BYTES, MAX_ROWS, human_size


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _get_batch(request: HttpRequest, batch_pk) -> Batch:
    """The person's own batch, or 404: a batch is its maker's only."""
    return get_object_or_404(Batch.objects.for_user(request.user), pk=batch_pk)


def _get_draft_row(request: HttpRequest, batch_pk, row_pk) -> tuple[Batch, BatchRow]:
    batch = _get_batch(request, batch_pk)
    return batch, get_object_or_404(batch.rows, pk=row_pk)


_OWNER = Batch._meta.get_field("owner").target_field

# The person's latest batches, as the page lists them; built once per process
# (lib/prepared.py).
EARLIER = Prepared(
    lambda owner: Batch.objects.for_user(owner)[:20].values_list(
        "pk", "name", "created_at", "generated_at"
    ),
    _OWNER,
)


def earlier_batches(person) -> list[tuple[Batch, str]]:
    """The person's 20 latest batches, each with its page's URL (`get_absolute_url`)."""
    found = []
    for pk, name, created_at, generated_at in EARLIER.values(person.pk):
        batch = Batch(
            pk=pk, owner=person, name=name, created_at=created_at, generated_at=generated_at
        )
        url = numbered_url("batches:videos" if generated_at else "batches:plan", pk)
        found.append((batch, url))
    return found


@cache
def blank_sheet_fields() -> str:
    """The sheet form's fields as a blank SheetForm draws them, the same on every load."""
    return render_to_string("batches/batches.html#sheet_fields", {"form": SheetForm()})


@members_only
def batches(request: HttpRequest) -> HttpResponse:
    """Start a batch from a sheet; the person's earlier batches below."""
    if request.method == "POST":
        form = SheetForm(request.POST, request.FILES)
        if form.is_valid():
            batch = Batch.from_sheet(request.user, form.parsed, form.cleaned_data["name"])
            return redirect(batch)
    else:
        form = SheetForm()
    return render(
        request,
        "batches/batches.html",
        {
            "form": form,
            "blank_fields": "" if form.is_bound else blank_sheet_fields(),
            "earlier": earlier_batches(request.user),
            "max_size": human_size(MAX_BYTES),
            "max_rows": MAX_ROWS,
        },
    )


@members_only
def plan(request: HttpRequest, batch_pk) -> HttpResponse:
    batch = _get_batch(request, batch_pk)
    if batch.is_generated:
        return redirect(batch)
    return render(request, "batches/plan.html", _plan_context(request, batch))


def _plan_context(request: HttpRequest, batch: Batch, **extra) -> dict:
    projects = list(usable_projects(request.user))
    sequences = list(visible_sequences(request.user).select_related("project").order_by("title"))
    return {
        "batch": batch,
        "plan": batch.plan_for(request.user),
        "projects": projects,
        "project_closed": batch.project is not None and batch.project not in projects,
        "sequences": sequences,
        "sequence_closed": batch.sequence is not None and batch.sequence not in sequences,
        **extra,
    }


@members_only
def row_edit(request: HtmxHttpRequest, batch_pk, row_pk) -> HttpResponse:
    """Fix one row in place: htmx swaps the row for its form and back; without script
    the same form is a page of its own."""
    batch, row = _get_draft_row(request, batch_pk, row_pk)
    if batch.is_generated:
        return redirect(batch)
    editing = True
    if request.method == "POST":
        checked = row.change(request.user, {name: request.POST.get(name, "") for name in FIELDS})
        editing = not checked.ok
        if not request.htmx and checked.ok:
            messages.success(request, f"Line {row.line} is fixed.")
            return redirect(batch)
    context = {"row": row, "editing": editing, "estimate": row.estimate()}
    if request.htmx:
        context["focus"] = True  # the swapped row takes the keyboard's focus
        if request.method == "POST":
            # The row, and the plan's summary (prices, caps, Generate) out of band.
            context.update(_plan_context(request, batch), summary_oob=True)
            return render(request, "batches/_row_changed.html", context)
        return render(request, "batches/_row.html", context)
    return render(request, "batches/row_edit.html", {"batch": batch, **context})


@members_only
def row_view(request: HttpRequest, batch_pk, row_pk) -> HttpResponse:
    """The row as the plan shows it (htmx's "Cancel" of an edit)."""
    batch, row = _get_draft_row(request, batch_pk, row_pk)
    if not getattr(request, "htmx", False):
        return redirect(batch)
    return render(
        request,
        "batches/_row.html",
        {"row": row, "editing": False, "estimate": row.estimate(), "focus": True},
    )


@members_only
@require_POST
def row_remove(request: HtmxHttpRequest, batch_pk, row_pk) -> HttpResponse:
    batch, row = _get_draft_row(request, batch_pk, row_pk)
    if not batch.is_generated:
        row.delete()
        messages.success(request, f"Line {row.line} was removed from the plan.")
    return redirect(batch)


@members_only
@require_POST
def choose_project(request: HttpRequest, batch_pk) -> HttpResponse:
    batch = _get_batch(request, batch_pk)
    if batch.is_generated:
        return redirect(batch)
    chosen = request.POST.get("project") or ""
    project = usable_projects(request.user).filter(pk=chosen).first() if chosen.isdigit() else None
    if chosen and project is None:
        messages.error(request, "That project is no longer open. Please pick another.")
    else:
        before = batch.sequence
        batch.choose_project(request.user, project)
        if before is not None and batch.sequence is None:
            messages.info(
                request,
                f"“{before.title}” takes its own project's videos only, so the plan no "
                "longer goes into it.",
            )
        messages.success(
            request,
            f"Every video of this plan goes into “{project.name}”."
            if project
            else "The videos go into no project (private unless you share them).",
        )
    return redirect(batch)


@members_only
@require_POST
def choose_sequence(request: HttpRequest, batch_pk) -> HttpResponse:
    """The sequence the plan's videos go into as shots, in the rows' order."""
    batch = _get_batch(request, batch_pk)
    if batch.is_generated:
        return redirect(batch)
    chosen = request.POST.get("sequence") or ""
    sequence = (
        visible_sequences(request.user).filter(pk=chosen).first() if chosen.isdigit() else None
    )
    try:
        if chosen and sequence is None:
            raise PlanRefused("That sequence is no longer yours to edit. Please pick another.")
        batch.choose_sequence(request.user, sequence)
    except PlanRefused as refusal:
        messages.error(request, refusal.message)
        return redirect(batch)
    if sequence is None:
        messages.success(request, "The videos go into no sequence.")
    elif sequence.project_id:
        messages.success(
            request,
            f"Every video becomes a shot of “{sequence.title}”, in the rows' order, and goes "
            f"into its project “{sequence.project.name}”.",
        )
    else:
        messages.success(
            request, f"Every video becomes a shot of “{sequence.title}”, in the rows' order."
        )
    return redirect(batch)


@members_only
@require_POST
def generate(request: HttpRequest, batch_pk) -> HttpResponse:
    batch = _get_batch(request, batch_pk)
    try:
        made = batch.generate_for(request.user)
    except PlanRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("batches:plan", batch_pk=batch.pk)
    if not made:
        messages.info(request, "This plan was already generated, so nothing was started twice.")
    return redirect("batches:videos", batch_pk=batch.pk)


@members_only
@require_POST
def discard(request: HttpRequest, batch_pk) -> HttpResponse:
    batch = _get_batch(request, batch_pk)
    if batch.is_generated:
        messages.info(request, "A generated batch stays: its videos are in your gallery.")
        return redirect(batch)
    batch.delete()
    messages.success(request, "The draft plan was deleted. Nothing was sent.")
    return redirect("batches:batches")


@members_only
def videos(request: HttpRequest, batch_pk) -> HttpResponse:
    batch = _get_batch(request, batch_pk)
    if not batch.is_generated:
        return redirect(batch)
    cards = gallery.as_cards(batch.videos_for(request.user), request.user).order_by(
        "batch_rows__line", "take_number"
    )
    sequence = None
    if batch.sequence_id is not None:
        sequence = visible_sequences(request.user).filter(pk=batch.sequence_id).first()
    context = {"batch": batch, "group": cards, "sequence": sequence}
    return render(request, "batches/videos.html", context)
