"""cometsim, the fake CometAPI, over HTTP: clients see what the vendor serves; tests script
faults. The parser and the demo videos have their own files (test_cometsim_*.py)."""

import io
import socket
import subprocess
import sys
import time

import av
import pytest
import requests
from PIL import Image

from cometsim import CometSimulator

AUTH = {"Authorization": "Bearer sk-test"}
FORM = {"model": "veo3.1-fast", "prompt": "A paper kite floats above a field."}
ENDED = ("completed", "failed", "error", "cancelled")


@pytest.fixture
def sim():
    with CometSimulator(render_seconds=0.2) as simulator:
        yield simulator


def create(sim, files=None, headers=AUTH, **fields):
    form = {**FORM, **fields}
    parts = {name: (None, value) for name, value in form.items() if value is not None}
    parts.update(files or {})
    url = f"{sim.base_url}/v1/videos"
    return requests.post(url, files=parts, headers=headers, timeout=5)


def get(sim, path, headers=AUTH, **kwargs):
    return requests.get(f"{sim.base_url}{path}", headers=headers, timeout=5, **kwargs)


def wait_for(sim, task_id, until=ENDED):
    """Poll until the task reaches a status in ``until``; the task and statuses seen."""
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        task = get(sim, f"/v1/videos/{task_id}").json()
        seen.append(task["status"])
        if task["status"] in until:
            return task, seen
        time.sleep(0.03)
    raise AssertionError(f"task stayed {seen[-1]}")


def probe(data):
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height, container.duration / 1_000_000


def png(color=(200, 30, 30), size=(1280, 720)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_text_to_video_task_completes_with_a_real_mp4(sim):
    sim.render_seconds = 0.6
    answer = create(sim)
    assert answer.status_code == 200
    task = answer.json()
    assert task["id"] == task["task_id"]
    assert (task["object"], task["status"], task["progress"]) == ("video", "queued", 0)

    done, seen = wait_for(sim, task["id"])
    assert "in_progress" in seen
    assert done["progress"] == 100
    assert done["completed_at"] >= done["created_at"]
    assert done["video_url"].startswith(f"{sim.base_url}/files/")

    by_url = requests.get(done["video_url"], timeout=5)
    by_content = get(sim, f"/v1/videos/{task['id']}/content")
    assert by_url.headers["Content-Type"] == "video/mp4"
    assert by_content.content == by_url.content
    width, height, duration = probe(by_url.content)
    assert (width, height) == (384, 216)
    assert duration == pytest.approx(4, abs=0.2)
    assert by_url.content.find(b"moov") < by_url.content.find(b"mdat")  # faststart
    assert sim.create_count == 1


def test_a_portrait_size_gives_a_portrait_video_of_the_requested_length(sim):
    task = create(sim, size="720x1280", seconds="6").json()
    wait_for(sim, task["id"])
    width, height, duration = probe(get(sim, f"/v1/videos/{task['id']}/content").content)
    assert (width, height) == (216, 384)
    assert duration == pytest.approx(6, abs=0.2)


def test_image_to_video_records_the_reference_and_starts_on_that_image(sim):
    image = png()
    answer = create(sim, files={"input_reference": ("first.png", image, "image/png")})
    assert answer.status_code == 200
    task_id = answer.json()["id"]

    record = sim.creates[0]
    assert record["fields"]["prompt"] == FORM["prompt"]
    assert record["files"]["input_reference"] == {
        "filename": "first.png",
        "content_type": "image/png",
        "data": image,
    }
    assert (record["answered"], record["task_id"]) == (200, task_id)

    wait_for(sim, task_id)
    video = get(sim, f"/v1/videos/{task_id}/content").content
    with av.open(io.BytesIO(video)) as container:
        first = next(container.decode(video=0)).to_image()
    red, green, blue = first.getpixel((first.width // 2, first.height // 2))
    assert red > 150 and green < 80 and blue < 80


def test_it_needs_a_bearer_token_and_the_right_key():
    with CometSimulator(api_key="sk-right", render_seconds=0.2) as sim:
        assert create(sim, headers={}).status_code == 401
        wrong = create(sim, headers={"Authorization": "Bearer sk-wrong"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_api_key"
        assert get(sim, "/v1/videos/nope", headers={}).status_code == 401
        right = create(sim, headers={"Authorization": "Bearer sk-right"})
        assert right.status_code == 200
        assert sim.create_count == 1


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"seconds": "5"}, "seconds"),
        ({"prompt": None}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"model": "veo3"}, "model"),
        ({"size": "1080x1920"}, "size"),
    ],
)
def test_it_rejects_invalid_fields_like_the_vendor(sim, fields, param):
    answer = create(sim, **fields)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert "request id" in error["message"]
    assert sim.create_count == 0
    assert sim.creates[0]["answered"] == 400


