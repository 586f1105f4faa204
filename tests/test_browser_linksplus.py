"""In real Chromium, at a phone's and a desktop's size: Alice shares every version of her
kite video by link and a client sees its three versions newest first; then Alice pastes a
three-row plan, picks her sequence "Spring spot" on the plan and generates it: the
storyboard holds the three videos as shots in the rows' order, being made. Screenshots
(test-results/linksplus-*.png); axe finds no serious violation."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from reviewlinks.models import ReviewLink
from sequences.models import Sequence
from tests.helpers import make_ready_generation
from tests.test_accessibility import serious
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"linksplus-{name}.png"), full_page=True)


def log_in(browser, live_server, size):  # noqa: F811
    page = browser.new_context(viewport=SIZES[size]).new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


@pytest.mark.parametrize("size", list(SIZES))
def test_a_stack_link_and_a_batch_into_a_sequence(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    alice = get_user_model().objects.create_user("alice", password=PASSWORD)
    v1 = make_ready_generation(alice, seconds=2.0, prompt="Kite, first try", title="Kite hero")
    make_ready_generation(alice, seconds=2.0, prompt="Kite, lower", stack=v1, version=2)
    v3 = make_ready_generation(alice, seconds=2.0, prompt="Kite, at dusk", stack=v1, version=3)
    page = log_in(browser, live_server, size)

    # A video with versions: the link may take every version of it.
    page.goto(live_server.url + v3.get_absolute_url())
    page.locator("#make-review-link").click()
    page.get_by_role("heading", name="New review link").wait_for()
    page.get_by_label("Every version of it").check()
    assert serious(page) == []
    shoot(page, f"stack-new-{size}")
    page.get_by_role("button", name="Make the link").click()
    address = page.locator("#link-address").input_value()
    assert "every version of “Kite hero”" in page.locator(".review-link-facts").inner_text()
    assert ReviewLink.objects.get().whole_stack

    guest = browser.new_context(viewport=SIZES[size]).new_page()
    guest.goto(address)
    titles = guest.locator(".guest-video h2").all_inner_texts()
    assert [re.sub(r"\s+", " ", t) for t in titles] == [
        "Kite, at dusk Version 3 · newest",
        "Kite, lower Version 2",
        "Kite hero Version 1",
    ], titles
    assert serious(guest) == []
    shoot(guest, f"stack-guest-{size}")

    # A plan pasted from a sheet goes into her sequence as shots.
    sequence = Sequence.objects.create(owner=alice, title="Spring spot")
    page.goto(live_server.url + "/batches/")
    page.get_by_label("Or paste rows").fill(
        "prompt,title\nThe bottle on marble,Bottle\nThe cap turning,Cap\nThe mist,Mist\n"
    )
    page.get_by_role("button", name="See the plan").click()
    page.wait_for_url(re.compile(r"/batches/\d+/$"))
    page.get_by_label("Sequence for the videos").select_option(label="Spring spot")
    page.get_by_role("button", name="Use this sequence").click()
    page.get_by_text("Every video becomes a shot of “Spring spot”, in the rows' order.").wait_for()
    assert serious(page) == []
    shoot(page, f"batch-plan-{size}")
    page.get_by_role("button", name="Generate the whole plan").click()
    page.wait_for_url(re.compile(r"/batches/\d+/videos/$"))
    page.locator("#batch-sequence").click()
    page.wait_for_url(re.compile(rf"/sequences/{sequence.pk}/"))
    shots = [shot.generation.title for shot in sequence.ordered_shots()]
    assert shots == ["Bottle", "Cap", "Mist"]
    assert serious(page) == []
    shoot(page, f"batch-storyboard-{size}")
