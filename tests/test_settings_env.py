"""A bad environment variable stops the start with a message naming it; no variable at all
still starts (demo mode, SQLite). Each case runs `manage.py check` in a clean process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def manage_check(**variables: str) -> subprocess.CompletedProcess:
    """`manage.py check` with only PATH, HOME and the given variables, no .env file."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "VEOSTUDIO_SKIP_DOTENV": "1",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        pytest.param({"DEBUG": "maybe"}, "DEBUG", id="DEBUG=maybe"),
        pytest.param(
            {"COMETAPI_POLL_INTERVAL": "fast"},
            "COMETAPI_POLL_INTERVAL",
            id="COMETAPI_POLL_INTERVAL=fast",
        ),
        pytest.param(
            {"COMETAPI_DEADLINE_MINUTES": "-5"},
            "COMETAPI_DEADLINE_MINUTES",
            id="COMETAPI_DEADLINE_MINUTES=-5",
        ),
        pytest.param({"DATABASE_URL": "not a url"}, "DATABASE_URL", id="DATABASE_URL=not a url"),
        pytest.param(
            {"COMETAPI_BASE_URL": "ftp://x"}, "COMETAPI_BASE_URL", id="COMETAPI_BASE_URL=ftp"
        ),
        pytest.param({"SECURE_HTTPS": "true"}, "SECRET_KEY", id="SECURE_HTTPS without key"),
        pytest.param(
            {"SECURE_HTTPS": "true", "SECRET_KEY": ""},
            "SECRET_KEY",
            id="SECURE_HTTPS with an empty key",
        ),
        pytest.param({"SIMULATOR_PORT": "99999"}, "SIMULATOR_PORT", id="SIMULATOR_PORT=99999"),
        pytest.param(
            {"AXES_FAILURE_LIMIT": "many"}, "AXES_FAILURE_LIMIT", id="AXES_FAILURE_LIMIT=many"
        ),
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_variable(variables, named):
    result = manage_check(**variables)

    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    # The last line is what an operator reads first; it must say which variable is wrong.
    assert named in last_line(result.stderr), result.stderr


def test_a_bad_database_url_does_not_echo_its_password():
    result = manage_check(DATABASE_URL="postgres://studio:hunter2-secret@db:notaport/studio")

    assert result.returncode != 0
    assert "DATABASE_URL" in last_line(result.stderr)
    assert "hunter2-secret" not in result.stderr + result.stdout


def test_a_good_database_url_is_accepted(tmp_path):
    result = manage_check(DATABASE_URL=f"sqlite:///{tmp_path / 'studio.sqlite3'}")

    assert result.returncode == 0, result.stderr


def test_no_variables_at_all_starts_in_demo_mode_on_sqlite():
    result = manage_check()

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_variables_at_all_means_demo_mode_sqlite_and_local_media():
    script = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'veostudio.settings'\n"
        "from django.conf import settings\n"
        "print(json.dumps({\n"
        "    'demo': settings.DEMO_MODE, 'debug': settings.DEBUG,\n"
        "    'engine': settings.DATABASES['default']['ENGINE'],\n"
        "    'base_url': settings.COMETAPI_BASE_URL, 'media': str(settings.MEDIA_ROOT),\n"
        "}))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "VEOSTUDIO_SKIP_DOTENV": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(last_line(result.stdout))
    assert values["demo"] is True
    assert values["debug"] is False
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["base_url"].startswith("http://127.0.0.1:")
    assert values["media"] == str(BASE_DIR / "media")
