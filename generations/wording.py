"""Words for people: every sentence a film maker reads about a job's state lives here.

No model imports, so that models, the worker and the views can all use it.
"""

import re
import unicodedata
from datetime import timedelta

from django.utils import timezone

from lib.framing import describe_shape, format_box

STATUS_SENTENCES = {
    "waiting": "Waiting to be sent to Veo…",
    "submitted": "Sent to Veo. Waiting for rendering to start…",
    "rendering": "Veo is rendering your video…",
    "saving": "Rendering finished. Saving the video…",
    "ready": "Ready.",
}

UNCERTAIN_SUBMISSION = (
    "Submission uncertain — check before retrying. We lost contact with CometAPI "
    "while sending this job, so it may or may not have started (and may be billed). "
    "We did not resend it, so you are never charged twice."
)

INTERNAL_FAILURE = (
    "Something went wrong on our side while handling this video. "
    "An admin has the details in the logs."
)

DOWNLOAD_FAILED = (
    "Veo finished the video, but we could not download a valid copy from CometAPI. "
    "Use “Check again” to try once more."
)

CANCELLED = "Cancelled before it was sent to CometAPI. Nothing was charged."

STOPPED = (
    "Stopped: we no longer wait for this video. CometAPI may still make it and charge "
    "for it; its cost stays counted until someone resolves it on the Usage page."
)

STILL_RENDERING_HINT = " Your video may still be rendering: use “Check again” in a few minutes."


def status_sentence(generation) -> str:
    sentence = STATUS_SENTENCES.get(generation.status)
    return sentence or generation.failure_reason or generation.get_status_display()


