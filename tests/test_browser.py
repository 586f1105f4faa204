"""A film maker in real Chromium: log in, generate, watch it happen, play the result."""

import os
import threading
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from generations import worker
from harness.harness import short_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def running_worker(simulator):
    """`manage.py worker` in a thread: the loop over due jobs, its housekeeping included."""
    stop = threading.Event()

    def run():
        worker.run(stop, interval=0.1, name="browser-test")
        connection.close()  # or PostgreSQL cannot drop the test database afterwards

    thread = threading.Thread(target=run, daemon=True)
    with override_settings(HOUSEKEEPING_INTERVAL_SECONDS=0.5):
        thread.start()
        yield thread
        stop.set()
        thread.join(timeout=5)


@pytest.fixture
def release_server_connections(live_server):
    """Browser tests use the live server; the PostgreSQL sessions its request threads may
    leave behind (a video stream the browser abandoned) are ended once, at the end of the
    run, by `end_leftover_sessions` in conftest.py, so the test database can be dropped.
    Ending them here, between tests, also ended the connections of the test itself."""
    yield


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_a_user_generates_a_video_and_watches_it_arrive(
    live_server, release_server_connections, simulator, running_worker, browser
):
    simulator.configure(render_seconds=5.0)
    get_user_model().objects.create_user("maya", password="a long studio password")
    page = browser.new_page()
    status_requests = []
    page.on("request", lambda r: "/status/" in r.url and status_requests.append(time.monotonic()))

    with override_settings(COMETAPI_POLL_INTERVAL=0.5, DEMO_MODE=True):
        page.goto(live_server.url + "/")
        page.fill("#id_username", "maya")
        page.fill("#id_password", "a long studio password")
        page.click("button[type=submit]")
        page.get_by_role("link", name="New video").first.click()

        page.fill("#id_prompt", "A paper kite floats above a wheat field at golden hour.")
        page.check("input[name=size][value='1920x1080']")
        assert page.is_disabled("input[name=seconds][value='4']")  # 1080p is 8 s only
        assert page.is_checked("input[name=seconds][value='8']")
        page.click("#generate-button")

        status = page.locator(".status-card")
        status.wait_for()
        page.evaluate("window.__sameDocument = true")
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen.add(status.get_attribute("data-status"))
            if "ready" in seen:
                break
            page.wait_for_timeout(250)
        assert "ready" in seen, seen
        assert seen & {"submitted", "rendering", "saving"}, seen
        assert page.evaluate("window.__sameDocument") is True  # no reload happened

        video = page.locator("video.player")
        video.wait_for()
        page.evaluate("document.querySelector('video.player').muted = true")
        page.evaluate("document.querySelector('video.player').play()")
        page.wait_for_function(
            "() => document.querySelector('video.player').readyState >= 2", timeout=15000
        )
        page.evaluate("document.querySelector('video.player').currentTime = 2.5")
        page.wait_for_function(
            "() => document.querySelector('video.player').currentTime >= 2", timeout=15000
        )
        if os.environ.get("SCREENSHOT"):
            page.screenshot(path=os.environ["SCREENSHOT"], full_page=True)

        # The answer that shows "ready" may still count the job in the header: the poll after
        # it answers 286 and the poller drops to the idle pace (the bell and the comments,
        # every POLL_IDLE_EVERY_MS). Its first idle poll is that long after.
        page.locator("#poller[data-pace=idle]").wait_for(state="attached", timeout=10000)
        polls_when_done = len(status_requests)
        page.wait_for_timeout(7000)
        assert len(status_requests) == polls_when_done  # the quick pace stopped by itself
        assert polls_when_done >= 2


HTMX_TROUBLE = """
(() => {
  window.__htmxTrouble = [];
  for (const name of ["htmx:error", "htmx:sendAbort", "htmx:sendError", "htmx:responseError",
                      "htmx:swapError", "htmx:oobErrorNoTarget", "htmx:targetError"]) {
    document.addEventListener(name, (event) => window.__htmxTrouble.push(
      name + " " + ((event.detail && event.detail.content && event.detail.content.outerHTML) || "").slice(0, 400)));
  }
})();
"""


