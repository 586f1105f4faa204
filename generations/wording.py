"""Words for people: every sentence a film maker reads about a job's state lives here.

No model imports, so that models, the worker and the views can all use it.
"""

from datetime import timedelta

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
