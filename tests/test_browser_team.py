"""Two teammates in real Chromium: Alice shares, Bob watches and comments at a moment,
Alice sees it arrive and seeks to it, Alice unshares and Bob's open page closes."""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import make_generation, make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
    Object.defineProperty(document, "hidden", {value: state === "hidden", configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def signed_in(browser, live_server, username: str, viewport: dict):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"team-{name}.png"), full_page=True)


def player_time(page) -> float:
    return page.evaluate("document.querySelector('video.player').currentTime")


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_shares_bob_comments_at_a_moment_alice_seeks_there_then_unshares(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD, first_name="Alice", last_name="Moreau")
    users.create_user("bob", password=PASSWORD)
    video = make_ready_generation(alice, seconds=4.0, prompt="A paper kite over the dunes")
    page_url = live_server.url + video.get_absolute_url()
    file_url = live_server.url + f"/videos/{video.pk}/video.mp4"
    viewport = SIZES[size]

    alice_context, alice_page = signed_in(browser, live_server, "alice", viewport)
    bob_context, bob_page = signed_in(browser, live_server, "bob", viewport)

    # Bob cannot open it yet: a kind page, and a 404.
    response = bob_page.goto(page_url)
    assert response.status == 404
    assert bob_page.get_by_role("heading", name="This video is not shared with you").is_visible()
    shoot(bob_page, f"not-shared-{size}")

    # Alice shares it from its page.
    alice_page.goto(page_url)
    alice_page.get_by_role("button", name="Share with the team").click()
    alice_page.locator(".share-control.is-shared").wait_for()
    alice_page.evaluate("window.__sameDocument = true")
    polls: list[float] = []
    # The page's one poll carries the comment list's version (static/js/poll.js).
    alice_page.on(
        "request",
        lambda r: "/status/" in r.url and "comments=" in r.url and polls.append(time.monotonic()),
    )
    # Her tab goes to the background: no polling while nobody can see it.
    alice_page.evaluate(SET_VISIBILITY, "hidden")
    hidden_at = time.monotonic()

    # Bob finds it in the Team view with her name, and opens it.
    bob_page.goto(live_server.url + "/team/")
    card = bob_page.locator(f"#card-{video.pk}")
    assert "Alice Moreau" in card.locator(".maker").inner_text()
    shoot(bob_page, f"team-view-{size}")
    card.locator("a.tile-link").click()
    bob_page.wait_for_url(re.compile(str(video.pk)))
    assert "Shared by Alice Moreau" in bob_page.locator(".share-control").inner_text()
    assert bob_page.get_by_role("button", name="Delete").count() == 0

    # He plays it, pauses near 2.5 s, and comments at that moment with one click.
    bob_page.evaluate("document.querySelector('video.player').muted = true")
    bob_page.evaluate("document.querySelector('video.player').play()")
    bob_page.wait_for_function(
        "() => document.querySelector('video.player').readyState >= 2", timeout=15000
    )
    bob_page.evaluate(
        "(() => { const v = document.querySelector('video.player');"
        " v.pause(); v.currentTime = 2.5; })()"
    )
    bob_page.wait_for_function(
        "() => Math.abs(document.querySelector('video.player').currentTime - 2.5) < 0.05"
    )
    alice_page.wait_for_timeout(max(0, 5000 - 1000 * (time.monotonic() - hidden_at)))
    assert polls == [], "polled while hidden"
    alice_page.evaluate(SET_VISIBILITY, "visible")
    alice_page.wait_for_timeout(1000)
    assert polls and polls[0] - hidden_at >= 5, "no refresh on coming back"

    use = bob_page.locator("#comment-form .use-moment")
    use.wait_for(state="visible")
    use.click()
    assert bob_page.input_value("#id_at") == "0:02.5"
    bob_page.fill("#id_body", "The kite dips here, lovely")
    bob_page.get_by_role("button", name="Comment", exact=True).click()
    bob_page.locator(".comment", has_text="The kite dips here").wait_for()
    assert bob_page.input_value("#id_body") == ""
    shoot(bob_page, f"bob-commented-{size}")

    # Alice's open page shows it without a reload; clicking the moment seeks her player.
    comment = alice_page.locator(".comment", has_text="The kite dips here")
    comment.wait_for(timeout=15000)
    assert alice_page.evaluate("window.__sameDocument") is True
    assert "bob" in comment.locator(".comment-author").inner_text()
    alice_page.wait_for_function(
        "() => document.querySelector('video.player').readyState >= 1", timeout=15000
    )
    comment.locator("a.moment").click()
    alice_page.wait_for_function(
        "() => Math.abs(document.querySelector('video.player').currentTime - 2.5) < 0.05"
    )
    assert abs(player_time(alice_page) - 2.5) < 0.05
    shoot(alice_page, f"alice-sees-comment-{size}")

    # Alice unshares. Bob's open page says so at its next poll; the page and file are 404.
    alice_page.get_by_role("button", name="Unshare").click()
    alice_page.locator(".share-control:not(.is-shared)").wait_for()
    bob_page.locator("#gone-notice").wait_for(timeout=15000)
    assert bob_page.get_by_role("heading", name="This video is no longer shared with you").count()
    assert bob_page.locator("video.player").count() == 0
    shoot(bob_page, f"no-longer-shared-{size}")
    assert bob_context.request.get(file_url).status == 404
    assert bob_context.request.get(page_url).status == 404
    assert alice_context.request.get(file_url).status == 200

    alice_context.close()
    bob_context.close()


def test_a_card_on_the_team_view_leaves_when_its_video_is_unshared(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    users.create_user("bob", password=PASSWORD)
    rendering = make_generation(alice, prompt="Still rendering at sea")  # its card polls
    rendering.share_for(alice)
    context, page = signed_in(browser, live_server, "bob", SIZES["desktop"])
    page.goto(live_server.url + "/team/")
    card = page.locator(f"#card-{rendering.pk}")
    card.wait_for()

    rendering.unshare_for(alice)

    card.wait_for(state="detached", timeout=10000)
    context.close()