def finish(generation) -> None:
    """The worker's last step for a running job: its video and poster are stored."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generations.models import poster_name, video_name
    from lib.video import probe_mp4
    from tests.factories_media import jpeg_bytes, make_mp4

    data = make_mp4(320, 180, 1.0)
    name = default_storage.save(video_name(), ContentFile(data))
    poster = default_storage.save(poster_name(), ContentFile(jpeg_bytes(320, 180)))
    generation.refresh_from_db()
    generation.task_id = "task_ready"
    generation.mark_saved(
        video_name=name,
        size=len(data),
        info=probe_mp4(default_storage.path(name)),
        poster_name=poster,
    )
    generation.save()


def test_a_gallery_with_two_running_jobs_polls_once_per_interval_and_idles_when_both_end(
    live_server, release_server_connections, browser
):
    from generations.polling import POLL_EVERY_MS, POLL_IDLE_EVERY_MS
    from tests.helpers import make_generation

    maya = get_user_model().objects.create_user("maya", password="a long studio password")
    first = make_generation(maya, prompt="A lighthouse beam sweeps the fog.")
    second = make_generation(maya, prompt="Rain runs down a café window at night.")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(HTMX_TROUBLE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    polls: list[tuple[float, str]] = []
    page.on("request", lambda r: "/status/" in r.url and polls.append((time.monotonic(), r.url)))
    page.goto(live_server.url + "/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", "a long studio password")
    page.click("button[type=submit]")
    page.locator(f"#card-{first.pk}").wait_for()
    assert "2 waiting" in page.locator("#jobs-indicator").inner_text().replace("\n", " ")

    page.wait_for_timeout(POLL_EVERY_MS * 3 + 500)
    # One request per interval carries both cards and the header's two jobs.
    assert len(polls) == 3, polls
    gaps = [later - earlier for (earlier, _), (later, _) in zip(polls, polls[1:], strict=False)]
    assert all(gap >= POLL_EVERY_MS / 1000 * 0.8 for gap in gaps), gaps
    ids = short_id(first.pk.hex), short_id(second.pk.hex)  # as poll.js writes them
    assert all(all(pk in url for pk in ids) for _, url in polls), polls

    finish(first)
    page.locator(f"#card-{first.pk}.status-ready").wait_for(timeout=POLL_EVERY_MS * 3)
    page.locator(f"#card-{second.pk}.status-waiting").wait_for()  # still running, still polled
    assert "1 waiting" in page.locator("#jobs-indicator").inner_text().replace("\n", " ")
    page.wait_for_timeout(500)  # the poster loads
    results = Path(__file__).resolve().parent.parent / "test-results"
    results.mkdir(exist_ok=True)
    page.screenshot(path=str(results / "poll-gallery-running-and-ready-1440.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results / "poll-gallery-running-and-ready-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    finish(second)
    page.locator(f"#card-{second.pk}.status-ready").wait_for(timeout=POLL_EVERY_MS * 3)
    page.locator("#jobs-indicator").wait_for(state="hidden")
    page.locator("#poller[data-pace=idle]").wait_for(state="attached")
    polls_when_done = len(polls)
    page.wait_for_timeout(POLL_EVERY_MS * 3)
    # Nothing runs: the poller asks only every POLL_IDLE_EVERY_MS, for the bell alone.
    assert len(polls) == polls_when_done, "still polling quickly with nothing running"
    page.wait_for_timeout(POLL_IDLE_EVERY_MS - POLL_EVERY_MS * 3 + 1500)
    idle = [url for _, url in polls[polls_when_done:]]
    assert len(idle) == 1, idle
    assert "bell=" in idle[0] and "v=" not in idle[0] and "watch=" not in idle[0], idle
    assert page.evaluate("window.__htmxTrouble") == []
    assert errors == []
    context.close()


HIDDEN_TAB = """
(() => {
  // Headless Chromium keeps every tab "visible"; this plays the Page Visibility API's part.
  let hidden = false;
  Object.defineProperty(document, "hidden", { get: () => hidden });
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def test_a_hidden_tab_polls_at_the_slower_pace_and_asks_at_once_when_shown(
    live_server, release_server_connections, browser
):
    from tests.helpers import make_generation

    maya = get_user_model().objects.create_user("maya", password="a long studio password")
    make_generation(maya, prompt="A lighthouse beam sweeps the fog.")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(HIDDEN_TAB)
    page = context.new_page()
    polls: list[float] = []
    page.on("request", lambda r: "/status/" in r.url and polls.append(time.monotonic()))
    # The page takes both paces from the server: the hidden one is shortened here.
    with patch("generations.polling.POLL_HIDDEN_EVERY_MS", 6000):
        page.goto(live_server.url + "/")
        page.fill("#id_username", "maya")
        page.fill("#id_password", "a long studio password")
        page.click("button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('[data-poll]').length === 1")
        page.wait_for_timeout(3500)
        assert len(polls) == 1, polls  # visible: every 3 s

        page.evaluate("window.__setHidden(true)")
        hidden_at = time.monotonic()
        page.wait_for_timeout(13000)
        while_hidden = [at for at in polls if at > hidden_at]
        # One every 6 s at most, on the 3 s ticks: the first after 6, the next after 12.
        assert len(while_hidden) == 2, [at - hidden_at for at in while_hidden]
        assert while_hidden[1] - while_hidden[0] >= 5.5, while_hidden

        shown_at = time.monotonic()
        page.evaluate("window.__setHidden(false)")
        page.wait_for_timeout(1000)
        asked = [at - shown_at for at in polls if at > shown_at]
        assert asked and asked[0] < 0.4, asked  # at once, not at the next tick
    context.close()
