"""`make run`, the harness and production all serve through veostudio/gunicorn_conf.py:
threads rather than runserver, settings from the environment, a bad value named."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

READ = (
    "import json, runpy\n"
    "conf = runpy.run_path('veostudio/gunicorn_conf.py')\n"
    "keys = ['wsgi_app', 'bind', 'worker_class', 'workers', 'threads', 'keepalive',\n"
    "        'timeout', 'control_socket_disable', 'limit_request_line']\n"
    "print(json.dumps({k: conf[k] for k in keys}))\n"
)


def read_conf(**variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VEOSTUDIO_SKIP_DOTENV": "1",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", READ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_defaults_are_threads_on_loopback():
    result = read_conf()

    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout.strip().splitlines()[-1])
    assert conf == {
        "wsgi_app": "veostudio.wsgi:application",
        "bind": "127.0.0.1:8000",
        "worker_class": "gthread",
        "workers": 2,
        "threads": 8,
        "keepalive": 20,
        "timeout": 120,
        "control_socket_disable": True,
        "limit_request_line": 8190,
    }


@pytest.mark.parametrize(
    ("variables", "bind"),
    [
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "0.0.0.0:9000"),
        ({"HOST": "::1"}, "[::1]:8000"),
        ({"GUNICORN_BIND": "unix:/run/veostudio.sock", "PORT": "9"}, "unix:/run/veostudio.sock"),
    ],
)
def test_it_listens_where_it_is_told(variables, bind):
    result = read_conf(**variables)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["bind"] == bind


@pytest.mark.parametrize(
    "variables",
    [{"WEB_THREADS": "lots"}, {"WEB_PROCESSES": "0"}, {"WEB_TIMEOUT_SECONDS": "1"}],
)
def test_a_bad_value_stops_it_naming_the_variable(variables):
    result = read_conf(**variables)

    assert result.returncode != 0
    assert next(iter(variables)) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_app_setting_stops_it_before_any_worker_boots():
    result = read_conf(DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_the_longest_poll_the_page_sends_fits_the_request_line_of_gunicorn_and_nginx():
    from generations.polling import POLL_URL_LIMIT

    limit = json.loads(read_conf().stdout.strip().splitlines()[-1])["limit_request_line"]
    line = f"GET {'/' * POLL_URL_LIMIT} HTTP/1.1"

    assert len(line) <= limit
    assert len(line + "\r\n") <= 8 * 1024  # nginx's default large_client_header_buffers
