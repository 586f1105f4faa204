"""The real settings plus a bare authenticated view (the floor every ratio divides by)
and, for the static-file comparison, a STATIC_ROOT of the benchmark's own."""

import os
from pathlib import Path

from veostudio.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])

# bench/without.py: layers the benchmark switches off to measure them.
_WITHOUT = set(os.environ.get("BENCH_WITHOUT", "").split(","))
if "cards" in _WITHOUT:
    CACHES = {  # {% cache %} uses "template_fragments" when there is one
        **CACHES,  # noqa: F405
        "template_fragments": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
if "plan" in _WITHOUT:
    BILLING_QUEUE_PLAN_SECONDS = 0
