"""The only code that speaks HTTP to CometAPI: its video route, and one chat completion for
"Improve my prompt".

No Django imports here: the client takes its settings as arguments, so it can be
used from the worker, a script or a test alike.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

FAILED_STATUSES = {"failed", "failure", "error", "cancelled", "canceled", "expired"}
COMPLETED_STATUS = "completed"
# Sibling gateways on the same route spell success differently.
_COMPLETED_ALIASES = {"succeeded", "success", "succeed", "complete"}

# Where a failure may have reached CometAPI, a resubmission could create a second paid task.
_QUOTA_WORDS = ("quota", "balance", "credit", "insufficient", "billing", "payment")


class CometAPIError(Exception):
    """One error type for every way a call can go wrong.

    `kind` is a short machine word (auth, quota, invalid, rate_limited, server,
    unexpected, network, timeout, not_found); `retryable` says whether trying again
    later makes sense; `maybe_accepted` says a create call may have reached CometAPI
    even though we got no answer, so repeating it could pay twice.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool,
        status: int | None = None,
        code: str = "",
        retry_after: float | None = None,
        maybe_accepted: bool = False,
        body_start: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.maybe_accepted = maybe_accepted
        self.body_start = body_start

    @property
    def code_for_record(self) -> str:
        parts = [self.kind]
        if self.status:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        return ":".join(parts)[:100]


@dataclass
class VideoTask:
    id: str
    status: str
    progress: int | None = None
    video_url: str = ""
    completed_at: int | None = None
    error_message: str = ""
    error_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED_STATUS

    @property
    def is_failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def is_running(self) -> bool:
        # Unknown statuses count as running; the caller's deadline bounds them.
        return not (self.is_completed or self.is_failed)

    @classmethod
    def from_json(cls, data: Any) -> VideoTask:
        if not isinstance(data, dict):
            raise CometAPIError(
                "CometAPI answered something unexpected.",
                kind="unexpected",
                retryable=False,
                body_start=str(data)[:200],
            )
        task_id = data.get("id") or data.get("task_id")
        if not task_id or not isinstance(task_id, (str, int)):
            raise CometAPIError(
                "CometAPI's answer had no task id.",
                kind="unexpected",
                retryable=False,
                body_start=str(data)[:200],
            )
        status = str(data.get("status") or "").strip().lower()
        if status in _COMPLETED_ALIASES:
            status = COMPLETED_STATUS
        progress = data.get("progress")
        try:
            progress = max(0, min(100, int(float(str(progress).rstrip("%")))))
        except (TypeError, ValueError):
            progress = None
        message, code = _error_fields(data.get("error"))
        completed_at = data.get("completed_at")
        if isinstance(completed_at, float):
            completed_at = int(completed_at)
        return cls(
            id=str(task_id),
            status=status,
            progress=progress,
            video_url=str(data.get("video_url") or ""),
            completed_at=completed_at if isinstance(completed_at, int) else None,
            error_message=message,
            error_code=code,
            raw=data,
        )


def _error_fields(error: Any) -> tuple[str, str]:
    if isinstance(error, dict):
        return str(error.get("message") or "").strip(), str(error.get("code") or "").strip()
    if isinstance(error, str):
        return error.strip(), ""
    return "", ""


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    parsed = email.utils.parsedate_to_datetime(raw) if raw else None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - time.time())


def error_from_response(response: requests.Response) -> CometAPIError:
    """Triage an HTTP answer that is not a success, following the vendor's table."""
    status = response.status_code
    body = response.text[:500] if response.content is not None else ""
    message, code = "", ""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        message, code = _error_fields(payload.get("error"))
        if not message and isinstance(payload.get("message"), str):
            message = payload["message"]
    lowered = message.lower()

    def error(msg: str, kind: str, retryable: bool, **extra: Any) -> CometAPIError:
        return CometAPIError(
            msg,
            kind=kind,
            retryable=retryable,
            status=status,
            code=code,
            body_start=body[:200],
            **extra,
        )

    if 300 <= status < 400 or (payload is None and status < 500 and status != 429):
        return error("CometAPI answered something unexpected.", "unexpected", False)
    if status == 401:
        return error("The studio's API key was rejected.", "auth", False)
    if status in (402, 403) and (status == 402 or any(w in lowered for w in _QUOTA_WORDS)):
        return error("Out of CometAPI credit.", "quota", False)
    if status == 403:
        return error(message or "CometAPI refused the request.", "forbidden", False)
    if status == 404:
        return error(message or "CometAPI does not know this task.", "not_found", False)
    if status == 429:
        return error(
            "CometAPI is busy (rate limited).",
            "rate_limited",
            True,
            retry_after=_retry_after(response),
        )
    if status == 500 and code == "invalid_request":
        return error(message or "CometAPI rejected the request.", "invalid", False)
    if status >= 500:
        return error(
            f"CometAPI had a server problem ({status}).",
            "server",
            True,
            retry_after=_retry_after(response),
            # A gateway timeout may hide a task that was created anyway.
            maybe_accepted=status in (504, 524),
        )
    return error(message or f"CometAPI rejected the request ({status}).", "invalid", False)


class CometAPIClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "VeoStudio/1.0"

    def __repr__(self) -> str:  # never show the key
        return f"<CometAPIClient {self.base_url}>"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def _send(
        self,
        method: str,
        url: str,
        *,
        is_create: bool = False,
        session: requests.Session | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        try:
            return (session or self.session).request(method, url, **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise CometAPIError(
                "CometAPI could not be reached (connection timed out).",
                kind="network",
                retryable=True,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise CometAPIError(
                "CometAPI did not answer in time.",
                kind="timeout",
                retryable=True,
                maybe_accepted=is_create,
            ) from None
        except requests.exceptions.ConnectionError as exc:
            refused = _is_connect_failure(exc)
            raise CometAPIError(
                "CometAPI could not be reached."
                if refused
                else "The connection to CometAPI broke.",
                kind="network",
                retryable=True,
                maybe_accepted=is_create and not refused,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise CometAPIError(
                f"The request to CometAPI failed ({type(exc).__name__}).",
                kind="network",
                retryable=True,
                maybe_accepted=is_create,
            ) from None

    def _json_task(self, response: requests.Response) -> VideoTask:
        if response.status_code != 200:
            raise error_from_response(response)
        try:
            payload = response.json()
        except ValueError:
            raise CometAPIError(
                "CometAPI answered something unexpected.",
                kind="unexpected",
                retryable=False,
                status=response.status_code,
                body_start=response.text[:200],
            ) from None
        return VideoTask.from_json(payload)

    def create(
        self,
        *,
        model: str,
        prompt: str,
        seconds: int,
        size: str,
        image: bytes | None = None,
        image_name: str = "first-frame.jpg",
        image_type: str = "image/jpeg",
    ) -> VideoTask:
        fields = {"model": model, "prompt": prompt, "seconds": str(seconds), "size": size}
        files: dict[str, Any] = {key: (None, value) for key, value in fields.items()}
        if image is not None:
            files["input_reference"] = (image_name, image, image_type)
        response = self._send(
            "POST",
            f"{self.base_url}/v1/videos",
            files=files,
            headers=self._auth(),
            is_create=True,
        )
        task = self._json_task(response)
        return task

    def retrieve(self, task_id: str) -> VideoTask:
        response = self._send("GET", f"{self.base_url}/v1/videos/{task_id}", headers=self._auth())
        return self._json_task(response)

    def stream_video(
        self, url: str, *, with_key: bool, limits: DownloadLimits | None = None
    ) -> Iterator[bytes]:
        """Yield the body of a video download in chunks; raise CometAPIError on a bad answer
        or when the download breaks the policy described on DownloadLimits.

        The key is sent only to the configured base, never to a host a redirect names.
        """
        limits = limits or DownloadLimits()
        started = time.monotonic()
        trusted = _origin(self.base_url)
        current = url
        for _hop in range(limits.max_redirects + 1):
            remaining = limits.remaining(started)
            if remaining <= 0:
                raise _out_of_time(limits, started)
            address = _vet(current, trusted, limits.resolve)
            timeout = (self.timeout[0], max(0.1, min(self.timeout[1], remaining)))
            headers = self._auth() if with_key and _origin(current) == trusted else {}
            if address is not None:
                headers["Host"] = urlsplit(current).netloc.rpartition("@")[2]
            response = self._send(
                "GET",
                current,
                session=self.session if address is None else _pinned_session(address),
                headers=headers,
                stream=True,
                timeout=timeout,
            )
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("Location", "")
                response.close()
                if not location:
                    raise _blocked("The video link redirected nowhere.")
                current = urljoin(current, location)
                continue
            yield from self._body(response, limits, started)
            return
        raise _blocked(f"The video link redirected more than {limits.max_redirects} times.")

    def _body(
        self, response: requests.Response, limits: DownloadLimits, started: float
    ) -> Iterator[bytes]:
        with response:
            self._check_video_answer(response)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limits.max_bytes:
                raise CometAPIError(
                    "The download is larger than any video.", kind="not_video", retryable=False
                )
            total = 0
            while True:
                try:
                    # read1 returns what has arrived: a dribbling sender is seen at once.
                    chunk = response.raw.read1(_CHUNK)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    timed_out = isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError))
                    raise CometAPIError(
                        "The download stalled." if timed_out else "The download broke off.",
                        kind="timeout" if timed_out else "network",
                        retryable=True,
                    ) from None
                if not chunk:
                    return
                total += len(chunk)
                elapsed = time.monotonic() - started
                if limits.remaining(started) <= 0:
                    raise _out_of_time(limits, started)
                if (
                    elapsed > limits.rate_grace_seconds
                    and total / elapsed < limits.min_bytes_per_second
                ):
                    raise CometAPIError(
                        f"The download was too slow ({total / elapsed / 1024:.1f} KB/s).",
                        kind="too_slow",
                        retryable=True,
                    )
                yield chunk

    def _check_video_answer(self, response: requests.Response) -> None:
        if response.status_code != 200:
            # Only what has arrived of the error body: a hostile server could send it for ever.
            response._content = _first_bytes(response, 2048)
            if response.status_code in (403, 404, 410):
                raise CometAPIError(
                    "The video link has expired.",
                    kind="expired",
                    retryable=True,
                    status=response.status_code,
                )
            raise error_from_response(response)
        content_type = response.headers.get("Content-Type", "").lower()
        if content_type.startswith(("text/", "application/json")):
            raise CometAPIError(
                "The download was not a video.",
                kind="not_video",
                retryable=True,
                status=response.status_code,
                body_start=_first_bytes(response, 200).decode("utf-8", "replace"),
            )

    def content_url(self, task_id: str) -> str:
        return f"{self.base_url}/v1/videos/{task_id}/content"

    def chat(self, *, model: str, system: str, user: str, max_tokens: int = 400) -> ChatAnswer:
        """One OpenAI-compatible chat completion (`POST /v1/chat/completions`) with the same
        key: the first choice's text and the tokens CometAPI counted for it."""
        response = self._send(
            "POST",
            f"{self.base_url}/v1/chat/completions",
            json={
                "model": model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                "max_tokens": max_tokens,
                "temperature": 0.4,
            },
            headers=self._auth(),
        )
        if response.status_code != 200:
            raise error_from_response(response)
        try:
            return ChatAnswer.from_json(response.json())
        except ValueError:
            raise CometAPIError(
                "CometAPI's chat answer was not understood.",
                kind="unexpected",
                retryable=False,
                status=response.status_code,
                body_start=response.text[:200],
            ) from None


@dataclass
class ChatAnswer:
    """A chat model's reply: its text and the tokens it was billed for."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str = ""

    @classmethod
    def from_json(cls, data: Any) -> ChatAnswer:
        """Raises ValueError when the answer has no text to show."""
        choices = data.get("choices") if isinstance(data, dict) else None
        first = choices[0] if isinstance(choices, list) and choices else None
        message = first.get("message") if isinstance(first, dict) else None
        text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ValueError("no text in the chat answer")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}

        def count(name: str) -> int:
            value = usage.get(name)
            return value if isinstance(value, int) and value >= 0 else 0

        return cls(
            text=text.strip(),
            input_tokens=count("prompt_tokens"),
            output_tokens=count("completion_tokens"),
            model=str(data.get("model") or ""),
        )


# --- the download policy ------------------------------------------------------------------

_CHUNK = 256 * 1024
Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the name resolves to (the one we connect to must be among them)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _blocked(f"The video host {host!r} does not resolve.") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class DownloadLimits:
    """What a video download may do.

    Only https, except to the configured CometAPI base (which may be http in tests and
    demo mode); never a URL carrying credentials; every hop's host resolved and refused
    when any of its addresses is loopback, private, link-local, multicast, reserved or
    otherwise not global (unless the hop is the configured base), and the connection
    made to the address that was checked, so a second lookup cannot change it; at most
    `max_redirects` redirects; `max_seconds` of wall clock in all, never past `deadline`
    (epoch seconds, the job's deadline); after `rate_grace_seconds`, at least
    `min_bytes_per_second` on average. A single read waits at most the read timeout,
    which is also cut to the time left.
    """

    max_seconds: float = 600.0
    min_bytes_per_second: float = 50 * 1024
    rate_grace_seconds: float = 5.0
    max_redirects: int = 3
    max_bytes: int = 2 * 1024**3
    deadline: float | None = None
    resolve: Resolver = resolve_host

    def remaining(self, started: float) -> float:
        left = self.max_seconds - (time.monotonic() - started)
        if self.deadline is not None:
            left = min(left, self.deadline - time.time())
        return left


def _first_bytes(response: requests.Response, limit: int) -> bytes:
    try:
        return response.raw.read1(limit)
    except (urllib3.exceptions.HTTPError, OSError):
        return b""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def _vet(url: str, trusted: tuple[str, str, int | None], resolve: Resolver) -> str | None:
    """Refuse a hop the policy forbids; return the address to connect to (None: the base)."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise _blocked("The video link carries credentials; it was not followed.")
    origin = _origin(url)
    if origin == trusted:
        return None
    scheme, host, port = origin
    if scheme != "https":
        raise _blocked(f"The video link is not https ({scheme or 'no scheme'}).")
    if not host or port is None:
        raise _blocked("The video link has no usable host.")
    addresses = resolve(host, port)
    if not addresses:
        raise _blocked(f"The video host {host!r} does not resolve.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise _blocked(f"The video host {host!r} is an internal address ({ip}).")
    return addresses[0]


class _PinnedAdapter(HTTPAdapter):
    """Connects to an address we checked, while TLS still verifies the host name."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        # urllib3 takes both; types-requests' TypedDict does not list them.
        pool_kwargs["server_hostname"] = host_params["host"]  # type: ignore[typeddict-unknown-key]
        pool_kwargs["assert_hostname"] = host_params["host"]  # type: ignore[typeddict-unknown-key]
        host_params["host"] = self.address
        return host_params, pool_kwargs


def _pinned_session(address: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc credentials from the environment
    session.headers["User-Agent"] = "VeoStudio/1.0"
    session.mount("https://", _PinnedAdapter(address))
    return session


def _blocked(message: str) -> CometAPIError:
    return CometAPIError(message, kind="blocked", retryable=False)


def _out_of_time(limits: DownloadLimits, started: float) -> CometAPIError:
    if limits.deadline is not None and limits.deadline <= time.time():
        return CometAPIError(
            "The job's deadline passed during the download.", kind="deadline", retryable=False
        )
    return CometAPIError(
        f"The download took longer than {limits.max_seconds:g} s.", kind="timeout", retryable=True
    )


def _is_connect_failure(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never made, so nothing reached CometAPI."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


@dataclass
class Quota:
    """The account's figures from CometAPI's quota query, in its own units (dollars)."""

    total: float | None
    used: float | None
    remaining: float | None


def query_quota(
    url: str, key: str, *, timeout: float = 10, session: requests.Session | None = None
) -> Quota:
    """CometAPI's documented quota query: the key travels in the query string, so no
    message raised here ever carries the URL."""
    try:
        response = (session or requests.Session()).get(
            url, params={"key": key}, timeout=timeout, allow_redirects=False
        )
    except requests.exceptions.RequestException as exc:
        raise CometAPIError(
            f"CometAPI's quota query could not be reached ({type(exc).__name__}).",
            kind="network",
            retryable=True,
        ) from None
    if response.status_code != 200:
        raise error_from_response(response)
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict):
        raise CometAPIError(
            "CometAPI's quota answer was not understood.", kind="unexpected", retryable=False
        )

    def number(*names: str) -> float | None:
        for name in names:
            value = data.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    total = number("total_quota", "quota", "total")
    used = number("used_quota", "used")
    remaining = number("remain_quota", "remaining", "balance")
    if remaining is None and total is not None and used is not None:
        remaining = total - used
    return Quota(total=total, used=used, remaining=remaining)
