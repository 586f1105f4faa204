"""Use a video's frame as the first frame of a new one: "Use this frame", "Continue this shot".

The frame is taken server-side from the stored MP4 (local folder or bucket alike), checked
like an upload, and kept under a signed token that also names the video and the moment it
came from; the New video form then starts from it, and the new video records that it
continues the other.
"""

import logging
import math
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from lib import frames, framing

from .. import wording
from ..access import get_for_viewing, members_only, visible_generations
from ..forms import GenerationForm
from ..models import Generation

logger = logging.getLogger(__name__)

NOT_READY = "This video has no frames to use yet: it is not ready."
UNREADABLE_MOMENT = "The player's position could not be read. Please pause on the frame again."
FRAME_GONE = (
    "That frame is no longer kept (frames are kept for a few hours). "
    "Please take it again from its video."
)


@members_only
@require_POST
def use_frame(request: HttpRequest, pk) -> HttpResponse:
    """Take the frame at the posted moment (`at`; "end" or nothing: the very last frame)
    and open the New video form with it."""
    generation = get_for_viewing(request, pk)
    if not generation.is_ready or not generation.video:
        messages.error(request, NOT_READY)
        return redirect(generation)
    seconds = _moment(request.POST.get("at", ""))
    if seconds is False:
        messages.error(request, UNREADABLE_MOMENT)
        return redirect(generation)
    try:
        with default_storage.open(generation.video.name or "", "rb") as handle:
            frame = framing.first_frame_from_video(handle, seconds)
    except FileNotFoundError:
        messages.error(request, frames.VideoMissing().args[0])
        return redirect(generation)
    except frames.FrameError as refusal:
        logger.info("No frame from video %s at %s: %r", pk, seconds, refusal)
        messages.error(request, str(refusal))
        return redirect(generation)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
        return redirect(generation)
    if seconds is None:
        at = generation.video_duration or 0.0
    else:
        at = min(seconds, generation.video_duration or seconds)
    origin = {"video": str(generation.pk), "at": round(at, 3), "last": seconds is None}
    token = framing.keep(frame, request.user, origin=origin)
    return redirect(f"{reverse('generations:create')}?{urlencode({'frame': token})}")


def _moment(text: str) -> float | None | bool:
    """Seconds from the player's position; None for the last frame; False if unreadable."""
    text = text.strip()
    if text in ("", "end"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        return False
    return seconds if math.isfinite(seconds) and seconds >= 0 else False


def form_from_frame(request: HttpRequest, token: str) -> tuple[GenerationForm, dict | None]:
    """The New video form starting from a frame kept by `use_frame`, with the settings of
    the video it came from (its format first, so the frame fits as it is); and what the
    page says about where it came from (None if the token is not this person's)."""
    user = request.user
    frame = framing.kept(token, user)
    origin = framing.kept_origin(token, user)
    form = GenerationForm.blank(user)
    if frame is None or origin is None:
        messages.error(request, FRAME_GONE)
        return form, None
    video = _video(user, origin.get("video"))
    if video is not None:
        form.initial.update(prompt=video.prompt, model=video.model, seconds=video.seconds)
        form.initial["size"] = video.size
        if form.may_use_project(video.project_id):
            form.initial["project"] = video.project_id
    form.original_frame, form.kept_token = frame, token
    form.frame_caption = caption(origin, frame)
    return form, continuation(user, origin)


def continuation(user, origin: dict | None) -> dict | None:
    """What the New video form says about the video a kept frame came from."""
    if not origin:
        return None
    video = _video(user, origin.get("video"))
    if video is None:
        return None
    at = origin.get("at")
    return {
        "video": video,
        "at": wording.moment_label(at) if isinstance(at, (int, float)) else "",
        "last": bool(origin.get("last")),
    }


def refused_form_origin(user, form: GenerationForm) -> dict | None:
    """After a refused form still holding a frame from a video: the same caption and note."""
    if not form.kept_token or form.original_frame is None:
        return None
    origin = framing.kept_origin(form.kept_token, user)
    if origin is None:
        return None
    form.frame_caption = caption(origin, form.original_frame)
    return continuation(user, origin)


def caption(origin: dict, frame) -> str:
    return wording.frame_caption(origin, *frame.original_size)


def shot_of(
    user, form: GenerationForm, source: Generation | None
) -> tuple[Generation | None, float | None]:
    """(`continues`, `continues_at`) for the video a valid New video form is about to start:
    the shot its frame came from; or, made like another video and keeping that video's
    first frame, the shot that one continues."""
    if form.frame_origin:
        return shot_source(user, form.frame_origin)
    if (
        source is not None
        and source.continues_id
        and form.cleaned_data.get("keep_first_frame")
        and form.original_frame is None  # no other picture chosen
        and visible_generations(user).filter(pk=source.continues_id).exists()
    ):
        return source.continues, source.continues_at
    return None, None


def shot_source(user, origin: dict | None) -> tuple[Generation | None, float | None]:
    """(`continues`, `continues_at`) for a new video whose first frame came from `origin`:
    the video only while this person may still see it."""
    if not origin:
        return None, None
    video = _video(user, origin.get("video"))
    at = origin.get("at")
    if video is None or not isinstance(at, (int, float)):
        return None, None
    return video, float(at)


def _video(user, pk) -> Generation | None:
    try:
        return visible_generations(user).filter(pk=uuid.UUID(str(pk))).first()
    except ValueError:
        return None
