#!/usr/bin/env python3
"""Start VeoStudio locally: the web server (gunicorn), the worker and, in demo mode, the simulator.

A small supervisor (standard library only). The terminal shows one clear block once
everything is up; what the children print (library start-up lines included) goes to
var/log/veostudio.log, each line prefixed with its name, and reaches the terminal only
when a child dies (its last lines) or with VEOSTUDIO_VERBOSE=1. Ctrl-C or SIGTERM stops
them all; if one child dies the others are stopped and this exits non-zero, so a
half-running app is never left behind. It migrates and collects static files first.
"""

import collections
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
GUNICORN_CONF = ROOT / "veostudio" / "gunicorn_conf.py"
STOP_GRACE_SECONDS = 10
COLOURS = {"web": "36", "worker": "35", "sim": "33", "run": "1"}
USE_COLOUR = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
NAME_WIDTH = max(len(name) for name in COLOURS)
LOG_PATH = ROOT / "var" / "log" / "veostudio.log"
VERBOSE = os.environ.get("VEOSTUDIO_VERBOSE", "").lower() in ("1", "true", "yes")
LAST_LINES_SHOWN = 30

_print_lock = threading.Lock()
_log_file = None


def open_log():
    global _log_file
    LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    _log_file = open(LOG_PATH, "a", encoding="utf-8", buffering=1)
    _log_file.write(f"\n===== VeoStudio started {time.strftime('%Y-%m-%d %H:%M:%S')} =====\n")


def log(name: str, line: str) -> None:
    with _print_lock:
        if _log_file is not None:
            _log_file.write(f"{name:<{NAME_WIDTH}} | {line}\n")


def say(name: str, line: str) -> None:
    log(name, line)
    label = f"{name:<{NAME_WIDTH}} |"
    if USE_COLOUR:
        label = f"\033[{COLOURS.get(name, '0')}m{label}\033[0m"
    with _print_lock:
        sys.stdout.write(f"{label} {line}\n")
        sys.stdout.flush()


def tell(line: str = "") -> None:
    """A line for the person at the terminal, without a prefix."""
    log("run", line)
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def manage(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


# Settings are read in a child so that .env (loaded by settings.py) is honoured exactly
# as the web server and worker will see it, without importing Django in the supervisor.
READ_SETTINGS = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veostudio.settings")
from django.conf import settings
print(json.dumps({
    "demo_mode": settings.DEMO_MODE,
    "simulator_port": settings.SIMULATOR_PORT,
    "host": os.environ.get("HOST") or "127.0.0.1",
    "port": os.environ.get("PORT") or "8000",
}))
"""


def read_settings() -> dict:
    result = subprocess.run(
        [PYTHON, "-c", READ_SETTINGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit("VeoStudio cannot start: its settings are invalid (see above).")
    return json.loads(result.stdout.strip().splitlines()[-1])


def port_is_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def connect_host(host: str) -> str:
    """Where to reach a server listening on `host` (a wildcard means this machine)."""
    host = host.strip("[]")
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def bracketed(host: str) -> str:
    """IPv6 addresses need brackets in URLs and in gunicorn's --bind."""
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


class Child:
    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group: the terminal's Ctrl-C reaches only the supervisor,
            # which then stops the children in order.
            process_group=0,
        )
        self.last_lines: collections.deque[str] = collections.deque(maxlen=LAST_LINES_SHOWN)
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.last_lines.append(line)
            (say if VERBOSE else log)(self.name, line)

    def show_last_lines(self) -> None:
        if VERBOSE:
            return  # already on the terminal
        for line in self.last_lines:
            say(self.name, line)

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


def stop_all(children: list[Child], signum: int) -> None:
    for child in children:
        child.signal(signum)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say("run", f"{child.name} did not stop in time; killing it")
            child.signal(signal.SIGKILL)
            child.process.wait()
    for child in children:
        child.reader.join(timeout=1)


def prepare() -> None:
    """Migrate the database and collect static files; their output goes to the log."""
    for args in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        result = subprocess.run(
            manage(*args), cwd=ROOT, capture_output=True, text=True, check=False
        )
        for line in (result.stdout + result.stderr).splitlines():
            log("run", line)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
            sys.exit(f"VeoStudio cannot start: manage.py {args[0]} failed (see above).")


