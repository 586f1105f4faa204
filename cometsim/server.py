"""The fake vendor: task state, scripted faults and the HTTP server that serves them."""

from __future__ import annotations

import collections
import http
import io
import json
import logging
import random
import re
import secrets
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

from .mp4 import demo_frame_size, make_demo_mp4
from .multipart import UploadedFile, parse_multipart

logger = logging.getLogger(__name__)

MODELS = ("veo3.1-fast", "veo3.1")
SECONDS = ("4", "6", "8")
SIZES = ("1280x720", "720x1280", "1920x1080", "3840x2160")
ENDPOINTS = ("create", "retrieve", "content", "video_url", "chat")
OUTCOMES = (
    "completed",
    "failed",
    "error",
    "failed_no_error",
    "cancelled",
    "unknown",
    "stuck",
)
VIDEO_PAYLOADS = ("mp4", "html", "json", "truncated", "broken")
ID_FIELDS = ("both", "id", "task_id")
FAULT_KINDS = ("status", "html", "redirect", "hang", "reset")

SLOW_RENDER_SECONDS = 60.0
MAX_BODY_BYTES = 20 * 1024 * 1024

_MAGIC_TAG = re.compile(r"\[sim:([a-z_]+)\]", re.IGNORECASE)

# Default bodies of scripted faults: (type, code, message) in the vendor's error shape.
_FAULT_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: (
        "invalid_request_error",
        "",
        "Invalid request: the upstream rejected the parameters",
    ),
    401: ("invalid_request_error", "", "Invalid token"),
    402: (
        "insufficient_quota",
        "insufficient_user_quota",
        "Insufficient balance: your account quota is not enough for this request",
    ),
    403: ("invalid_request_error", "", "Forbidden: this key may not use this model"),
    404: ("invalid_request_error", "", "Not found"),
    408: ("invalid_request_error", "", "Request timed out"),
    413: ("invalid_request_error", "", "Request entity too large"),
    429: (
        "rate_limit_error",
        "rate_limit_exceeded",
        "Rate limited: too many requests or the upstream is saturated, retry later",
    ),
    500: ("upstream_error", "", "Internal server error"),
    502: ("upstream_error", "", "Bad gateway: the upstream answered with an error"),
    503: (
        "upstream_error",
        "",
        "Service unavailable: no channel is available for this model",
    ),
    504: ("upstream_error", "", "Gateway timeout: the upstream did not answer in time"),
    524: (
        "upstream_error",
        "",
        "A timeout occurred: the upstream did not answer in time",
    ),
}

_HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>CometAPI</title></head>
<body><div id="root">Loading&hellip;</div><script src="/assets/index.js"></script>
</body></html>
"""

_EXPIRED_URL_BODY = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
    b"<Message>Access denied.</Message><Details>Request has expired</Details></Error>"
)


def caption_for(prompt: str, words: int = 7) -> str:
    """The first words of a prompt, without magic tags, to draw into a demo video."""
    text = " ".join(_MAGIC_TAG.sub(" ", prompt).split())
    head = text.split(" ")[:words]
    caption = " ".join(head)
    if len(text) > len(caption):
        caption += "…"
    return caption


# -- state -----------------------------------------------------------------------------


@dataclass
class _Task:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: int
    started: float
    render_seconds: float
    outcome: str
    image: bytes | None
    token: str | None = None
    token_expires: float = 0.0
    mp4: bytes | None = None
    # Wall-clock moments (time.time()) a benchmark compares with the app's own timestamps:
    # when a status answer first said "completed", and when its video was first asked for.
    completed_answered_at: float | None = None
    video_requested_at: float | None = None


@dataclass
class _Fault:
    kind: str
    times: int
    status: int = 500
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8)


def vendor_error(
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str = "",
    code: str = "",
) -> dict:
    """The vendor's error shape; like theirs, the message ends in a request id."""
    return {
        "error": {
            "message": f"{message} (request id: {_request_id()})",
            "type": type,
            "param": param,
            "code": code,
        }
    }


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(payload).encode(), "application/json", headers or {})


