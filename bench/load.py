#!/usr/bin/env python3
"""Load and concurrency test: many users submit videos and poll their status at once.

Starts a throwaway VeoStudio as in production (harness/harness.py: simulator, N workers,
gunicorn with DEBUG off and collected static files), creates the users, then:

1. **Warm-up (not measured):** every user logs in through the login page,
   ``--login-concurrency`` at a time (a team does not log in within one second, and 200
   password hashes at once would measure only the hasher). Its wall time and the login
   latencies are reported under ``login_phase``.
2. **Measured window:** each user thread submits its jobs through the New video form,
   spread over the first quarter of the run (at most 30 s), and behaves as an open
   gallery page: one request (``/status/?jobs=<id>c<version>w.…``: each job once, its id
   in base64url, "c" and the card's version in base 36, "w" when the header counts it;
   htmx from base.html's poller) every ``--poll-every`` s for all its running jobs and the header's,
   the next one timed from the answer, until all have ended or the duration is over.

Then it checks, and exits non-zero unless all hold:

* no HTTP 5xx answer and no transport error;
* no "database is locked" in any process log;
* every job ``ready`` (and its video answers a Range request with 206);
* the page polls' p95 under ``--poll-p95-ms`` (100 ms for 200 users x 4 jobs);
* CometAPI saw exactly one create per job: ``create_count == jobs``, every job has its
  own task id and they are the simulator's; no job was submitted by two workers and no
  worker logged "lease lost" (a step taken over while still running).

Besides what the users measured (``latency_s``, time around the request only), it
reports what gunicorn spent on the same requests (``server_latency_s``, from its access
log; the difference is time queued in the server plus the client's own overhead), one
more page's idle poll every quarter second from a process of its own (``sidecar_poll_s``:
the server's queue without the load client's 200 threads), the live jobs each page poll
asked about, and the CPU seconds each part of the stack, this
script and the whole machine used during the window (``cpu_s_during_run``).

    .venv/bin/python bench/load.py --short
    .venv/bin/python bench/load.py --users 20 --jobs-per-user 3 --duration 120
    .venv/bin/python bench/load.py --full      # 200 users x 4 live jobs, every 3 s
    .venv/bin/python bench/load.py --full --workers 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))

from harness import (  # noqa: E402
    PYTHON,
    ROOT,
    Harness,
    HarnessError,
    StudioClient,
    install_signal_handlers,
    percentiles,
    poll_events,
    poll_swaps,
    say,
)

PASSWORD = "load-test-pass-4410"
_POLL_MARKER = re.compile(r'data-poll="card:[^:"]+:(\d+)"')
# A job waiting for a slot shows its place as its own polled line, as the page sends it.
_PLACE_MARKER = re.compile(r'data-poll="wait-card:[^:"]+:(\d+)"')
_WATCH = re.compile(r'data-watch="([^"]*)"')
# The load is about the web server and the worker, not the studio's money rules: no cap,
# and enough slots at CometAPI (the simulator) that no job waits in the app for long.
UNCAPPED = {
    "BILLING_TEAM_CONCURRENCY": "100",
    "BILLING_PERSON_CONCURRENCY": "8",
    "BILLING_CREATE_PER_MINUTE": "10000",
}
# gunicorn's access line ends with the time the request took in the server, in µs
# (veostudio/gunicorn_conf.py).
_ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) \S+ "[^"]*" "[^"]*" (\d+)$')
SUBMIT_WINDOW_SHARE = 0.25
SUBMIT_WINDOW_MAX = 30.0


class Counters:
    """Every HTTP answer the users got, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_status: collections.Counter[str] = collections.Counter()
        self.by_kind: collections.Counter[str] = collections.Counter()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.answered_at: dict[str, list[float]] = collections.defaultdict(list)  # monotonic
        self.server_errors: list[str] = []
        self.transport_errors: list[str] = []
        self.other_problems: list[str] = []
        self.cards_per_poll: list[int] = []  # the live jobs each page poll asked about
        self.fragments: collections.Counter[str] = collections.Counter()  # card / place

    def count_fragment(self, kind: str) -> None:
        with self.lock:
            self.fragments[kind] += 1

    def record(self, kind: str, response, seconds: float, error: str | None) -> None:
        with self.lock:
            self.by_kind[kind] += 1
            if response is None:
                self.transport_errors.append(f"{kind}: {error}")
                return
            self.by_status[str(response.status_code)] += 1
            self.latency[kind].append(seconds)
            self.answered_at[kind].append(time.monotonic())
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{kind} {response.request.method} {response.request.path_url} "
                    f"-> {response.status_code}"
                )

    def problem(self, text: str) -> None:
        with self.lock:
            self.other_problems.append(text)


