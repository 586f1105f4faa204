"""Issue 21's "Done when", in real Chromium with two people and the worker making every
video through the CometAPI simulator. Mia (a member) makes three takes, makes another of
the second (a stack of 2 on her gallery's card), renames it, shares it, asks for review
and writes "@reviewer look at 0:03" with a circle drawn on that frame. Rita (a reviewer)
sees her bell go up, opens the line (the video paused at 0:03, the circle over it) and
requests changes; Mia answers; Rita approves. The Approved filter and every approved-only
ZIP (the gallery's link, the selection bar's button, Rita's Team page) hold exactly that
version. Screenshots at a phone's and a desktop's size (test-results/review-flow-*.png)."""

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from generations.models import Comment, Generation, Notification, ReviewStatus, Role, Teammate
from tests.test_browser_inbox import drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"review-flow-{name}.png"), full_page=True)


def log_in(browser, url, username, size):
    context = browser.new_context(
        viewport=SIZES[size], has_touch=size == "phone", accept_downloads=True
    )
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def wait_until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def all_ready(*pks) -> bool:
    return Generation.objects.filter(pk__in=pks, status="ready").count() == len(pks)


def zip_names(page, click) -> list[str]:
    """The file names inside the ZIP that `click()` downloads."""
    with page.expect_download() as download:
        click()
    return zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()


def bell(page) -> int:
    count = page.locator("#inbox-bell .bell-count")
    return int(count.inner_text()) if count.count() else 0


