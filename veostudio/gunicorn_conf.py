"""gunicorn settings shared by `make run`, the bench and test harness, and production
(`gunicorn -c veostudio/gunicorn_conf.py veostudio.wsgi`). Read from the environment."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Reading the settings loads .env (WEB_* may live there) and stops a bad setting before
# any worker boots.
import veostudio.settings  # noqa: E402, F401


def _number(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"{name} must be a whole number, not {raw!r}")
    if not minimum <= value <= maximum:
        sys.exit(f"{name} must be between {minimum} and {maximum}, not {raw!r}")
    return value


def _bind() -> str:
    host = (os.environ.get("HOST") or "127.0.0.1").strip("[]")
    port = os.environ.get("PORT") or "8000"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


wsgi_app = "veostudio.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or _bind()
# Threads, not processes, carry the concurrency: requests mostly wait on the database and
# on clients reading video bytes, and a thread costs far less memory than a process.
worker_class = "gthread"
workers = _number("WEB_PROCESSES", 2, 1, 64)
threads = _number("WEB_THREADS", 8, 1, 256)
# Browsers keep connections alive; gunicorn answers them at once (TCP_NODELAY), unlike
# runserver, which made each request on a kept-alive connection wait ~40 ms. Longer than
# the pages' slowest poll (the header indicator: 5 s, 15 s in a hidden tab), so an open
# page keeps its connection and never sends a poll just as the server closes it (at 5 s
# the load run saw "connection reset" on 11 of 21,000 polls).
keepalive = 20
# A streamed video to a slow client may take long; only a stuck request is killed.
timeout = _number("WEB_TIMEOUT_SECONDS", 120, 5, 3600)
graceful_timeout = 10
# The page's one poll names the running jobs it shows in its URL: gunicorn's 4,094-byte
# default would refuse a busy gallery's poll. 8,190 is gunicorn's ceiling and
# nginx's default buffer; poll.js keeps its URL to generations.polling.POLL_URL_LIMIT.
limit_request_line = 8190
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "").lower() in ("1", "true") else None
# gunicorn's usual line plus the time the request took in the server, in microseconds
# (from reading the request to the last byte written; time spent queued is not in it).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
# gunicorn 27's runtime control socket is one fixed path per user: two servers on one
# machine (the bench, parallel test stacks) would fight over it, and nothing here uses it.
control_socket_disable = True
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
