"""The load target inside `make bench`: bench/load.py at its full size (200 users x
4 live jobs, polling every 3 s) on SQLite and on PostgreSQL, each on a stack of its own,
turned into report lines for bench/run.py.

The load script is run as a process of its own, exactly as `bench/load.py --full` would be
run by hand; its JSON summary (`--json-out`) is what the lines are made from, and its log
is kept in var/ for reading afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg

from harness import PYTHON, say

ROOT = Path(__file__).resolve().parent.parent
P95_LIMIT_S = 0.100  # the target: "p95 < 100 ms"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def bench_load(run: Any) -> None:
    """Adds the load lines to `run` (bench/run.py's Run), SQLite first."""
    for name, database_url in (("SQLite", None), ("PostgreSQL", POSTGRES_URL)):
        if database_url and not _answers(database_url):
            run.fail(f"load on PostgreSQL: nothing answers at {database_url} (BENCH_POSTGRES_URL)")
            continue
        summary = _run_load(run, name, database_url)
        if summary is not None:
            report(run, name, summary)


def _answers(database_url: str) -> bool:
    try:
        psycopg.connect(database_url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _run_load(run: Any, name: str, database_url: str | None) -> dict | None:
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    out = var / f"bench-load-{name.lower()}.json"
    log = var / f"bench-load-{name.lower()}.log"
    out.unlink(missing_ok=True)
    command = [PYTHON, str(ROOT / "bench" / "load.py"), "--full", "--json-out", str(out)]
    if database_url:
        command += ["--database-url", database_url]
    say("bench", f"load on {name}: {' '.join(command[1:])} (about 6 minutes; log in {log})")
    with log.open("w") as stream:
        finished = subprocess.run(command, cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT)
    if finished.returncode == 2 or not out.exists():
        run.fail(f"load on {name}: the stack did not run (exit {finished.returncode}, see {log})")
        return None
    return json.loads(out.read_text())


def report(run: Any, name: str, summary: dict) -> None:
    polls = summary["latency_s"].get("page_poll", {})
    p95 = polls.get("p95")
    users, per_user = summary["users"], summary["jobs_per_user"]
    size = f"{users} users × {per_user} live jobs, polling every {summary['poll_every_s']:g} s"
    during = summary["page_poll_during_submissions_s"]
    after = summary["page_poll_after_last_submission_s"]
    if p95 is None:
        run.fail(f"load on {name}: no page poll was answered")
    else:
        run.add(
            f"load on {name}, 1 worker, {size}: the page polls' p95",
            f"{p95 * 1000:.0f} ms (p50 {polls['p50'] * 1000:.0f} ms, {polls['count']:,} polls; "
            f"during the first {summary['jobs_planned']} submissions p95 "
            f"{during.get('p95', 0) * 1000:.0f} ms, after them "
            f"{after.get('p95', 0) * 1000:.0f} ms)",
            p95 / P95_LIMIT_S,
            "p95 < 100 ms",
            p95 < P95_LIMIT_S,
        )
    others = [f for f in summary["failures"] if not f.startswith("page poll p95")]
    jobs = summary["jobs_in_db"]
    run.add(
        f"load on {name}: errors, jobs ready, creates at CometAPI",
        f"{summary['http_5xx']} 5xx, {summary['http_transport_errors']} transport errors, "
        f"{summary['database_is_locked_lines']} 'database is locked'; "
        f"{summary['jobs_ready']} of {summary['jobs_planned']} ready; "
        f"{summary['creates_at_simulator']} creates for {jobs} jobs; "
        f"{summary['http_requests']:,} requests in {summary['wall_seconds']:g} s"
        + (f"; {'; '.join(others)}" if others else ""),
        None,
        "no errors, every job ready, one create per job",
        not others,
    )
    run.numbers.setdefault("load", {})[name] = {
        key: summary[key]
        for key in (
            "wall_seconds",
            "jobs_ready",
            "creates_at_simulator",
            "http_requests_by_kind",
            "latency_s",
            "server_latency_s",
            "page_poll_during_submissions_s",
            "page_poll_after_last_submission_s",
            "poll_fragments",
            "cpu_s_during_run",
            "queue_at_end",
            "failures",
        )
    }
