#!/usr/bin/env python3
"""The gallery at 10,000 rows, searched and filtered, against a bare Django view.

Builds a throwaway SQLite (or PostgreSQL, `--database-url`) database with one person's
N generations, then times, in one process and through the whole middleware stack
(sessions, auth, CSP, messages), the median of `--repeat` requests to:

* `hello`: a logged-in view rendering one line (the floor of any page);
* `listing`: the bare Django view of the same 24 cards in the same layout: a paginated
  queryset of the person's videos, nothing else (bench/_gallery_urls.py);
* `gallery`: `/` unfiltered, and `searched`: `/?q=cafe rain&status=ready&orientation=landscape
  &starred=true&when=30d`: the whole pipeline, with every filter value's count.

Rounds are interleaved so that a busy machine slows every page alike. It prints the
medians, each page's ratio to `listing` and the queries each page ran, and exits 1 when a
gallery page is above `--max-ratio` (2.0, the issue's bar) times the listing.

    .venv/bin/python bench/gallery.py
    .venv/bin/python bench/gallery.py --rows 2000 --repeat 30
    .venv/bin/python bench/gallery.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    BENCH_SQL=1 .venv/bin/python bench/gallery.py   # also print each page's queries, timed

With a PostgreSQL URL it creates a database of its own there and drops it at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="veostudio-bench-gallery-"))
    os.environ["VEOSTUDIO_SKIP_DOTENV"] = "1"
    os.environ.pop("COMETAPI_KEY", None)
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ["SQLITE_PATH"] = str(work / "bench.sqlite3")
    os.environ["AXES_ENABLED"] = "0"
    os.environ["VEOSTUDIO_TESTING"] = "1"  # plain static files: no collectstatic manifest
    os.environ["DJANGO_SETTINGS_MODULE"] = "veostudio.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECRET_KEY"] = "bench-only-" + "x" * 40
    dropper = None
    if args.database_url:
        os.environ["DATABASE_URL"], dropper = fresh_postgres(args.database_url)
    try:
        return run(args)
    finally:
        if dropper:
            dropper()


def fresh_postgres(url: str):
    """A new database on the server at `url` (dropped afterwards), so nothing is shared."""
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"veostudio_bench_gallery_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def run(args) -> int:

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ROOT_URLCONF = "bench._gallery_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    person = fill(args.rows)
    from generations.models import Generation

    middle = Generation.objects.filter(owner=person, status="ready").order_by("created_at")[
        args.rows // 3
    ]

    client = Client()
    client.force_login(person)
    pages = {
        "hello": "/bench-hello/",
        "listing": "/bench-listing/",
        "gallery": "/",
        "searched": "/?q=cafe+rain&status=ready&orientation=landscape&starred=true&when=30d",
        # Half the rows are shared, by the person and three teammates.
        "team": "/team/",
        "team-find": f"/team/?q=cafe+rain&status=ready&person={person.pk}&when=30d",
        "video": f"{middle.get_absolute_url()}?list=q%3Dcafe%26status%3Dready",
    }
    if os.environ.get("BENCH_SQL"):
        for name, url in pages.items():
            client.get(url)
            seen: list[tuple[float, str]] = []

            def timed(run, sql, *rest, seen=seen):
                started = time.perf_counter()
                try:
                    return run(sql, *rest)
                finally:
                    seen.append((time.perf_counter() - started, sql))

            with connection.execute_wrapper(timed):
                client.get(url)
            for took, sql in seen:
                print(f"{name:9s} {took * 1000:6.2f} ms  {sql[:110]}")
    query_counts = {}
    for name, url in pages.items():
        for _ in range(3):
            client.get(url)  # warm caches, templates, the connection
        queries: list[str] = []

        def count(run, sql, *rest, seen=queries):
            seen.append(sql)
            return run(sql, *rest)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        query_counts[name] = len(queries)

    # Interleaved rounds, so that a busy machine slows every page alike.
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(args.repeat):
        for name, url in pages.items():
            started = time.perf_counter()
            client.get(url)
            timings[name].append(time.perf_counter() - started)

    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{args.rows} generations, {connection.vendor}, median of {args.repeat} rounds")
    failed = False
    for name, median in medians.items():
        ratio = median / medians["listing"]
        print(
            f"  {name:9s} {median * 1000:7.2f} ms  ×{ratio:4.2f} of listing"
            f"  {query_counts[name]} queries"
        )
        if name in ("gallery", "searched", "team", "team-find") and ratio > args.max_ratio:
            failed = True
    if failed:
        print(f"FAIL: a gallery page is more than {args.max_ratio}× the plain listing")
    return 1 if failed else 0


def fill(rows: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from generations.models import Favourite, Generation, Status, search_key
    from veo.catalogue import Size

    person = get_user_model().objects.create_user("bench", password="bench-pass-1234")
    words = ["cafe rain", "paper kite", "harbour fog", "night market", "desert road"]
    sizes = list(Size)
    statuses = [Status.READY] * 6 + [Status.FAILED, Status.TIMED_OUT, Status.RENDERING]
    now = timezone.now()
    batch = []
    for n in range(rows):
        prompt = f"Café {words[n % 5]} shot {n}" if n % 5 == 0 else f"A {words[n % 5]} {n}"
        batch.append(
            Generation(
                owner=person,
                prompt=prompt,
                search_text=search_key(prompt),
                size=sizes[n % len(sizes)],
                seconds=8
                if sizes[n % len(sizes)] in (Size.LANDSCAPE_1080, Size.LANDSCAPE_4K)
                else 4,
                status=statuses[n % len(statuses)],
                created_at=now - timedelta(minutes=n),
            )
        )
    Generation.objects.bulk_create(batch, batch_size=1000)
    share_rows(person, rows, now)
    starred = Generation.objects.filter(owner=person).values_list("pk", flat=True)[: rows // 10]
    Favourite.objects.bulk_create([Favourite(person=person, generation_id=pk) for pk in starred])
    return person


def share_rows(person, rows: int, now) -> None:
    """Share the person's rows, and half as many again by three teammates,
    each with a comment: the Team view's load."""
    from django.contrib.auth import get_user_model

    from generations.models import Comment, Generation, search_key

    mates = [
        get_user_model().objects.create_user(f"mate{n}", password="bench-pass-1234")
        for n in range(3)
    ]
    Generation.objects.filter(owner=person, created_at__lte=now).update(shared_at=now)
    batch = [
        Generation(
            owner=mates[n % 3],
            prompt=f"Café rain take {n}",
            search_text=search_key(f"Café rain take {n}"),
            status="ready",
            shared_at=now,
            created_at=now - timezone_delta(n),
        )
        for n in range(rows // 2)
    ]
    Generation.objects.bulk_create(batch, batch_size=1000)
    shared = Generation.objects.filter(shared_at__isnull=False).values_list("pk", flat=True)
    Comment.objects.bulk_create(
        [Comment(generation_id=pk, author=person, body="Nice") for pk in shared[: rows // 2]],
        batch_size=1000,
    )


def timezone_delta(minutes: int):
    from datetime import timedelta

    return timedelta(minutes=minutes, seconds=30)


if __name__ == "__main__":
    sys.exit(main())
