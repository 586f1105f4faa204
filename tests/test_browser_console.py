"""A clean browser console is the bar: a film maker in real Chromium makes a video and
watches it finish, then walks the gallery, the video's page, compare, Team, a project, the
inbox, presets, batches and sequences. Every console error or warning, every uncaught
script error and every htmx trouble event (a request aborted, a swap gone wrong) is
recorded; the walk must end with none."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from generations.models import Generation, Project
from sequences.models import Sequence
from tests.helpers import make_ready_generation
from tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    release_server_connections,
    running_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long studio password"

# htmx's own trouble events: each also means something the person asked for did not happen.
# The price box has no request on its way nor one queued behind it (htmx marks the element
# while its request, and then the queued one, is out).
PRICE_ANSWERED = "() => !document.querySelector('#price-estimate.htmx-request')"

HTMX_TROUBLE = """
(() => {
  window.__trouble = [];
  for (const name of ["htmx:error", "htmx:sendAbort", "htmx:sendError", "htmx:responseError",
                      "htmx:swapError", "htmx:oobErrorNoTarget", "htmx:targetError",
                      "htmx:timeout", "htmx:onLoadError", "htmx:historyCacheError"]) {
    document.addEventListener(name, (event) => window.__trouble.push(
      name + " on " + ((event.target && (event.target.id || event.target.tagName)) || "?")
      + " " + location.pathname));
  }
})();
"""


class Console:
    """What the page said that a person (or their browser's tools) would see as trouble."""

    def __init__(self, page):
        self.page = page
        self.lines: list[str] = []
        page.on("console", self.heard)
        page.on("pageerror", lambda error: self.lines.append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda r: r.status >= 500 and self.lines.append(f"{r.status} {r.url}"),
        )

    def heard(self, message) -> None:
        if message.type in ("error", "warning"):
            self.lines.append(f"{message.type}: {message.text} ({self.page.url})")

    def visit(self, url: str) -> None:
        self.collect()
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")

    def collect(self) -> None:
        """htmx's trouble events of the page about to be left."""
        try:
            self.lines += self.page.evaluate("window.__trouble || []")
        except Exception:  # noqa: BLE001 - a page mid-navigation has nothing to give
            pass


def test_making_a_video_and_walking_every_page_leaves_the_console_clean(
    live_server,
    release_server_connections,  # noqa: F811
    simulator,
    running_worker,  # noqa: F811
    browser,  # noqa: F811
):
    simulator.configure(render_seconds=4.0)
    users = get_user_model().objects
    maya = users.create_user("maya", password=PASSWORD, first_name="Maya", is_staff=True)
    project = Project.objects.create(name="Spring perfume", created_by=maya)
    first = make_ready_generation(maya, prompt="Perfume bottle on wet marble, macro")
    second = make_ready_generation(maya, prompt="Perfume bottle in morning light")
    first.share_for(maya)
    sequence = Sequence.objects.create(owner=maya, title="Launch spot")
    base = live_server.url

    with override_settings(COMETAPI_POLL_INTERVAL=0.5, DEMO_MODE=True):
        for size in ({"width": 1440, "height": 900}, {"width": 390, "height": 844}):
            context = browser.new_context(viewport=size)
            context.add_init_script(HTMX_TROUBLE)
            page = context.new_page()
            console = Console(page)
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", "maya")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")

            # She makes a video and watches it finish on its page, without reloading.
            console.visit(base + "/new/")
            page.fill("#id_prompt", f"A paper kite over a wheat field, {size['width']} px")
            # Quick choices, as people make them (arrow keys through the formats): each
            # asks for a new price while the last answer may still be on its way.
            page.evaluate(
                """async () => {
                  for (const value of ["1920x1080", "720x1280", "1280x720", "720x1280"]) {
                    document.querySelector(`input[name=size][value='${value}']`).click();
                    await new Promise((done) => setTimeout(done, 60));
                  }
                }"""
            )
            # The last choice's request left before the loop ended (50 ms delay, 60 ms apart);
            # "networkidle" would not wait for it (a page reaches that state once, at load).
            page.wait_for_function(PRICE_ANSWERED)
            # The price shown is the last choice's, though no answer was cut short: asking
            # afresh for the form as it stands shows the same.
            shown = page.locator("#price-estimate").inner_text()
            page.evaluate(
                "document.getElementById('generation-form')"
                ".dispatchEvent(new Event('change', {bubbles: true}))"
            )
            page.wait_for_timeout(100)
            page.wait_for_function(PRICE_ANSWERED)
            assert page.locator("#price-estimate").inner_text() == shown
            page.check("input[name=seconds][value='8']")
            page.wait_for_load_state("networkidle")
            page.click("#generate-button")
            page.wait_for_url(re.compile(r"/videos/"))
            page.locator(".status-card[data-status=ready]").wait_for(timeout=60000)
            page.locator("#history-events .kind-saved").wait_for(timeout=10000)
            page.locator("#poller[data-pace=idle]").wait_for(state="attached", timeout=15000)
            page.wait_for_timeout(500)
            made = Generation.objects.get(prompt__endswith=f"{size['width']} px")

            for path in (
                "/",
                made.get_absolute_url(),
                first.get_absolute_url(),
                f"/compare/?ids={first.pk}&ids={second.pk}",
                "/team/",
                "/projects/",
                project.get_absolute_url(),
                "/inbox/",
                "/presets/",
                "/batches/",
                "/sequences/",
                f"/sequences/{sequence.pk}/",
                "/usage/",
            ):
                console.visit(base + path)
            console.collect()
            context.close()
            assert console.lines == [], "\n".join(console.lines)
