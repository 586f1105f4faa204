"""The sequences list, a sequence's storyboard and what its buttons do, adding a video from
its page, and the export's progress and file. Each view finds its sequence through
sequences/access.py (404 to whoever may not see it) and its videos through
generations/access.py."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from billing import ledger
from billing.ledger import CapExceeded, TooFast
from generations.access import get_for_viewing, members_only, watcher, watches
from generations.forms import usable_project_choices, usable_projects
from generations.links import job_url, numbered_url
from generations.models import Size
from lib.media import serve_file
from lib.prepared import as_aware
from veo.catalogue import size_name

from .access import (
    get_sequence,
    get_sequence_for_deleting,
    listed_sequences,
    may_delete,
    visible_sequences,
)
from .forms import PlannedShotForm, SequenceForm, TransitionForm
from .models import MAX_SHOTS, Export, PlanRefused, Sequence, Shot, ShotState


@members_only
def index(request: HttpRequest) -> HttpResponse:
    form = None
    if request.method == "POST":
        form = SequenceForm(request.POST, owner=request.user)
        if form.is_valid():
            sequence = form.save(commit=False)
            sequence.owner = request.user
            sequence.save()
            return redirect(sequence)
    # The new sequence's form is drawn from plain values (SequenceForm's own rendering built
    # its project query and a template per option: a third of the page); the form itself
    # is made only to check what was sent.
    fields = SequenceForm.base_fields
    return render(
        request,
        "sequences/index.html",
        {
            "sequences": [
                {
                    "url": numbered_url("sequences:detail", pk),
                    "title": title,
                    "project_name": project_name,
                    "format_name": size_name(size),
                    "updated_at": as_aware(updated_at),
                    "by": owner_name if owner_id != request.user.pk else "",
                }
                for pk, title, size, updated_at, owner_id, owner_name, project_name in (
                    listed_sequences(request.user)
                )
            ],
            "form": form,
            "fields": fields,
            "title": form["title"].value() or "" if form else "",
            "chosen_project": str(form["project"].value() or "") if form else "",
            "chosen_size": str(form["size"].value() if form else fields["size"].initial),
            "projects": usable_project_choices(request.user),
            "sizes": Size.choices,
        },
    )


def detail(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    return render(request, "sequences/detail.html", _context(request, sequence))


def shots(request: HttpRequest, sequence_pk) -> HttpResponse:
    """The storyboard's list alone: what its poll swaps while shots are being made."""
    sequence = get_sequence(request, sequence_pk)
    context = _context(request, sequence)
    response = render(request, "sequences/detail.html#storyboard", context)
    if not context["busy"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _context(request, sequence: Sequence, **extra) -> dict:
    may = watcher(request.user)
    rows = []
    playlist = []
    for number, shot in enumerate(sequence.ordered_shots(), 1):
        video = shot.generation
        visible = video is not None and watches(may, video)
        rows.append({"shot": shot, "number": number, "visible": visible})
        if visible and video is not None and video.is_ready:
            playlist.append(
                {
                    "src": job_url("generations:video", video.pk),
                    "poster": job_url("generations:poster", video.pk),
                    "title": f"Shot {number}: {shot.label[:60]}",
                }
            )
    planned = [row["shot"] for row in rows if row["shot"].state == ShotState.PLANNED]
    busy = any(
        row["shot"].state == ShotState.WAITING
        or (row["shot"].generation is not None and row["shot"].generation.is_active)
        for row in rows
    )
    export = sequence.latest_export()
    lengths = [row["shot"].duration or row["shot"].seconds for row in rows]
    cuts = max(len(lengths) - 1, 0)
    return {
        "length": max(sum(lengths) - cuts * sequence.crossfade, 0),
        "sequence": sequence,
        "rows": rows,
        "playlist": playlist,
        "planned": planned,
        "plan_price": ledger.dollars(sum((s.estimate.amount for s in planned), 0)),
        "busy": busy,
        "export": export,
        "export_hidden": export is not None
        and export.is_ready
        and not export.may_be_watched_by(request.user),
        "export_problem": sequence.export_problem(request.user),
        "may_delete": may_delete(request.user, sequence),
        "plan_form": extra.get("plan_form") or PlannedShotForm(size=sequence.size),
        "transition_form": TransitionForm(initial={"transition": sequence.transition}),
        "plan_error": extra.get("plan_error", ""),
        "full": len(rows) >= MAX_SHOTS,
        "max_shots": MAX_SHOTS,
    }


def _shot(sequence: Sequence, shot_pk) -> Shot:
    return get_object_or_404(Shot, pk=shot_pk, sequence=sequence)


def _back(request: HttpRequest, sequence: Sequence, anchor: str = "storyboard") -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, "sequences/detail.html#storyboard", _context(request, sequence))
    return redirect(f"{sequence.get_absolute_url()}#{anchor}")


