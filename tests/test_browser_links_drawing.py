"""A client draws on a frame through a review link, in real Chromium: the link holds two
videos; the guest gives a name, pauses the second video at 0:01, draws a circle on it (the
mouse on a desktop, a finger on a phone), comments; the drawing lies over that video's
player (not the other one), opens again from "Show the drawing", and Alice sees it in the
studio over her player. No console error (the pages' CSP allows only the site's own files).
Screenshots at a phone's and a desktop's size (test-results/links-drawing-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from generations.models import Comment
from reviewlinks.models import ReviewLink
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)
from tests.test_browser_inbox import drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"links-drawing-{name}.png"), full_page=True)


def seek(page, selector: str, seconds: float) -> None:
    page.locator(selector).evaluate(
        "(v, at) => new Promise(done => { const go = () => { v.currentTime = at; "
        "v.addEventListener('seeked', done, { once: true }); }; "
        "v.readyState >= 1 ? go() : v.addEventListener('loadedmetadata', go, { once: true }); })",
        seconds,
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_a_client_circles_a_moment_of_the_second_video_and_alice_sees_it(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    alice = get_user_model().objects.create_user("alice", password=PASSWORD)
    kite = make_ready_generation(alice, seconds=2.0, prompt="A red kite over the dunes")
    boat = make_ready_generation(alice, seconds=2.0, prompt="A blue boat at dawn")
    link, token = ReviewLink.create_for(alice, name="Round 2", days=30, videos=[kite, boat])

    client = browser.new_context(viewport=SIZES[size], has_touch=size == "phone")
    guest = client.new_page()
    errors: list[str] = []
    guest.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    guest.goto(live_server.url + link.guest_url(token))
    guest.get_by_label("Your name").fill("Claire (client)")
    guest.get_by_role("button", name="Continue").click()
    guest.locator("#guest-name-shown").wait_for()

    # The page lists the newest first: the boat, then the kite. Claire draws on the kite.
    player = f"#player-{kite.pk}"
    article = guest.locator(f"#video-{kite.pk}")
    seek(guest, player, 1.0)
    article.get_by_role("button", name="Draw on the frame").click()
    assert guest.locator(f"#at-{kite.pk}").input_value() == "0:01.0"
    tools = article.get_by_role("toolbar", name="Drawing on the frame")
    tools.get_by_role("button", name="Circle").click()
    overlay = article.locator("svg.drawing-overlay")
    box = overlay.bounding_box()
    player_box = guest.locator(player).bounding_box()
    assert box and player_box
    assert player_box["y"] - 1 <= box["y"] and box["width"] <= player_box["width"] + 1
    drag(guest, box, (0.3, 0.3), (0.7, 0.7), finger=size == "phone")
    assert overlay.locator("ellipse").count() == 1
    assert guest.locator(f"#video-{boat.pk} svg.drawing-overlay ellipse").count() == 0
    shoot(guest, f"guest-tools-{size}")
    tools.get_by_role("button", name="Done").click()
    assert "1 shape drawn" in article.locator(".drawing-note").inner_text()
    guest.locator(f"#body-{kite.pk}").fill("Could the kite be larger here?")
    article.get_by_role("button", name="Comment", exact=True).click()
    guest.wait_for_url(re.compile(rf"#video-{kite.pk}$"))

    comment = Comment.objects.get()
    assert (comment.guest_name, comment.at_seconds) == ("Claire (client)", 1.0)
    assert [shape["kind"] for shape in comment.drawing] == ["circle"]

    # "Show the drawing" pauses the kite at 0:01 with the circle over it, and only it.
    shown = guest.locator(f"#comment-{comment.pk}")
    shown.get_by_role("button", name="Show the drawing").click()
    article.locator("svg.drawing-overlay.visible ellipse").wait_for()
    guest.wait_for_function(
        f"() => {{ const v = document.querySelector('{player}');"
        " return v.paused && Math.abs(v.currentTime - 1) < 0.05; }"
    )
    assert guest.locator(f"#video-{boat.pk} svg.drawing-overlay.visible").count() == 0
    article.scroll_into_view_if_needed()
    shoot(guest, f"guest-shown-{size}")
    assert errors == []

    # Alice reads it in the studio, the circle over her player at its moment.
    studio = browser.new_context(viewport=SIZES[size])
    page = studio.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(live_server.url + comment.moment_link)
    page.locator("svg.drawing-overlay.visible ellipse").wait_for()
    assert "Claire (client)" in page.locator(f"#comment-{comment.pk}").inner_text()
    page.locator("video.player").scroll_into_view_if_needed()
    shoot(page, f"studio-{size}")
    client.close()
    studio.close()
