"""An outside auditor: Lighthouse (npm `lighthouse`, driving Debian's Chromium) on the pages a
team uses, logged in, with its mobile preset (the default): performance ≥ 95,
accessibility 100, best practices 100 on each (issue 25).

A stack of its own (harness/harness.py, production-like: gunicorn, WhiteNoise, DEBUG off,
collected static files), seeded with one admin's studio: three ready videos with real MP4s
and posters, a project holding them, a review link, a sequence, a preset, a batch and an inbox
line, so that every page shows what it shows in use. The session cookie goes into the audited
browser's cookie jar (bench/lighthouse/audit.mjs: chrome-launcher, puppeteer-core, then
Lighthouse's Node API with the storage reset off; a Cookie of `--extra-headers` did not
last past the document: bench/README.md); the log-in page and the guest's link page are
audited without it.

Lighthouse is installed for the repository only (`bench/lighthouse/package.json` and its
lock, `npm ci` when its node_modules is missing or older than the lock), never globally,
and never downloads a browser: CHROME_PATH is Debian's Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Harness, HarnessError, StudioClient, say

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench" / "lighthouse"
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = {"performance": 95, "accessibility": 100, "best-practices": 100}
USER = "lighthouse"
PASSWORD = "lighthouse-audit-7719"

# name, path (filled from the seed's ids), logged in
PAGES: list[tuple[str, str, bool]] = [
    ("log-in page", "/accounts/login/", False),
    ("gallery", "/", True),
    ("New video", "/new/", True),
    ("a video's page", "/videos/{video}/", True),
    ("Team", "/team/", True),
    ("Usage", "/usage/", True),
    ("projects", "/projects/", True),
    ("a project", "/projects/{project}/", True),
    ("inbox", "/inbox/", True),
    ("review links", "/links/", True),
    ("a guest's link page", "/l/{token}/", False),
    ("sequences", "/sequences/", True),
    ("a sequence", "/sequences/{sequence}/", True),
    ("presets library", "/presets/", True),
    ("batches", "/batches/", True),
]
SHORT_PAGES = ["gallery"]
# Runs per page; the median by performance is reported (its score moves with the machine's
# other work: the blocking time is the main thread as observed, times 4).
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))

SEED = """
import json, os
from django.contrib.auth import get_user_model
from batches.models import Batch
from batches.sheet import read_text
from generations.models import Project
from generations.notifications import notify
from prompts.models import Preset
from reviewlinks.models import ReviewLink
from sequences.models import Sequence
from tests.helpers import make_ready_generation

users = get_user_model().objects
admin = users.create_user(os.environ["LH_USER"], password=os.environ["LH_PASSWORD"],
                          is_staff=True, first_name="Maya")
claire = users.create_user("claire", password=os.environ["LH_PASSWORD"], first_name="Claire")
project = Project.objects.create(name="Spring campaign", description="Kites over the wheat.",
                                 created_by=admin)
videos = [
    make_ready_generation(admin, seconds=1.0, prompt=prompt, project=project)
    for prompt in (
        "A paper kite over a wheat field at dusk",
        "A lighthouse in fog, the beam sweeping slowly",
        "A red boat on a calm lake at sunrise",
    )
]
link, token = ReviewLink.create_for(admin, name="Client review", days=7, videos=videos)
sequence = Sequence.objects.create(owner=admin, title="Kite spot", project=project)
sequence.add_video(videos[0])
sequence.add_video(videos[1])
Preset.objects.create(owner=admin, name="Product shot", prompt="A {product} on a white table")
Batch.from_sheet(admin, read_text("prompt,takes\\nA kite,2\\nA boat,\\n"), "shots.csv")
notify([admin], "comment", "Claire commented on a video", generation=videos[0],
       actor=claire, url=f"/videos/{videos[0].pk}/")
print(json.dumps({"video": str(videos[0].pk), "project": project.pk, "token": token,
                  "sequence": sequence.pk}))
