"""Health endpoints for load balancers and whoever runs the studio.

`/healthz` says the process answers. `/readyz` says whether the studio can do its work;
anyone gets the verdict (200 or 503), only a caller with the readiness token or a staff
login gets the details, which name the studio's moving parts.
"""

import secrets
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .access import is_admin
from .models import Generation, WorkerHeartbeat

HEARTBEAT_STALE = timedelta(minutes=2)
OVERDUE_LIMIT_SECONDS = 300

_storage_probe_lock = threading.Lock()
_storage_probe: dict[str, float | bool] = {}


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks = _checks()
    ok = bool(checks.pop("ok"))
    body = {"ok": ok, **checks} if _may_see_details(request) else {"ok": ok}
    return JsonResponse(body, status=200 if ok else 503)


def _may_see_details(request: HttpRequest) -> bool:
    token = settings.READYZ_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and secrets.compare_digest(given.encode(), token.encode()):
        return True
    return is_admin(getattr(request, "user", None))


def _checks() -> dict[str, object]:
    checks: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
        ok = False
    if storage_writable():
        checks["storage"] = "ok"
    else:
        checks["storage"] = "not writable"
        ok = False
    if checks["database"] == "ok":
        now = timezone.now()
        last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        seen = last.first()
        checks["worker_seconds_since_heartbeat"] = (
            round((now - seen).total_seconds(), 1) if seen else None
        )
        if seen is None or now - seen > HEARTBEAT_STALE:
            ok = False
        oldest = (
            Generation.objects.active()
            .filter(next_action_at__lt=now)
            .order_by("next_action_at")
            .values_list("next_action_at", flat=True)
            .first()
        )
        overdue = round((now - oldest).total_seconds(), 1) if oldest else 0
        checks["oldest_overdue_job_seconds"] = overdue
        if overdue > OVERDUE_LIMIT_SECONDS:
            ok = False
    checks["ok"] = ok
    return checks


def storage_writable() -> bool:
    """Write and delete a probe file, at most once per READYZ_STORAGE_PROBE_SECONDS.

    A load balancer polls every few seconds, and an anonymous caller could poll far
    faster: without the cache every call would be a write to the media disk.
    """
    with _storage_probe_lock:
        now = time.monotonic()
        checked = _storage_probe.get("at")
        if checked is not None and now - checked < settings.READYZ_STORAGE_PROBE_SECONDS:
            return bool(_storage_probe["ok"])
        try:
            probe = default_storage.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
            default_storage.delete(probe)
            ok = True
        except Exception:
            ok = False
        _storage_probe.update(at=now, ok=ok)
        return ok


def forget_storage_probe() -> None:
    """Drop the cached probe result (tests, or after fixing the disk)."""
    with _storage_probe_lock:
        _storage_probe.clear()
