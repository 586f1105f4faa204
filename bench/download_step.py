"""One download into storage, timed, in a process of its own so that its peak memory is
its own: `python bench/download_step.py URL USERNAME` with the stack's environment.
Prints one JSON line: seconds, peak RSS before and after, the generation made."""

import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veostudio.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from generations import worker  # noqa: E402
from generations.models import Generation  # noqa: E402


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    url, username = sys.argv[1], sys.argv[2]
    owner = get_user_model().objects.get(username=username)
    generation = Generation(owner=owner, prompt=f"bench download {uuid.uuid4().hex[:8]}")
    generation.start()
    generation.mark_submitted(f"bench-{uuid.uuid4().hex}")
    generation.mark_rendered(url)
    generation.save()
    # Warm everything a first step imports or connects, so the peak below is the download's.
    worker.get_client()
    before = peak_kib()
    started = time.perf_counter()
    status = worker.advance(generation.pk)
    seconds = time.perf_counter() - started
    generation.refresh_from_db()
    print(
        json.dumps(
            {
                "status": status,
                "reason": generation.failure_reason,
                "seconds": seconds,
                "bytes": generation.video_bytes,
                "peak_before_kib": before,
                "peak_kib": peak_kib(),
                "id": str(generation.pk),
            }
        )
    )
    return 0 if status == "ready" else 1


if __name__ == "__main__":
    sys.exit(main())