"""


def npm_ci() -> str | None:
    """Installs the locked Lighthouse when node_modules is missing or older than the lock;
    returns why it could not, or None."""
    lock = HERE / "package-lock.json"
    installed = HERE / "node_modules" / ".package-lock.json"
    if CLI.exists() and installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return None
    npm = shutil.which("npm")
    if not npm:
        return "npm is missing (apt-get install npm), so Lighthouse could not be installed"
    say("lighthouse", "npm ci in bench/lighthouse")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=HERE,
        env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not CLI.exists():
        return f"npm ci failed: {done.stderr.strip()[-500:]}"
    return None


def audit(url: str, cookie: str | None, out: Path) -> dict[str, Any]:
    """One Lighthouse run (bench/lighthouse/audit.mjs); its JSON report."""
    command = ["node", str(HERE / "audit.mjs"), url, str(out)] + ([cookie] if cookie else [])
    done = subprocess.run(
        command,
        cwd=HERE,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=240,
    )
    if done.returncode != 0 or not out.exists():
        raise HarnessError(f"lighthouse on {url}: {done.stderr.strip()[-500:]}")
    return json.loads(out.read_text())


def failing(report: dict[str, Any], category: str) -> list[str]:
    """The audits that cost `category` points, as `id (score)`."""
    audits = report["audits"]
    found = []
    for ref in report["categories"][category]["auditRefs"]:
        result = audits.get(ref["id"], {})
        score = result.get("score")
        if ref.get("weight", 0) > 0 and score is not None and score < 1:
            found.append(f"{ref['id']} ({score:.2f})")
    return found


def bench_lighthouse(run: Any, extra_env: dict[str, str], keep: Path | None = None) -> None:
    """Adds one line per page to `run` (bench/run.py's Run); the JSON reports go to `keep`."""
    if not Path(CHROMIUM).exists():
        run.fail(f"Debian's chromium is missing at {CHROMIUM} (apt-get install chromium)")
        return
    problem = npm_ci()
    if problem:
        run.fail(f"lighthouse: {problem}")
        return
    pages = [page for page in PAGES if not run.short or page[0] in SHORT_PAGES]
    if os.environ.get("LIGHTHOUSE_PAGES"):  # e.g. "gallery,Team": some pages only
        wanted = os.environ["LIGHTHOUSE_PAGES"].split(",")
        pages = [page for page in pages if page[0] in wanted]
    runs = 1 if run.short else RUNS
    harness = Harness(label="bench-lighthouse", workers=0, debug=False, extra_env=extra_env)
    scores: dict[str, dict[str, Any]] = {}
    try:
        with harness, tempfile.TemporaryDirectory() as scratch:
            out = harness.manage(
                "shell",
                "-c",
                SEED,
                log_name="seed-lighthouse",
                env={"LH_USER": USER, "LH_PASSWORD": PASSWORD},
            )
            ids = json.loads(out.strip().splitlines()[-1])
            client = StudioClient(harness.base_url)
            client.login(USER, PASSWORD)
            cookie = client.session.cookies["sessionid"]
            for name, path, logged_in in pages:
                url = harness.base_url + path.format(**ids)
                started = time.monotonic()
                reports = []
                for attempt in range(runs):
                    target = Path(scratch) / f"report-{attempt}.json"
                    report = audit(url, cookie if logged_in else None, target)
                    if report.get("runtimeError"):  # e.g. NO_NAVSTART: Lighthouse asks again
                        code = report["runtimeError"].get("code")
                        say("lighthouse", f"{name}: {code}, once more")
                        target.unlink(missing_ok=True)
                        report = audit(url, cookie if logged_in else None, target)
                    reports.append((report, target))
                # The median run by performance, as Lighthouse's own advice on variance has
                # it; accessibility and best practices do not move between runs.
                reports.sort(key=lambda pair: pair[0]["categories"]["performance"]["score"] or 0)
                report, target = reports[len(reports) // 2]
                all_performance = [
                    round((r["categories"]["performance"]["score"] or 0) * 100) for r, _ in reports
                ]
                if keep:
                    keep.mkdir(parents=True, exist_ok=True)
                    slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
                    shutil.copy(target, keep / f"{slug}.json")
                if report.get("runtimeError"):
                    run.fail(f"lighthouse on {name}: {report['runtimeError'].get('message')}")
                final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
                if final.split("?")[0] != url.split("?")[0]:
                    run.fail(f"lighthouse on {name} ended at {final}, not {url}")
                got = {
                    key: round((report["categories"][key]["score"] or 0) * 100)
                    for key in CATEGORIES
                }
                scores[name] = {**got, "performance_runs": all_performance}
                missed = {
                    key: failing(report, key) for key in CATEGORIES if got[key] < CATEGORIES[key]
                }
                run.add(
                    f"Lighthouse, mobile, logged {'in' if logged_in else 'out'}: {name}",
                    f"performance {got['performance']}"
                    + (f" (median of {', '.join(map(str, all_performance))})" if runs > 1 else "")
                    + f", accessibility {got['accessibility']}, "
                    f"best practices {got['best-practices']}",
                    None,
                    "performance ≥ 95, accessibility 100, best practices 100",
                    all(got[key] >= CATEGORIES[key] for key in CATEGORIES),
                    note="; ".join(f"{key}: {', '.join(ids_)}" for key, ids_ in missed.items()),
                )
                say("lighthouse", f"{name} in {time.monotonic() - started:.0f} s")
    except (HarnessError, subprocess.TimeoutExpired, KeyError, ValueError) as error:
        run.fail(f"lighthouse: {error}")
    run.numbers["lighthouse"] = scores
