#!/usr/bin/env python3
"""Load and concurrency test: many users submit videos and poll their status at once.

Starts a throwaway VeoStudio (harness/harness.py: simulator, N workers, gunicorn),
creates the users; each user thread logs in, submits its jobs spread over the first
quarter of the run (at most 30 s) and polls as an open gallery page does: one request
(``/status/?v=card:<id>:<version>…``, static/js/poll.js) every ``--poll-every`` s for all
its running jobs, until all have ended or the duration is over. Then it checks, and exits
non-zero unless all hold:

* no HTTP 5xx answer and no transport error;
* no "database is locked" in any process log;
* every job ``ready`` (and its video answers a Range request with 206);
* the page polls' p95 under ``--poll-p95-ms`` (issue 11: 100 ms for 200 users x 4 jobs);
* CometAPI saw exactly one create per job: ``create_count == jobs``, every job has its
  own task id and they are the simulator's; no job was submitted by two workers and no
  worker logged "lease lost" (a step taken over while still running).

    .venv/bin/python bench/load.py --short
    .venv/bin/python bench/load.py --users 20 --jobs-per-user 3 --duration 120
    .venv/bin/python bench/load.py --full      # 200 users x 4 live jobs, every 3 s
    .venv/bin/python bench/load.py --workers 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))

from harness import (  # noqa: E402
    Harness,
    HarnessError,
    StudioClient,
    install_signal_handlers,
    percentiles,
    say,
)

PASSWORD = "load-test-pass-4410"
_POLL_MARKER = re.compile(r'data-poll="card:[^:"]+:(\d+)"')
# The load is about the web server and the worker, not the studio's money rules: no cap,
# and enough slots at CometAPI (the simulator) that no job waits in the app for long.
UNCAPPED = {
    "BILLING_TEAM_CONCURRENCY": "100",
    "BILLING_PERSON_CONCURRENCY": "8",
    "BILLING_CREATE_PER_MINUTE": "10000",
}
SUBMIT_WINDOW_SHARE = 0.25
SUBMIT_WINDOW_MAX = 30.0


class Counters:
    """Every HTTP answer the users got, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_status: collections.Counter[str] = collections.Counter()
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.server_errors: list[str] = []
        self.transport_errors: list[str] = []
        self.other_problems: list[str] = []

    def record(self, kind: str, response, seconds: float, error: str | None) -> None:
        with self.lock:
            self.by_kind[kind] += 1
            if response is None:
                self.transport_errors.append(f"{kind}: {error}")
                return
            self.by_status[str(response.status_code)] += 1
            self.latency[kind].append(seconds)
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{kind} {response.request.method} {response.request.path_url} "
                    f"-> {response.status_code}"
                )

    def problem(self, text: str) -> None:
        with self.lock:
            self.other_problems.append(text)


class User(threading.Thread):
    def __init__(
        self,
        number: int,
        harness: Harness,
        counters: Counters,
        args: argparse.Namespace,
        started: float,
        rng: random.Random,
    ):
        super().__init__(name=f"user{number:02d}", daemon=True)
        self.username = f"load{number:03d}"
        self.harness = harness
        self.counters = counters
        self.args = args
        self.started = started
        self.deadline = started + args.duration
        window = min(args.duration * SUBMIT_WINDOW_SHARE, SUBMIT_WINDOW_MAX)
        self.submit_at = sorted(rng.uniform(0, window) for _ in range(args.jobs_per_user))
        self.jobs: dict[str, dict] = {}  # id -> version, ended, video_status
        self.submitted = 0
        self.next_poll = 0.0

    def run(self) -> None:
        client = StudioClient(self.harness.base_url)
        client.on_response = self.counters.record
        try:
            client.login(self.username, PASSWORD)
        except Exception as exc:  # noqa: BLE001 - counted, the thread ends
            self.counters.problem(f"{self.username}: login failed: {exc}")
            return
        pending = list(self.submit_at)
        while time.monotonic() < self.deadline:
            now = time.monotonic()
            while pending and self.started + pending[0] <= now:
                pending.pop(0)
                self.submit(client)
            running = {i: job for i, job in self.jobs.items() if not job["ended"]}
            if running and self.next_poll <= time.monotonic():
                self.poll(client, running)
            if not pending and all(job["ended"] for job in self.jobs.values()):
                return
            events = [self.next_poll] if running else []
            if pending:
                events.append(self.started + pending[0])
            pause = min(events, default=now + 0.5) - time.monotonic()
            time.sleep(min(max(pause, 0.01), 0.5))

    def submit(self, client: StudioClient) -> None:
        self.submitted += 1
        prompt = (
            f"{self.username} video {self.submitted}: a paper kite over a wheat field "
            f"at golden hour, take {random.randint(1000, 9999)}"
        )
        try:
            job_id = client.submit(prompt)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            self.counters.problem(f"{self.username}: submit failed: {exc}")
            return
        self.jobs[job_id] = {"version": 0, "ended": False}
        if not self.next_poll:
            self.next_poll = time.monotonic() + self.args.poll_every

    def poll(self, client: StudioClient, running: dict[str, dict]) -> None:
        """One request for every running job, as the page does; a fragment without a
        poll marker is a job that ended."""
        self.next_poll = time.monotonic() + self.args.poll_every
        seen = [f"card:{job_id}:{job['version']}" for job_id, job in running.items()]
        try:
            answer = client.poll_page(seen)
        except Exception:  # noqa: BLE001 - already counted as a transport error
            return
        if answer.status_code != 200:
            self.counters.problem(f"{self.username}: page poll answered {answer.status_code}")
            return
        for element_id, html in answer.json()["fragments"].items():
            job_id = element_id.removeprefix("card-")
            job = running.get(job_id)
            if job is None:
                continue
            marker = _POLL_MARKER.search(html)
            if marker:
                job["version"] = int(marker.group(1))
                continue
            job["ended"] = True
            try:
                video = client.video(job_id, "bytes=0-1023")
            except Exception:  # noqa: BLE001 - already counted
                continue
            job["video_status"] = video.status_code


