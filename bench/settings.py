"""The real settings plus a bare authenticated view (the floor every ratio divides by)
and, for the static-file comparison, a STATIC_ROOT of the benchmark's own."""

import os
from pathlib import Path

from veostudio.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
