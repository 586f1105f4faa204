import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from billing import audit
from billing.ledger import CapExceeded, TooFast, refusal_for

from .access import get_for_changing, get_for_viewing, visible_generations
from .files import serve_file
from .forms import GenerationForm
from .models import Generation

GALLERY_PAGE_SIZE = 12


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def index(request: HttpRequest) -> HttpResponse:
    generations = visible_generations(request.user)
    page = Paginator(generations, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "generations/index.html", {"page": page})


def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                generation, is_new = Generation.objects.create_for(
                    request.user, data, first_frame=data.get("first_frame")
                )
            except CapExceeded:
                form.add_error(None, refusal_for(request.user, data))
            except TooFast as refusal:
                form.add_error(None, refusal.message)
            else:
                if not is_new:
                    messages.info(
                        request,
                        "You had already started this video, so we did not start it twice.",
                    )
                return redirect(generation)
    else:
        form = GenerationForm(initial={"client_token": uuid.uuid4()})
    return render(request, "generations/create.html", {"form": form})


def detail(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    return render(request, "generations/detail.html", {"generation": generation})


def status(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    if not request.htmx:
        return render(request, "generations/detail.html", {"generation": generation})
    template = "index.html#card" if request.GET.get("view") == "card" else "detail.html#status"
    response = render(request, f"generations/{template}", {"generation": generation})
    if not generation.is_active:
        # The fragment carries no trigger any more; 286 also stops the old element.
        response.status_code = HttpResponseStopPolling.status_code
    return response


POLL_PARTIALS = {"card": "generations/index.html#card", "status": "generations/detail.html#status"}
POLL_LIMIT = 100


def poll(request: HttpRequest) -> JsonResponse:
    """The page's one status request: every running job it shows, in one query, and a
    fragment only for those whose version changed since the page last saw them."""
    seen = poll_request(request.GET.getlist("v"))
    jobs = visible_generations(request.user).filter(pk__in=seen)
    fragments = {}
    for generation in jobs:
        for view, version in seen[generation.pk]:
            if version != generation.poll_version:
                html = render_to_string(POLL_PARTIALS[view], {"generation": generation}, request)
                fragments[f"{view}-{generation.pk}"] = html  # the id of the element it replaces
    return JsonResponse({"fragments": fragments})


def poll_request(values: list[str]) -> dict[uuid.UUID, list[tuple[str, int]]]:
    """Parse `view:id:version` triples; anything malformed is ignored, not an error."""
    seen: dict[uuid.UUID, list[tuple[str, int]]] = {}
    for value in values[:POLL_LIMIT]:
        view, _, rest = value.partition(":")
        pk, _, version = rest.partition(":")
        try:
            key, number = uuid.UUID(pk), int(version or 0)
        except ValueError:
            continue
        if view in POLL_PARTIALS:
            seen.setdefault(key, []).append((view, number))
    return seen


def video(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "video", "video/mp4")


def download(request: HttpRequest, pk) -> HttpResponseBase:
    response = _serve(request, pk, "video", "video/mp4", as_attachment=True)
    if response.status_code == 200:  # not each range request of a resumed download
        audit.record("downloaded", actor=request.user, generation_ref=pk)
    return response


def poster(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "poster", "image/jpeg")


def first_frame(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "first_frame_thumbnail", "image/jpeg")


def _serve(request, pk, field: str, content_type: str, as_attachment=False) -> HttpResponseBase:
    generation = get_for_viewing(request, pk)
    stored = getattr(generation, field)
    if not stored or (field == "video" and not generation.is_ready):
        raise Http404("Nothing stored here yet")
    name = None
    if as_attachment:
        stamp = generation.created_at.strftime("%Y%m%d-%H%M")
        name = f"veostudio-{stamp}-{str(generation.pk)[:8]}.mp4"
    return serve_file(request, stored, content_type, attachment_name=name)


@require_POST
def check_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.check_again_for(request.user):
        messages.info(request, "This video is not waiting for a check.")
    return redirect(generation)


@require_POST
def submit_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    try:
        if generation.submit_again_for(request.user):
            messages.info(request, "Sent again. This starts a new paid job at CometAPI.")
    except CapExceeded as refusal:
        messages.error(request, refusal.message)
    return redirect(generation)


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.delete_for(request.user):
        messages.error(request, "This video is still being made; you can delete it when it ends.")
        return redirect(generation)
    messages.success(request, "Video deleted.")
    return redirect("generations:index")
