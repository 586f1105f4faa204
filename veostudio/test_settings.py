"""Settings for the test suite: the real settings, read with a test environment."""

import os
import tempfile

os.environ["VEOSTUDIO_TESTING"] = "1"
os.environ["VEOSTUDIO_SKIP_DOTENV"] = "1"
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="veostudio-test-media-"))
os.environ.setdefault("WORKER_SCRATCH_DIR", tempfile.mkdtemp(prefix="veostudio-test-scratch-"))
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.pop("COMETAPI_KEY", None)

from .settings import *  # noqa: E402, F403

# Hashing the test cast's passwords properly would cost more than the tests themselves.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