def wait_for_bell_above(page, before: int) -> int:
    page.wait_for_function(
        "n => { const c = document.querySelector('#inbox-bell .bell-count');"
        " return c && parseInt(c.textContent, 10) > n; }",
        arg=before,
        timeout=30_000,
    )
    return bell(page)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_member_and_a_reviewer_take_a_retried_take_from_draft_to_approved(
    live_server,
    release_server_connections,
    simulator,
    running_worker,
    browser,
    size,
):
    simulator.configure(render_seconds=1.0)
    users = get_user_model().objects
    users.create_user("mia", password=PASSWORD, first_name="Mia", last_name="Laurent")
    rita = users.create_user("reviewer", password=PASSWORD, first_name="Rita", last_name="Reyes")
    Teammate.set_role(rita, Role.REVIEWER)

    with override_settings(COMETAPI_POLL_INTERVAL=0.5):
        mia = log_in(browser, live_server.url, "mia", size)
        reviewer = log_in(browser, live_server.url, "reviewer", size)

        # Three takes of one prompt, four seconds each, made by the worker.
        mia.get_by_role("banner").get_by_role("link", name="New video").click()
        mia.get_by_label("Prompt").fill("A paper kite over a wheat field at golden hour")
        mia.locator("#field-takes label.choice", has_text="3").click()
        mia.check("input[name=seconds][value='4']")
        mia.get_by_role("button", name="Generate").click()
        mia.wait_for_url(re.compile(r"/takes/"))
        takes = list(Generation.objects.order_by("take_number"))
        assert [take.take_number for take in takes] == [1, 2, 3]
        wait_until(lambda: all_ready(*(take.pk for take in takes)), "three takes ready")

        # She makes another of the second, closer: its version 2.
        mia.goto(live_server.url + takes[1].get_absolute_url())
        mia.get_by_role("link", name="Make another like this").click()
        mia.get_by_label("Prompt").fill("A paper kite over a wheat field at golden hour, closer")
        mia.get_by_role("button", name="Generate").click()
        mia.wait_for_url(re.compile(r"/videos/"))
        retry = Generation.objects.get(prompt__endswith="closer")
        assert (retry.stack_id, retry.version, retry.owner.username) == (takes[1].pk, 2, "mia")
        wait_until(lambda: all_ready(retry.pk), "the retry ready")

        mia.goto(live_server.url + "/")
        cards = mia.locator("#gallery .tile")
        cards.first.wait_for()
        assert cards.count() == 3  # take 1, take 3, and the stack of take 2
        stack_card = mia.locator(f"#card-{retry.pk}")
        assert "2 versions" in stack_card.inner_text()
        assert mia.locator(f"#card-{takes[1].pk}").count() == 0
        shoot(mia, f"gallery-{size}")

        # On the stack's page: rename in place, share, ask for review.
        stack_card.locator(".tile-link").click()
        mia.wait_for_url(re.compile(str(retry.pk)))
        assert mia.locator("#versions .version-link").count() == 2
        mia.locator(".rename summary").click()
        mia.get_by_label("Title").fill("Kite hero shot")
        mia.get_by_role("button", name="Save").click()
        mia.locator("h1.prompt-title", has_text="Kite hero shot").wait_for()
        mia.get_by_role("button", name="In review", exact=True).click()
        mia.locator(f"#review-{retry.pk} [aria-pressed=true]", has_text="In review").wait_for()
        # Still private: the page says no reviewer can see it yet. She shares it.
        mia.locator(f"#review-unseen-{retry.pk}").wait_for()
        shoot(mia, f"unseen-{size}")
        mia.locator(f"#share-{retry.pk}").get_by_role("button", name="Share with the team").click()
        mia.locator(f"#share-{retry.pk}", has_text="Shared with the team").wait_for()

        # "@reviewer look at 0:03" with a circle drawn on that frame.
        told_before = bell(reviewer)
        mia.locator("video.player").evaluate(
            "v => new Promise(done => { const go = () => { v.currentTime = 3; "
            "v.addEventListener('seeked', done, { once: true }); }; "
            "v.readyState >= 1 ? go() : v.addEventListener('loadedmetadata', go, { once: true }); })"
        )
        mia.get_by_role("button", name="Draw on the frame").click()
        assert mia.locator("#id_at").input_value() == "0:03.0"
        mia.get_by_role("toolbar", name="Drawing on the frame").get_by_role(
            "button", name="Circle"
        ).click()
        overlay = mia.locator("svg.drawing-overlay")
        drag(mia, overlay.bounding_box(), (0.3, 0.3), (0.6, 0.7), finger=size == "phone")
        assert overlay.locator("ellipse").count() == 1
        mia.get_by_role("button", name="Done").click()
        body = mia.locator("#id_body")
        body.click()
        body.press_sequentially("@rev")
        mia.get_by_role("option", name=re.compile("Rita Reyes")).wait_for()
        assert mia.get_by_role("option").count() == 1
        body.press("Enter")
        body.press_sequentially("look at 0:03")
        assert body.input_value() == "@reviewer look at 0:03"
        mia.get_by_role("button", name="Comment", exact=True).click()
        mia.locator("li.comment[data-drawing]").wait_for()
        shoot(mia, f"asked-{size}")
        asked = Comment.objects.get()
        assert (asked.generation_id, asked.at_seconds) == (retry.pk, 3.0)
        assert [shape["kind"] for shape in asked.drawing] == ["circle"]

        # Rita's bell goes up by itself; the line opens the paused frame with the circle.
        assert wait_for_bell_above(reviewer, told_before) > told_before
        shoot(reviewer, f"reviewer-bell-{size}")
        reviewer.locator("#inbox-bell").click()
        reviewer.get_by_role("heading", name="Inbox").wait_for()
        reviewer.get_by_role("link", name=re.compile("Mia Laurent mentioned you")).click()
        reviewer.wait_for_url(re.compile(rf"/videos/.*{retry.pk}.*#t=3\.0&c={asked.pk}$"))
        reviewer.locator("svg.drawing-overlay.visible ellipse").wait_for()
        reviewer.wait_for_function(
            "() => { const v = document.querySelector('video.player');"
            " return v.paused && Math.abs(v.currentTime - 3) < 0.05 && v.readyState >= 2; }"
        )
        # A reviewer decides (the four buttons) but renames nothing and remakes nothing.
        assert reviewer.locator(f"#review-{retry.pk} button.review-choice").count() == 4
        assert reviewer.locator(".rename").count() == 0
        assert reviewer.get_by_role("link", name="Make another like this").count() == 0
        reviewer.locator("video.player").scroll_into_view_if_needed()
        shoot(reviewer, f"reviewer-moment-{size}")

        mia_told = bell(mia)
        reviewer.get_by_role("button", name="Changes requested", exact=True).click()
        reviewer.locator(
            f"#review-{retry.pk} [aria-pressed=true]", has_text="Changes requested"
        ).wait_for()
        assert Generation.objects.get(pk=retry.pk).review_status == ReviewStatus.CHANGES

        # Mia is told, and answers under the video.
        wait_for_bell_above(mia, mia_told)
        mia.reload()
        mia.locator(
            f"#review-{retry.pk} [aria-pressed=true]", has_text="Changes requested"
        ).wait_for()
        answer = mia.locator("#id_body")
        answer.click()
        answer.press_sequentially("@rev")
        mia.get_by_role("option", name=re.compile("Rita Reyes")).wait_for()
        answer.press("Enter")
        answer.press_sequentially("the kite is closer in this version, and the sun lower")
        told_before = bell(reviewer)
        mia.get_by_role("button", name="Comment", exact=True).click()
        mia.locator("li.comment", has_text="the sun lower").wait_for()

        # Rita reads it and approves.
        wait_for_bell_above(reviewer, told_before)
        reviewer.reload()
        reviewer.locator("li.comment", has_text="the sun lower").wait_for()
        reviewer.get_by_role("button", name="Approved", exact=True).click()
        reviewer.locator(f"#review-{retry.pk} [aria-pressed=true]", has_text="Approved").wait_for()
        reviewer.locator("#history-events li", has_text="by reviewer — Approved.").wait_for()
        shoot(reviewer, f"reviewer-approved-{size}")
        assert [n.text for n in Notification.objects.filter(kind="decision").order_by("pk")] == [
            "reviewer set “Kite hero shot” to Changes requested.",
            "reviewer set “Kite hero shot” to Approved.",
        ]

        # Mia's Approved filter holds exactly that version, and so does its ZIP.
        retry.refresh_from_db()
        assert retry.review_status == ReviewStatus.APPROVED
        mia.goto(live_server.url + "/?review=approved")
        mia.locator("#gallery .tile").first.wait_for()
        assert mia.locator("#gallery .tile").count() == 1
        assert mia.locator(f"#card-{retry.pk}").count() == 1
        assert mia.locator("#approved-count").inner_text() == "1"
        shoot(mia, f"filter-{size}")
        names = zip_names(mia, lambda: mia.locator("#approved-zip").click())
        assert names == [retry.download_name]
        assert "kite-hero-shot" in names[0]

        # The selection bar offers "Download approved" once the ticks hold an approved one.
        mia.goto(live_server.url + "/")
        mia.locator("#gallery .tile").first.wait_for()
        approved_button = mia.locator("#zip-approved-button")
        mia.locator(f"#card-{takes[0].pk} .pick-box").check()
        assert approved_button.is_hidden()
        for card in mia.locator("#gallery .tile .pick-box").all():
            card.check()
        approved_button.wait_for()
        assert approved_button.inner_text() == "Download approved (1)"
        shoot(mia, f"selection-{size}")
        assert zip_names(mia, approved_button.click) == [retry.download_name]

        # Rita's Team page counts it and hands her the same one-file ZIP.
        reviewer.goto(live_server.url + "/team/")
        assert reviewer.locator("#approved-count").inner_text() == "1"
        assert "Approved" in reviewer.locator(f"#card-{retry.pk}").inner_text()
        assert reviewer.locator(".rename").count() == 0
        shoot(reviewer, f"team-{size}")
        names = zip_names(reviewer, lambda: reviewer.locator("#approved-zip").click())
        assert names == [retry.download_name]