def _error(status: int, message: str, param: str = "", code: str = "") -> _Response:
    kind = "invalid_request_error" if status < 500 else "upstream_error"
    return _json(status, vendor_error(message, type=kind, param=param, code=code))


class CometSimulator:
    """A fake CometAPI video route on a loopback HTTP server, steerable from tests.

    Settings read when a task is created: ``outcome``, ``render_seconds``.
    Settings read on every answer: ``video_payload``, ``video_url_expired``,
    ``odd_echo``, ``id_field``, ``video_url_ttl`` (when a video_url is first issued).
    """

    def __init__(
        self,
        api_key: str | None = None,
        render_seconds: float = 4.0,
        video_url_ttl: float = 3600,
        *,
        control: bool = True,
    ) -> None:
        self.api_key = api_key
        self.control = control
        self._defaults = {
            "render_seconds": float(render_seconds),
            "video_url_ttl": float(video_url_ttl),
        }
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.max_body_bytes = MAX_BODY_BYTES
        self.reset()

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        if self._server is not None:
            raise RuntimeError("simulator already started")
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, port), _Handler)
        self._server.simulator = self
        self._stopping.clear()
        bound_port = self._server.server_address[1]
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        shown = "[::1]" if shown == "::" else (f"[{shown}]" if ":" in shown else shown)
        self.base_url = f"http://{shown}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"comet-simulator-{bound_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers that are hanging on purpose
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget tasks, traffic and scripted faults; settings go back to defaults."""
        with self._lock:
            self.render_seconds = self._defaults["render_seconds"]
            self.video_url_ttl = self._defaults["video_url_ttl"]
            self.outcome = "completed"
            self.video_payload = "mp4"
            self.video_url_expired = False
            self.odd_echo = False
            self.id_field = "both"
            self.creates: list[dict[str, Any]] = []
            self.chats: list[dict[str, Any]] = []
            self.requests: list[tuple[str, str, int | None]] = []
            self._tasks: dict[str, _Task] = {}
            self._tokens: dict[str, str] = {}
            self._faults: dict[str, collections.deque[_Fault]] = {
                e: collections.deque() for e in ENDPOINTS
            }

    # -- validated settings

    @property
    def outcome(self) -> str:
        return self._outcome

    @outcome.setter
    def outcome(self, value: str) -> None:
        self._outcome = _choice("outcome", value, OUTCOMES)

    @property
    def video_payload(self) -> str:
        return self._video_payload

    @video_payload.setter
    def video_payload(self, value: str) -> None:
        self._video_payload = _choice("video_payload", value, VIDEO_PAYLOADS)

    @property
    def id_field(self) -> str:
        return self._id_field

    @id_field.setter
    def id_field(self, value: str) -> None:
        self._id_field = _choice("id_field", value, ID_FIELDS)

    @property
    def create_count(self) -> int:
        return len(self._tasks)

    def configure(self, **settings: Any) -> None:
        """Set several settings at once, checking names and types (``/_sim/config``)."""
        checks: dict[str, type | tuple[type, ...]] = {
            "outcome": str,
            "video_payload": str,
            "id_field": str,
            "render_seconds": (int, float),
            "video_url_ttl": (int, float),
            "video_url_expired": bool,
            "odd_echo": bool,
        }
        for name, value in settings.items():
            if name not in checks:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(checks)}")
            if not isinstance(value, checks[name]) or (
                isinstance(value, bool) and checks[name] is not bool
            ):
                raise ValueError(f"{name} has the wrong type: {value!r}")
            if name in ("render_seconds", "video_url_ttl") and cast(float, value) < 0:
                raise ValueError(f"{name} must not be negative")
        with self._lock:
            for name, value in settings.items():
                setattr(
                    self,
                    name,
                    float(value) if name in ("render_seconds", "video_url_ttl") else value,
                )

    # -- fault scripting

    def fail_next(
        self,
        endpoint: str,
        status: int,
        *,
        times: int = 1,
        body: bytes | str | dict | list | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``endpoint`` with ``status`` and no more.

        The default body is a vendor-shaped JSON error fitting the status. No
        ``Retry-After`` is sent unless ``headers`` has one.
        """
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {status!r}")
        if body is None:
            kind, code, message = _FAULT_MESSAGES.get(
                status,
                (
                    "upstream_error" if status >= 500 else "invalid_request_error",
                    "",
                    _phrase(status),
                ),
            )
            data = json.dumps(vendor_error(message, type=kind, code=code)).encode()
            content_type = "application/json"
        elif isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = bytes(body)
        self._script(
            endpoint,
            _Fault("status", times, status, data, content_type, dict(headers or {})),
        )

    def html_next(self, endpoint: str, times: int = 1) -> None:
        """Answer 200 with an HTML page, as a wrong base URL reaching a web app does."""
        self._script(endpoint, _Fault("html", times, 200, _HTML_PAGE, "text/html; charset=utf-8"))

    def redirect_next(self, endpoint: str, times: int = 1, location: str | None = None) -> None:
        """Answer 301 to an https URL, by default this server's own (it has no TLS)."""
        self._script(
            endpoint,
            _Fault("redirect", times, 301, b"", "text/html", {"Location": location or ""}),
        )

    def hang_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """Sleep ``seconds`` before answering. The request is handled before the sleep,
        so a create the client gave up on still makes a task, as a lost answer would."""
        self._script(endpoint, _Fault("hang", times, seconds=float(seconds)))

    def reset_connection_next(self, endpoint: str, times: int = 1) -> None:
        """Drop the connection (TCP reset) without answering; a create makes no task."""
        self._script(endpoint, _Fault("reset", times))

    def _script(self, endpoint: str, fault: _Fault) -> None:
        _choice("endpoint", endpoint, ENDPOINTS)
        if not isinstance(fault.times, int) or fault.times < 1:
            raise ValueError(f"times must be a positive integer, not {fault.times!r}")
        with self._lock:
            self._faults[endpoint].append(fault)

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            queue = self._faults[endpoint]
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def _hang(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # -- introspection

    def stats(self) -> dict[str, Any]:
        """What ``GET /_sim/stats`` answers: traffic as JSON, file bytes as sizes."""
        with self._lock:
            creates = [
                {
                    "fields": dict(c["fields"]),
                    "files": {
                        name: {
                            "filename": f["filename"],
                            "content_type": f["content_type"],
                            "size": len(f["data"]),
                        }
                        for name, f in c["files"].items()
                    },
                    "answered": c["answered"],
                    "task_id": c.get("task_id"),
                }
                for c in self.creates
            ]
            tasks = {
                task.id: {
                    "completed_answered_at": task.completed_answered_at,
                    "video_requested_at": task.video_requested_at,
                }
                for task in self._tasks.values()
            }
            return {
                "create_count": self.create_count,
                "creates": creates,
                "requests": [list(r) for r in self.requests],
                "tasks": tasks,
            }

    # -- the vendor's behaviour

    def _create(self, fields: dict[str, str], files: dict[str, UploadedFile]) -> _Response:
        prompt = fields.get("prompt", "").strip()
        model = fields.get("model", "").strip() or "veo3.1-fast"
        seconds = fields.get("seconds", "").strip() or "4"
        size = fields.get("size", "").strip() or "1280x720"
        if not prompt:
            return _error(400, "prompt is required", "prompt")
        if model not in MODELS:
            return _error(
                400,
                f"model {model!r} is not supported; use one of {', '.join(MODELS)}",
                "model",
            )
        if seconds not in SECONDS:
            return _error(400, f"seconds must be one of {', '.join(SECONDS)}", "seconds")
        if size not in SIZES:
            return _error(400, f"size must be one of {', '.join(SIZES)}", "size")
        image = files.get("input_reference")
        if image is not None and not _is_image(image.data):
            return _error(
                400,
                "input_reference must be a JPEG, PNG or WebP image",
                "input_reference",
            )

        outcome, render_seconds = self.outcome, self.render_seconds
        for tag in _MAGIC_TAG.findall(prompt):
            tag = tag.lower()
            if tag == "slow":
                render_seconds = SLOW_RENDER_SECONDS
            elif tag in OUTCOMES:
                outcome = tag
        task = _Task(
            id=f"task_{secrets.token_hex(12)}",
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            created_at=int(time.time()),
            started=time.monotonic(),
            render_seconds=render_seconds,
            outcome=outcome,
            image=image.data if image is not None else None,
        )
        with self._lock:
            self._tasks[task.id] = task
        return _json(200, self._task_json(task, "", creating=True))

    def _find(self, task_id: str) -> _Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def _state(self, task: _Task) -> tuple[str, int]:
        elapsed = time.monotonic() - task.started
        done = elapsed >= task.render_seconds
        if elapsed < task.render_seconds * 0.2 and not done:
            return "queued", 0
        if task.outcome == "stuck" or (not done and task.outcome != "unknown"):
            return "in_progress", 50
        return {
            "completed": ("completed", 100),
            "failed": ("failed", 100),
            "failed_no_error": ("failed", 100),
            "error": ("error", 100),
            "cancelled": ("cancelled", 0),
            "unknown": ("mystery_state", 50),
        }[task.outcome]

    def _task_json(self, task: _Task, base: str, *, creating: bool = False) -> dict[str, Any]:
        status, progress = ("queued", 0) if creating else self._state(task)
        body: dict[str, Any] = {}
        if self.id_field in ("both", "id"):
            body["id"] = task.id
        if self.id_field in ("both", "task_id"):
            body["task_id"] = task.id
        body.update(
            object="video",
            model="veo_3_1-4K" if self.odd_echo else task.model,
            status=status,
            progress=progress,
            created_at=task.created_at,
            seconds="" if self.odd_echo else task.seconds,
            size="16x9" if self.odd_echo else task.size,
        )
        if status == "completed":
            body["completed_at"] = task.created_at + round(task.render_seconds)
            body["video_url"] = f"{base}/files/{self._token_for(task)}.mp4"
        elif task.outcome == "failed" and status == "failed":
            body["error"] = {
                "code": "content_policy",
                "message": "The prompt was blocked by safety filters.",
            }
        elif status == "error":
            body["error"] = "upstream task failed: generation service returned an internal error"
        return body

    def _token_for(self, task: _Task) -> str:
        with self._lock:
            if task.token is None:
                task.token = secrets.token_urlsafe(24)
                task.token_expires = time.monotonic() + self.video_url_ttl
                self._tokens[task.token] = task.id
            return task.token

    def _retrieve(self, task_id: str, base: str) -> _Response:
        task = self._find(task_id)
        if task is None:
            return _error(404, f"task {task_id} not found", code="task_not_found")
        return _json(200, self._task_json(task, base))

    def _note_answered(self, task_id: str, response: _Response) -> None:
        """As a status answer goes out: the first one saying "completed" is the moment
        CometAPI reported the video done (after any scripted hang, just before sending)."""
        if response.status != 200:
            return
        task = self._find(task_id)
        if task is None or task.completed_answered_at is not None:
            return
        if json.loads(response.body).get("status") == "completed":
            with self._lock:
                task.completed_answered_at = task.completed_answered_at or time.time()

    def _content(self, task_id: str) -> _Response:
        task = self._find(task_id)
        if task is None:
            return _error(404, f"task {task_id} not found", code="task_not_found")
        status, _ = self._state(task)
        if status != "completed":
            return _error(400, f"video is not ready, task status is {status}")
        return self._video(task)

    def _file(self, token: str) -> _Response:
        with self._lock:
            task = self._tasks.get(self._tokens.get(token, ""))
            fresh = task is not None and time.monotonic() < task.token_expires
        if not fresh or self.video_url_expired:
            return _Response(403, _EXPIRED_URL_BODY, "application/xml; charset=UTF-8")
        assert task is not None
        return self._video(task)

    def _video(self, task: _Task) -> _Response:
        with self._lock:
            if task.video_requested_at is None:
                task.video_requested_at = time.time()
        payload = self.video_payload
        if payload == "html":
            return _Response(200, _HTML_PAGE, "text/html; charset=utf-8")
        if payload == "json":
            return _json(
                200,
                {
                    "code": "processing",
                    "message": "The video is being transferred, retry later",
                },
            )
        data = self._mp4_for(task)
        if payload == "truncated":
            data = data[: len(data) * 2 // 5]
        elif payload == "broken":
            header = data[: struct.unpack(">I", data[:4])[0]]  # the ftyp box
            data = header + random.Random(len(data)).randbytes(len(data) - len(header))
        return _Response(200, data, "video/mp4")

    def _mp4_for(self, task: _Task) -> bytes:
        if task.mp4 is not None:
            return task.mp4
        width, height = demo_frame_size(task.size)
        caption = caption_for(task.prompt)
        if task.image is not None:
            with Image.open(io.BytesIO(task.image)) as image:
                mp4 = make_demo_mp4(
                    width, height, int(task.seconds), first_frame=image, caption=caption
                )
            task.mp4 = mp4  # a race here only renders twice
        else:
            mp4 = make_demo_mp4(width, height, int(task.seconds), caption=caption)
        return mp4


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unexpected upstream error"


def _is_image(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # noqa: BLE001 - Pillow's decoders raise all sorts of errors
        return False
    return True


# -- HTTP ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: CometSimulator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("simulator error for %s", client_address, exc_info=sys.exc_info())


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Abort(Exception):
    """Stop handling this request: an answer was sent or the connection was dropped."""


_ROUTES = (
    ("POST", re.compile(r"/v1/videos"), "create"),
    ("GET", re.compile(r"/v1/videos/([^/]+)"), "retrieve"),
    ("GET", re.compile(r"/v1/videos/([^/]+)/content"), "content"),
    ("GET", re.compile(r"/files/([^/]+)\.mp4"), "video_url"),
    ("POST", re.compile(r"/v1/chat/completions"), "chat"),
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cometapi-simulator"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        self._path = urlsplit(self.path).path
        try:
            self._route()
        except _Abort:
            pass
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            logger.debug("simulator failed on %s %s", self.command, self.path, exc_info=True)
            try:
                self._send(_error(500, "simulator internal error"))
            except OSError:
                self.close_connection = True

    def _route(self) -> None:
        sim = self.server.simulator
        if self._path.startswith("/_sim/") and sim.control:
            return self._control(sim)
        # Always read the body: left unread, it would corrupt the next keep-alive call.
        body = self._read_body()
        method = "GET" if self.command == "HEAD" else self.command
        if self._path == "/user/quota" and method == "GET":
            return self._send(_quota(sim, self.path))
        for route_method, pattern, endpoint in _ROUTES:
            match = pattern.fullmatch(self._path)
            if match and method == route_method:
                if endpoint == "create":
                    return self._create(sim, body)
                if endpoint == "chat":
                    return self._chat(sim, body)
                return self._get(sim, endpoint, unquote(match.group(1)))
        self._send(_error(404, f"Invalid URL ({self.command} {self._path})"))

    def _create(self, sim: CometSimulator, body: bytes) -> None:
        content_type = self.headers.get("Content-Type", "")
        record: dict[str, Any] = {
            "fields": {},
            "files": {},
            "headers": dict(self.headers.items()),
            "answered": None,
        }
        try:
            fields, files = parse_multipart(content_type, body)
            record["fields"] = fields
            record["files"] = {name: f.as_dict() for name, f in files.items()}
        except ValueError as exc:
            fields, files, parse_error = {}, {}, str(exc)
        else:
            parse_error = ""
        with sim._lock:
            sim.creates.append(record)

        fault = sim._take_fault("create")
        if fault is not None and fault.kind == "reset":
            record["answered"] = None
            return self._drop()
        if fault is not None and fault.kind != "hang":
            record["answered"] = fault.status
            return self._send(self._fault_response(fault))
        response = self._authorize(sim)
        if response is None and parse_error:
            response = _error(400, parse_error)
        if response is None:
            response = sim._create(fields, files)
            if response.status == 200:
                task = json.loads(response.body)
                record["task_id"] = task.get("id") or task.get("task_id")
        record["answered"] = response.status
        if fault is not None:
            sim._hang(fault.seconds)
        self._send(response)

    def _chat(self, sim: CometSimulator, body: bytes) -> None:
        fault = sim._take_fault("chat")
        if fault is not None and fault.kind == "reset":
            return self._drop()
        if fault is not None and fault.kind != "hang":
            return self._send(self._fault_response(fault))
        response = self._authorize(sim)
        if response is None:
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = None
            response = chat_completion(payload)
            if response.status == 200 and isinstance(payload, dict):
                with sim._lock:
                    sim.chats.append(payload)
        if fault is not None:
            sim._hang(fault.seconds)
        self._send(response)

    def _get(self, sim: CometSimulator, endpoint: str, key: str) -> None:
        fault = sim._take_fault(endpoint)
        if fault is not None and fault.kind == "reset":
            return self._drop()
        if fault is not None and fault.kind != "hang":
            return self._send(self._fault_response(fault))
        response = None if endpoint == "video_url" else self._authorize(sim)
        if response is None:
            if endpoint == "retrieve":
                response = sim._retrieve(key, self._base_url(sim))
            elif endpoint == "content":
                response = sim._content(key)
            else:
                response = sim._file(key)
        if fault is not None:
            sim._hang(fault.seconds)
        if endpoint == "retrieve":
            sim._note_answered(key, response)
        self._send(response)

    def _authorize(self, sim: CometSimulator) -> _Response | None:
        scheme, _, key = self.headers.get("Authorization", "").strip().partition(" ")
        key = key.strip()
        if (
            scheme.lower() != "bearer"
            or not key
            or (sim.api_key is not None and key != sim.api_key)
        ):
            return _error(401, "Invalid token", code="invalid_api_key")
        return None

    def _base_url(self, sim: CometSimulator) -> str:
        # Use the address the client used, so a server bound to 0.0.0.0 works too.
        host = self.headers.get("Host", "")
        return f"http://{host}" if host and "/" not in host else sim.base_url

    def _fault_response(self, fault: _Fault) -> _Response:
        headers = dict(fault.headers)
        if fault.kind == "redirect" and not headers.get("Location"):
            headers["Location"] = (
                f"https://{self.headers.get('Host', 'api.cometapi.com')}{self.path}"
            )
        return _Response(fault.status, fault.body or b"", fault.content_type, headers)

    def _control(self, sim: CometSimulator) -> None:
        body = self._read_body()
        command = self._path.removeprefix("/_sim/").strip("/")
        if self.command == "GET" and command == "stats":
            return self._send(_json(200, sim.stats()))
        if self.command != "POST" or command not in ("config", "fail", "reset"):
            return self._send(
                _json(404, {"error": f"no control endpoint {self.command} {self._path}"})
            )
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise TypeError("the body must be a JSON object")
            if command == "config":
                sim.configure(**payload)
            elif command == "reset":
                sim.reset()
            else:
                _script_from_json(sim, payload)
        except (ValueError, TypeError) as exc:
            return self._send(_json(400, {"error": str(exc)}))
        self._send(_json(200, {"ok": True}))

    def _read_body(self) -> bytes:
        limit = self.server.simulator.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._send(_error(400, "invalid Content-Length"))
            raise _Abort from None
        if length > limit:
            self.close_connection = True
            self._send(_error(413, f"request body is larger than {limit} bytes"))
            raise _Abort
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise _Abort
        return body

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes]
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                self._send(_error(400, "malformed chunked body"))
                raise _Abort from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > limit:
                self.close_connection = True
                self._send(_error(413, f"request body is larger than {limit} bytes"))
                raise _Abort
            chunks.append(self.rfile.read(size))
            self.rfile.readline(16)

    def _send(self, response: _Response) -> None:
        self._record(response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        """Close the socket with a TCP reset and no answer."""
        self._record(None)
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        for stream in (self.rfile, self.wfile, self.connection):
            try:
                stream.close()
            except OSError:
                pass
        self.wfile = io.BytesIO()  # the base class still flushes after we return

    def _record(self, status: int | None) -> None:
        if self._path.startswith("/_sim/"):
            return
        sim = self.server.simulator
        with sim._lock:
            sim.requests.append((self.command, self._path, status))


# What the simulated chat model adds to any prompt: camera, light, style and sound, as the
# studio's default instruction asks of a real one.
CHAT_ADDITION = (
    "Slow dolly-in at eye level, soft golden-hour light from the side, shallow depth of "
    "field, warm 35 mm film look. Audio: quiet room tone and a soft breeze."
)


def improved_prompt(message: str) -> str:
    """The simulated chat model's deterministic improvement of the prompt found in the user
    message (after a "Prompt:" line, up to a blank line; else the whole message)."""
    text = message
    if "Prompt:" in text:
        text = text.split("Prompt:", 1)[1]
        text = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    text = " ".join(text.split()).rstrip(" .")
    return f"Cinematic shot: {text}. {CHAT_ADDITION}"


def chat_completion(payload: Any) -> _Response:
    """An OpenAI-compatible chat completion answered with `improved_prompt`."""
    messages = payload.get("messages") if isinstance(payload, dict) else None
    if not isinstance(messages, list) or not messages:
        return _error(400, "messages is required", "messages")
    users: list[str] = [
        str(m["content"])
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)
    ]
    if not users or not users[-1].strip():
        return _error(400, "a user message is required", "messages")
    answer = improved_prompt(users[-1])
    sent = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
    prompt_tokens, completion_tokens = sent * 4 // 3 + 8, len(answer.split()) * 4 // 3
    return _json(
        200,
        {
            "id": f"chatcmpl-{secrets.token_hex(8)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(payload.get("model") or "gpt-4o-mini"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    )


SIMULATED_QUOTA = 100.0  # dollars on the pretend account


def _quota(sim: CometSimulator, raw_path: str) -> _Response:
    """CometAPI's quota query (`GET /user/quota?key=…`): each create so far is billed at
    Veo 3.1 Fast 720p with the studio discount ($0.08 a second)."""
    key = (parse_qs(urlsplit(raw_path).query).get("key") or [""])[0]
    if sim.api_key and key != sim.api_key:
        return _error(401, "Invalid token", code="invalid_api_key")
    with sim._lock:
        used = sum(0.08 * float(c["fields"].get("seconds") or 0) for c in sim.creates)
    used = round(used, 4)
    return _json(
        200,
        {
            "total_quota": SIMULATED_QUOTA,
            "used_quota": used,
            "remain_quota": SIMULATED_QUOTA - used,
        },
    )


def _script_from_json(sim: CometSimulator, payload: dict[str, Any]) -> None:
    kind = payload.get("kind", "status")
    endpoint = payload.get("endpoint", "")
    times = payload.get("times", 1)
    if kind == "status":
        sim.fail_next(
            endpoint,
            payload.get("status"),  # type: ignore[arg-type]
            times=times,
            body=payload.get("body"),
            content_type=payload.get("content_type", "application/json"),
            headers=payload.get("headers"),
        )
    elif kind == "html":
        sim.html_next(endpoint, times=times)
    elif kind == "redirect":
        sim.redirect_next(endpoint, times=times, location=payload.get("location"))
    elif kind == "hang":
        seconds = payload.get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError("hang needs a non-negative number of seconds")
        sim.hang_next(endpoint, seconds, times=times)
    elif kind == "reset":
        sim.reset_connection_next(endpoint, times=times)
    else:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
