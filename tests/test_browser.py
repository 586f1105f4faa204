"""A film maker in real Chromium: log in, generate, watch it happen, play the result."""

import os
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from generations import worker

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
    with override_settings(RECONCILE_INTERVAL_SECONDS=0.5):
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
            "document.querySelector('video.player').readyState >= 2", timeout=15000
        )
        page.evaluate("document.querySelector('video.player').currentTime = 2.5")
        page.wait_for_function(
            "document.querySelector('video.player').currentTime >= 2", timeout=15000
        )
        if os.environ.get("SCREENSHOT"):
            page.screenshot(path=os.environ["SCREENSHOT"], full_page=True)

        polls_when_done = len(status_requests)
        page.wait_for_timeout(7000)
        assert len(status_requests) == polls_when_done  # polling stopped by itself
        assert polls_when_done >= 2