def duration_label(elapsed: timedelta) -> str:
    seconds = int(elapsed.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def timed_out(elapsed: timedelta) -> str:
    minutes = max(round(elapsed.total_seconds() / 60), 1)
    return (
        f"Timed out after {minutes} minute{'s' if minutes != 1 else ''}: "
        "Veo had not finished. You can check once more."
    )


def cometapi_refusal(error) -> str:
    """Why CometAPI did not do what we asked, for a `CometAPIError`."""
    if error.kind == "auth":
        return "The studio's API key was rejected — ask an admin to check it."
    if error.kind == "quota":
        return "Out of CometAPI credit — ask an admin to top up the account."
    if error.kind == "invalid":
        return f"CometAPI refused this request: {error.message}"
    if error.kind == "forbidden":
        return f"CometAPI blocked this request: {error.message}"
    if error.kind == "unexpected":
        return (
            "CometAPI answered something unexpected. An admin should check the "
            "studio's CometAPI address."
        )
    if error.kind == "not_found":
        return "CometAPI no longer knows this job."
    if error.kind == "rate_limited":
        return "CometAPI stayed too busy to take this job after several tries."
    if error.kind == "server":
        return "CometAPI kept having server problems after several tries."
    return "CometAPI could not be reached after several tries."


def task_failure(task) -> str:
    """Why Veo did not make the video, for a failed `Task`."""
    if task.status in ("cancelled", "canceled"):
        return "The job was cancelled at CometAPI."
    if task.error_message:
        return f"Veo could not make this video: {task.error_message}"
    return "Veo could not make this video, and CometAPI gave no reason."


def account_problem(error_code: str) -> str:
    """What admins are told when CometAPI's latest answer was about the key or credit."""
    if error_code.startswith("auth"):
        return (
            "CometAPI rejected the studio's API key. Set a valid COMETAPI_KEY in the "
            "server's .env and restart VeoStudio."
        )
    if error_code.startswith("quota"):
        return "The CometAPI account is out of credit. Top it up, then retry the failed videos."
    return ""


LOGGED_OUT = "You are logged out. See you soon."


def job_ended_title(generation) -> str:
    """The tab title and notification heading when a job a person watched has ended."""
    prompt = generation.prompt if len(generation.prompt) <= 50 else generation.prompt[:49] + "…"
    if generation.status == "ready":
        return f"Video ready: {prompt}"
    return f"{generation.get_status_display()}: {prompt}"


def job_ended_body(generation) -> str:
    if generation.status == "ready":
        return "Your video is saved in the gallery."
    return generation.failure_reason or "The video could not be made."


def usual_wait(elapsed: timedelta, usual: timedelta) -> str:
    return (
        f"{duration_label(elapsed)} so far · usually about {duration_label(usual)} "
        "for these settings."
    )


TAKING_LONGER = "This is taking longer than usual."
TAKING_LONGER_OPTIONS = (
    "Veo is sometimes slow when it is busy, and most slow jobs still finish. You can keep "
    "waiting here, or close this page: it is safe, the job keeps running and the video is "
    "saved to your gallery when it is ready."
)
CAN_CLOSE = "You can close this page: the video is saved to your gallery when it is ready."


def rough_progress(progress: int) -> str:
    return (
        f"CometAPI reports about {progress}%. It is a rough figure that moves in big steps, "
        "not a countdown."
    )


NOTIFY_OFFER = "Tell me when it's done"

KEPT_FRAME_GONE = (
    "The image you chose earlier is no longer kept (it expires after a few hours). "
    "Please choose it again."
)
# Shown by the server and, from the page's data, by create.js: one sentence, one place.
PICTURE_STILL_REFUSED = (
    "The picture you chose can't be used, so nothing was started. Choose another picture, "
    "or tick “Make it without a picture” to start from your prompt alone."
)


def shape_mismatch(frame, size) -> str:
    """`frame` is a FirstFrame, `size` a Size choice."""
    width, height = frame.original_size  # what the person knows their photo by
    image_shape = describe_shape(width, height)
    format_shape = describe_shape(*format_box(size.value))
    label = size.label.split(" (")[0]
    if image_shape == format_shape:
        image_shape = "a different shape"
    return (
        f"Your image is {image_shape} ({width}×{height}) and the format is "
        f"{label}. Choose “Crop to fit” to choose the part to keep (the centre unless you "
        "move the box), or “Let Veo crop”."
    )


STOP_WAITING_HINT = (
    "If you would rather not wait, “Stop waiting” below ends it here (it says what that "
    "means for the cost)."
)


def frame_caption(origin: dict, width: int, height: int) -> str:
    """How the New video form names a first frame taken from a video (origin: see
    framing.keep): "The last frame, 1280×720" or "The frame at 0:03.2, 1280×720"."""
    at = origin.get("at")
    if origin.get("last"):
        where = "The last frame"
    elif isinstance(at, (int, float)):
        where = f"The frame at {moment_label(at)}"
    else:
        where = "The frame"
    return f"{where}, {width}×{height}"


def short_reason(error_code: str, failure_reason: str) -> str:
    """Why a job failed, in the few words a gallery card has room for."""
    code = error_code.lower()
    if code == "timeout":
        return "Veo took too long"
    if code.startswith("uncertain") or code in ("read_timeout", "connect_timeout"):
        return "Check before retrying"
    if code.startswith("auth"):
        return "API key rejected"
    if code.startswith("quota"):
        return "Out of credit"
    if code.startswith(("forbidden", "invalid")):
        return "Refused by CometAPI"
    if code.startswith("task:"):
        if any(word in code for word in ("safety", "policy", "blocked", "moderat")):
            return "Blocked by a safety filter"
        return "Veo could not make it"
    if code.startswith("download"):
        return "Download failed"
    if failure_reason:
        first = failure_reason.split(". ")[0].split(":")[0]
        return first[:40]
    return "Failed"


SLUG_MAX = 60


def slug(text: str, limit: int = SLUG_MAX) -> str:
    """ASCII words joined by hyphens, cut at a word boundary: safe in a file name anywhere."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            if not out:
                out = word[:limit]
            break
        out = candidate
    return out


def download_name(created_at, prompt: str, seconds: int, format_label: str, pk: str) -> str:
    """`2026-11-25_paper-kite-over-a-field_8s_1080p.mp4`; an id when the prompt gives no word."""
    day = timezone.localtime(created_at).strftime("%Y-%m-%d")
    words = slug(prompt) or pk.replace("-", "")[:8]
    return f"{day}_{words}_{seconds}s_{format_label}.mp4"


_MOMENT = re.compile(r"^(?:([0-9]{1,3}):)?([0-9]{1,5}(?:\.[0-9]{1,3})?)$")
SHARED_BY_DEFAULT = "The studio shares new videos with the team."


def moment_label(seconds: float) -> str:
    """0:03.2 for 3.2 seconds into a video (tenths, as a player's position reads)."""
    tenths = round(max(seconds, 0.0) * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def parse_moment(text: str) -> float | None:
    """Seconds from "0:03.2", "at 3.2" or "1:02"; None when it is not a moment."""
    match = _MOMENT.match(text.strip().removeprefix("at").strip())
    if not match:
        return None
    minutes, seconds = match.groups()
    if minutes and float(seconds) >= 60:
        return None
    return int(minutes or 0) * 60 + float(seconds)


def person_name(user) -> str:
    """The name a teammate reads: their full name when they gave one, else their username.
    Deactivated people keep it, so what they shared and wrote still says who it was."""
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


# A sequence's planned shots (sequences/), on the job's "Created" event.
PLANNED_SHOT = "A planned shot of a sequence."
PLANNED_SHOT_HELD = (
    "A planned shot of a sequence; its cost was held when the plan was generated, "
    "and it started once the shot before it was ready."
)