def ensure_demo_user(url: str, demo_mode: bool) -> tuple[tuple[str, str] | None, list[str]]:
    """Run ensure_demo_user; return the (user, password) it printed and any other advice."""
    args = ["ensure_demo_user", "--url", url]
    if not demo_mode:
        args.append("--no-create")
    result = subprocess.run(manage(*args), cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit("VeoStudio cannot start: ensure_demo_user failed (see above).")
    match = re.search(r" as (\S+) / (\S+)\s*$", result.stdout, re.MULTILINE)
    advice = [line for line in result.stdout.splitlines() if line and " as " not in line]
    return ((match.group(1), match.group(2)) if match else None), advice


def banner(url: str, login: tuple[str, str] | None, advice: list[str], demo_mode: bool) -> None:
    """The one block a person needs: where, who, which mode, how to stop."""
    lines = [f"VeoStudio is ready:  {url}"]
    if login:
        lines.append(f"Log in as:           {login[0]}  /  {login[1]}")
    lines.extend(advice)
    if demo_mode:
        lines.append("Mode:                demo — videos come from the built-in simulator,")
        lines.append("                     cost nothing and are small stand-in clips.")
        lines.append(
            "                     For real videos put COMETAPI_KEY=... in .env and restart."
        )
    else:
        lines.append(
            "Mode:                real — videos are made by Veo 3.1 through CometAPI (paid)."
        )
    lines.append(f"Log of all services: {LOG_PATH.relative_to(ROOT)}")
    lines.append("Stop:                press Ctrl-C")
    rule = "─" * max(len(line) for line in lines)
    tell()
    for line in [rule, *lines, rule]:
        tell(line)
    tell()


def main() -> int:
    config = read_settings()
    demo_mode = config["demo_mode"]
    host = config["host"]
    try:
        port = int(config["port"])
    except ValueError:
        sys.exit(f"PORT must be a number, not {config['port']!r}")
    sim_port = int(config["simulator_port"])
    web_probe = connect_host(host)
    url = f"http://{bracketed(web_probe)}:{port}/"

    # (name, command, where it listens once ready, the variable that moves it)
    plan: list[tuple[str, list[str], tuple[str, int] | None, str]] = []
    if demo_mode:
        sim = manage("simulate_cometapi", "--port", str(sim_port))
        plan.append(("sim", sim, ("127.0.0.1", sim_port), "SIMULATOR_PORT"))
    plan.append(("worker", manage("worker"), None, ""))
    # gunicorn (threads) with WhiteNoise for static files, as in production; runserver made
    # every request on a kept-alive connection wait about 40 ms.
    web = [
        PYTHON,
        "-m",
        "gunicorn",
        "-c",
        str(GUNICORN_CONF),
        "--bind",
        f"{bracketed(host)}:{port}",
    ]
    plan.append(("web", web, (web_probe, port), "PORT"))

    for _, _, address, variable in plan:
        if address and port_is_open(*address):
            sys.exit(
                f"Port {address[1]} is already in use (is VeoStudio already running?)."
                f" Stop that program, or pick another port: {variable}=... make run"
            )

    open_log()
    tell("Preparing the database…")
    prepare()
    login, advice = ensure_demo_user(url, demo_mode)
    tell("Starting VeoStudio (web, worker" + (", simulator" if demo_mode else "") + ")…")

    stopping: list[int] = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    children: list[Child] = []
    exit_code = 0
    banner_shown = False
    try:
        for name, command, address, _ in plan:
            if stopping or any(c.process.poll() is not None for c in children):
                break
            child = Child(name, command)
            children.append(child)
            # Wait until it listens before the next start: the worker needs the sim.
            deadline = time.monotonic() + 30
            while address and not stopping and time.monotonic() < deadline:
                if child.process.poll() is not None or port_is_open(*address):
                    break
                time.sleep(0.1)

        while not stopping:
            dead = next((c for c in children if c.process.poll() is not None), None)
            if dead is not None:
                code = dead.process.returncode
                dead.show_last_lines()
                say("run", f"{dead.name} exited with code {code}; stopping VeoStudio")
                say("run", f"Its whole output is in {LOG_PATH.relative_to(ROOT)}")
                exit_code = code if code > 0 else 1
                break
            if not banner_shown and port_is_open(web_probe, port):
                banner(url, login, advice, demo_mode)
                banner_shown = True
            time.sleep(0.2)
    finally:
        if children:
            tell("Stopping VeoStudio…")
            log("run", "stopping " + ", ".join(c.name for c in reversed(children)))
        stop_all(list(reversed(children)), stopping[0] if stopping else signal.SIGTERM)
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before any child was started
        sys.exit(130)
