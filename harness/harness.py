#!/usr/bin/env python3
"""A throwaway VeoStudio for scripts: simulator, migrated database, workers, web server.

Used by ``harness/kill_worker.py`` and ``bench/load.py``; standard library plus
``requests`` (and ``psycopg`` only when a PostgreSQL ``--database-url`` is given, to
create and drop the throwaway database). The scripts never read the app's tables
themselves: ``harness/probe.py`` answers for them through the app's models and code.

Everything lives in a fresh temp dir: its own SQLite file (or a fresh PostgreSQL
database ``veostudio_<label>_<random>``, dropped at the end), its own MEDIA_ROOT, one
log file per process. Nothing is read from ``.env`` (``VEOSTUDIO_SKIP_DOTENV=1``) and
every app variable of the calling shell is dropped, so a developer's real
``COMETAPI_KEY`` can never be used. Children run in their own process groups; ``close()``
stops them all (also on Ctrl-C, SIGTERM, exceptions and at exit) and prints the tail of
every log when something failed.

Run it alone to get a stack to poke at by hand::

    .venv/bin/python harness/harness.py --workers 2      # Ctrl-C stops it
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable

# Variables the app reads; none of the caller's values may leak into the throwaway stack.
_APP_VARIABLES = re.compile(
    r"^(DEBUG|VEOSTUDIO_.*|SECURE_HTTPS|SECRET_KEY|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|"
    r"DATABASE_URL|SQLITE_PATH|MEDIA_ROOT|COMETAPI_.*|SIMULATOR_PORT|WORKER_.*|"
    r"RECONCILE_.*|HOUSEKEEPING_.*|AXES_.*|TIME_ZONE|LOG_LEVEL|DJANGO_SETTINGS_MODULE|"
    r"HOST|PORT|STORAGE_BACKEND|MEDIA_SERVING|NGINX_.*|S3_.*|WEB_.*|GUNICORN_.*)$"
)
GUNICORN_CONF = ROOT / "veostudio" / "gunicorn_conf.py"
STOP_GRACE_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 60.0

_print_lock = threading.Lock()
_live: set[Harness] = set()
_live_lock = threading.Lock()


class HarnessError(Exception):
    """The throwaway stack did not behave (did not start, timed out, ...)."""


def say(label: str, message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    with _print_lock:
        print(f"{stamp} [{label}] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> Any:
    """Call ``predicate`` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def install_signal_handlers() -> None:
    """SIGTERM behaves like Ctrl-C: the ``with Harness(...)`` blocks unwind and clean up."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    # Started in the background by a shell without job control, SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGHUP, handler)


def close_all() -> None:
    """Tear down every harness still running (atexit, or a script's Ctrl-C handler)."""
    with _live_lock:
        harnesses = list(_live)
    for harness in harnesses:
        harness.close()


atexit.register(close_all)


def percentiles(values: Iterable[float], digits: int = 3) -> dict[str, float | None]:
    data = sorted(values)
    if not data:
        return {"count": 0, "p50": None, "p95": None, "max": None}

    def pick(q: float) -> float:
        return round(data[min(len(data) - 1, int(q * (len(data) - 1) + 0.5))], digits)

    return {"count": len(data), "p50": pick(0.5), "p95": pick(0.95), "max": pick(1.0)}


# -- processes -----------------------------------------------------------------------


class Process:
    """One ``manage.py`` child in its own process group, output appended to a log file."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log: Path, *, manage: bool = True
    ):
        self.name = name
        # Arguments to manage.py, or (manage=False) to the Python interpreter itself.
        self.args = [str(ROOT / "manage.py"), *args] if manage else args
        self.env = env
        self.log = log
        self.popen: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        if self.alive:
            raise HarnessError(f"{self.name} is already running")
        self.starts += 1
        with open(self.log, "ab") as handle:
            marker = f"\n===== harness: start #{self.starts} of {self.name} at "
            handle.write(f"{marker}{time.strftime('%H:%M:%S')} =====\n".encode())
            handle.flush()
            self.popen = subprocess.Popen(
                [PYTHON, *self.args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                process_group=0,  # Ctrl-C reaches only the script, which stops us
            )

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive:
            assert self.popen is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole process group, like the OOM killer or a pulled plug."""
        if self.popen is None:
            return
        self.signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        if not self.alive:
            return
        assert self.popen is not None
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Probe:
    """``harness/probe.py --serve`` kept running: questions about the stack's database,
    answered through the app's own models and code (one Django start-up per stack)."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self._lock = threading.Lock()
        with open(log, "ab") as handle:
            self.popen = subprocess.Popen(
                [PYTHON, str(HERE / "probe.py"), "--serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=handle,
                text=True,
                encoding="utf-8",
                process_group=0,
            )

    def ask(self, op: str, timeout: float = PROBE_TIMEOUT_SECONDS, **arguments: Any) -> Any:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        with self._lock:
            if self.popen.poll() is not None:
                raise HarnessError(f"the probe is not running:\n{self.tail()}")
            try:
                self.popen.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
                self.popen.stdin.flush()
            except OSError as exc:
                raise HarnessError(f"the probe went away: {exc}\n{self.tail()}") from exc
            ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
            if not ready:
                # A late answer would be read as the next question's: stop it instead.
                self.close()
                raise HarnessError(f"the probe did not answer {op} within {timeout:.0f} s")
            line = self.popen.stdout.readline()
        if not line:
            raise HarnessError(f"the probe exited:\n{self.tail()}")
        reply = json.loads(line)
        if "error" in reply:
            raise HarnessError(f"probe {op}: {reply['error']}")
        return reply["ok"]

    def close(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(OSError):
                assert self.popen.stdin is not None
                self.popen.stdin.close()  # the probe ends at the end of its input
            try:
                self.popen.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


# -- an observing, optionally throttling proxy in front of the simulator ---------------


@dataclass
class Flight:
    """One request through the proxy."""

    method: str
    path: str
    started: float
    total: int | None = None  # body bytes the simulator answered, once known
    sent: int = 0  # body bytes passed on to the worker so far
    status: int | None = None
    done: bool = False
    aborted: bool = False  # the client went away before the answer was complete


_HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "server",
    "date",
}


class ObservingProxy:
    """A loopback HTTP proxy between the worker and the simulator.

    The simulator records a request only once it answers, so a test cannot see a call
    that is still hanging there; the proxy records every request the moment it arrives
    (``flights``). It can also dribble answer bodies out slowly (``throttle``), which
    the simulator cannot, to catch a worker in the middle of a download. The ``Host``
    header is passed through, so the ``video_url`` the simulator builds points back here.
    """

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.flights: list[Flight] = []
        self.lock = threading.Lock()
        self._throttle: tuple[re.Pattern[str], int, float] | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 120

            def log_message(self, format, *args):  # noqa: A002 - base class name
                pass

            def do_GET(self):
                proxy._forward(self)

            do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="harness-proxy",
            daemon=True,
        )
        self.thread.start()

    def throttle(self, pattern: str | None, step: int = 8192, delay: float = 0.4):
        """Send bodies of matching paths ``step`` bytes every ``delay`` s; None: full speed."""
        with self.lock:
            self._throttle = (re.compile(pattern), step, delay) if pattern else None

    def in_flight(self, method: str, pattern: str) -> list[Flight]:
        regex = re.compile(pattern)
        with self.lock:
            return [
                f
                for f in self.flights
                if not f.done and f.method == method and regex.search(f.path)
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        flight = Flight(handler.command, handler.path, time.monotonic())
        with self.lock:
            self.flights.append(flight)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length) if length else None
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_HEADERS}
            connection = http.client.HTTPConnection(*self.upstream, timeout=300)
            try:
                connection.request(handler.command, handler.path, body, headers)
                answer = connection.getresponse()
                data = answer.read()
            finally:
                connection.close()
            flight.total, flight.status = len(data), answer.status
            handler.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP_HEADERS:
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command == "HEAD":
                return
            with self.lock:
                throttle = self._throttle
            if throttle and throttle[0].search(handler.path):
                _, step, delay = throttle
                for start in range(0, len(data), step):
                    handler.wfile.write(data[start : start + step])
                    handler.wfile.flush()
                    flight.sent = min(len(data), start + step)
                    time.sleep(delay)
            else:
                handler.wfile.write(data)
                flight.sent = len(data)
        except OSError:
            flight.aborted = True
            handler.close_connection = True
        finally:
            flight.done = True


# -- the stack -------------------------------------------------------------------------


class Harness:
    """A throwaway VeoStudio. Use as a context manager, or call start() and close()."""

    def __init__(
        self,
        *,
        label: str = "harness",
        workers: int = 1,
        database_url: str | None = None,
        render_seconds: float = 3.0,
        poll_interval: float = 1.0,
        lease_seconds: float = 5.0,
        reconcile_interval: float = 2.0,
        read_timeout: float = 3.0,
        connect_timeout: float = 2.0,
        retry_base_seconds: float = 1.0,
        api_key: str = "",
        proxy: bool = False,
        keep: bool = False,
        extra_env: dict[str, str] | None = None,
        debug: bool = True,
        s3: bool = False,
    ):
        self.label = label
        self.worker_count = workers
        self.admin_database_url = database_url or ""
        self.render_seconds = render_seconds
        self.settings = {
            "COMETAPI_POLL_INTERVAL": poll_interval,
            "WORKER_STEP_LEASE_SECONDS": lease_seconds,
            "HOUSEKEEPING_INTERVAL_SECONDS": reconcile_interval,
            "COMETAPI_READ_TIMEOUT": read_timeout,
            "COMETAPI_CONNECT_TIMEOUT": connect_timeout,
            "COMETAPI_RETRY_BASE_SECONDS": retry_base_seconds,
        }
        self.api_key = api_key
        self.use_proxy = proxy
        self.keep = keep
        self.extra_env = dict(extra_env or {})
        # DEBUG serves static files without collectstatic; debug=False is production-like
        # and needs `manage.py collectstatic` run first.
        self.debug = debug
        # Media in an S3 bucket (moto's server on loopback) instead of MEDIA_ROOT, as with
        # web and workers on several hosts; each worker always has its own scratch folder.
        self.s3 = s3
        self.s3_endpoint = ""
        self.s3_process: Process | None = None
        self._s3_client: Any = None

        self.tmp: Path | None = None
        self.media_root: Path | None = None
        self._scratch_dir: Path | None = None
        self.logs: Path | None = None
        self.sqlite_path: Path | None = None
        self.database_url = ""  # the throwaway PostgreSQL database, if any
        self.pg_database = ""
        self.sim: Process | None = None
        self.sim_url = ""
        self.proxy: ObservingProxy | None = None
        self.workers: list[Process] = []
        self.web: Process | None = None
        self.probe: Probe | None = None
        self.base_url = ""
        self.failed = False
        self._closed = False
        self._close_lock = threading.Lock()
        self._env: dict[str, str] = {}

    # -- lifecycle

    def __enter__(self) -> Harness:
        try:
            self.start()
        except BaseException:
            self.failed = True
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.failed = True
        self.close()

    @property
    def is_postgres(self) -> bool:
        return self.admin_database_url.startswith(("postgres://", "postgresql://"))

    @property
    def database_kind(self) -> str:
        return "postgresql" if self.is_postgres else "sqlite"

    def say(self, message: str) -> None:
        say(self.label, message)

    @property
    def scratch_dir(self) -> Path:
        """The workers' download folder (set by start)."""
        assert self._scratch_dir is not None, "start the harness first"
        return self._scratch_dir

    def start(self) -> None:
        with _live_lock:
            _live.add(self)
        started = time.monotonic()
        prefix = f"veostudio-{re.sub(r'[^a-z0-9]+', '-', self.label.lower())}-"
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.media_root = self.tmp / "media"
        self.logs = self.tmp / "logs"
        self._scratch_dir = self.tmp / "scratch"
        self.media_root.mkdir()
        self.logs.mkdir()
        self.say(f"temp dir {self.tmp}")

        env = {k: v for k, v in os.environ.items() if not _APP_VARIABLES.match(k)}
        env.update(
            VEOSTUDIO_SKIP_DOTENV="1",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            SECRET_KEY="harness-" + secrets.token_hex(24),
            MEDIA_ROOT=str(self.media_root),
            WORKER_SCRATCH_DIR=str(self.scratch_dir),
            COMETAPI_KEY=self.api_key,
            LOG_LEVEL="INFO",
            AXES_ENABLED="true",
            **{k: f"{v:g}" for k, v in self.settings.items()},
        )
        if self.admin_database_url:
            if not self.is_postgres:
                env["DATABASE_URL"] = self.admin_database_url
            else:
                env["DATABASE_URL"] = self._create_pg_database()
        else:
            self.sqlite_path = self.tmp / "db.sqlite3"
            env["SQLITE_PATH"] = str(self.sqlite_path)
        env.update(self.extra_env)
        self._env = env

        if self.s3:
            self._start_s3()
        self._start_simulator()
        upstream = self.sim_url
        if self.use_proxy:
            self.proxy = ObservingProxy(self.sim_url)
            upstream = self.proxy.url
            self.say(f"proxy {self.proxy.url} -> simulator {self.sim_url}")
        env["COMETAPI_BASE_URL"] = upstream

        self.manage("migrate", "--noinput", log_name="migrate")
        self.probe = Probe(env, self.logs / "probe.log")
        for index in range(self.worker_count):
            name = f"worker{index + 1}"
            own = {**env, "WORKER_SCRATCH_DIR": str(self.worker_scratch_dir(index))}
            worker = Process(name, ["worker"], own, self.logs / f"{name}.log")
            self.workers.append(worker)
            worker.start()

        port = free_port()
        web_env = {**env, "DEBUG": "true" if self.debug else "false"}
        # The server `make run` and production use: gunicorn with threads.
        self.web = Process(
            "web",
            ["-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}"],
            web_env,
            self.logs / "web.log",
            manage=False,
        )
        self.web.start()
        self.base_url = f"http://127.0.0.1:{port}"
        wait_for(self._web_ready, timeout=60, what="the web server to answer /healthz")
        for index in range(self.worker_count):
            self.wait_worker_ready(index)
        self.say(
            f"up in {time.monotonic() - started:.1f} s: web {self.base_url}, "
            f"{self.worker_count} worker(s), {self.database_kind}, "
            f"simulator {self.sim_url} (render {self.render_seconds:g} s)"
        )

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        for process in [*self.workers, self.web, self.sim, self.s3_process]:
            if process is not None:
                process.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self.probe is not None:
            self.probe.close()
        if self.failed:
            self.dump_logs()
        if self.pg_database:
            self._drop_pg_database()
        if self.tmp is not None:
            if self.keep or self.failed:
                self.say(f"kept {self.tmp} (logs in {self.logs})")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        with _live_lock:
            _live.discard(self)

    # -- children

    def manage(
        self, *args: str, log_name: str = "manage", env: dict[str, str] | None = None
    ) -> str:
        """Run a one-off ``manage.py`` command; return its stdout, raise if it fails."""
        assert self.logs is not None
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**self._env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        with open(self.logs / f"{log_name}.log", "a") as handle:
            handle.write(f"===== manage.py {' '.join(args)[:200]}\n")
            handle.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise HarnessError(
                f"manage.py {args[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def _start_simulator(self) -> None:
        assert self.logs is not None
        args = [
            "simulate_cometapi",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--render-seconds",
            f"{self.render_seconds:g}",
        ]
        if self.api_key:
            args += ["--api-key", self.api_key]
        self.sim = sim = Process("sim", args, self._env, self.logs / "sim.log")
        sim.start()

        def listening() -> str | None:
            if not sim.alive:
                raise HarnessError("the simulator exited at start:\n" + sim.tail())
            match = re.search(r"listening on (http://\S+)", sim.tail(20))
            return match.group(1) if match else None

        self.sim_url = wait_for(listening, timeout=60, what="the simulator to listen")

    def worker_scratch_dir(self, index: int) -> Path:
        """Worker N's download folder, as if it ran on a host of its own."""
        assert self.scratch_dir is not None
        return self.scratch_dir / f"worker{index + 1}"

    def _start_s3(self) -> None:
        import boto3  # only needed for S3 runs

        assert self.logs is not None
        port = free_port()
        self.s3_process = Process(
            "s3",
            ["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            self._env,
            self.logs / "s3.log",
            manage=False,
        )
        self.s3_process.start()
        self.s3_endpoint = f"http://127.0.0.1:{port}"
        keys = {"S3_ACCESS_KEY_ID": "harness", "S3_SECRET_ACCESS_KEY": "harness-secret"}
        self._s3_client = boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=keys["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["S3_SECRET_ACCESS_KEY"],
        )

        def bucket_made() -> bool:
            assert self.s3_process is not None
            if not self.s3_process.alive:
                raise HarnessError("moto's S3 server exited at start:\n" + self.s3_process.tail())
            try:
                self._s3_client.create_bucket(Bucket="veostudio")
            except Exception:  # noqa: BLE001 - not listening yet
                return False
            return True

        wait_for(bucket_made, timeout=60, what="moto's S3 server")
        self._env.update(
            STORAGE_BACKEND="s3", S3_BUCKET="veostudio", S3_ENDPOINT_URL=self.s3_endpoint, **keys
        )
        self.say(f"S3 (moto) at {self.s3_endpoint}, bucket veostudio")

    def read_stored(self, name: str) -> bytes:
        """A stored file's bytes, from MEDIA_ROOT or from the bucket."""
        if self.s3:
            return self._s3_client.get_object(Bucket="veostudio", Key=name)["Body"].read()
        assert self.media_root is not None
        return (self.media_root / name).read_bytes()

    def stored_names(self) -> list[str]:
        if self.s3:
            listing = self._s3_client.list_objects_v2(Bucket="veostudio")
            return sorted(item["Key"] for item in listing.get("Contents", []))
        assert self.media_root is not None
        return sorted(str(p.relative_to(self.media_root)) for p in self.media_root.rglob("*.*"))

    def _web_ready(self) -> bool:
        assert self.web is not None
        if not self.web.alive:
            raise HarnessError("the web server exited at start:\n" + self.web.tail())
        try:
            return requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self, index: int = 0) -> None:
        self.workers[index].start()
        self.say(f"started {self.workers[index].name} (pid {self.workers[index].pid})")

    def kill_worker(self, index: int = 0) -> None:
        worker = self.workers[index]
        pid = worker.pid
        worker.kill()
        self.say(f"kill -9 {worker.name} (pid {pid})")

    def restart_worker(self, index: int = 0, wait: bool = False) -> None:
        self.kill_worker(index)
        self.start_worker(index)
        if wait:
            self.wait_worker_ready(index)

    def wait_worker_ready(self, index: int, timeout: float = 60) -> None:
        """Until the worker's loop has written its first heartbeat."""
        worker = self.workers[index]
        name = f"{socket.gethostname()}:{worker.pid}"

        def beating() -> bool:
            if not worker.alive:
                raise HarnessError(f"{worker.name} exited:\n{worker.tail()}")
            return self.ask("heartbeat", name=name)

        wait_for(beating, timeout=timeout, what=f"{worker.name} heartbeat")

    # -- logs

    def processes(self) -> list[Process]:
        return [p for p in [self.sim, *self.workers, self.web] if p is not None]

    def log_files(self) -> list[Path]:
        return sorted(self.logs.glob("*.log")) if self.logs else []

    def grep_logs(self, pattern: str, names: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Lines matching ``pattern`` (case-insensitive), by log file stem."""
        regex = re.compile(pattern, re.IGNORECASE)
        wanted = set(names) if names is not None else None
        found: dict[str, list[str]] = {}
        for path in self.log_files():
            if wanted is not None and path.stem not in wanted:
                continue
            lines = [
                line for line in path.read_text(errors="replace").splitlines() if regex.search(line)
            ]
            if lines:
                found[path.stem] = lines
        return found

    def dump_logs(self, lines: int = 40) -> None:
        for path in self.log_files():
            text = path.read_text(errors="replace").splitlines()
            body = "\n".join(text[-lines:])
            with _print_lock:
                print(
                    f"----- [{self.label}] tail of {path} -----\n{body}\n",
                    file=sys.stderr,
                    flush=True,
                )

    # -- database

    def _create_pg_database(self) -> str:
        import psycopg  # only needed for PostgreSQL runs

        name = re.sub(r"[^a-z0-9_]+", "_", self.label.lower())
        self.pg_database = f"veostudio_{name}_{secrets.token_hex(4)}"
        with psycopg.connect(self.admin_database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.pg_database}"')
        parts = urlsplit(self.admin_database_url)
        self.database_url = urlunsplit(parts._replace(path=f"/{self.pg_database}"))
        self.say(f"created PostgreSQL database {self.pg_database}")
        return self.database_url

    def _drop_pg_database(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.admin_database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
            self.say(f"dropped PostgreSQL database {self.pg_database}")
        except Exception as exc:  # noqa: BLE001 - teardown must go on
            self.say(f"could not drop {self.pg_database}: {exc}")

    def ask(self, op: str, **arguments: Any) -> Any:
        """Ask ``harness/probe.py`` (see its ops) about the throwaway database."""
        if self.probe is None:
            raise HarnessError("the stack has no database yet")
        return self.probe.ask(op, **arguments)

    def jobs(self, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Generations with the fields scripts check; ids as canonical UUID strings."""
        rows = self.ask("jobs", ids=None if ids is None else list(ids))
        for row in rows:
            for key in (
                "created_at",
                "submitted_at",
                "saved_at",
                "updated_at",
                "next_action_at",
                "submit_started_at",
            ):
                row[key] = _aware(row[key])
        return rows

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """A job's events, oldest first: ``kind``, ``from_status``, ``to_status``, ``created_at``."""
        rows = self.ask("events", job_id=job_id)
        for row in rows:
            row["created_at"] = _aware(row["created_at"])
        return rows

    def job(self, job_id: str) -> dict[str, Any]:
        rows = self.jobs([job_id])
        if not rows:
            raise HarnessError(f"no generation {job_id}")
        return rows[0]

    def create_users(self, names: list[str], password: str) -> None:
        """Create users at once (one password hash for all)."""
        count = self.ask("create_users", names=names, password=password)
        if count != len(names):
            raise HarnessError(f"created {count} users, wanted {len(names)}")

    def timings(self) -> dict[str, Any]:
        """The worker's lease per active status and the age at which an
        abandoned download is removed, in seconds, as the app computes them here."""
        return self.ask("timings")

    def queue_counts(self) -> dict[str, int]:
        """The job rows as a queue: active, due now, held by a worker."""
        return self.ask("queue")

    # -- simulator control

    def _sim(self, method: str, path: str, payload: dict | None = None) -> Any:
        response = requests.request(method, f"{self.sim_url}/_sim/{path}", json=payload, timeout=10)
        if response.status_code != 200:
            raise HarnessError(f"simulator {path}: {response.status_code} {response.text}")
        return response.json()

    def sim_stats(self) -> dict[str, Any]:
        return self._sim("GET", "stats")

    def sim_config(self, **settings: Any) -> None:
        self._sim("POST", "config", settings)

    def sim_fail(self, **fault: Any) -> None:
        """Script a fault, e.g. ``sim_fail(kind="hang", endpoint="create", seconds=30)``."""
        self._sim("POST", "fail", fault)

    def sim_reset(self) -> None:
        self._sim("POST", "reset", {})

    # -- a user's browser

    def client(self) -> StudioClient:
        return StudioClient(self.base_url)


def _aware(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CLIENT_TOKEN_INPUT = re.compile(r'<input[^>]*name="client_token"[^>]*>', re.IGNORECASE | re.DOTALL)
_VALUE = re.compile(r'value="([^"]*)"')
_JOB_URL = re.compile(r"/videos/([0-9a-f-]{36})/$")


# The letters of poll.js's compact form, as the poller's data-poll-letters gives them
# (generations/polling.py; tests/test_poll.py holds the two together).
POLL_LETTERS = {"card": "c", "status": "s", "history": "h", "wait-card": "p", "wait-status": "q"}
WATCHED_LETTER = "w"


def poll_path(seen: list[str], watching: list[str] = ()) -> str:  # type: ignore[assignment]
    """The page's poll as htmx sends it (static/js/poll.js adds the parameters): in `jobs`,
    each job once, apart by ".": its id's 16 bytes in base64url, then for each
    `view:id:version` marker the page shows of it the view's letter and the version in
    base 36, and "w" when the header counts it (`watching`)."""
    said: dict[str, str] = {short_id(pk): WATCHED_LETTER for pk in watching}
    for view, pk, version in (marker.split(":") for marker in seen):
        key = short_id(pk)
        said[key] = said.get(key, "") + POLL_LETTERS[view] + base36(int(version))
    return "/status/?jobs=" + ".".join(key + what for key, what in said.items())


def short_id(pk: str) -> str:
    """A job's id (with or without dashes) as poll.js sends it: 16 bytes in base64url."""
    return base64.urlsafe_b64encode(uuid.UUID(pk).bytes).rstrip(b"=").decode()


def base36(number: int) -> str:
    """As JavaScript's `number.toString(36).toUpperCase()`."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sign, number, out = "-" if number < 0 else "", abs(number), ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return sign + out


_SWAP = re.compile(r'(?=<[a-zA-Z][\w-]* hx-swap-oob="true")')
_ID = re.compile(r'id="([^"]+)"')


def poll_swaps(text: str) -> dict[str, str]:
    """The out-of-band swaps of a poll's answer, by the id of the element each replaces."""
    chunks = [chunk for chunk in _SWAP.split(text) if chunk.strip()]
    if any('hx-swap-oob="true"' not in chunk for chunk in chunks):
        raise HarnessError(f"a poll answered something that is not a swap: {text[:200]}")
    return {_ID.search(chunk).group(1): chunk for chunk in chunks}  # type: ignore[union-attr]


def poll_events(response) -> dict:
    """What a poll's answer tells the page's listeners (jobs ended, jobs gone)."""
    return json.loads(response.headers.get("HX-Trigger-After-Swap") or "{}")


class StudioClient:
    """A logged-in user, as a browser without JavaScript plus htmx's header for polls.

    Every answer goes through ``on_response(kind, response_or_None, seconds, error)``
    so a load test can count 5xx answers and transport errors.
    """

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        self.on_response: Callable[[str, Any, float, str | None], None] | None = None

    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, **kwargs)
        except requests.RequestException as exc:
            if self.on_response:
                self.on_response(kind, None, time.perf_counter() - started, repr(exc))
            raise
        if self.on_response:
            self.on_response(kind, response, time.perf_counter() - started, None)
        return response

    def login(self, username: str, password: str) -> None:
        page = self.request("login_page", "GET", "/accounts/login/")
        token = _CSRF_INPUT.search(page.text)
        if page.status_code != 200 or not token:
            raise HarnessError(f"login page: {page.status_code}")
        answer = self.request(
            "login",
            "POST",
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": password,
                "next": "",
            },
        )
        if answer.status_code != 302 or "sessionid" not in self.session.cookies:
            raise HarnessError(f"login as {username} failed: {answer.status_code}")

    def submit(
        self,
        prompt: str,
        *,
        model: str = "veo3.1-fast",
        seconds: int = 4,
        size: str = "1280x720",
    ) -> str:
        """Fill in and send the New video form; return the new generation's id."""
        page = self.request("form_page", "GET", "/new/")
        csrf = _CSRF_INPUT.search(page.text)
        hidden = _CLIENT_TOKEN_INPUT.search(page.text)
        client_token = _VALUE.search(hidden.group(0)) if hidden else None
        if page.status_code != 200 or not csrf or not client_token:
            raise HarnessError(f"New video form: {page.status_code}, no token fields")
        fields = {
            "csrfmiddlewaretoken": csrf.group(1),
            "client_token": client_token.group(1),
            "prompt": prompt,
            "model": model,
            "seconds": str(seconds),
            "size": size,
        }
        answer = self.request(
            "submit",
            "POST",
            "/new/",
            files={name: (None, value) for name, value in fields.items()},
            headers={"Referer": self.base_url + "/new/"},
        )
        match = _JOB_URL.search(answer.headers.get("Location", ""))
        if answer.status_code != 302 or not match:
            raise HarnessError(f"submit answered {answer.status_code}, not a redirect")
        return match.group(1)

    def status(self, job_id: str) -> requests.Response:
        """The status fragment as htmx polls it (200 while active, 286 when done)."""
        return self.request(
            "status",
            "GET",
            f"/videos/{job_id}/status/",
            headers={"HX-Request": "true"},
        )

    def poll_page(self, seen: list[str], watching: list[str] = ()) -> requests.Response:  # type: ignore[assignment]
        """The page's one poll (htmx, base.html's poller): `view:id:version` for each
        running job it shows and the header's job ids; the answer holds out-of-band swaps
        for the cards that changed and the header, and 286 once nothing runs."""
        return self.request(
            "page_poll", "GET", poll_path(seen, watching), headers={"HX-Request": "true"}
        )

    def detail(self, job_id: str) -> requests.Response:
        return self.request("detail", "GET", f"/videos/{job_id}/")

    def video(self, job_id: str, byte_range: str | None = None) -> requests.Response:
        """The video as a player gets it: with S3 media that means following the redirect
        to the presigned link (the Range header goes along)."""
        headers = {"Range": byte_range} if byte_range else {}
        return self.request(
            "video", "GET", f"/videos/{job_id}/video.mp4", headers=headers, allow_redirects=True
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--render-seconds", type=float, default=3.0)
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="harness-demo-pass")
    args = parser.parse_args()
    install_signal_handlers()
    with Harness(
        workers=args.workers,
        database_url=args.database_url,
        render_seconds=args.render_seconds,
        keep=True,
    ) as harness:
        harness.create_users([args.user], args.password)
        harness.say(
            f"open {harness.base_url}/ and log in as {args.user} / {args.password}; "
            "Ctrl-C stops everything"
        )
        try:
            while all(p.alive for p in harness.processes()):
                time.sleep(1)
            harness.failed = True
            harness.say("a process exited; stopping")
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
