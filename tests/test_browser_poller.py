"""One poller per page, in real Chromium: Bob has Alice's shared video open and nothing of
his runs. Alice comments on it, mentioning him; without a reload, his page shows her comment
and his bell lights up, and all it asked the server meanwhile was the page's one poll. And a
busy team's gallery (500 running cards, 50 jobs in the header) polls in URLs that gunicorn
and nginx take, every card in turn."""

import re
import time
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from generations import notifications
from generations.models import Comment, Generation
from generations.polling import POLL_URL_LIMIT
from harness.harness import short_id
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)
from tests.test_poll import running_jobs

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


def test_a_busy_gallery_polls_every_card_in_turn_in_urls_the_servers_take(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD)
    running_jobs(alice, 50)  # the header's most
    theirs = running_jobs(bob, 450, shared_at=timezone.now())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    polls: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: "/status/?" in r.url and polls.append((r.url, r.status)),
    )
    # A quicker pace than a person's page has, so that the test waits less.
    with patch("generations.polling.POLL_EVERY_MS", 400):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        # Her teammate's shared jobs, as cards further down the page ("Load more").
        page.evaluate(
            """(cards) => {
                const main = document.querySelector("main");
                for (const [id, version] of cards) {
                    const card = document.createElement("div");
                    card.id = "card-" + id;
                    card.dataset.poll = "card:" + id + ":" + version;
                    main.appendChild(card);
                }
            }""",
            [[str(job.pk), job.card_version] for job in theirs],
        )
        assert page.locator("[data-poll]").count() >= 450
        farthest = theirs[-1]
        Generation.objects.filter(pk=farthest.pk).update(title="Harbour, take two")

        page.locator(f"#card-{farthest.pk}", has_text="Harbour, take two").wait_for(timeout=15000)
        page.wait_for_timeout(2000)

    assert polls and all(status == 200 for _, status in polls), polls
    longest = max(len(url.removeprefix(live_server.url)) for url, _ in polls)
    assert longest <= POLL_URL_LIMIT
    asked = {job[:22] for url, _ in polls for job in _jobs(url) if "c" in job[22:]}
    assert asked >= {short_id(job.pk.hex) for job in theirs}  # every card, in turn
    assert errors == []
    context.close()


def _jobs(url: str) -> list[str]:
    """The jobs a poll asked about, as poll.js writes each: its id in base64url (22
    characters), then what the page shows of it ("cZ3K9W") and "w" when the header counts
    it."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query).get("jobs", [""])[0].split(".")
