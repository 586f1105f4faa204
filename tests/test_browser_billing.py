"""In real Chromium: the price follows the settings, a person over their cap is told so and
nothing reaches CometAPI, an admin raises the cap on the People page, and the person generates."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import expect

from billing.models import Member

from .test_browser import browser, release_server_connections, running_worker  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def log_in(context, base_url, username, password):
    page = context.new_page()
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
    return page


def shoot(browser, base_url, username, password, path, name):  # noqa: F811
    """The same page at a phone's and a desktop's size, for a person to look at."""
    RESULTS.mkdir(exist_ok=True)
    for label, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport)
        page = log_in(context, base_url, username, password)
        page.goto(base_url + path)
        page.screenshot(path=str(RESULTS / f"billing-{name}-{label}.png"), full_page=True)
        context.close()


def test_the_price_follows_the_form_a_cap_stops_a_job_and_an_admin_lifts_it(
    live_server,
    release_server_connections,  # noqa: F811
    simulator,
    running_worker,  # noqa: F811
    browser,  # noqa: F811
):
    users = get_user_model().objects
    maya = users.create_user("maya", password="a long studio password")
    users.create_user("carol", password="another long password", is_staff=True)
    Member.for_user(maya)
    Member.objects.filter(user=maya).update(monthly_cap=Decimal("0.50"))
    base = live_server.url

    with override_settings(COMETAPI_POLL_INTERVAL=0.5, DEMO_MODE=True):
        maya_context = browser.new_context(viewport=SIZES["desktop"])
        page = log_in(maya_context, base, "maya", "a long studio password")
        page.goto(base + "/new/")
        label = page.locator("#estimate-label")  # re-found after each htmx swap
        assert label.inner_text() == "$0.32 · 4 s × $0.08/s"
        assert (
            "Left this month: $0.50 of your $0.50 cap"
            in page.locator("#estimate-left").inner_text()
        )

        page.check("input[name=model][value='veo3.1']")
        expect(label).to_have_text("$1.28 · 4 s × $0.32/s")
        page.check("input[name=size][value='3840x2160']")  # 4K: 8 s only
        expect(label).to_have_text("$3.84 · 8 s × $0.48/s")
        assert page.is_checked("input[name=seconds][value='8']")
        page.check("input[name=model][value='veo3.1-fast']")
        page.check("input[name=size][value='1280x720']")
        page.check("input[name=seconds][value='8']")
        expect(label).to_have_text("$0.64 · 8 s × $0.08/s")
        assert "This would cost $0.64" in page.locator("#estimate-refusal").inner_text()

        page.fill("#id_prompt", "A lighthouse at dusk, waves below, slow dolly in.")
        page.click("#generate-button")
        error = page.locator(".form-error")
        error.wait_for()
        assert "your monthly cap leaves $0.50" in error.inner_text()
        assert "Ask carol to raise the cap" in error.inner_text()
        assert simulator.create_count == 0
        shoot(browser, base, "maya", "a long studio password", "/new/", "form")
        page.screenshot(path=str(RESULTS / "billing-refused-desktop.png"), full_page=True)

        admin = log_in(browser.new_context(viewport=SIZES["desktop"]), base, "carol",
                       "another long password")  # fmt: skip
        admin.goto(base + "/people/")
        admin.fill(f"input[name='m{maya.pk}-monthly_cap']", "10")
        admin.click(f"button[form='member-{maya.pk}']")
        admin.locator(".message.success").wait_for()
        assert Member.objects.get(user=maya).monthly_cap == Decimal("10.00")
        shoot(browser, base, "carol", "another long password", "/people/", "team")

        page.click("#generate-button")  # the same form, sent again as it stood
        status = page.locator(".status-card")
        status.wait_for()
        expect(status).to_have_attribute("data-status", "ready", timeout=60000)
        assert simulator.create_count == 1
        assert "$0.64 · 8 s × $0.08/s" in page.locator(".facts").inner_text()
        shoot(browser, base, "maya", "a long studio password", "/usage/", "usage")
        shoot(browser, base, "carol", "another long password", "/audit/", "audit")
        shoot(browser, base, "carol", "another long password", "/usage/?person=team", "team-usage")
        if os.environ.get("SCREENSHOT"):
            page.screenshot(path=os.environ["SCREENSHOT"], full_page=True)


def test_a_waiting_card_s_place_moves_in_the_open_gallery_and_the_card_stays(
    live_server,
    release_server_connections,  # noqa: F811
    simulator,
    browser,  # noqa: F811
):
    from billing.models import StudioSettings
    from generations.models import Generation

    from .helpers import drive, make_generation, step

    maya = get_user_model().objects.create_user("maya", password="a long studio password")
    StudioSettings.load()
    StudioSettings.objects.filter(pk=1).update(team_concurrency=1)
    first, second, third = (
        make_generation(maya, prompt=f"Take {n} of the pier") for n in (1, 2, 3)
    )
    for job in (first, second, third):
        step(job)

    context = browser.new_context(viewport=SIZES["desktop"])
    page = log_in(context, live_server.url, "maya", "a long studio password")
    line = page.locator(f"#wait-card-{third.pk}")
    expect(line).to_have_text("Waiting for a free slot — 1 ahead of you")
    page.evaluate(f"document.getElementById('card-{third.pk}').dataset.drawnFirst = 'yes'")

    drive(first)  # it finishes: the second job takes the slot
    step(Generation.objects.get(pk=second.pk))

    expect(line).to_have_text("Waiting for a free slot — you are next", timeout=15_000)
    expect(page.locator(f"#wait-card-{second.pk}")).to_be_hidden()
    # Only the line was swapped: the card the person may be pointing at is the same element.
    assert page.locator(f"#card-{third.pk}[data-drawn-first=yes]").count() == 1
    RESULTS.mkdir(exist_ok=True)
    for label, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(RESULTS / f"billing-queue-place-{label}.png"), full_page=True)
    context.close()
