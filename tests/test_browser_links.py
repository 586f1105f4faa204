"""Review links in real Chromium: Alice makes a link with a password for two videos; a
fresh browser with no login opens it, is refused with a wrong password, enters the right
one, plays and seeks one video, comments at a moment as "Claire (client)" and approves the
other; Alice sees both in the studio; she revokes the link, and the guest's next page load,
file request and comment are refused. Screenshots at a phone's and a desktop's size
(test-results/links-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from generations.models import Comment, ReviewStatus
from reviewlinks.models import ReviewLink
from tests.helpers import make_ready_generation
from tests.test_accessibility import serious
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
LINK_PASSWORD = "maison-lune-2"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"links-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_client_reviews_two_videos_through_a_link_until_it_is_revoked(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD, first_name="Alice", last_name="Moreau")
    kite = make_ready_generation(alice, seconds=2.0, prompt="A red kite over the dunes")
    boat = make_ready_generation(alice, seconds=2.0, prompt="A blue boat at dawn")
    make_ready_generation(alice, prompt="A draft the client must not see")

    studio = browser.new_context(viewport=SIZES[size])
    studio.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = studio.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    # Alice ticks the two videos and makes a link with a password.
    page.locator(f"#card-{kite.pk} .pick").click()
    page.locator(f"#card-{boat.pk} .pick").click()
    page.locator("#review-link-button").click()
    page.get_by_role("heading", name="New review link").wait_for()
    assert page.get_by_label("Works for").input_value() == "30"
    page.get_by_label("Name").fill("Round 2")
    page.get_by_label("Password").fill(LINK_PASSWORD)
    assert serious(page) == []
    shoot(page, f"new-{size}")
    page.get_by_role("button", name="Make the link").click()
    address = page.locator("#link-address").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/l/[A-Za-z0-9_-]{43}/", address)
    page.locator("#copy-link").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert serious(page) == []
    shoot(page, f"made-{size}")

    # A fresh browser, no login: a wrong password first, then the right one.
    client = browser.new_context(viewport=SIZES[size])
    guest = client.new_page()
    guest.goto(address)
    assert guest.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
    guest.get_by_label("Password").fill("wrong guess")
    guest.get_by_role("button", name="Open").click()
    guest.get_by_text("That password is not right.").wait_for()
    assert "A red kite" not in guest.content()
    assert serious(guest) == []
    shoot(guest, f"guest-password-{size}")
    guest.get_by_label("Password").fill(LINK_PASSWORD)
    guest.get_by_role("button", name="Open").click()
    guest.get_by_role("heading", name="A red kite over the dunes").wait_for()
    assert "A draft the client must not see" not in guest.content()
    assert guest.locator("nav").count() == 0
    hrefs = guest.eval_on_selector_all("[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if h.startswith("/videos/") or h == "/"]

    # Her name once, then she plays the kite, seeks to a moment and comments there.
    guest.get_by_label("Your name").fill("Claire (client)")
    guest.get_by_role("button", name="Continue").click()
    guest.locator("#guest-name-shown").wait_for()
    player = guest.locator(f"#player-{kite.pk}")
    player.evaluate("v => { v.muted = true; return v.play(); }")
    guest.wait_for_function(
        "id => document.getElementById(id).currentTime > 0", arg=f"player-{kite.pk}"
    )
    player.evaluate(
        """v => new Promise(done => {
             v.pause();
             v.addEventListener('seeked', done, {once: true});
             v.currentTime = 1.2;
           })"""
    )
    guest.locator(f"#video-{kite.pk} .use-moment").click()
    assert guest.locator(f"#at-{kite.pk}").input_value() == "0:01.2"
    guest.locator(f"#body-{kite.pk}").fill("Warmer light at the end, please")
    guest.locator(f"#video-{kite.pk}").get_by_role("button", name="Comment").click()
    guest.get_by_text("Thank you: your comment was sent to the team.").wait_for()
    guest.locator(f"#video-{kite.pk} .comment .moment", has_text="at 0:01.2").wait_for()
    guest.locator(f"#video-{boat.pk}").get_by_role("button", name="Approve").click()
    guest.get_by_text("Thank you: you approved it.").wait_for()
    assert guest.locator(f"#decision-{boat.pk}").inner_text() == "Approved"
    assert serious(guest) == []
    shoot(guest, f"guest-{size}")

    comment = Comment.objects.get()
    assert (comment.author, comment.guest_name, comment.at_seconds) == (
        None,
        "Claire (client)",
        1.2,
    )
    boat.refresh_from_db()
    assert boat.review_status == ReviewStatus.APPROVED

    # Alice sees both in the studio, marked as from the guest through "Round 2".
    page.goto(live_server.url + kite.get_absolute_url())
    page.get_by_text("Claire (client) (guest via link “Round 2”)").wait_for()
    assert "Warmer light at the end, please" in page.inner_text("#comments")
    page.locator("#review-links").scroll_into_view_if_needed()
    shoot(page, f"video-panel-{size}")
    page.goto(live_server.url + boat.get_absolute_url())
    assert "Approved by Claire (client) (guest)" in page.inner_text(".history")

    # The Links page shows the link, its views; she revokes it there.
    open_menu(page)  # on a phone the navigation is behind the Menu button
    page.get_by_role("link", name="Links", exact=True).click()
    row = page.locator(f"#review-link-{ReviewLink.objects.get().pk}")
    assert "Round 2" in row.inner_text()
    assert serious(page) == []
    shoot(page, f"index-{size}")
    row.get_by_role("button", name="Revoke").click()
    page.get_by_text("Revoked “Round 2”").wait_for()
    assert ReviewLink.objects.get().revoked_at is not None

    # The guest's open page: her next comment is refused, so are a reload and a file.
    guest.locator(f"#body-{kite.pk}").fill("One more thing")
    guest.locator(f"#video-{kite.pk}").get_by_role("button", name="Comment").click()
    guest.get_by_role("heading", name="This link is no longer available").wait_for()
    assert Comment.objects.count() == 1
    response = guest.reload()
    assert response is not None and response.status == 404
    assert "This link is no longer available" in guest.content()
    video = client.request.get(address + f"v/{kite.pk}/video/")
    assert video.status == 404
    shoot(guest, f"guest-gone-{size}")
    client.close()
    studio.close()