class User(threading.Thread):
    """One person with the gallery open: logs in (before the measured window), then submits
    their jobs through the New video form and polls as the page does."""

    def __init__(
        self,
        number: int,
        harness: Harness,
        counters: Counters,
        args: argparse.Namespace,
        rng: random.Random,
    ):
        super().__init__(name=f"user{number:02d}", daemon=True)
        self.username = f"load{number:03d}"
        self.counters = counters
        self.args = args
        self.client = StudioClient(harness.base_url)
        self.client.on_response = counters.record
        self.logged_in = False
        window = min(args.duration * SUBMIT_WINDOW_SHARE, SUBMIT_WINDOW_MAX)
        self.submit_at = sorted(rng.uniform(0, window) for _ in range(args.jobs_per_user))
        self.jobs: dict[str, dict] = {}  # id -> version, ended, video_status
        self.watching: set[str] = set()  # the header indicator's jobs (its data-watch)
        self.submitted = 0
        self.next_poll = 0.0
        self.started = self.deadline = 0.0

    def log_in(self) -> None:
        try:
            self.client.login(self.username, PASSWORD)
        except Exception as exc:  # noqa: BLE001 - counted, this user sits the run out
            self.counters.problem(f"{self.username}: login failed: {exc}")
            return
        self.logged_in = True

    def begin(self, started: float) -> None:
        self.started = started
        self.deadline = started + self.args.duration
        self.start()

    def run(self) -> None:
        if not self.logged_in:
            return
        client = self.client
        pending = list(self.submit_at)
        while time.monotonic() < self.deadline:
            now = time.monotonic()
            while pending and self.started + pending[0] <= now:
                pending.pop(0)
                self.submit(client)
            running = {i: job for i, job in self.jobs.items() if not job["ended"]}
            if (running or self.watching) and self.next_poll <= time.monotonic():
                self.poll(client, running)
            if not pending and not self.watching and all(j["ended"] for j in self.jobs.values()):
                return
            events = [self.next_poll] if running or self.watching else []
            if pending:
                events.append(self.started + pending[0])
            pause = min(events, default=now + 0.5) - time.monotonic()
            time.sleep(min(max(pause, 0.01), 0.5))

    def submit(self, client: StudioClient) -> None:
        self.submitted += 1
        # The same first words for everyone: the simulator draws them into its demo video
        # and caches it, so it does not spend the shared cores encoding 800 clips (the real
        # CometAPI renders on its own machines).
        prompt = (
            f"A paper kite over a wheat field at golden hour, {self.username} video "
            f"{self.submitted}, take {random.randint(1000, 9999)}"
        )
        try:
            job_id = client.submit(prompt)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            self.counters.problem(f"{self.username}: submit failed: {exc}")
            return
        self.jobs[job_id] = {"version": 0, "ended": False}
        self.watching.add(job_id)
        now = time.monotonic()
        # The gallery opens after the redirect: its timers start with the page.
        if not self.next_poll:
            self.next_poll = now + self.args.poll_every

    def poll(self, client: StudioClient, running: dict[str, dict]) -> None:
        """One request for every running job and the header's, as the page's poller does;
        a card swapped in without a poll marker is a job that ended."""
        seen = [f"card:{job_id}:{job['version']}" for job_id, job in running.items()]
        seen += [
            f"wait-card:{job_id}:{job['place']}"
            for job_id, job in running.items()
            if job.get("place") is not None
        ]
        with self.counters.lock:
            self.counters.cards_per_poll.append(len(seen))
        try:
            answer = client.poll_page(seen, sorted(self.watching))
        except Exception:  # noqa: BLE001 - already counted as a transport error
            return
        finally:
            # htmx counts its next poll from when this one's answer is in.
            self.next_poll = time.monotonic() + self.args.poll_every
        if answer.status_code not in (200, 286):
            self.counters.problem(f"{self.username}: page poll answered {answer.status_code}")
            return
        events = poll_events(answer)
        if events.get("veostudio:gone"):
            self.counters.problem(f"{self.username}: own jobs reported gone: {events}")
        self.watching.difference_update(job["id"] for job in events.get("veostudio:ended", []))
        for element_id, html in poll_swaps(answer.text).items():
            if element_id == "jobs-indicator":
                watch = _WATCH.search(html)
                self.watching = set(watch.group(1).split()) if watch else set()
                self.counters.count_fragment("indicator")
                continue
            place = _PLACE_MARKER.search(html)
            if element_id.startswith("wait-card-"):
                job = running.get(element_id.removeprefix("wait-card-"))
                if job is not None:
                    job["place"] = int(place.group(1)) if place else None
                    self.counters.count_fragment("place")
                continue
            job_id = element_id.removeprefix("card-")
            job = running.get(job_id)
            if job is None:
                continue
            self.counters.count_fragment("card")
            job["place"] = int(place.group(1)) if place else None
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


