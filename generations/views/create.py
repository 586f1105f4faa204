"""The New video form, its first-frame check, and "Make another" from a video."""

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from billing.ledger import CapExceeded, TooFast, refusal_for
from billing.models import StudioSettings

from ..access import get_for_viewing, members_only, visible_generations
from ..forms import FirstFramePreviewForm, GenerationForm, new_form_reads
from ..models import Generation
from ..signals import videos_created
from . import frames


@members_only
def create(request: HttpRequest) -> HttpResponse:
    source = _source(request, request.POST.get("made_from"))
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES, source=source, owner=request.user)
        if form.is_valid():
            data = form.cleaned_data
            continues, continues_at = frames.shot_of(request.user, form, source)
            try:
                jobs, is_new = Generation.objects.create_takes(
                    request.user,
                    data,
                    first_frame=data.get("first_frame"),
                    takes=data["takes"],
                    made_from=source,
                    continues=continues,
                    continues_at=continues_at,
                )
            except CapExceeded:
                project = data.get("project")
                budget = project.budget() if project is not None else None
                form.add_error(None, refusal_for(request.user, data, budget))
            except TooFast as refusal:
                form.add_error(None, refusal.message)
            else:
                videos_created.send(Generation, request=request, jobs=jobs, is_new=is_new)
                form.forget_chosen_frame()
                if not is_new:
                    messages.info(
                        request,
                        "You had already started this video, so we did not start it twice.",
                    )
                if len(jobs) > 1:
                    # The last take always belongs to the group; the first may be an earlier
                    # job with the same settings that the repeat guard handed back.
                    return redirect("generations:takes", pk=jobs[-1].pk)
                return redirect(jobs[0])
        form.keep_chosen_frame()
        continuation = frames.refused_form_origin(request.user, form)
    elif request.GET.get("frame"):
        form, continuation = frames.form_from_frame(request, request.GET["frame"])
    else:
        read = new_form_reads(request.user)
        form = GenerationForm.blank(request.user, read)
        return _page(request, form, source, studio=read.studio, price=read.price)
    return _page(request, form, source, continuation)


@members_only
def make_another(request: HttpRequest, pk) -> HttpResponse:
    source = get_for_viewing(request, pk)
    form = GenerationForm.like(source, client_token=uuid.uuid4(), owner=request.user)
    return _page(request, form, source)


def _page(
    request: HttpRequest, form, source, continuation=None, studio=None, price=None
) -> HttpResponse:
    # The studio's settings, read once for the price box and the sharing note; `price`: the
    # price box's reads (price_box.PriceBox), when the form's other reads brought them.
    context = {
        "form": form,
        "source": source,
        "continuation": continuation,
        "studio": studio or StudioSettings.load(),
        "price_reads": price,
    }
    return render(request, "generations/create.html", context)


def _source(request: HttpRequest, pk) -> Generation | None:
    # Read the id first: a blank form (no "made_from") builds no query at all.
    try:
        wanted = uuid.UUID(str(pk))
    except ValueError:
        return None
    return visible_generations(request.user).filter(pk=wanted).first()


@members_only
def first_frame_preview(request: HttpRequest) -> HttpResponse:
    """Check a first frame as soon as it is chosen: keep it, and show how it fits the format.
    Answers JSON (also for refusals, with the sentence to show next to the field)."""
    form = FirstFramePreviewForm(request.POST or None, request.FILES or None, owner=request.user)
    if not form.is_valid():
        return JsonResponse({"ok": False, "error": form.first_error()})
    return JsonResponse({"ok": True, **form.preview()})
