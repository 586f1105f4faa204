#!/usr/bin/env python3
"""Where a page's first load after a change spends its time, in one process.

Seeds a throwaway database as bench/run.py does (SQLite, or PostgreSQL with
`--database-url`), then for each page takes the video's star off and gives it again (what
`after_a_change` of bench/run.py does, so nothing kept serves the page) and loads the page
through Django's test client, the whole middleware stack included, under cProfile. Prints
the median cold and warm CPU times of each page (the process's own, so that a busy
machine's other work does not count), the wall time spent in the database, and the
profile's heaviest functions.

    .venv/bin/python bench/profile_cold.py                         # 20,000 rows, SQLite
    .venv/bin/python bench/profile_cold.py --rows 100000 --top 40
    .venv/bin/python bench/profile_cold.py --only video --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gallery import fresh_postgres  # noqa: E402
from bench.run import LIVE_JOBS, LIVE_USER, PASSWORD, SEARCHED, SEED, USER  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--only",
        choices=[
            "floor",
            "gallery",
            "searched",
            "video",
            "new",
            "team",
            "usage",
            "projects",
            "trash",
            "inbox",
            "links",
            "sequences",
            "presets",
            "batches",
            "status",
            "media",
            "poster",
        ],
        action="append",
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-profile", action="store_true", help="times only")
    parser.add_argument("--sql", action="store_true", help="print the last cold load's queries")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="with --sql: each query's plan as the database ran it (EXPLAIN ANALYZE)",
    )
    parser.add_argument(
        "--with-team-content",
        action="store_true",
        help="give the measured person a teammate's work as a team has it: 50 inbox lines "
        "(some about videos they no longer see), 10 sequences with shots, 5 review links",
    )
    parser.add_argument("--save", help="folder to write each page's profile to (NAME.prof)")
    parser.add_argument(
        "--work",
        help="folder of the SQLite database and media, kept between runs: a second run seeds "
        "only the rows missing (seeding 100,000 rows takes a minute or two)",
    )
    args = parser.parse_args()

    if args.work:
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="veostudio-profile-cold-"))
    os.environ.update(
        VEOSTUDIO_SKIP_DOTENV="1",
        MEDIA_ROOT=str(work / "media"),
        SQLITE_PATH=str(work / "bench.sqlite3"),
        AXES_ENABLED="0",
        VEOSTUDIO_TESTING="1",  # plain static files: no collectstatic manifest
        DJANGO_SETTINGS_MODULE="bench.settings",
        ALLOWED_HOSTS="testserver",
        SECRET_KEY="bench-only-" + "x" * 40,
        BENCH_USER=USER,
        BENCH_PASSWORD=PASSWORD,
        BENCH_ROWS=str(args.rows),
        BENCH_LIVE_USER=LIVE_USER,
        BENCH_LIVE_JOBS=str(LIVE_JOBS),
    )
    os.environ.pop("COMETAPI_KEY", None)
    dropper = None
    if args.database_url:
        os.environ["DATABASE_URL"], dropper = fresh_postgres(args.database_url)
    try:
        return run(args)
    finally:
        if dropper:
            dropper()


def run(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client's own settings: DEBUG as the bench server has it (off).
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    exec(SEED, {"__name__": "seed"})  # noqa: S102 - bench/run.py's own seeding
    print(f"seeded {args.rows:,} rows in {time.monotonic() - started:.1f} s", file=sys.stderr)

    from generations.models import Generation

    person = get_user_model().objects.get(username=USER)
    if args.with_team_content:
        seed_team_content(person)
    video = Generation.objects.filter(owner=person, status="ready").order_by("-created_at")[0]
    client = Client()
    client.force_login(person)
    client.get("/")
    token = client.cookies["csrftoken"].value
    star = f"/videos/{video.pk}/star/"
    pages = {
        "floor": "/bench/floor/",  # what run.py divides by: the ratios below are to its times
        "gallery": "/",
        "searched": f"/?{SEARCHED}",
        "video": f"/videos/{video.pk}/",
        # The other pages a team uses (issue 25: every page).
        "new": "/new/",
        "team": "/team/",
        "usage": "/usage/",
        "projects": "/projects/",
        "trash": "/trash/",
        "inbox": "/inbox/",
        "links": "/links/",
        "sequences": "/sequences/",
        "presets": "/presets/",
        "batches": "/batches/",
        # The page's one poll between two changes (nothing changed: most polls), as the
        # poller of LIVE_USER's gallery sends it: its 24 running cards and header jobs.
        "status": "/status/",
        # The player's request for the video's last MiB (bench/run.py's bench_serving), and
        # one of a gallery's posters: the files are made below (the seed stores only names).
        "media": f"/videos/{video.pk}/video.mp4",
        "poster": f"/videos/{video.pk}/poster.jpg",
    }
    wanted = args.only or list(pages)
    # Who asks, and with what besides the path: the person above, except for the poll.
    askers: dict[str, tuple[Client, dict]] = {name: (client, {}) for name in pages}
    if "status" in wanted:
        askers["status"] = live_poll()
    askers["media"] = (client, {"headers": {"Range": "bytes=-1048576"}})
    answered = {name: 200 for name in pages} | {"media": 206}
    if "media" in wanted or "poster" in wanted:
        write_files(video)

    def change() -> None:
        for starred in ("0", "1"):
            answer = client.post(
                star, {"starred": starred}, headers={"X-CSRFToken": token, "HX-Request": "true"}
            )
            assert answer.status_code == 200, answer.status_code

    db_time = [0.0]
    queries: list[tuple[float, str, Any]] = []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - began
            db_time[0] += took
            queries.append((took, sql, params))

    medians: dict[str, tuple[float, float]] = {}
    for name in wanted:
        path, (asker, asked) = pages[name], askers[name]
        for _ in range(5):
            change()
            assert asker.get(path, **asked).status_code == answered[name]
        cold, warm, in_db = [], [], []
        # CPU time of this process: a busy machine's other work does not count in it.
        profile = cProfile.Profile(time.process_time)
        for _ in range(args.rounds):
            change()
            db_time[0] = 0.0
            queries.clear()
            with connection.execute_wrapper(timed):
                began = time.process_time()
                if not args.no_profile:
                    profile.enable()
                asker.get(path, **asked)
                if not args.no_profile:
                    profile.disable()
                cold.append(time.process_time() - began)
            in_db.append(db_time[0])
            began = time.process_time()
            asker.get(path, **asked)
            warm.append(time.process_time() - began)
        print(
            f"\n== {name}: cold {statistics.median(cold) * 1000:.2f} ms"
            f" (fastest {min(cold) * 1000:.2f})"
            f" (database {statistics.median(in_db) * 1000:.2f} ms),"
            f" warm {statistics.median(warm) * 1000:.2f} ms (fastest {min(warm) * 1000:.2f}), median of {args.rounds}"
            + (" (cold under cProfile)" if not args.no_profile else "")
        )
        medians[name] = (statistics.median(cold), statistics.median(warm))
        if args.sql:
            for took, sql, params in queries:
                print(f"  {took * 1000:6.2f} ms  {sql[:150]}")
                if args.explain and sql.lstrip().upper().startswith("SELECT"):
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN ANALYZE " + sql, params)
                        for (line,) in cursor.fetchall():
                            print(f"           | {line}")
        if not args.no_profile:
            stats = pstats.Stats(profile)
            if args.save:
                stats.dump_stats(str(Path(args.save) / f"{name}.prof"))
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    if "floor" in medians and args.no_profile:
        # The floor's own cold and warm are alike (it shows nothing that changes).
        floor = statistics.fmean(medians.pop("floor"))
        print(f"\n== CPU time over the floor's ({floor * 1000:.2f} ms), cold / warm:")
        for name, (cold_ms, warm_ms) in medians.items():
            print(f"  {name}: {cold_ms / floor:.2f}x / {warm_ms / floor:.2f}x")
    return 0


def write_files(video) -> None:
    """A 4 MiB video and a small poster where the measured video names them (the bytes
    are not read: gunicorn's sendfile sends them, the test client's `get` leaves them)."""
    for field, size in (("video", 4 * 1024 * 1024), ("poster", 20_000)):
        path = Path(os.environ["MEDIA_ROOT"]) / getattr(video, field).name
        if not path.exists() or path.stat().st_size != size:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\0" * size)


def live_poll():
    """LIVE_USER's client and what its gallery's poller sends (as bench/run.py builds it)."""
    import re

    from django.contrib.auth import get_user_model
    from django.test import Client

    from harness import poll_path

    client = Client()
    client.force_login(get_user_model().objects.get(username=LIVE_USER))
    seen = re.findall(r'data-poll="([^"]+)"', client.get("/").text)
    assert len(seen) == LIVE_JOBS, seen
    watching = sorted({marker.split(":")[1] for marker in seen})
    path, query = poll_path(seen, watching).split("?", 1)
    return client, {"QUERY_STRING": query, "headers": {"HX-Request": "true"}}


def seed_team_content(person) -> None:
    """What a team's person finds besides their own videos (the bench's seed has none of it),
    so that the inbox, sequences and links pages are measured as used. Once per database."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from generations.models import (
        Generation,
        Notification,
        NotificationKind,
        Project,
        Status,
        search_key,
    )
    from reviewlinks.models import ReviewLink
    from sequences.models import Sequence, Shot

    teammate, created = get_user_model().objects.get_or_create(username="bench-teammate")
    if not created:
        return
    now = timezone.now()
    open_project = Project.objects.create(name="Spring campaign", created_by=teammate)
    closed = Project.objects.create(name="Board only", created_by=teammate, limited=True)
    closed.members.add(teammate)

    def video(owner, n, **fields):
        prompt = f"Team video {n}: a harbour at dawn, gulls over the boats"
        return Generation(
            owner=owner, prompt=prompt, search_text=search_key(prompt), status=Status.READY,
            task_id=f"team-{n}", created_at=now - timedelta(hours=n),
            completed_at=now - timedelta(hours=n), video=f"videos/team-{n}.mp4",
            poster=f"posters/team-{n}.jpg", video_bytes=1_000_000, video_duration=8.0,
            video_width=1280, video_height=720, **fields,
        )  # fmt: skip

    shared = [video(teammate, n, shared_at=now) for n in range(8)]
    in_project = [video(teammate, 8 + n, project=open_project) for n in range(8)]
    # Told about when they were open to the person; the project was limited since.
    hidden = [video(teammate, 16 + n, project=closed) for n in range(6)]
    Generation.objects.bulk_create(shared + in_project + hidden)
    own = list(Generation.objects.filter(owner=person, status=Status.READY)[:30])
    lines = []
    for n in range(50):
        kind, about, project = [
            (NotificationKind.COMMENT, own[n % 30], None),
            (NotificationKind.MENTION, in_project[n % 8], None),
            (NotificationKind.SHARED, shared[n % 8], None),
            (NotificationKind.READY, own[n % 30], None),
            (NotificationKind.DECISION, own[n % 30], None),
            (NotificationKind.SHARED, hidden[n % 6], None),
            (NotificationKind.BUDGET, None, open_project),
        ][n % 7]
        lines.append(
            Notification(
                recipient=person,
                kind=kind,
                generation=about,
                project=project,
                actor=teammate,
                actor_name="bench-teammate",
                text=f"bench-teammate said something {n} about it",
                url=about.get_absolute_url() if about else open_project.get_absolute_url(),
                created_at=now - timedelta(minutes=7 * n),
                read_at=None if n % 3 == 0 else now,
            )  # fmt: skip
        )
    Notification.objects.bulk_create(lines)
    for n in range(10):
        mine = n < 6
        sequence = Sequence.objects.create(
            owner=person if mine else teammate,
            project=None if mine else open_project,
            title=f"Sequence {n}: the harbour spot",
        )
        shots = own[n : n + 5] if mine else in_project[n % 4 : n % 4 + 4]
        Shot.objects.bulk_create(
            Shot(sequence=sequence, position=position, generation=shot)
            for position, shot in enumerate(shots)
        )
    for n in range(5):
        ReviewLink.create_for(person, name=f"Review {n}", days=7, videos=own[n : n + 3])


if __name__ == "__main__":
    sys.exit(main())
