"""Issue 25's small things in real Chromium, at a phone's and a laptop's size: portrait
takes whose badges leave the play button clear, a video's page whose "← Gallery",
"‹ Previous" and "Next ›" are full tap targets, and the team's Usage chart with its
dollar axis.
Screenshots under test-results/smaller-*.png."""

import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"smaller-{name}.png"), full_page=True)


def log_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_portrait_takes_keep_their_play_button_clear_and_the_video_page_s_links_are_big(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    maya = get_user_model().objects.create_user("maya", password=PASSWORD, is_staff=True)
    group = uuid.uuid4()
    takes = [
        make_ready_generation(
            maya,
            prompt="A dancer spins in a red coat, portrait",
            size="720x1280",
            seconds=8,
            take_group=group,
            take_number=number,
        )
        for number in (1, 2, 3)
    ]
    page = browser.new_context(viewport=SIZES[size]).new_page()
    log_in(page, live_server.url)

    page.goto(live_server.url + f"/videos/{takes[0].pk}/takes/")
    cards = page.locator(".tile")
    cards.first.wait_for()
    shoot(page, f"takes-{size}")
    for index in range(cards.count()):
        card = cards.nth(index)
        play = card.locator(".play-badge").bounding_box()
        shown = [badge for badge in card.locator(".badges .badge").all() if badge.is_visible()]
        assert len(shown) >= 2, "the length and the take number stay"
        for badge in shown:
            box = badge.bounding_box()
            assert not overlaps(box, play), f"take {index + 1}: {badge.inner_text()} covers ▶"

    page.goto(live_server.url + takes[1].get_absolute_url() + "?list=")
    for name in ("← Gallery", "‹ Previous", "Next ›"):
        box = page.locator(".detail-nav").get_by_role("link", name=name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, f"{name}: {box}"
    shoot(page, f"video-{size}")

    # Usage: the admin lands on the team's month; the chart reads in dollars.
    page.goto(live_server.url + "/usage/")
    assert page.get_by_role("heading", level=1).inner_text() == "Usage — the team"
    values = page.locator(".chart .tick.value").evaluate_all("all => all.map(t => t.textContent)")
    assert values == ["$0.00", "$0.50", "$1.00"], values
    shoot(page, f"usage-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_pill_tells_running_from_waiting_and_the_task_id_is_folded_for_an_admin(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    from django.utils import timezone

    from generations.models import Generation
    from tests.helpers import make_generation

    maya = get_user_model().objects.create_user("maya", password=PASSWORD, is_staff=True)
    for _ in range(4):
        make_generation(maya, prompt="Rain runs down a café window at night.")
    sent = []
    for number in (1, 2):
        job = make_generation(maya, prompt=f"A lighthouse beam sweeps the fog, take {number}.")
        Generation.objects.filter(pk=job.pk).update(submit_started_at=timezone.now())
        job.refresh_from_db()
        job.mark_submitted(f"task_lighthouse_{number}")
        job.save()
        sent.append(job)
    page = browser.new_context(viewport=SIZES[size]).new_page()
    log_in(page, live_server.url)

    pill = page.locator("#jobs-indicator")
    text = " ".join(pill.inner_text().split())
    assert text.startswith("2 running · 4 waiting"), text  # "running" hidden on a phone
    assert pill.bounding_box()["height"] >= 44

    page.goto(live_server.url + sent[0].get_absolute_url())
    history = page.locator(".history")
    assert "task_lighthouse_1" not in history.inner_text()  # folded
    page.locator(".history .task-ref summary").click()
    assert "task_lighthouse_1" in history.inner_text()
    shoot(page, f"pill-and-history-{size}")
