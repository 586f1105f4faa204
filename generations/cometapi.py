"""The only code that speaks HTTP to CometAPI's video route.

No Django imports here: the client takes its settings as arguments, so it can be
used from the worker, a script or a test alike.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

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

    def _send(self, method: str, url: str, *, is_create: bool = False, **kwargs: Any):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        try:
            return self.session.request(method, url, **kwargs)
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

    def stream_video(self, url: str, *, with_key: bool) -> Iterator[bytes]:
        """Yield the body of a video download in chunks; raise CometAPIError on a bad answer."""
        headers = self._auth() if with_key else {}
        # Video links often redirect to storage; requests drops the key on a new host.
        response = self._send("GET", url, headers=headers, stream=True, allow_redirects=True)
        with response:
            if response.status_code != 200:
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
                    body_start=response.text[:200],
                )
            try:
                yield from response.iter_content(chunk_size=256 * 1024)
            except requests.exceptions.RequestException:
                raise CometAPIError(
                    "The download broke off.", kind="network", retryable=True
                ) from None

    def content_url(self, task_id: str) -> str:
        return f"{self.base_url}/v1/videos/{task_id}/content"


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
