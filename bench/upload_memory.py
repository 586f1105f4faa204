#!/usr/bin/env python3
"""Memory of the web process under concurrent worst-case first-frame uploads.

For each case, starts a throwaway VeoStudio (harness/harness.py), logs in N users and has
them all post the New video form with the same hostile-but-small picture at once, then
reads the web process's peak resident memory (VmHWM in /proc) against its resident
memory before the burst. Linux only.

Cases: pictures that declare many pixels yet weigh little (a flat colour compresses to
almost nothing), each at the largest size the app accepts and at 50 MP (the old limit):

    .venv/bin/python bench/upload_memory.py                  # this checkout
    .venv/bin/python bench/upload_memory.py --root /work/main  # compare another checkout
    .venv/bin/python bench/upload_memory.py --concurrency 8 --max-peak-mb 600

Exits 1 when a case's peak growth is above ``--max-peak-mb``, or any answer was a 5xx.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
import sys
import threading
import time
from pathlib import Path

import requests
from PIL import Image

DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def _png(size: tuple[int, int], mode: str, colour) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG", compress_level=9)
    return out.getvalue()


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(out, "JPEG", quality=50)
    return out.getvalue()


CASES = {
    # The attack: 212 KB, 50 MP, under the old 50 MP limit.
    "png-1bit-7071": lambda: _png((7071, 7071), "1", 1),
    "png-rgba-7071": lambda: _png((7071, 7071), "RGBA", (10, 20, 30, 128)),
    "png-16bit-7071": lambda: _png((7071, 7071), "I;16", 40_000),
    # The largest the new limits accept, decoded at full size.
    "png-rgba-4096": lambda: _png((4096, 4096), "RGBA", (10, 20, 30, 128)),
    "png-16bit-4096": lambda: _png((4096, 4096), "I;16", 40_000),
    "png-palette-4096": lambda: _png((4096, 4096), "P", 3),
    # A JPEG at the largest it may declare (decoded at half size by the new code).
    "jpeg-8192": lambda: _jpeg((8192, 8192)),
}


def load_harness(root: Path):
    """The harness of the checkout being measured (harness/, or scripts/ in older ones)."""
    path = root / "harness" / "harness.py"
    if not path.exists():
        path = root / "scripts" / "harness.py"
    spec = importlib.util.spec_from_file_location("harness", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness"] = module
    spec.loader.exec_module(module)
    return module


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def upload(harness_module, base_url: str, user: str, password: str, data: bytes, out: list):
    client = harness_module.StudioClient(base_url, timeout=120)
    client.login(user, password)
    page = client.request("form_page", "GET", "/new/")
    csrf = harness_module._CSRF_INPUT.search(page.text).group(1)
    fields = {
        "csrfmiddlewaretoken": csrf,
        "prompt": f"Memory bench {user} {time.monotonic()}",
        "model": "veo3.1-fast",
        "seconds": "4",
        "size": "1280x720",
    }
    started = time.monotonic()
    try:
        answer = client.request(
            "submit",
            "POST",
            "/new/",
            data=fields,
            files={"first_frame": ("frame.png", data, "image/png")},
            headers={"Referer": base_url + "/new/"},
        )
        verdict = "accepted" if answer.status_code == 302 else "refused"
        message = re.search(r'<p class="error">([^<]*)', answer.text)
        out.append(
            (answer.status_code, verdict, message.group(1) if message else "",
             time.monotonic() - started)
        )  # fmt: skip
    except requests.RequestException as exc:
        out.append((0, f"error {exc!r}", "", time.monotonic() - started))


def run_case(harness_module, name: str, data: bytes, concurrency: int) -> dict:
    users = [f"bench{i}" for i in range(concurrency)]
    password = "bench password 1234"
    # No worker: the jobs need not run, only the web process is measured.
    with harness_module.Harness(label=f"mem-{name}", workers=0) as stack:
        stack.create_users(users, password)
        pid = stack.web.pid
        requests.get(stack.base_url + "/accounts/login/", timeout=10)  # warm imports
        before = memory_kb(pid)
        results: list = []
        threads = [
            threading.Thread(
                target=upload, args=(harness_module, stack.base_url, u, password, data, results)
            )
            for u in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = memory_kb(pid)
    return {
        "name": name,
        "bytes": len(data),
        "rss_before_mb": before["VmRSS"] / 1024,
        "peak_mb": after["VmHWM"] / 1024,
        "growth_mb": (after["VmHWM"] - before["VmRSS"]) / 1024,
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="checkout to measure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--max-peak-mb", type=float, default=0, help="fail when growth is above this (0: report)"
    )
    args = parser.parse_args()
    harness_module = load_harness(args.root.resolve())
    print(f"root {args.root.resolve()}, {args.concurrency} concurrent uploads per case")
    worst = 0.0
    failed = False
    for name in args.cases.split(","):
        data = CASES[name]()
        row = run_case(harness_module, name, data, args.concurrency)
        worst = max(worst, row["growth_mb"])
        verdicts = sorted({f"{r[0]} {r[1]}" for r in row["results"]})
        messages = sorted({r[2] for r in row["results"] if r[2]})
        seconds = max(r[3] for r in row["results"])
        failed |= any(r[0] >= 500 or r[0] == 0 for r in row["results"])
        print(
            f"{name:18} {row['bytes'] / 1024:8.0f} KB  rss {row['rss_before_mb']:6.0f} MB  "
            f"peak {row['peak_mb']:6.0f} MB  growth {row['growth_mb']:6.0f} MB  "
            f"slowest {seconds:5.1f} s  {', '.join(verdicts)}"
        )
        for message in messages:
            print(f"{'':20}{message[:110]}")
    print(f"worst growth of the web process: {worst:.0f} MB")
    if args.max_peak_mb and worst > args.max_peak_mb:
        print(f"FAIL: above {args.max_peak_mb:g} MB")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