def queue_counts(harness: Harness) -> dict[str, int | str]:
    """django-tasks-db rows by state; "noop" = ran but found its job not due (None)."""
    try:
        return {**harness.queue_counts()}
    except Exception as exc:  # noqa: BLE001 - a metric, not a check
        return {"error": str(exc)[:100]}


def analyse(harness: Harness, users: list[User], counters: Counters, args, wall: float):
    job_ids = [job_id for user in users for job_id in user.jobs]
    planned = args.users * args.jobs_per_user
    rows = harness.jobs()
    by_status = collections.Counter(row["status"] for row in rows)
    stats = harness.sim_stats()
    sim_task_ids = [c.get("task_id") for c in stats["creates"] if c.get("task_id")]
    db_task_ids = [row["task_id"] for row in rows if row["task_id"]]

    # Which worker submitted what: "generation <id>: submitted as <task>" in its log.
    submitted_by: dict[str, list[str]] = collections.defaultdict(list)
    per_worker: dict[str, int] = {}
    for worker in harness.workers:
        lines = harness.grep_logs(r"generation \S+: submitted as", [worker.name])
        found = lines.get(worker.name, [])
        per_worker[worker.name] = len(found)
        for line in found:
            match = re.search(r"generation (\S+): submitted as", line)
            if match:
                submitted_by[match.group(1)].append(worker.name)
    twice = sorted(g for g, names in submitted_by.items() if len(names) > 1)

    queue = queue_counts(harness)
    reenqueued = harness.grep_logs(r"overdue, re-enqueued", [w.name for w in harness.workers])
    db_locked = harness.grep_logs(r"database is locked")
    lease_lost = harness.grep_logs(r"lease lost", [w.name for w in harness.workers])
    tracebacks = harness.grep_logs(r"^Traceback")
    video_checks = collections.Counter(
        str(job.get("video_status")) for user in users for job in user.jobs.values()
    )
    turnaround = [
        (row["saved_at"] - row["created_at"]).total_seconds() for row in rows if row["saved_at"]
    ]
    sim_requests: collections.Counter[str] = collections.Counter()
    for method, path, _ in stats["requests"]:
        if method == "POST":
            sim_requests["create"] += 1
        elif path.startswith("/files/"):
            sim_requests["video_url"] += 1
        elif path.endswith("/content"):
            sim_requests["content"] += 1
        else:
            sim_requests["retrieve"] += 1

    summary = {
        "database": harness.database_kind,
        "workers": args.workers,
        "users": args.users,
        "jobs_per_user": args.jobs_per_user,
        "poll_every_s": args.poll_every,
        "duration_limit_s": args.duration,
        "render_seconds": args.render_seconds,
        "reconcile_interval_s": args.reconcile_interval,
        "wall_seconds": round(wall, 1),
        "jobs_planned": planned,
        "jobs_submitted": len(job_ids),
        "jobs_in_db": len(rows),
        "jobs_ready": by_status.get("ready", 0),
        "job_statuses": dict(by_status),
        "creates_at_simulator": stats["create_count"],
        "create_requests_at_simulator": len(stats["creates"]),
        "simulator_requests": dict(sim_requests),
        "task_ids_unique": len(set(db_task_ids)) == len(db_task_ids) == len(rows),
        "task_ids_match_simulator": sorted(db_task_ids) == sorted(sim_task_ids),
        "jobs_submitted_by_two_workers": len(twice),
        "submits_per_worker": per_worker,
        "reconciler_reenqueues": sum(len(v) for v in reenqueued.values()),
        "queue_tasks": queue,
        "lease_lost_lines": sum(len(v) for v in lease_lost.values()),
        "database_is_locked_lines": sum(len(v) for v in db_locked.values()),
        "tracebacks_in_logs": {k: len(v) for k, v in tracebacks.items()},
        "http_requests": sum(counters.by_kind.values()),
        "http_requests_by_kind": dict(counters.by_kind),
        "http_status_codes": dict(counters.by_status),
        "http_5xx": len(counters.server_errors),
        "http_transport_errors": len(counters.transport_errors),
        "video_range_checks": dict(video_checks),
        "latency_s": {
            kind: percentiles(values) for kind, values in sorted(counters.latency.items())
        },
        "submit_to_ready_s": percentiles(turnaround, 2),
        "problems": counters.other_problems[:20],
    }
    failures = []
    if summary["http_5xx"]:
        failures.append(f"{summary['http_5xx']} HTTP 5xx: {counters.server_errors[:5]}")
    if summary["http_transport_errors"]:
        failures.append(
            f"{summary['http_transport_errors']} transport errors: {counters.transport_errors[:3]}"
        )
    if summary["database_is_locked_lines"]:
        failures.append(f"'database is locked' in {sorted(db_locked)}")
    if len(job_ids) != planned or len(rows) != planned:
        failures.append(f"{len(job_ids)} submitted, {len(rows)} in DB, {planned} planned")
    if summary["jobs_ready"] != len(rows):
        failures.append(f"jobs not ready: {dict(by_status)}")
    if video_checks.get("206", 0) != len(job_ids):
        failures.append(f"video Range checks: {dict(video_checks)}")
    if stats["create_count"] != len(rows) or len(stats["creates"]) != len(rows):
        failures.append(
            f"{stats['create_count']} tasks / {len(stats['creates'])} create calls "
            f"for {len(rows)} jobs"
        )
    if not summary["task_ids_unique"] or not summary["task_ids_match_simulator"]:
        failures.append("task ids missing, shared or not the simulator's")
    if twice:
        failures.append(f"submitted by two workers: {twice[:5]}")
    if summary["lease_lost_lines"]:
        failures.append(f"'lease lost' in worker logs: {sorted(lease_lost)}")
    if counters.other_problems:
        failures.append(f"{len(counters.other_problems)} other problems")
    poll_p95 = summary["latency_s"].get("page_poll", {}).get("p95")
    if poll_p95 is not None and poll_p95 * 1000 > args.poll_p95_ms:
        failures.append(f"page poll p95 {poll_p95 * 1000:.0f} ms > {args.poll_p95_ms:g} ms")
    stored = harness.stored_names()
    videos = {row["video"] for row in rows if row["video"]}
    summary["stored_files"] = len(stored)
    if not videos <= set(stored):
        failures.append(f"{len(videos - set(stored))} videos missing from storage")
    if harness.s3 and harness.media_root and any(harness.media_root.rglob("*.*")):
        failures.append("with S3 media, files were written under MEDIA_ROOT")
    summary["failures"] = failures
    summary["ok"] = not failures
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description="many users submit and poll at once; check exactly-once and no 5xx"
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--jobs-per-user", type=int, default=3)
    parser.add_argument("--poll-every", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgres://... (a fresh database is created and dropped); default SQLite",
    )
    parser.add_argument("--render-seconds", type=float, default=3.0)
    parser.add_argument(
        "--reconcile-interval",
        type=float,
        default=2.0,
        help="RECONCILE_INTERVAL_SECONDS for the workers (the app's default is 10)",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="CI size: --users 5 --jobs-per-user 2 --duration 60",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="issue 11's size: --users 200 --jobs-per-user 4 --duration 600",
    )
    parser.add_argument("--poll-p95-ms", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--s3",
        action="store_true",
        help="media in an S3 bucket (moto on loopback); each worker has its own scratch folder",
    )
    args = parser.parse_args()
    if args.short:
        args.users, args.jobs_per_user, args.duration = 5, 2, 60.0
    if args.full:
        args.users, args.jobs_per_user, args.duration = 200, 4, 600.0
    install_signal_handlers()
    rng = random.Random(args.seed)

    try:
        with Harness(
            label="load",
            workers=args.workers,
            database_url=args.database_url,
            render_seconds=args.render_seconds,
            reconcile_interval=args.reconcile_interval,
            keep=args.keep,
            s3=args.s3,
            extra_env=UNCAPPED,
        ) as harness:
            names = [f"load{n:03d}" for n in range(1, args.users + 1)]
            harness.create_users(names, PASSWORD)
            counters = Counters()
            started = time.monotonic()
            users = [
                User(n, harness, counters, args, started, rng) for n in range(1, args.users + 1)
            ]
            harness.say(
                f"{args.users} users x {args.jobs_per_user} jobs, polling every "
                f"{args.poll_every:g} s, at most {args.duration:g} s"
            )
            for user in users:
                user.start()
            for user in users:
                while user.is_alive():
                    user.join(0.5)
            wall = time.monotonic() - started
            summary = analyse(harness, users, counters, args, wall)
            if not summary["ok"]:
                harness.failed = True  # keep the temp dir, print log tails
    except HarnessError as exc:
        say("load", f"FAILED to run: {exc}")
        return 2
    except KeyboardInterrupt:
        say("load", "interrupted")
        return 130
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    print("LOAD OK" if summary["ok"] else "LOAD FAILED: " + "; ".join(summary["failures"]))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
