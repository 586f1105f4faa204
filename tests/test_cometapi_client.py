"""The client tolerates every shape docs/cometapi-notes.md lists and triages errors as the vendor advises."""

import json

import pytest
import requests

from lib.cometapi import CometAPIClient, CometAPIError, VideoTask, error_from_response

from .factories_media import jpeg_bytes


def answer(status, body=b"", content_type="application/json", headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = content_type
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize(
    "payload, expected_id",
    [({"id": "a", "task_id": "a"}, "a"), ({"task_id": "b"}, "b"), ({"id": "c"}, "c")],
)
def test_the_task_id_is_read_from_id_then_task_id(payload, expected_id):
    assert VideoTask.from_json({**payload, "status": "queued"}).id == expected_id


def test_a_task_without_any_id_is_an_unexpected_answer():
    with pytest.raises(CometAPIError) as caught:
        VideoTask.from_json({"status": "queued"})
    assert caught.value.kind == "unexpected" and not caught.value.retryable


@pytest.mark.parametrize(
    "error, message, code",
    [
        ({"code": "content_policy", "message": "Blocked"}, "Blocked", "content_policy"),
        ("quota exceeded", "quota exceeded", ""),
        (None, "", ""),
    ],
)
def test_error_may_be_an_object_a_string_or_missing(error, message, code):
    task = VideoTask.from_json({"id": "t", "status": "failed", "error": error})
    assert task.is_failed
    assert (task.error_message, task.error_code) == (message, code)


@pytest.mark.parametrize("status", ["queued", "in_progress", "mystery_state", ""])
def test_unknown_statuses_count_as_running(status):
    assert VideoTask.from_json({"id": "t", "status": status}).is_running


@pytest.mark.parametrize("status", ["failed", "error", "cancelled"])
def test_terminal_failures(status):
    assert VideoTask.from_json({"id": "t", "status": status}).is_failed


def test_progress_is_clamped_and_tolerant():
    assert VideoTask.from_json({"id": "t", "status": "x", "progress": 250}).progress == 100
    assert VideoTask.from_json({"id": "t", "status": "x", "progress": "50%"}).progress == 50
    assert VideoTask.from_json({"id": "t", "status": "x", "progress": "soon"}).progress is None


@pytest.mark.parametrize(
    "status, body, kind, retryable",
    [
        (400, {"error": {"message": "bad size"}}, "invalid", False),
        (401, {"error": {"message": "invalid key"}}, "auth", False),
        (402, {"error": {"message": "payment required"}}, "quota", False),
        (403, {"error": {"message": "insufficient quota"}}, "quota", False),
        (403, {"error": {"message": "blocked"}}, "forbidden", False),
        (429, {"error": {"message": "slow down"}}, "rate_limited", True),
        (500, {"error": {"message": "x", "code": "invalid_request"}}, "invalid", False),
        (500, {"error": {"message": "oops"}}, "server", True),
        (502, b"<html>bad gateway</html>", "server", True),
        (503, {"error": {"message": "busy"}}, "server", True),
        (504, b"", "server", True),
        (524, b"", "server", True),
        (301, b"", "unexpected", False),
        (404, b"<html>not found</html>", "unexpected", False),
    ],
)
def test_errors_are_triaged_as_the_vendor_advises(status, body, kind, retryable):
    error = error_from_response(answer(status, body))
    assert (error.kind, error.retryable) == (kind, retryable)


def test_retry_after_is_read_in_seconds():
    error = error_from_response(answer(429, {}, headers={"Retry-After": "7"}))
    assert error.retry_after == 7


def test_only_gateway_timeouts_may_hide_an_accepted_create():
    assert error_from_response(answer(504)).maybe_accepted
    assert error_from_response(answer(524)).maybe_accepted
    assert not error_from_response(answer(503)).maybe_accepted
    assert not error_from_response(answer(429, {})).maybe_accepted


def test_the_key_is_not_in_the_client_repr():
    assert "sk-secret" not in repr(CometAPIClient("https://api.cometapi.com", "sk-secret"))


def test_create_sends_multipart_with_seconds_as_a_string(simulator):
    client = CometAPIClient(simulator.base_url, "test-key")
    task = client.create(
        model="veo3.1",
        prompt="Fog over a harbour",
        seconds=6,
        size="720x1280",
        image=jpeg_bytes(64, 64),
        image_name="f.jpg",
    )
    assert task.status == "queued"
    sent = simulator.creates[0]
    assert sent["fields"]["seconds"] == "6"
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data")


def test_connection_refused_is_retryable_and_never_ambiguous():
    client = CometAPIClient("http://127.0.0.1:9", "k", connect_timeout=1)
    with pytest.raises(CometAPIError) as caught:
        client.create(model="veo3.1-fast", prompt="x", seconds=4, size="1280x720")
    assert caught.value.retryable and not caught.value.maybe_accepted