SIDECAR_USER = "loadside"
SIDECAR_EVERY = 0.25  # seconds between its polls


def sidecar(base_url: str, out: Path) -> None:
    """One more open page, in a process of its own (`--sidecar`): a person with nothing
    running whose page polls every SIDECAR_EVERY s (the idle poll with the bell's number).
    Each answer is a line in `out`: when it came (the machine's monotonic clock, as the
    users' answers) and how long it took. Its latency has no other client's threads in it
    (the 200 users share one process, and a busy one answers its own reads late), so
    set beside theirs it tells the server's queue from the load client's."""
    client = StudioClient(base_url)
    client.login(SIDECAR_USER, PASSWORD)
    print("ready", flush=True)
    with out.open("a") as lines:
        while True:
            started = time.perf_counter()
            answer = client.session.get(
                base_url + "/status/?bell=0", headers={"HX-Request": "true"}, timeout=30
            )
            took = time.perf_counter() - started
            lines.write(f"{time.monotonic()} {took} {answer.status_code}\n")
            lines.flush()
            time.sleep(SIDECAR_EVERY)


def start_sidecar(base_url: str, out: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, __file__, "--sidecar", base_url, str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdout is None or process.stdout.readline().strip() != "ready":
        process.kill()
        raise HarnessError("the sidecar page could not log in")
    return process


def sidecar_timings(out: Path) -> list[tuple[float, float, int]]:
    timings = []
    for line in out.read_text().splitlines():
        at, took, status = line.split()
        timings.append((float(at), float(took), int(status)))
    return timings


def log_everyone_in(users: list[User], concurrency: int) -> dict:
    """The warm-up: every user logs in through the login page, a few at a time, before
    the measured window. A team does not log in within one second (sessions last weeks),
    and 200 password hashes at once would measure only the hasher."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(User.log_in, users))
    return {
        "concurrency": concurrency,
        "wall_s": round(time.monotonic() - started, 1),
        "logged_in": sum(user.logged_in for user in users),
    }


def queue_counts(harness: Harness) -> dict[str, int | str]:
    """The job rows as a queue at the end: active, due now, held by a worker."""
    try:
        return {**harness.queue_counts()}
    except Exception as exc:  # noqa: BLE001 - a metric, not a check
        return {"error": str(exc)[:100]}


def request_kind(method: str, path: str) -> str:
    """The client's name for a request, from the server's access log line."""
    path = path.partition("?")[0]
    if path == "/status/":
        return "page_poll"
    if path == "/accounts/login/":
        return "login" if method == "POST" else "login_page"
    if path == "/new/":
        return "submit" if method == "POST" else "form_page"
    if path.endswith("/video.mp4"):
        return "video"
    return "other"


def server_timings(harness: Harness) -> dict[str, dict]:
    """What gunicorn spent on each kind of request (its access log), to set beside what
    the users measured: the difference is queueing plus the client's own overhead."""
    assert harness.logs is not None
    spent: dict[str, list[float]] = collections.defaultdict(list)
    for line in (harness.logs / "web.log").read_text(errors="replace").splitlines():
        match = _ACCESS_LINE.search(line)
        if match:
            method, path, _, micros = match.groups()
            spent[request_kind(method, path)].append(int(micros) / 1e6)
    return {kind: percentiles(values) for kind, values in sorted(spent.items())}


def cpu_seconds(harness: Harness) -> dict[str, float]:
    """CPU time used so far by each part of the stack (its process group, reaped children
    such as ffmpeg included), by PostgreSQL, by this script and by the whole machine."""
    groups = {p.pid: p.name for p in harness.processes() if p.pid}
    if harness.probe:
        groups[harness.probe.popen.pid] = "probe"
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = collections.defaultdict(float)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        fields = rest.split()
        seconds = sum(int(value) for value in fields[11:15]) / tick  # utime .. cstime
        group = groups.get(int(fields[2]))
        if group:
            used[group] += seconds
        elif head.partition("(")[2].startswith("postgres"):
            used["postgresql (all databases)"] += seconds
    mine = os.times()
    used["load client"] = mine.user + mine.system
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    used["machine (all processes)"] = (sum(map(int, cpu)) - int(cpu[3]) - int(cpu[4])) / tick
    return used


def cpu_report(before: dict[str, float], after: dict[str, float], wall: float):
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    ours = sum(v for k, v in spent.items() if not k.startswith(("machine", "postgresql")))
    report = {name: round(seconds, 1) for name, seconds in sorted(spent.items())}
    report["cores_busy_machine"] = round(spent["machine (all processes)"] / wall, 2)
    report["cores_busy_this_stack_without_postgresql"] = round(ours / wall, 2)
    return report


def analyse(
    harness: Harness,
    users: list[User],
    counters: Counters,
    args,
    wall: float,
    login: dict,
    cpu: dict,
    side_out: Path | None = None,
):
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
    last_submission = max(counters.answered_at["submit"], default=0.0)
    polls = list(zip(counters.answered_at["page_poll"], counters.latency["page_poll"], strict=True))
    polls_while_submitting = [took for at, took in polls if at <= last_submission]
    polls_after_submitting = [took for at, took in polls if at > last_submission]
    side = sidecar_timings(side_out) if side_out else []

    summary = {
        "database": harness.database_kind,
        "workers": args.workers,
        "users": args.users,
        "jobs_per_user": args.jobs_per_user,
        "poll_every_s": args.poll_every,
        "duration_limit_s": args.duration,
        "render_seconds": args.render_seconds,
        "cometapi_poll_interval_s": args.cometapi_poll_interval,
        "reconcile_interval_s": args.reconcile_interval,
        "login_phase": {
            **login,
            "login_s": percentiles(counters.latency["login"]),
            "login_page_s": percentiles(counters.latency["login_page"]),
        },
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
        "queue_at_end": queue,
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
        "server_latency_s": server_timings(harness),
        "live_jobs_per_page_poll": percentiles(counters.cards_per_poll, 0),
        # The target is on every poll above; this splits them at the last job's submission,
        # to show how much of the tail is the first half-minute's 800 form posts.
        "page_poll_during_submissions_s": percentiles(polls_while_submitting),
        "page_poll_after_last_submission_s": percentiles(polls_after_submitting),
        # One more page's idle poll every SIDECAR_EVERY s from a process of its own: the
        # same server, none of the load client's threads (see `sidecar`).
        "sidecar_poll_s": percentiles([took for _, took, _ in side]),
        "sidecar_poll_during_submissions_s": percentiles(
            [took for at, took, _ in side if at <= last_submission]
        ),
        "sidecar_poll_after_last_submission_s": percentiles(
            [took for at, took, _ in side if at > last_submission]
        ),
        "sidecar_poll_statuses": dict(collections.Counter(str(code) for _, _, code in side)),
        # What the page polls drew: whole cards (a job's row changed) and place lines only.
        "poll_fragments": dict(counters.fragments),
        "cpu_s_during_run": cpu,
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


def collect_static(env: dict[str, str]) -> Path:
    """The stack runs as in production (DEBUG off, WhiteNoise, hashed names), so its
    static files are collected first, into a folder of this run's own."""
    static_root = Path(tempfile.mkdtemp(prefix="veostudio-load-static-"))
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", BENCH_STATIC_ROOT=str(static_root))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**clean, "VEOSTUDIO_SKIP_DOTENV": "1", **env},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return static_root


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
    parser.add_argument(
        "--login-concurrency",
        type=int,
        default=2,
        help="users logging in at once during the warm-up, before the measured window",
    )
    parser.add_argument("--render-seconds", type=float, default=3.0)
    parser.add_argument(
        "--cometapi-poll-interval",
        type=float,
        default=1.0,
        help="COMETAPI_POLL_INTERVAL for the workers (the app's default is 5)",
    )
    parser.add_argument(
        "--reconcile-interval",
        type=float,
        default=2.0,
        help="HOUSEKEEPING_INTERVAL_SECONDS for the workers (the app's default is 10)",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="CI size: --users 10 --jobs-per-user 2 --duration 60 --render-seconds 10",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="the load target's size: --users 200 --jobs-per-user 4 --duration 600 "
        "--render-seconds 25 --cometapi-poll-interval 5 --reconcile-interval 10",
    )
    parser.add_argument(
        "--web-threads",
        type=int,
        default=None,
        help="WEB_THREADS for gunicorn (veostudio/gunicorn_conf.py's default otherwise)",
    )
    parser.add_argument(
        "--web-processes",
        type=int,
        default=None,
        help="WEB_PROCESSES for gunicorn (veostudio/gunicorn_conf.py's default otherwise)",
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
        # Renders long enough that each page polls several times: about 60 page polls,
        # so the p95 is a percentile and not the one slowest answer of a dozen.
        args.users, args.jobs_per_user, args.duration = 10, 2, 60.0
        args.render_seconds = 10.0
    if args.full:
        args.users, args.jobs_per_user, args.duration = 200, 4, 600.0
        # The workers poll CometAPI at the app's own pace; a render outlasts the 30 s in
        # which the jobs are submitted. At most 100 jobs are at CometAPI at once (the
        # team limit's ceiling), the others wait for a slot, live on the page all the same.
        args.render_seconds, args.cometapi_poll_interval = 25.0, 5.0
        args.reconcile_interval = 10.0  # the app's default
    install_signal_handlers()
    rng = random.Random(args.seed)

    extra_env = {**UNCAPPED, "WEB_ACCESS_LOG": "true"}
    if args.web_threads:
        extra_env["WEB_THREADS"] = str(args.web_threads)
    if args.web_processes:
        extra_env["WEB_PROCESSES"] = str(args.web_processes)
    static_root = collect_static(extra_env)
    try:
        with Harness(
            label="load",
            workers=args.workers,
            database_url=args.database_url,
            render_seconds=args.render_seconds,
            poll_interval=args.cometapi_poll_interval,
            reconcile_interval=args.reconcile_interval,
            keep=args.keep,
            s3=args.s3,
            extra_env=extra_env,
            debug=False,
        ) as harness:
            names = [f"load{n:03d}" for n in range(1, args.users + 1)]
            harness.create_users([*names, SIDECAR_USER], PASSWORD)
            counters = Counters()
            users = [User(n, harness, counters, args, rng) for n in range(1, args.users + 1)]
            harness.say(f"warm-up: {args.users} users log in, {args.login_concurrency} at a time")
            login = log_everyone_in(users, args.login_concurrency)
            harness.say(
                f"{login['logged_in']} logged in in {login['wall_s']:g} s; now "
                f"{args.jobs_per_user} jobs each, polling every {args.poll_every:g} s, "
                f"at most {args.duration:g} s"
            )
            assert harness.tmp is not None  # made when the stack started
            side_out = harness.tmp / "sidecar-polls.txt"
            side = start_sidecar(harness.base_url, side_out)
            cpu_before = cpu_seconds(harness)
            started = time.monotonic()
            try:
                for user in users:
                    user.begin(started)
                # What each part used while the jobs were being submitted: the tail's cause.
                window = min(args.duration * SUBMIT_WINDOW_SHARE, SUBMIT_WINDOW_MAX)
                time.sleep(max(0.0, started + window - time.monotonic()))
                cpu_window = cpu_report(cpu_before, cpu_seconds(harness), window)
                for user in users:
                    while user.is_alive():
                        user.join(0.5)
            finally:
                side.kill()
                side.wait()
            wall = time.monotonic() - started
            cpu = cpu_report(cpu_before, cpu_seconds(harness), wall)
            cpu["submission_window"] = cpu_window
            summary = analyse(harness, users, counters, args, wall, login, cpu, side_out)
            if not summary["ok"]:
                harness.failed = True  # keep the temp dir, print log tails
    except HarnessError as exc:
        say("load", f"FAILED to run: {exc}")
        return 2
    except KeyboardInterrupt:
        say("load", "interrupted")
        return 130
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    print("LOAD OK" if summary["ok"] else "LOAD FAILED: " + "; ".join(summary["failures"]))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sidecar"]:
        sidecar(sys.argv[2], Path(sys.argv[3]))
    sys.exit(main())
