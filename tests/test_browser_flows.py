"""A film maker in real Chromium, on a laptop and on a phone: image-to-video with a portrait
photo cropped to fit, a failed job and its reason, a notification from a background tab, and
the whole flow at 390×844 without sideways scrolling. Every flow saves screenshots under
test-results/ (look at them: a broken layout is a failing test)."""

import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from tests import factories_media as media
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
LAPTOP = {"viewport": {"width": 1440, "height": 900}}


def shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def log_in(page, base_url: str, username: str = "maya") -> None:
    page.goto(base_url + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(base_url + "/")


def assert_no_sideways_scroll(page, where: str) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], f"{where} scrolls sideways: {widths}"


def assert_tap_targets(page, where: str) -> None:
    """Every visible button and menu link is at least 44×44 px."""
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.button, button, .topbar nav a, .choices label.choice, .back a, .jobs-indicator'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
            .filter(([, box]) => box.height < 44 || box.width < 44)
            .map(([text, box]) => `${text} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == [], f"{where}: small tap targets {small}"


def wait_for_status(page, wanted: set[str], timeout: float = 60) -> str:
    status = page.locator(".status-card")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = status.get_attribute("data-status")
        if value in wanted:
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"status never became {wanted}; last {value}")


@pytest.fixture
def maya(db):
    return get_user_model().objects.create_user("maya", password=PASSWORD)


@pytest.fixture
def portrait_photo(tmp_path) -> Path:
    path = tmp_path / "portrait.jpg"
    path.write_bytes(media.jpeg_bytes(720, 1280))
    return path


@pytest.fixture
def fast_studio(simulator):
    simulator.configure(render_seconds=3.0)
    with override_settings(COMETAPI_POLL_INTERVAL=0.5, DEMO_MODE=True):
        yield simulator


def test_image_to_video_with_a_portrait_photo_cropped_to_fit(
    live_server,
    release_server_connections,
    fast_studio,
    running_worker,
    browser,
    maya,
    portrait_photo,
):
    page = browser.new_context(**LAPTOP).new_page()
    log_in(page, live_server.url)
    page.get_by_role("link", name="New video").click()
    page.fill("#id_prompt", "A lighthouse keeper climbs the spiral stairs at dusk.")
    page.set_input_files("input[name=first_frame]", str(portrait_photo))

    # The instant preview, then the server's word on the shape and its crop.
    page.locator("#frame-original").wait_for()
    fit = page.locator("#field-first_frame_fit")
    fit.wait_for()
    page.locator("#frame-cropped").wait_for()
    assert "portrait (720×1280)" in page.locator("#fit-message").inner_text()
    cropped = page.evaluate(
        "[document.getElementById('frame-cropped').naturalWidth,"
        " document.getElementById('frame-cropped').naturalHeight]"
    )
    assert cropped[0] > cropped[1], cropped  # the crop preview is landscape
    assert page.is_checked("input[name=first_frame_fit][value=crop]")
    shot(page, "create-portrait-photo-crop-to-fit")

    # Enter on a choice never sends a paid job; Ctrl+Enter in the prompt does.
    page.focus("input[name=size][value='1280x720']")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith("/new/")
    page.focus("#id_prompt")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/videos/**")

    wait_for_status(page, {"ready"})
    thumb = page.locator("img.thumb")
    thumb.wait_for()
    size = page.evaluate(
        "[document.querySelector('img.thumb').naturalWidth,"
        " document.querySelector('img.thumb').naturalHeight]"
    )
    assert size[0] > size[1], size  # the stored first frame was cropped to landscape
    shot(page, "detail-image-to-video-ready")


def test_a_failed_job_shows_its_reason(
    live_server, release_server_connections, fast_studio, running_worker, browser, maya
):
    fast_studio.outcome = "failed"
    page = browser.new_context(**LAPTOP).new_page()
    log_in(page, live_server.url)
    page.goto(live_server.url + "/new/")
    page.fill("#id_prompt", "A storm rolls over the harbour.")
    page.click("#generate-button")
    page.wait_for_url("**/videos/**")

    assert wait_for_status(page, {"failed", "ready"}) == "failed"
    card = page.locator(".status-card")
    assert "Failed" in card.locator(".status-title").inner_text()
    assert "Veo could not make this video" in card.inner_text()
    # A refusal a retry cannot fix offers an edit, not the same paid job again.
    assert page.get_by_role("link", name="Edit and try again").is_visible()
    shot(page, "detail-failed-with-reason")


NOTIFICATION_RECORDER = """
(() => {
  const Real = window.Notification;
  window.__notes = [];
  function Recorded(title, options) {
    window.__notes.push({ title, body: (options || {}).body, hidden: document.hidden });
    return new Real(title, options);
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
  // Headless Chromium keeps every tab "visible"; this plays the Page Visibility API's part
  // of a tab the person has left, so the page's own hidden-tab code paths run.
  let hidden = false;
  Object.defineProperty(document, "hidden", { get: () => hidden });
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def test_a_notification_arrives_when_a_job_ends_in_a_background_tab(
    live_server, release_server_connections, fast_studio, running_worker, browser, maya
):
    fast_studio.configure(render_seconds=8.0)
    context = browser.new_context(**LAPTOP)
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(NOTIFICATION_RECORDER)
    page = context.new_page()
    log_in(page, live_server.url)
    page.goto(live_server.url + "/new/")
    page.fill("#id_prompt", "A paper kite floats above a wheat field.")
    page.click("#generate-button")
    page.wait_for_url("**/videos/**")
    assert page.locator("#jobs-indicator").is_visible()
    # "1 waiting" until the worker sends it, then "1 running".
    pill = page.locator("#jobs-indicator").inner_text().replace("\n", " ")
    assert "1 running" in pill or "1 waiting" in pill, pill
    shot(page, "header-running-indicator")

    other = context.new_page()  # the person goes to another tab
    other.goto(live_server.url + "/new/")
    other.bring_to_front()
    page.evaluate("window.__setHidden(true)")
    deadline = time.monotonic() + 60
    while not page.evaluate("window.__notes.length") and time.monotonic() < deadline:
        other.wait_for_timeout(500)

    notes = page.evaluate("window.__notes")
    assert notes[0]["title"].startswith("Video ready: A paper kite"), notes
    assert "saved in the gallery" in notes[0]["body"]
    assert notes[0]["hidden"] is True
    assert page.title().startswith("✓ Video ready"), page.title()
    page.bring_to_front()
    page.evaluate("window.__setHidden(false)")
    wait_for_status(page, {"ready"})  # back in front, the page catches up
    shot(page, "detail-after-background-notification")


def test_the_whole_flow_on_a_phone_never_scrolls_sideways(
    live_server,
    release_server_connections,
    fast_studio,
    running_worker,
    browser,
    maya,
    portrait_photo,
):
    page = browser.new_context(**PHONE).new_page()
    url = live_server.url

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        assert_no_sideways_scroll(page, name)
        assert_tap_targets(page, name)
        shot(page, f"phone-{name}")

    page.goto(url + "/accounts/login/")
    check("login")
    log_in(page, url)
    check("gallery-empty")

    page.goto(url + "/new/")
    check("create")
    page.click("#generate-button")  # no prompt: refused, with focus on the problem
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.id") == "id_prompt"
    check("create-refused")

    page.fill("#id_prompt", "A dancer spins on a rooftop at night, neon signs behind her.")
    # Corrected: the complaint goes.
    complaints = "[...document.querySelectorAll('#generation-form .error:not([hidden])')].map(e => e.outerHTML)"
    assert page.evaluate(complaints) == []
    page.check("input[name=size][value='720x1280']")
    page.set_input_files("input[name=first_frame]", str(portrait_photo))
    page.locator("#frame-original").wait_for()
    page.wait_for_timeout(500)
    assert page.locator("#field-first_frame_fit").is_hidden()  # same shape: nothing to ask
    check("create-filled")
    page.click("#generate-button")
    page.wait_for_url("**/videos/**")
    check("detail-running")

    wait_for_status(page, {"ready"})
    page.locator("video.player").wait_for()
    page.wait_for_timeout(500)
    check("detail-ready-portrait")
    # The portrait player fits the screen with its controls, and Download follows it.
    page.locator("video.player").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('video.player').scrollIntoView({block: 'start'})")
    player = page.locator("video.player").bounding_box()
    download = page.get_by_role("link", name="Download MP4").bounding_box()
    assert player and download
    assert player["height"] <= 844 * 0.7, player
    assert download["y"] + download["height"] <= 844, (player, download)

    page.goto(url + "/")
    check("gallery")
    page.goto(url + reverse("billing:usage"))
    check("usage")
    open_menu(page)  # on a phone Log out is behind the Menu button
    page.click("button[aria-label='Log out maya']")
    page.wait_for_url("**/login/**")
    assert "You are logged out" in page.inner_text("main")
    check("logged-out")


def test_the_phone_header_keeps_its_actions_on_one_row(live_server, fast_studio, browser, maya):
    page = browser.new_context(**SMALL_PHONE).new_page()
    log_in(page, live_server.url)
    page.evaluate("document.getElementById('jobs-indicator').hidden = false")
    tops = page.evaluate(
        "['.brand', '#jobs-indicator', '.topbar-actions .button']"
        ".map(s => Math.round(document.querySelector(s).getBoundingClientRect().top))"
    )
    widths = page.evaluate(
        "['.topbar', '.brand', '#jobs-indicator', '.topbar-actions', '.topbar-actions .button']"
        ".map(s => Math.round(document.querySelector(s).getBoundingClientRect().width))"
    )
    assert max(tops) - min(tops) <= 8, (tops, widths)
    shot(page, "phone-header")


def test_dark_mode_follows_the_system(live_server, fast_studio, browser, maya):
    page = browser.new_context(color_scheme="dark", **LAPTOP).new_page()
    log_in(page, live_server.url)
    page.goto(live_server.url + "/new/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(19, 19, 24)", background
    shot(page, "create-dark")


def test_the_gallery_works_from_the_keyboard(live_server, fast_studio, browser, maya):
    from tests.helpers import make_ready_generation

    made = [
        make_ready_generation(maya, prompt=f"Shot {n}: a kite over the field") for n in (1, 2, 3)
    ]
    newest_first = [str(job.pk) for job in reversed(made)]
    page = browser.new_context(**LAPTOP).new_page()
    log_in(page, live_server.url)

    def current_card() -> str:
        return page.evaluate(
            "(document.activeElement.closest('.tile') || {id: ''}).id.replace('card-', '')"
        )

    page.keyboard.press("j")
    assert current_card() == newest_first[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current_card() == newest_first[1]
    shot(page, "gallery-keyboard-current-card")

    card = page.locator(f"#card-{newest_first[1]}")
    page.keyboard.press("x")
    assert card.locator("input.pick-box").is_checked()
    page.keyboard.press("f")
    card.locator("button.star[aria-pressed='true']").wait_for()
    page.locator(f"#card-{newest_first[1]} .tile-link").focus()  # the star's swap took focus

    with page.expect_download() as download:
        page.keyboard.press("d")
    assert download.value.suggested_filename.endswith(".mp4")

    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    assert "Download the video" in page.locator("dialog#shortcuts").inner_text()
    shot(page, "gallery-keyboard-shortcuts")
    page.keyboard.press("Escape")
    assert page.locator("dialog#shortcuts").is_hidden()

    page.keyboard.press("Enter")
    page.wait_for_url(f"**/videos/{newest_first[1]}/**")


def test_notifications_are_asked_for_from_a_button_never_on_page_load(
    live_server, fast_studio, browser, maya
):
    from tests.helpers import make_generation

    job = make_generation(maya, prompt="A slow pan across a misty valley.")
    page = browser.new_context(**LAPTOP).new_page()
    log_in(page, live_server.url)
    page.goto(live_server.url + job.get_absolute_url())
    assert page.evaluate("Notification.permission") == "default"  # nothing asked on load
    offer = page.get_by_role("button", name="Tell me when it's done")
    assert offer.is_visible()

    offer.click()

    page.locator(".notify-offer").wait_for(state="hidden")
    assert page.evaluate("Notification.permission") != "default"
    page.wait_for_timeout(300)  # the announcement is written a moment later, to be re-read
    assert "Notifications" in page.locator("#announcer").inner_text()
