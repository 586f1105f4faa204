"""Every way CometAPI can misbehave ends in the right state, in words a person understands,
with nothing lost and nothing sent twice. Real HTTP to the loopback simulator throughout."""

import os
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from generations import worker
from generations.models import Generation, Status

from .helpers import drive, make_generation, make_user, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(simulator):
    owner = make_user("alice")

    def make(**fields):
        return make_generation(owner, **fields)

    return make


def calls(simulator, endpoint_prefix):
    return [r for r in simulator.requests if r[1].startswith(endpoint_prefix)]


def retrieve_calls(simulator):
    return [r for r in simulator.requests if r[0] == "GET" and r[1].count("/") == 3]


# --- the task itself fails -----------------------------------------------------------


def test_a_failed_task_shows_the_reason_in_plain_words(simulator, job):
    simulator.configure(outcome="failed")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert "Veo could not make this video" in generation.failure_reason
    assert "safety filters" in generation.failure_reason
    assert generation.error_code.startswith("task:failed")
    assert not generation.can_check_again
    assert simulator.create_count == 1


def test_an_error_task_with_a_bare_string_error(simulator, job):
    simulator.configure(outcome="error")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert generation.failure_reason.startswith("Veo could not make this video:")


def test_a_failed_task_without_any_error_field(simulator, job):
    simulator.configure(outcome="failed_no_error")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert "gave no reason" in generation.failure_reason


def test_a_cancelled_task(simulator, job):
    simulator.configure(outcome="cancelled")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert "cancelled" in generation.failure_reason


@pytest.mark.parametrize("outcome", ["unknown", "stuck"])
def test_an_unknown_or_endless_status_is_polled_until_the_deadline(simulator, job, outcome):
    simulator.configure(outcome=outcome)
    generation = drive(job(), max_steps=5)
    assert (generation.status, generation.progress) == (Status.RENDERING, 50)
    Generation.objects.filter(pk=generation.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    generation = drive(generation)
    assert generation.status == Status.TIMED_OUT
    assert generation.failure_reason.startswith("Timed out after")
    assert generation.can_check_again


def test_check_again_after_a_timeout_finds_the_finished_video(simulator, job):
    simulator.configure(outcome="stuck")
    generation = drive(job(), max_steps=3)
    Generation.objects.filter(pk=generation.pk).update(deadline=timezone.now())
    generation = drive(generation)
    assert generation.status == Status.TIMED_OUT

    simulator._tasks[generation.task_id].outcome = "completed"
    generation.check_again()
    generation.save()
    generation = drive(generation)
    assert generation.status == Status.READY
    assert simulator.create_count == 1


def test_a_slow_task_stays_rendering_with_its_progress(simulator, job):
    simulator.configure(render_seconds=60)
    generation = step(step(job()))  # sent, then asked once: CometAPI still has it queued
    assert (generation.status, generation.progress) == (Status.SUBMITTED, 0)

    simulator._tasks[generation.task_id].started -= 30  # half-way through its minute
    generation = step(generation)
    assert (generation.status, generation.progress) == (Status.RENDERING, 50)
    assert generation.next_action_at > timezone.now()
    assert generation.is_active


# --- HTTP-level answers --------------------------------------------------------------


@pytest.mark.parametrize(
    "status, words",
    [
        (401, "API key was rejected — ask an admin"),
        (402, "Out of CometAPI credit"),
        (403, "Out of CometAPI credit"),
        (400, "CometAPI refused this request"),
    ],
)
def test_final_errors_on_submit_fail_at_once_without_retrying(simulator, job, status, words):
    body = None
    if status == 403:
        body = {"error": {"message": "Insufficient balance on this account", "code": ""}}
    simulator.fail_next("create", status, body=body)
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert words in generation.failure_reason
    assert len(simulator.creates) == 1  # no retry
    assert simulator.create_count == 0


def test_a_validation_error_shows_cometapi_s_message(simulator, job):
    simulator.fail_next(
        "create", 400, body={"error": {"message": "prompt is too long", "type": "x", "code": ""}}
    )
    generation = drive(job())
    assert generation.failure_reason == "CometAPI refused this request: prompt is too long"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_submit_errors_are_retried_then_succeed(simulator, job, status):
    simulator.fail_next("create", status, times=2)
    generation = drive(job())
    assert generation.status == Status.READY
    assert len(simulator.creates) == 3
    assert simulator.create_count == 1


def test_retry_after_is_honoured(simulator, job):
    simulator.fail_next("create", 429, headers={"Retry-After": "120"})
    before = timezone.now()
    generation = step(job())
    assert generation.status == Status.WAITING
    assert generation.next_action_at >= before + timedelta(seconds=119)
    assert generation.submit_started_at is None


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 524])
def test_transient_poll_errors_back_off_and_give_up_after_bounded_tries(simulator, job, status):
    simulator.fail_next("retrieve", status, times=50)
    generation = drive(job())
    assert generation.status == Status.FAILED
    polls = [r for r in simulator.requests if r[0] == "GET" and r[2] == status]
    assert len(polls) == worker.settings.COMETAPI_MAX_ATTEMPTS
    assert "may still be rendering" in generation.failure_reason
    assert generation.can_check_again
    assert simulator.create_count == 1


def test_backoff_grows_and_is_jittered(simulator, job):
    generation = job()
    delays = []
    for attempts in range(6):
        generation.attempts = attempts
        delays.append(generation.backoff())
    assert all(1.0 <= d <= 600 for d in delays)
    assert max(delays[3:]) > min(delays[:2])


