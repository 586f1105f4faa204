"""A production environment (DEBUG off, HTTPS on) passes Django's deploy checklist, with
secure cookies and HSTS."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.test import SimpleTestCase

BASE_DIR = Path(settings.BASE_DIR)


def production_env(**extra) -> dict[str, str]:
    """A clean environment, nothing inherited from the test run (which sets its own)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECURE_HTTPS": "true",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "studio.example.com",
        "VEOSTUDIO_SKIP_DOTENV": "1",
        **extra,
    }


# No database and no cast: each case only reads settings in a fresh process.
class DeploySettingsTests(SimpleTestCase):
    def test_it_passes_the_deploy_checklist(self):
        env = production_env()
        self.assertEqual(len(env["SECRET_KEY"]), 50)

        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_it_makes_cookies_secure_and_turns_on_hsts(self):
        script = (
            "import json, os\n"
            "os.environ['DJANGO_SETTINGS_MODULE'] = 'veostudio.settings'\n"
            "from django.conf import settings\n"
            "names = ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',\n"
            "         'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_HTTPONLY', 'ALLOWED_HOSTS']\n"
            "print(json.dumps({name: getattr(settings, name) for name in names}))\n"
        )

        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=BASE_DIR,
            env=production_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

        self.assertEqual(result.returncode, 0, result.stderr)
        values = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertIs(values["DEBUG"], False)
        self.assertIs(values["SESSION_COOKIE_SECURE"], True)
        self.assertIs(values["CSRF_COOKIE_SECURE"], True)
        self.assertGreater(values["SECURE_HSTS_SECONDS"], 0)
        self.assertIs(values["SECURE_SSL_REDIRECT"], True)
        self.assertIs(values["SESSION_COOKIE_HTTPONLY"], True)
        self.assertEqual(values["ALLOWED_HOSTS"], ["studio.example.com"])
