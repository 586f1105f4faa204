"""A film maker in real Chromium finds, stars, compares, downloads and tidies up videos."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from generations.models import Generation
from tests.helpers import make_ready_generation
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from veo.catalogue import Size

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
VIEWPORTS = {"phone": (390, 844), "desktop": (1440, 900)}


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def studio(db):
    maya = get_user_model().objects.create_user("maya", password=PASSWORD)
    cafes = [
        make_ready_generation(maya, seconds=4.0, prompt=f"Rain on a Café window, take {n}")
        for n in (1, 2)
    ]
    make_ready_generation(maya, seconds=4.0, prompt="Café sign at night", size=Size.PORTRAIT_720)
    make_ready_generation(maya, seconds=4.0, prompt="A paper kite over a field")
    return maya, cafes


def log_in(page, base_url):
    page.goto(base_url + "/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#filters")


def shot(page, name):
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"gallery-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_search_filter_star_compare_zip_trash_and_undo(live_server, browser, studio, viewport):
    maya, cafes = studio
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        accept_downloads=True,
        has_touch=viewport == "phone",
    )
    page = context.new_page()
    video_requests = []
    page.on("request", lambda r: "/video.mp4" in r.url and video_requests.append(r.url))
    log_in(page, live_server.url)
    assert page.locator(".tile").count() == 4

    # Nothing downloads a video until a card is hovered; then it plays, muted.
    page.wait_for_timeout(500)
    assert video_requests == []
    page.hover(f"#card-{cafes[0].pk} .frame")
    page.wait_for_function(
        f"() => document.querySelector('#card-{cafes[0].pk} video.preview').currentTime > 0.2",
        timeout=15000,
    )
    assert page.evaluate(f"() => document.querySelector('#card-{cafes[0].pk} video.preview').muted")
    assert len(video_requests) >= 1
    page.mouse.move(0, 0)

    # Search: no accent, other case, words in another order.
    page.fill("#id_q", "window CAFE")
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=window+CAFE**")
    assert page.locator(".tile").count() == 2

    # Filter: applied as soon as it changes, and kept in the URL with the search.
    page.fill("#id_q", "cafe")
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=cafe**")
    assert page.locator(".tile").count() == 3
    # The counts arrive once the page is shown, with the number of videos.
    expect(page.locator("select[name=orientation]")).to_contain_text("Landscape (2)")
    expect(page.locator("#result-count")).to_have_text("3 videos")
    if viewport == "phone":  # the filters fold behind their button on a phone
        page.click("#filter-details summary")
    page.select_option("select[name=orientation]", "landscape")
    page.wait_for_url("**orientation=landscape**")
    assert "q=cafe" in page.url
    assert page.locator(".tile").count() == 2
    shot(page, f"filtered-{viewport}")

    # Star: htmx swaps the button in place, no reload.
    page.evaluate("window.__sameDocument = true")
    first = page.locator(f"#card-{cafes[1].pk}")
    first.locator("button.star").click()
    page.wait_for_selector(f"#card-{cafes[1].pk} button.star.on")
    assert page.evaluate("window.__sameDocument") is True
    assert Generation.objects.get(pk=cafes[1].pk).is_starred_by(maya)

    # Select two (the second with shift: a range) and compare them.
    boxes = page.locator(".pick-box")
    boxes.nth(0).click()
    boxes.nth(1).click(modifiers=["Shift"])
    assert page.locator("#picked-count").inner_text() == "2 selected"
    page.click("#compare-button")
    page.wait_for_selector("#compare-controls:not([hidden])")
    page.wait_for_function(
        "() => [...document.querySelectorAll('video.compare-player')]"
        ".every(v => v.readyState >= 2)",
        timeout=15000,
    )
    page.click("#compare-play")
    page.wait_for_function(
        "() => document.querySelector('video.compare-player').currentTime > 1.2", timeout=15000
    )
    times = page.evaluate(
        "() => [...document.querySelectorAll('video.compare-player')].map(v => v.currentTime)"
    )
    assert len(times) == 2
    assert min(times) > 1.0, times  # both advanced
    assert max(times) - min(times) <= 0.1, times  # together
    shot(page, f"compare-{viewport}")
    page.click("#compare-play")  # pause all
    page.wait_for_function("() => [...document.querySelectorAll('video')].every(v => v.paused)")
    page.go_back()
    page.wait_for_selector("#filters")

    # The two still selected (or selected again after the back button) as one ZIP.
    for index in (0, 1):
        if not boxes.nth(index).is_checked():
            boxes.nth(index).check()
    with page.expect_download() as info:
        page.click("#zip-button")
    download = info.value
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    names = sorted(archive.namelist())
    assert names == sorted(g.download_name for g in cafes), names
    assert archive.testzip() is None

    # Move both to the Trash, then Undo from the message.
    page.click("#trash-button")
    page.wait_for_selector(".message.success")
    assert "Moved 2 videos to the Trash." in page.locator(".message.success").inner_text()
    assert page.locator(".tile").count() == 0
    assert Generation.objects.in_trash().count() == 2
    shot(page, f"trashed-{viewport}")
    page.click(".message form.undo button")
    page.wait_for_selector(".message.success >> text=Restored 2 videos.")
    assert page.locator(".tile").count() == 2
    assert Generation.objects.in_trash().count() == 0

    page.goto(live_server.url + "/")
    shot(page, f"gallery-{viewport}")
    page.goto(cafes[0].get_absolute_url().join([live_server.url, ""]))
    shot(page, f"detail-{viewport}")
    context.close()