def test_a_poll_that_times_out_is_retried(simulator, job):
    generation = step(job())
    simulator.hang_next("retrieve", 3.0)
    generation = step(generation)
    assert generation.attempts == 1 and generation.is_active
    generation = drive(generation)
    assert generation.status == Status.READY


@pytest.mark.parametrize("kind", ["html", "redirect"])
def test_html_or_a_redirect_means_a_wrong_base_url(simulator, job, kind, caplog):
    getattr(simulator, f"{kind}_next")("create")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert "CometAPI answered something unexpected" in generation.failure_reason
    assert len(simulator.creates) == 1
    if kind == "html":
        assert "<" in caplog.text  # the start of the body is logged for an admin


def test_connection_refused_is_retried_then_fails_clearly(simulator, job):
    with override_settings(COMETAPI_BASE_URL="http://127.0.0.1:9"):
        generation = drive(job())
    assert generation.status == Status.FAILED
    assert "could not be reached" in generation.failure_reason
    assert generation.attempts == worker.settings.COMETAPI_MAX_ATTEMPTS - 1


# --- never pay twice -----------------------------------------------------------------


def test_a_submit_that_times_out_is_marked_uncertain_and_never_resent(simulator, job):
    simulator.hang_next("create", 3.0)
    generation = drive(job())
    assert generation.status == Status.UNCERTAIN
    assert "check before retrying" in generation.failure_reason
    drive(generation)
    assert len(simulator.creates) == 1


def test_a_submit_whose_connection_is_reset_is_marked_uncertain(simulator, job):
    simulator.reset_connection_next("create")
    generation = drive(job())
    assert generation.status == Status.UNCERTAIN
    assert len(simulator.creates) == 1


@pytest.mark.parametrize("status", [504, 524])
def test_a_gateway_timeout_on_submit_is_uncertain(simulator, job, status):
    simulator.fail_next("create", status)
    generation = drive(job())
    assert generation.status == Status.UNCERTAIN


def test_sending_an_uncertain_job_again_is_the_user_s_explicit_choice(simulator, job):
    simulator.hang_next("create", 3.0)
    generation = drive(job())
    generation.submit_again()
    generation.save()
    generation = drive(generation)
    assert generation.status == Status.READY
    assert len(simulator.creates) == 2


# --- downloads -----------------------------------------------------------------------


def test_an_expired_video_url_falls_back_to_the_content_endpoint(simulator, job):
    simulator.configure(video_url_expired=True)
    generation = drive(job())
    assert generation.status == Status.READY
    assert any(r[1].endswith("/content") and r[2] == 200 for r in simulator.requests)


@pytest.mark.parametrize("payload", ["html", "json", "truncated", "broken"])
def test_a_download_that_is_not_a_real_mp4_is_never_stored(simulator, job, payload):
    simulator.configure(video_payload=payload)
    videos_before = _files_under("videos")
    generation = drive(job())
    assert generation.status == Status.FAILED
    assert "could not download a valid copy" in generation.failure_reason
    assert not generation.video
    assert generation.can_check_again
    assert _files_under("videos") == videos_before
    assert not _files_under("partial")
    downloads = [r for r in simulator.requests if r[1].startswith("/files/")]
    assert len(downloads) == worker.settings.COMETAPI_MAX_ATTEMPTS


def test_a_bad_download_that_recovers_is_saved(simulator, job):
    simulator.configure(video_payload="html")
    generation = drive(job(), max_steps=3)
    assert generation.status == Status.SAVING
    simulator.configure(video_payload="mp4")
    generation = drive(generation)
    assert generation.status == Status.READY


def test_a_full_disk_keeps_the_job_recoverable(simulator, job, monkeypatch, caplog):
    generation = drive(job(), max_steps=2)
    assert generation.status == Status.SAVING

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(worker, "_stream_to_file", disk_full)
    for _ in range(8):
        generation = step(generation)
    assert generation.status == Status.SAVING
    assert not generation.video
    assert "No space left on device" in caplog.text
    assert not _files_under("partial")

    monkeypatch.undo()
    generation = drive(generation)
    assert generation.status == Status.READY


def _files_under(folder):
    """Files in a media folder, or in the worker's scratch folder for "partial"."""
    root = (
        worker.settings.WORKER_SCRATCH_DIR if folder == "partial" else default_storage.path(folder)
    )
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def test_admins_are_told_when_the_key_is_rejected(simulator, job, client, django_user_model):
    simulator.fail_next("create", 401)
    drive(job())
    admin = django_user_model.objects.create_superuser("boss", password="x" * 20)
    client.force_login(admin)
    assert "rejected the studio&#x27;s API key" in client.get("/").content.decode()
    client.force_login(django_user_model.objects.get(username="alice"))
    gallery = client.get("/")
    assert gallery.status_code == 200
    assert "rejected the studio" not in gallery.content.decode()


def test_a_bug_in_a_step_is_retried_a_bounded_number_of_times(simulator, job, monkeypatch):
    generation = step(job())
    calls = []

    def broken_poll(generation, client):
        calls.append(1)
        raise RuntimeError("boom")

    monkeypatch.setattr(worker, "poll", broken_poll)
    generation = drive(generation)
    assert generation.status == Status.FAILED
    assert generation.error_code == "internal"
    assert "Something went wrong on our side" in generation.failure_reason
    assert len(calls) == worker.settings.COMETAPI_MAX_ATTEMPTS


def test_a_task_briefly_unknown_after_creation_is_polled_again(simulator, job):
    generation = step(job())
    simulator.fail_next("retrieve", 404, times=2)
    generation = drive(generation)
    assert generation.status == Status.READY
    assert simulator.create_count == 1