@members_only
@require_POST
def move(request: HttpRequest, sequence_pk, shot_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    shot = _shot(sequence, shot_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    sequence.move(shot, offset)
    return _back(request, sequence, f"shot-{shot.pk}")


@members_only
@require_POST
def reorder(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    try:
        order = [int(value) for value in request.POST.getlist("order")]
    except ValueError:
        order = []
    if not sequence.reorder(order):
        messages.error(request, "The shots changed meanwhile; here is their order now.")
    return _back(request, sequence)


@members_only
@require_POST
def remove(request: HttpRequest, sequence_pk, shot_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    shot = _shot(sequence, shot_pk)
    held = shot.state == ShotState.WAITING
    sequence.remove(shot)
    text = "Shot removed."
    if held:
        text += " The cost held for it was released."
    elif shot.generation is not None:
        text += " Its video stays in the gallery."
    messages.success(request, text)
    return _back(request, sequence)


@members_only
@require_POST
def plan(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    form = PlannedShotForm(request.POST, size=sequence.size)
    if sequence.shots.count() >= MAX_SHOTS:
        form.add_error(None, f"A sequence holds up to {MAX_SHOTS} shots.")
    if form.is_valid():
        data = form.cleaned_data
        sequence.plan_shot(
            prompt=data["prompt"],
            model=data["model"],
            seconds=data["seconds"],
            continues=data["continues"],
        )
        messages.success(
            request,
            "Shot planned. Nothing is made or charged until you generate the planned shots.",
        )
        return redirect(f"{sequence.get_absolute_url()}#storyboard")
    context = _context(request, sequence, plan_form=form)
    return render(request, "sequences/detail.html", context, status=400)


@members_only
@require_POST
def generate(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    total = sequence.plan_price()
    try:
        started = sequence.generate_planned(request.user)
    except CapExceeded:
        error = ledger.refusal(request.user, total)
    except (TooFast, PlanRefused) as refusal:
        error = refusal.message
    else:
        if started:
            noun = "shot" if started == 1 else "shots"
            messages.success(
                request,
                f"{started} {noun} started ({ledger.dollars(total)} held). A shot that "
                "continues another starts when that video is ready.",
            )
        return redirect(f"{sequence.get_absolute_url()}#storyboard")
    context = _context(request, sequence, plan_error=error)
    return render(request, "sequences/detail.html", context, status=400)


@members_only
@require_POST
def transition(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        sequence.set_transition(form.cleaned_data["transition"])
    return redirect(f"{sequence.get_absolute_url()}#export")


@members_only
@require_POST
def export(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        sequence.set_transition(form.cleaned_data["transition"])
    problem = sequence.export_problem(request.user)
    latest = sequence.latest_export()
    if problem:
        messages.error(request, problem)
    elif latest is not None and latest.is_running:
        messages.info(request, "An export of this sequence is already under way.")
    else:
        sequence.request_export(request.user)
    return redirect(f"{sequence.get_absolute_url()}#export")


def export_status(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence(request, sequence_pk)
    response = render(request, "sequences/detail.html#export_state", _context(request, sequence))
    export_row = sequence.latest_export()
    if export_row is None or not export_row.is_running:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _export_of(request: HttpRequest, sequence_pk, export_pk) -> Export:
    sequence = get_sequence(request, sequence_pk)
    export_row = get_object_or_404(Export, pk=export_pk, sequence=sequence)
    if not export_row.is_ready or not export_row.may_be_watched_by(request.user):
        raise Http404("Nothing stored here yet")
    return export_row


def export_video(request: HttpRequest, sequence_pk, export_pk) -> HttpResponseBase:
    export_row = _export_of(request, sequence_pk, export_pk)
    return serve_file(request, export_row.file, "video/mp4")


def export_download(request: HttpRequest, sequence_pk, export_pk) -> HttpResponseBase:
    export_row = _export_of(request, sequence_pk, export_pk)
    return serve_file(
        request, export_row.file, "video/mp4", attachment_name=export_row.download_name
    )


@members_only
@require_POST
def delete(request: HttpRequest, sequence_pk) -> HttpResponse:
    sequence = get_sequence_for_deleting(request, sequence_pk)
    title = sequence.title
    sequence.delete_with_files()
    messages.success(request, f"Deleted the sequence “{title}”. Its videos stay in the gallery.")
    return redirect("sequences:index")


@members_only
def add_video(request: HttpRequest, video_pk) -> HttpResponse:
    """From a video's page: pick the sequence to add it to, or start one with it."""
    video = get_for_viewing(request, video_pk)
    choices = [
        s for s in visible_sequences(request.user).select_related("project") if s.accepts(video)
    ]
    if request.method == "POST":
        if request.POST.get("new"):
            # In the video's project when the person may use it, else personal.
            project = usable_projects(request.user).filter(pk=video.project_id).first()
            sequence = Sequence.objects.create(
                owner_id=int(request.user.pk or 0),  # logged in: the middleware saw to it
                title=(video.display_title or "New sequence")[:120],
                project=project,
                size=video.size,
            )
        else:
            picked = next(
                (s for s in choices if str(s.pk) == request.POST.get("sequence", "")), None
            )
            if picked is None:
                messages.error(request, "Please pick one of the listed sequences.")
                return redirect("sequences:add_video", video_pk=video.pk)
            sequence = picked
        if not sequence.accepts(video):
            messages.error(request, "Only a ready video can be added to a sequence.")
            return redirect(video)
        if sequence.shots.count() >= MAX_SHOTS:
            messages.error(request, f"A sequence holds up to {MAX_SHOTS} shots.")
            return redirect(sequence)
        sequence.add_video(video)
        messages.success(request, f"Added to “{sequence.title}”.")
        return redirect(f"{sequence.get_absolute_url()}#storyboard")
    return render(request, "sequences/add_video.html", {"video": video, "choices": choices})
