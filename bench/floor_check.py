#!/usr/bin/env python3
"""Is the floor measured among the pages the floor measured alone?

bench/run.py divides every page by the floor's p50 taken round-robin among the pages on
one kept-alive connection. This script measures, on the same stack, the floor alone on a
kept-alive connection, on fresh connections, right after a page, and right after another
floor, so that work a page leaves behind (and lands on the next request) shows.

    .venv/bin/python bench/floor_check.py [--rows 10000] [--database-url ...]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "harness"))
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PASSWORD,
    PYTHON,
    USER,
    Probe,
    Run,
    fresh_connection_p50,
    p50,
    ready_video,
    seed,
    session_like,
)
from harness import Harness, StudioClient  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    harness = Harness(label="floor", workers=0, debug=False, database_url=args.database_url)
    # As bench/run.py: static files collected into a folder of the run's own before start-up.
    static_root = Path(os.environ.get("TMPDIR", "/tmp")) / f"veostudio-floor-static-{os.getpid()}"
    harness.extra_env.update(
        DJANGO_SETTINGS_MODULE="bench.settings", BENCH_STATIC_ROOT=str(static_root)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**env, "VEOSTUDIO_SKIP_DOTENV": "1", **harness.extra_env},
        check=True,
    )
    run = Run(short=True)
    with harness:
        seed(harness, args.rows)
        client = StudioClient(harness.base_url)
        client.login(USER, PASSWORD)
        base = harness.base_url
        video = ready_video(run, client, base)
        session = session_like(client)
        floor = Probe(run, "floor", "/bench/floor/", 200)
        pages = [
            Probe(run, "gallery", "/", 200),
            Probe(run, "video page", f"/videos/{video}/", 200),
        ]
        for _ in range(20):
            for probe in [floor, *pages]:
                probe.once(session, base)
        alone = [floor.once(session, base) for _ in range(args.rounds)]
        after_page, after_floor, page_times = [], [], []
        for _ in range(args.rounds):
            page = random.choice(pages)
            page_times.append(page.once(session, base))
            after_page.append(floor.once(session, base))
            after_floor.append(floor.once(session, base))
        fresh = fresh_connection_p50(client, base, floor, args.rounds // 2)
    print(f"floor alone, kept-alive:        {p50(alone) * 1000:.2f} ms")
    print(f"floor on fresh connections:     {fresh * 1000:.2f} ms")
    print(f"floor right after a page:       {p50(after_page) * 1000:.2f} ms")
    print(f"floor right after that floor:   {p50(after_floor) * 1000:.2f} ms")
    print(f"the pages (gallery, video):     {p50(page_times) * 1000:.2f} ms")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
