import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from .access import get_for_changing, get_for_viewing, own_generations
from .forms import GenerationForm
from .models import Generation, WorkerHeartbeat
from .ranges import ranged_file_response
from .team_views import team_context

GALLERY_PAGE_SIZE = 12


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def index(request: HttpRequest) -> HttpResponse:
    generations = own_generations(request.user).with_comment_counts()
    page = Paginator(generations, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "generations/index.html", {"page": page})


def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            generation, is_new = Generation.objects.create_for(
                request.user, data, first_frame=data.get("first_frame")
            )
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
    context = {"generation": generation, **team_context(generation)}
    return render(request, "generations/detail.html", context)


def status(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    if not request.htmx:
        context = {"generation": generation, **team_context(generation)}
        return render(request, "generations/detail.html", context)
    template = "index.html#card" if request.GET.get("view") == "card" else "detail.html#status"
    response = render(request, f"generations/{template}", {"generation": generation})
    if not generation.is_active:
        # The fragment carries no trigger any more; 286 also stops the old element.
        response.status_code = HttpResponseStopPolling.status_code
    return response


def video(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "video", "video/mp4")


def download(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "video", "video/mp4", as_attachment=True)


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
    return ranged_file_response(request, stored, content_type, attachment_name=name)


@require_POST
def check_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.check_again_for(request.user):
        messages.info(request, "This video is not waiting for a check.")
    return redirect(generation)


@require_POST
def submit_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.submit_again_for(request.user):
        messages.info(request, "Sent again. This starts a new paid job at CometAPI.")
    return redirect(generation)


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.delete_for(request.user):
        messages.error(request, "This video is still being made; you can delete it when it ends.")
        return redirect(generation)
    messages.success(request, "Video deleted.")
    return redirect("generations:index")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def readyz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
        ok = False
    try:
        probe = default_storage.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
        default_storage.delete(probe)
        checks["storage"] = "ok"
    except Exception:
        checks["storage"] = "not writable"
        ok = False
    if checks["database"] == "ok":
        now = timezone.now()
        last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        seen = last.first()
        checks["worker_seconds_since_heartbeat"] = (
            round((now - seen).total_seconds(), 1) if seen else None
        )
        if seen is None or now - seen > timedelta(minutes=2):
            ok = False
        oldest = (
            Generation.objects.active()
            .filter(next_action_at__lt=now)
            .order_by("next_action_at")
            .values_list("next_action_at", flat=True)
            .first()
        )
        overdue = round((now - oldest).total_seconds(), 1) if oldest else 0
        checks["oldest_overdue_job_seconds"] = overdue
        if overdue > 300:
            ok = False
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