def test_it_rejects_urlencoded_bodies_and_references_that_are_not_images(sim):
    url = f"{sim.base_url}/v1/videos"
    assert requests.post(url, data=FORM, headers=AUTH, timeout=5).status_code == 400
    text = create(sim, files={"input_reference": ("a.png", b"hello", "image/png")})
    assert text.json()["error"]["param"] == "input_reference"
    assert sim.create_count == 0


def test_unknown_tasks_are_404_and_content_before_completion_is_400(sim):
    sim.render_seconds = 30
    assert get(sim, "/v1/videos/task_x").status_code == 404
    assert get(sim, "/v1/videos/task_x/content").status_code == 404
    task = create(sim).json()
    early = get(sim, f"/v1/videos/{task['id']}/content")
    assert early.status_code == 400
    assert "error" in early.json()
    assert get(sim, "/v2/nothing").status_code == 404


def test_scripted_statuses_answer_in_order_and_then_it_recovers(sim):
    sim.fail_next("create", 402)
    sim.fail_next("create", 429, times=2, headers={"Retry-After": "3"})
    sim.fail_next("create", 503, body="upstream down", content_type="text/plain")

    broke = create(sim)
    assert broke.status_code == 402
    assert "balance" in broke.json()["error"]["message"]
    limited = [create(sim), create(sim)]
    assert [answer.status_code for answer in limited] == [429, 429]
    assert limited[0].headers["Retry-After"] == "3"
    down = create(sim)
    assert (down.status_code, down.text) == (503, "upstream down")
    assert create(sim).status_code == 200

    assert [c["answered"] for c in sim.creates] == [402, 429, 429, 503, 200]
    assert sim.create_count == 1
    sim.fail_next("retrieve", 500)
    assert "Retry-After" not in get(sim, "/v1/videos/x").headers


