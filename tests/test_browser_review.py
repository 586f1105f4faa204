"""Review in real Chromium, two people: Mia (a member) makes three takes, retries one with
an edit (a stack of 2 appears on her gallery), renames it, shares it and asks for review;
Boss (an admin) approves it from the Team view; Mia's Approved filter and her
approved-only ZIP hold exactly that version. Screenshots at a phone's and a desktop's size
(test-results/review-*.png)."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from generations.models import Generation, Notification, ReviewStatus
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"review-{name}.png"), full_page=True)


def finish(video: Generation) -> None:
    """What the worker would do once CometAPI made it: a real MP4 and poster, ready."""
    ready = make_ready_generation(video.owner)
    Generation.objects.filter(pk=video.pk).update(
        status="ready",
        video=ready.video.name,
        poster=ready.poster.name,
        video_bytes=ready.video_bytes,
        video_width=ready.video_width,
        video_height=ready.video_height,
        video_duration=ready.video_duration,
    )
    Generation.objects.filter(pk=ready.pk).delete()


def log_in(browser, url, name, size):  # noqa: F811
    context = browser.new_context(viewport=SIZES[size], accept_downloads=True)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


@pytest.mark.parametrize("size", list(SIZES))
def test_a_member_retries_a_take_renames_it_and_an_admin_approves_exactly_that_version(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    users.create_user("mia", password=PASSWORD, first_name="Mia")
    users.create_user("boss", password=PASSWORD, first_name="Boss", is_staff=True)
    context, page = log_in(browser, live_server.url, "mia", size)

    # Three takes of one prompt.
    page.get_by_role("banner").get_by_role("link", name="New video").click()
    page.get_by_label("Prompt").fill("A paper kite over a wheat field at golden hour")
    page.locator("#field-takes label.choice", has_text="3").click()
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/takes/"))
    takes = list(Generation.objects.order_by("take_number"))
    assert len(takes) == 3
    for take in takes:
        finish(take)

    # She retries the second with an edit: it becomes its version 2.
    page.goto(live_server.url + takes[1].get_absolute_url())
    page.get_by_role("link", name="Make another like this").click()
    page.get_by_label("Prompt").fill("A paper kite over a wheat field at golden hour, closer")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/videos/"))
    retry = Generation.objects.get(prompt__endswith="closer")
    assert (retry.stack_id, retry.version) == (takes[1].pk, 2)
    finish(retry)

    page.goto(live_server.url + "/")
    cards = page.locator("#gallery .tile")
    cards.first.wait_for()
    assert cards.count() == 3  # take 1, take 3, and the stack of take 2
    stack_card = page.locator(f"#card-{retry.pk}")
    assert "2 versions" in stack_card.inner_text()
    assert page.locator(f"#card-{takes[1].pk}").count() == 0
    shoot(page, f"gallery-{size}")

    # On the stack's page: rename in place, share, ask for review.
    stack_card.locator(".tile-link").click()
    page.wait_for_url(re.compile(str(retry.pk)))
    assert page.locator("#versions").inner_text().count("v") >= 2
    page.locator(".rename summary").click()
    page.get_by_label("Title").fill("Kite hero shot")
    page.get_by_role("button", name="Save").click()
    page.locator("h1.prompt-title", has_text="Kite hero shot").wait_for()
    page.locator(f"#share-{retry.pk}").get_by_role("button", name="Share with the team").click()
    page.locator(f"#share-{retry.pk}", has_text="Shared with the team").wait_for()
    page.get_by_role("button", name="In review").click()
    page.locator(
        "#review-" + str(retry.pk) + " [aria-pressed=true]", has_text="In review"
    ).wait_for()
    shoot(page, f"video-{size}")
    retry.refresh_from_db()
    assert (retry.title, retry.review_status) == ("Kite hero shot", ReviewStatus.IN_REVIEW)

    # Boss, an admin, finds it on the Team page and approves it in one click.
    boss_context, boss = log_in(browser, live_server.url, "boss", size)
    boss.goto(live_server.url + "/team/")
    card = boss.locator(f"#card-{retry.pk}")
    assert "In review" in card.inner_text()
    assert "Kite hero shot" in card.inner_text()
    card.locator(".tile-link").click()
    boss.wait_for_url(re.compile(str(retry.pk)))
    boss.get_by_role("button", name="Approved").click()
    boss.locator(f"#review-{retry.pk} [aria-pressed=true]", has_text="Approved").wait_for()
    boss.locator("#history-events li", has_text="by boss — Approved.").wait_for()  # in place
    shoot(boss, f"approved-{size}")
    boss_context.close()
    told = Notification.objects.get(kind="decision")
    assert (told.recipient.username, told.kind) == ("mia", "decision")

    # Mia's Approved filter and her approved-only ZIP hold exactly that version.
    page.goto(live_server.url + "/?review=approved")
    page.locator("#gallery .tile").first.wait_for()
    assert page.locator("#gallery .tile").count() == 1
    assert page.locator(f"#card-{retry.pk}").count() == 1
    assert page.locator("#approved-count").inner_text() == "1"
    shoot(page, f"filter-{size}")
    with page.expect_download() as download:
        page.locator("#approved-zip").click()
    saved = download.value.path()
    names = zipfile.ZipFile(io.BytesIO(Path(saved).read_bytes())).namelist()
    retry.refresh_from_db()
    assert names == [retry.download_name]
    assert "kite-hero-shot" in names[0]
    context.close()
