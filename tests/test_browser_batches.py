"""A batch from a sheet in real Chromium: Alice uploads a 5-row CSV whose fifth line names a
model Veo does not have; the plan refuses it by line, she fixes it in place (htmx), sees the
whole plan priced against her cap, generates it, and watches 5 videos arrive on the batch's
page. Screenshots of the plan and the videos at a phone's and a desktop's size
(test-results/batches-*.png)."""

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from batches.models import Batch
from billing.models import LedgerEntry, Member
from generations.models import Generation, Project
from tests.test_accessibility import serious
from tests.test_browser import browser, release_server_connections, running_worker  # noqa: F401
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
SHEET = (
    "prompt,title,model,seconds,takes\n"
    '"A perfume bottle on wet marble, macro",Bottle on marble,,8,\n'
    "Close-up of the gold cap turning slowly,Cap,veo3.1-fast,4,\n"
    '"A hand sprays the perfume, backlit mist",Spray,,6,\n'
    "The bottle in a summer storm,Storm,veo9,4,\n"
    "The box opens to reveal the bottle,Unboxing,Veo 3.1 Fast,4,\n"
)


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"batches-{name}.png"), full_page=True)


def focus_lands(page, where: str, on) -> bool:
    """Whether the keyboard's focus reaches `where` (htmx moves it once a swap settles)."""
    script = "({id: document.activeElement.id, label: document.activeElement.ariaLabel})"
    for _ in range(40):
        if on(page.evaluate(script)):
            return True
        page.wait_for_timeout(50)
    return False


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_fixes_a_bad_row_in_place_and_generates_the_whole_plan_into_5_videos(
    live_server,
    release_server_connections,  # noqa: F811
    running_worker,  # noqa: F811
    browser,  # noqa: F811
    size,
    tmp_path,
):
    alice = get_user_model().objects.create_user("alice", password=PASSWORD, first_name="Alice")
    member = Member.for_user(alice)
    member.monthly_cap = Decimal("20")
    member.save()
    Project.objects.create(name="Spring perfume", created_by=alice)
    sheet = tmp_path / "spring-launch.csv"
    sheet.write_text(SHEET, encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"

    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    with override_settings(COMETAPI_POLL_INTERVAL=0.3):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))

        open_menu(page)  # on a phone the navigation is behind the Menu button
        page.get_by_role("link", name="Batches", exact=True).click()
        page.get_by_text("What the sheet looks like").click()
        shoot(page, f"start-{size}")
        assert serious(page) == []
        page.get_by_label("A CSV file").set_input_files(str(sheet))
        page.get_by_role("button", name="See the plan").click()
        page.wait_for_url(re.compile(r"/batches/\d+/$"))

        # Line 5 of the file (its fourth video) is refused by line and reason; nothing can be sent yet.
        problems = page.locator("#plan-problems")
        assert "1 row to fix before anything is sent" in problems.inner_text()
        assert "Line 5: Model “veo9” is not one we can make" in problems.inner_text()
        assert "read as UTF-8 (with a byte-order mark)" in page.inner_text("#plan-source")
        assert page.get_by_role("button", name="Generate the whole plan").is_disabled()
        assert Generation.objects.count() == 0
        shoot(page, f"plan-bad-row-{size}")
        assert serious(page) == []

        # Fixed in place: the row turns into its form, and back, without a reload.
        page.evaluate("window.__sameDocument = true")
        page.get_by_role("link", name="Fix line 5").click()
        assert focus_lands(page, "the row's prompt", lambda el: el["id"].endswith("-prompt"))
        page.get_by_label("Model").select_option("veo3.1-fast")
        shoot(page, f"plan-editing-{size}")
        assert serious(page) == []
        page.get_by_role("button", name="Save line 5").click()
        page.get_by_role("link", name="Edit line 5").wait_for()
        assert focus_lands(page, "its Edit link", lambda el: el["label"] == "Edit line 5")
        assert page.evaluate("window.__sameDocument") is True
        assert page.locator("#plan-problems").inner_text().strip() == ""

        # Priced as a whole: 8 + 4 + 6 + 4 + 4 = 26 s at $0.08/s, against her $20 cap.
        summary = page.locator("#plan-summary")
        assert "$2.08 for 5 videos" in summary.inner_text()
        assert "Your monthly cap: $20.00, $0.00 used or held this month, $20.00 left" in (
            summary.inner_text()
        )
        page.get_by_label("Project for every video").select_option(label="Spring perfume")
        page.get_by_role("button", name="Use this project").click()
        page.get_by_text("Every video of this plan goes into “Spring perfume”.").wait_for()
        shoot(page, f"plan-ready-{size}")

        page.get_by_role("button", name="Generate the whole plan").click()
        page.wait_for_url(re.compile(r"/batches/\d+/videos/$"))
        cards = page.locator("#batch-videos .tile")
        assert cards.count() == 5
        batch = Batch.objects.get()
        videos = Generation.objects.filter(batch_rows__batch=batch)
        assert sorted(v.title for v in videos) == sorted(
            ["Bottle on marble", "Cap", "Spray", "Storm", "Unboxing"]
        )
        assert {v.project.name for v in videos} == {"Spring perfume"}
        assert LedgerEntry.objects.filter(kind="reserve").count() == 5

        # Live status: every card turns ready on this page, with no reload.
        page.evaluate("window.__sameDocument = true")
        ready = page.locator("#batch-videos .tile.status-ready")
        deadline = time.monotonic() + 90
        while ready.count() < 5 and time.monotonic() < deadline:
            page.wait_for_timeout(300)
        assert ready.count() == 5
        assert page.evaluate("window.__sameDocument") is True
        shoot(page, f"videos-{size}")
    context.close()
