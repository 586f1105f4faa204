#!/usr/bin/env python3
"""The harness's window on a throwaway stack's database, through the app's own code.

``harness.py`` runs this with the stack's environment (its settings, its database) and
asks it questions instead of writing SQL against the app's tables or copying its
constants: jobs are read with the ``Generation`` model and the worker's timings come
from the app's code itself, so a schema or timing change reaches the scripts
(or fails loudly here) rather than being silently out of date.

Two ways to run it, from the repository root with the stack's variables set::

    .venv/bin/python harness/probe.py jobs [ID ...]    # one answer as JSON, then exit
    .venv/bin/python harness/probe.py --serve          # one JSON request a line on stdin

With ``--serve`` each request is ``{"op": ..., **arguments}`` and each answer one line,
``{"ok": value}`` or ``{"error": text}``; one Django start-up serves a whole run.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JOB_FIELDS = (
    "id",
    "status",
    "task_id",
    "error_code",
    "failure_reason",
    "video",
    "video_bytes",
    "video_url",
    "lease",
    "attempts",
    "polls",
    "created_at",
    "submitted_at",
    "saved_at",
    "updated_at",
    "next_action_at",
    "submit_started_at",
)


def jobs(ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Generations with the fields the scripts check, ``username`` for the owner."""
    from django.db.models import F

    from generations.models import Generation

    rows = Generation.objects.values(*JOB_FIELDS, username=F("owner__username"))
    if ids is not None:
        rows = rows.filter(pk__in=[uuid.UUID(str(i)) for i in ids])
    return list(rows.order_by("created_at"))


def events(job_id: str) -> list[dict[str, Any]]:
    """A job's history, oldest first: what happened (``kind``) and when."""
    from generations.models import GenerationEvent

    rows = GenerationEvent.objects.filter(generation_ref=uuid.UUID(str(job_id)))
    fields = ("kind", "from_status", "to_status", "created_at")
    return [dict(row) for row in rows.order_by("created_at", "pk").values(*fields)]


def heartbeat(name: str) -> bool:
    from generations.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.filter(name=name).exists()


def queue() -> dict[str, int]:
    """The queue, which is the job rows: active jobs, those due now (none of them held by a
    live worker) and those a worker holds (lease taken, its end not yet passed)."""
    from django.utils import timezone

    from generations.models import Generation

    now = timezone.now()
    active = Generation.objects.active()
    return {
        "active": active.count(),
        "due": Generation.objects.due(now).count(),
        "held": active.filter(lease__isnull=False, next_action_at__gt=now).count(),
    }


def timings() -> dict[str, Any]:
    """The worker's timings under this stack's settings, in seconds."""
    from generations import worker
    from generations.models import ACTIVE_STATUSES, lease_seconds

    return {
        "lease_seconds": {str(s): lease_seconds(s) for s in ACTIVE_STATUSES},
        "partial_download_max_age": worker.PARTIAL_DOWNLOAD_MAX_AGE.total_seconds(),
    }


def create_users(names: list[str], password: str) -> int:
    """Create users at once (one password hash for all); how many of them exist now."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user_model = get_user_model()
    digest = make_password(password)
    user_model.objects.bulk_create(
        [user_model(username=n, password=digest) for n in names], ignore_conflicts=True
    )
    return user_model.objects.filter(username__in=names).count()


OPS: dict[str, Callable[..., Any]] = {
    "jobs": jobs,
    "events": events,
    "heartbeat": heartbeat,
    "queue": queue,
    "timings": timings,
    "create_users": create_users,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def answer(request: dict[str, Any]) -> dict[str, Any]:
    arguments = dict(request)
    op = OPS.get(arguments.pop("op", None))
    if op is None:
        return {"error": f"op must be one of {', '.join(OPS)}, not {request.get('op')!r}"}
    try:
        return {"ok": op(**arguments)}
    except Exception as exc:  # noqa: BLE001 - reported to the harness, which raises
        return {"error": f"{type(exc).__name__}: {exc}"}


def serve(answers) -> None:
    from django.db import close_old_connections

    for line in sys.stdin:
        if line.strip():
            try:
                request = json.loads(line)
                reply = answer(request) if isinstance(request, dict) else {"error": "not a dict"}
            except ValueError as exc:
                reply = {"error": f"bad request: {exc}"}
            answers.write(json.dumps(reply, default=_jsonable) + "\n")
            answers.flush()
            if "error" in reply:
                close_old_connections()  # a broken connection is not reused for the next one


def main() -> int:
    # Answers own the real stdout; anything else printed (logging, warnings) goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veostudio.settings")
    import django

    django.setup()
    if sys.argv[1:] == ["--serve"]:
        serve(answers)
        return 0
    if not sys.argv[1:] or sys.argv[1] not in OPS:
        print(f"usage: probe.py --serve | {' | '.join(OPS)} [ARG ...]", file=sys.stderr)
        return 2
    op, args = sys.argv[1], sys.argv[2:]
    request: dict[str, Any] = {"op": op}
    if op == "jobs" and args:
        request["ids"] = args
    elif op == "heartbeat" and args:
        request["name"] = args[0]
    reply = answer(request)
    answers.write(json.dumps(reply, default=_jsonable, indent=2) + "\n")
    answers.flush()
    return 0 if "ok" in reply else 1


if __name__ == "__main__":
    sys.exit(main())