def test_html_and_redirect_answers(sim):
    sim.html_next("create")
    page = create(sim)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")

    sim.redirect_next("retrieve")
    moved = get(sim, "/v1/videos/x", allow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"].startswith("https://")
    assert sim.create_count == 0


def test_a_hang_provokes_a_read_timeout_but_the_task_is_still_made(sim):
    sim.hang_next("create", 1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{sim.base_url}/v1/videos",
            files={"prompt": (None, "x")},
            headers=AUTH,
            timeout=0.3,
        )
    assert sim.create_count == 1


def test_a_reset_connection_fails_the_request_and_then_it_answers_again(sim):
    sim.reset_connection_next("retrieve")
    session = requests.Session()
    url = f"{sim.base_url}/v1/videos/x"
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(url, headers=AUTH, timeout=5)
    assert session.get(url, headers=AUTH, timeout=5).status_code == 404
    assert sim.requests == [("GET", "/v1/videos/x", None), ("GET", "/v1/videos/x", 404)]


BLOCKED = {
    "code": "content_policy",
    "message": "The prompt was blocked by safety filters.",
}


@pytest.mark.parametrize(
    ("outcome", "status", "error"),
    [
        ("failed", "failed", BLOCKED),
        ("failed_no_error", "failed", None),
        ("cancelled", "cancelled", None),
    ],
)
def test_tasks_can_end_badly(sim, outcome, status, error):
    sim.outcome = outcome
    task, _ = wait_for(sim, create(sim).json()["id"])
    assert task["status"] == status
    assert task.get("error") == error
    assert "video_url" not in task


def test_odd_statuses_and_magic_prompts(sim):
    sim.render_seconds = 0.1
    error = create(sim, prompt="a storm [sim:error]").json()
    unknown = create(sim, prompt="a storm [sim:unknown]").json()
    sim.outcome = "stuck"
    stuck = create(sim).json()
    time.sleep(0.2)

    errored, _ = wait_for(sim, error["id"])
    assert errored["status"] == "error"
    assert isinstance(errored["error"], str)
    assert wait_for(sim, unknown["id"], until=("mystery_state",))
    assert wait_for(sim, stuck["id"], until=("in_progress",))


def test_video_payloads_that_are_not_videos(sim):
    task = create(sim).json()
    wait_for(sim, task["id"])
    content = f"/v1/videos/{task['id']}/content"
    good = get(sim, content).content

    sim.video_payload = "html"
    assert get(sim, content).text.startswith("<!DOCTYPE html>")
    sim.video_payload = "json"
    assert get(sim, content).json()["code"] == "processing"
    sim.video_payload = "truncated"
    assert get(sim, content).content == good[: len(good) * 2 // 5]
    sim.video_payload = "broken"
    broken = get(sim, content).content
    assert broken[4:8] == b"ftyp"
    assert len(broken) == len(good)
    with pytest.raises(av.FFmpegError):
        probe(broken)


def test_an_expired_video_url_is_403_while_content_still_works():
    with CometSimulator(render_seconds=0.0, video_url_ttl=0.1) as sim:
        task, _ = wait_for(sim, create(sim).json()["id"])
        assert requests.get(task["video_url"], timeout=5).status_code == 200
        time.sleep(0.15)
        expired = requests.get(task["video_url"], timeout=5)
        assert expired.status_code == 403
        assert b"AccessDenied" in expired.content
        assert get(sim, "/files/nothing.mp4", headers={}).status_code == 403

        fresh, _ = wait_for(sim, create(sim).json()["id"])
        sim.video_url_expired = True
        assert requests.get(fresh["video_url"], timeout=5).status_code == 403
        assert get(sim, f"/v1/videos/{fresh['id']}/content").status_code == 200


def test_echoes_and_id_fields_can_be_odd(sim):
    sim.odd_echo = True
    sim.id_field = "task_id"
    task = create(sim, model="veo3.1", seconds="8", size="1920x1080").json()
    assert "id" not in task
    echoed = (task["model"], task["seconds"], task["size"])
    assert echoed == ("veo_3_1-4K", "", "16x9")
    sim.id_field = "id"
    later, _ = wait_for(sim, task["task_id"])
    assert "task_id" not in later


def test_control_endpoints_steer_a_simulator_in_another_process(sim):
    def post(path, payload=None):
        return requests.post(f"{sim.base_url}{path}", json=payload, timeout=5)

    assert post("/_sim/config", {"outcome": "failed"}).ok
    assert post("/_sim/config", {"outcome": "nope"}).status_code == 400
    assert post("/_sim/config", {"render_seconds": "1"}).status_code == 400
    assert post("/_sim/fail", {"endpoint": "create", "status": 429}).ok
    assert post("/_sim/fail", {"endpoint": "nope", "status": 500}).status_code == 400

    assert create(sim).status_code == 429
    image = png(size=(64, 64))
    task = create(sim, files={"input_reference": ("a.png", image, "image/png")})
    assert wait_for(sim, task.json()["id"])[0]["status"] == "failed"

    stats = get(sim, "/_sim/stats").json()
    assert stats["create_count"] == 1
    assert [c["answered"] for c in stats["creates"]] == [429, 200]
    assert stats["creates"][1]["files"]["input_reference"]["size"] == len(image)
    assert ["POST", "/v1/videos", 429] in stats["requests"]

    assert post("/_sim/reset").ok
    assert get(sim, "/_sim/stats").json()["create_count"] == 0
    assert sim.outcome == "completed"

    with CometSimulator(control=False) as closed:
        assert get(closed, "/_sim/stats").status_code == 404


def test_stats_tell_when_a_task_was_first_reported_completed_and_its_video_first_asked_for(sim):
    task_id = create(sim).json()["id"]
    stats = get(sim, "/_sim/stats").json()
    assert stats["tasks"][task_id] == {"completed_answered_at": None, "video_requested_at": None}

    before = time.time()
    done, _ = wait_for(sim, task_id, until=("completed",))
    after = time.time()
    get(sim, f"/v1/videos/{task_id}")  # a later "completed" answer does not move the moment
    time.sleep(0.05)
    assert requests.get(done["video_url"], timeout=5).ok
    fetched = time.time()
    assert get(sim, f"/v1/videos/{task_id}/content").ok

    moments = get(sim, "/_sim/stats").json()["tasks"][task_id]
    assert before <= moments["completed_answered_at"] <= after
    assert after < moments["video_requested_at"] <= fetched


def test_weird_input_never_brings_it_down(sim):
    host, port = sim.base_url.removeprefix("http://").split(":")
    bad_multipart = (
        b"POST /v1/videos HTTP/1.1\r\nContent-Type: multipart/form-data\r\n"
        b"Content-Length: 5\r\n\r\nhello"
    )
    for raw in (
        b"\x16\x03\x01\x00garbage\r\n\r\n",
        b"POST /v1/videos HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        bad_multipart,
        b"POST /_sim/config HTTP/1.1\r\nContent-Length: 3\r\n\r\n[1]",
        b"POST /v1/videos HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",
    ):
        with socket.create_connection((host, int(port)), timeout=2) as connection:
            connection.sendall(raw)
            connection.shutdown(socket.SHUT_WR)
            connection.recv(4096)
    chunked = requests.post(
        f"{sim.base_url}/v1/videos",
        data=iter([b"not ", b"multipart"]),
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
        timeout=5,
    )
    assert chunked.status_code == 400
    assert create(sim).status_code == 200


def test_the_package_imports_no_django():
    code = "import sys, cometsim; print(sorted(m for m in sys.modules if m.startswith('django')))"
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert imported.stdout.strip() == "[]"
