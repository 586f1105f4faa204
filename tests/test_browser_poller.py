"""One poller per page, in real Chromium: Bob has Alice's shared video open and nothing of
his runs. Alice comments on it, mentioning him; without a reload, his page shows her comment
and his bell lights up, and all it asked the server meanwhile was the page's one poll."""

import re
import time
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model

from generations import notifications
from generations.models import Comment
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long studio password"


def test_a_video_page_asks_only_the_page_s_poll_and_shows_a_teammate_s_comment_and_mention(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD, first_name="Alice")
    users.create_user("bob", password=PASSWORD, first_name="Bob")
    video = make_ready_generation(alice, seconds=4.0, prompt="A kite over a wheat field")
    video.share_for(alice)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    asked: list[tuple[float, str]] = []
    page.on(
        "request",
        lambda r: r.resource_type in ("xhr", "fetch") and asked.append((time.monotonic(), r.url)),
    )
    # The idle pace comes from the server: shortened here, so that the test waits less.
    with patch("generations.polling.POLL_IDLE_EVERY_MS", 2000):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "bob")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.goto(live_server.url + video.get_absolute_url())
        page.locator("#poller[data-pace=idle]").wait_for(state="attached")
        assert page.locator("#inbox-bell .bell-count").count() == 0
        opened_at = time.monotonic()

        comment = Comment.objects.create(
            generation=video, author=alice, body="@bob the kite dips too early"
        )
        notifications.tell_about_comment(comment)

        page.locator("#comment-list", has_text="the kite dips too early").wait_for(timeout=8000)
        page.locator("#inbox-bell .bell-count").wait_for(timeout=8000)
        assert page.locator("#inbox-bell .bell-count").inner_text() == "1"
        page.wait_for_timeout(4500)  # two more idle polls that find nothing new

    since = [(at - opened_at, url) for at, url in asked if at > opened_at]
    assert len(since) >= 3, since
    # One kind of request only: the page's poll, carrying the bell and the comments.
    path = live_server.url + "/status/?"
    assert all(url.startswith(path) for _, url in since), since
    assert all("comments=" in url and "bell=" in url for _, url in since), since
    assert not any("/inbox/bell/" in url or "/comments/" in url for _, url in asked), asked
    gaps = [later - earlier for (earlier, _), (later, _) in zip(since, since[1:], strict=False)]
    assert all(gap >= 1.6 for gap in gaps), gaps  # the idle pace (2 s here), no faster
    assert errors == []
    context.close()
