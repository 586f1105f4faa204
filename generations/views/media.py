"""A video's files (the video, its download, poster and first frame) and a ZIP of many;
each answers 404 to anyone who may not see the video."""

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

from billing.models import AuditEntry
from lib.media import serve_file

from ..access import (
    approved_in,
    get_files_for_viewing,
    get_for_viewing,
    get_project_for_viewing,
    visible_generations,
)
from ..models import Generation, ReviewStatus
from ..zips import ready_videos, zip_response
from .common import back_or, ids_in


def video(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, get_files_for_viewing(request, pk), "video", "video/mp4")


def download(request: HttpRequest, pk) -> HttpResponseBase:
    # The whole row: its name is the file's, its owner goes in the audit entry.
    generation = get_for_viewing(request, pk)
    response = _serve(request, generation, "video", "video/mp4", as_attachment=True)
    # Once per download, not per range request of a resumed one; a 302 hands it to S3.
    if response.status_code in (200, 302) and "Range" not in request.headers:
        owner = generation.owner if generation.owner_id != request.user.pk else None
        AuditEntry.record("downloaded", actor=request.user, subject=owner, video=generation)
    return response


def poster(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, get_files_for_viewing(request, pk), "poster", "image/jpeg")


def first_frame(request: HttpRequest, pk) -> HttpResponseBase:
    generation = get_files_for_viewing(request, pk)
    return _serve(request, generation, "first_frame_thumbnail", "image/jpeg")


def _serve(
    request, generation: Generation, field: str, content_type: str, as_attachment=False
) -> HttpResponseBase:
    stored = getattr(generation, field)
    if not stored or (field == "video" and not generation.is_ready):
        raise Http404("Nothing stored here yet")
    name = generation.download_name if as_attachment else None
    return serve_file(request, stored, content_type, attachment_name=name)


def download_zip(request: HttpRequest) -> HttpResponseBase:
    chosen = visible_generations(request.user).filter(pk__in=ids_in(request.GET))
    where = str(request.GET.get("in", ""))
    if request.GET.get("approved"):  # "approved only": of the ticked ones, or of a list
        chosen = (
            chosen.filter(review_status=ReviewStatus.APPROVED)
            if not where
            else approved_in(request.user, _approved_list(request, where))
        )
    ready = ready_videos(chosen)
    if not ready:
        if request.GET.get("approved"):
            messages.info(request, "No approved video here is ready to download yet.")
        else:
            messages.info(request, "Pick at least one ready video to download.")
        return back_or(request, _list_url(where))
    response = zip_response(ready, request)
    if response.status_code == 200:  # not a refusal past the person's streams
        noun = "video" if len(ready) == 1 else "videos"
        AuditEntry.record(
            "downloaded_zip", actor=request.user, videos=ready, detail=f"{len(ready)} {noun}"
        )
    return response


def _approved_list(request: HttpRequest, where: str) -> str:
    """The list an approved-only ZIP is of: `own`, `team` or a project the person sees;
    anything else (a project kept from them, a made-up name) is not found."""
    if where.isdigit():
        get_project_for_viewing(request, int(where))
    elif where not in ("own", "team"):
        raise Http404("No such list")
    return where


def _list_url(where: str) -> str:
    """Where an empty ZIP sends the person back to: the list it was asked from."""
    if where == "team":
        return reverse("generations:team")
    if where.isdigit():
        return reverse("generations:project", args=[int(where)])
    return reverse("generations:index")
