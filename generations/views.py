import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from . import worker
from .files import serve_file
from .forms import GenerationForm
from .models import Generation, Status, WorkerHeartbeat, first_frame_name, thumbnail_name

GALLERY_PAGE_SIZE = 12
REPEAT_WINDOW = timedelta(seconds=30)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _get_generation(request: HttpRequest, pk) -> Generation:
    """The one door to a generation: anyone but its owner gets a 404."""
    return get_object_or_404(Generation, pk=pk, owner=request.user)


def index(request: HttpRequest) -> HttpResponse:
    generations = Generation.objects.for_user(request.user)
    page = Paginator(generations, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "generations/index.html", {"page": page})


def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES)
        if form.is_valid():
            generation, is_new = _create_generation(request, form)
            if not is_new:
                messages.info(
                    request,
                    "You had already started this video, so we did not start it twice.",
                )
            return redirect(generation)
    else:
        form = GenerationForm(initial={"client_token": uuid.uuid4()})
    return render(request, "generations/create.html", {"form": form})


def _create_generation(request: HttpRequest, form: GenerationForm) -> tuple[Generation, bool]:
    data = form.cleaned_data
    token = data.get("client_token") or uuid.uuid4()
    mine = Generation.objects.for_user(request.user)
    same_request = mine.filter(
        prompt=data["prompt"],
        model=data["model"],
        seconds=data["seconds"],
        size=data["size"],
        first_frame_sha256=form.first_frame_sha256(),
    )
    # A double click, a second tab or back-and-resubmit sends the same form again.
    repeat = (
        same_request.filter(client_token=token).first()
        or same_request.filter(created_at__gte=timezone.now() - REPEAT_WINDOW)
        .exclude(status=Status.FAILED)
        .first()
    )
    if repeat:
        return repeat, False
    if mine.filter(client_token=token).exclude(pk__in=same_request.values("pk")).exists():
        token = uuid.uuid4()  # went back and changed the form: that is a new video

    assert request.user.is_authenticated  # the login-required middleware lets no one else in
    generation = Generation(
        owner=request.user,
        client_token=token,
        prompt=data["prompt"],
        model=data["model"],
        seconds=data["seconds"],
        size=data["size"],
        first_frame_sha256=form.first_frame_sha256(),
    )
    saved_files: list[str] = []
    try:
        frame = data.get("first_frame")
        if frame:
            saved_files.append(default_storage.save(first_frame_name(), ContentFile(frame.image)))
            generation.first_frame.name = saved_files[-1]
            saved_files.append(default_storage.save(thumbnail_name(), ContentFile(frame.thumbnail)))
            generation.first_frame_thumbnail.name = saved_files[-1]
        generation.start()
        with transaction.atomic():
            generation.save(force_insert=True)
            worker.enqueue(generation)
    except IntegrityError:
        for name in saved_files:
            default_storage.delete(name)
        return mine.get(client_token=token), False
    except BaseException:
        for name in saved_files:
            default_storage.delete(name)
        raise
    return generation, True


def detail(request: HttpRequest, pk) -> HttpResponse:
    generation = _get_generation(request, pk)
    return render(request, "generations/detail.html", {"generation": generation})


def status(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = _get_generation(request, pk)
    if not request.htmx:
        return render(request, "generations/detail.html", {"generation": generation})
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
    generation = _get_generation(request, pk)
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
    generation = _get_generation(request, pk)
    if not _change_if(generation, can="can_check_again", action="check_again"):
        messages.info(request, "This video is not waiting for a check.")
    return redirect(generation)


@require_POST
def submit_again(request: HttpRequest, pk) -> HttpResponse:
    generation = _get_generation(request, pk)
    if _change_if(generation, can="can_submit_again", action="submit_again"):
        messages.info(request, "Sent again. This starts a new paid job at CometAPI.")
    return redirect(generation)


def _change_if(generation: Generation, *, can: str, action: str) -> bool:
    """Apply a user's action to a job that has ended, unless a worker got there first."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if not getattr(locked, can):
            return False
        getattr(locked, action)()
        locked.save()
        worker.enqueue(locked)
    return True


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    generation = _get_generation(request, pk)
    if generation.is_active:
        messages.error(request, "This video is still being made; you can delete it when it ends.")
        return redirect(generation)
    names = [f.name for f in generation.stored_files()]
    generation.delete()
    for name in names:
        default_storage.delete(name)
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
