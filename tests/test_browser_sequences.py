"""A sequence in real Chromium, with the worker running: Alice makes a video, starts a
sequence with it from its page, adds an older one, plans a third shot that continues the
second and generates it (its price shown first), reorders the shots by keyboard and by
drag, exports with crossfades, plays the export (its length the shots' sum less the
crossfades, within a frame) and plays the sequence as one, shot after shot. Screenshots at
a phone's and a desktop's size (test-results/sequences-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from generations.models import Generation, Status
from sequences.models import Sequence, ShotState
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"sequences-{name}.png"), full_page=True)


def shot_titles(page) -> list[str]:
    return [t.split(":", 1)[1].strip() for t in page.locator(".shot-title").all_inner_texts()]


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_builds_a_sequence_generates_a_planned_shot_reorders_exports_and_plays_it(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    simulator,
    running_worker,
    size,
):
    get_user_model().objects.create_user("alice", password=PASSWORD)
    alice = get_user_model().objects.get(username="alice")
    older = make_ready_generation(alice, seconds=2.0, prompt="Sun through clouds")

    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with override_settings(COMETAPI_POLL_INTERVAL=0.3, DEMO_MODE=True):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))

        # A new video, made by the worker through the simulator.
        page.goto(live_server.url + "/new/")
        page.fill("#id_prompt", "Kite over field")
        page.check("input[name=seconds][value='4']")
        page.click("#generate-button")
        page.locator(".status-card[data-status=ready] video.player").wait_for(timeout=60000)
        made = Generation.objects.get(prompt="Kite over field")

        # From its page: a new sequence with it; then the older video from its page.
        page.get_by_role("link", name="Add to sequence").click()
        page.get_by_role("button", name="Start a new sequence with it").click()
        page.wait_for_url(re.compile(r"/sequences/\d+/"))
        sequence = Sequence.objects.get()
        page.goto(live_server.url + older.get_absolute_url())
        page.get_by_role("link", name="Add to sequence").click()
        page.get_by_role("button", name="Add to sequence").click()
        page.wait_for_url(re.compile(rf"/sequences/{sequence.pk}/"))
        assert shot_titles(page) == ["Kite over field", "Sun through clouds"]

        # A planned third shot that continues the second: its price shows before anything.
        page.get_by_label("Prompt").fill("The kite lands in the wheat")
        page.locator("#plan input[name=seconds][value='4']").check()
        page.get_by_label(re.compile("Continue the previous shot")).check()
        page.get_by_role("button", name="Add the planned shot").click()
        line = page.locator(".shot.state-planned .shot-line")
        assert "Planned · $0.32 · 4 s × $0.08/s" in line.inner_text()
        assert "continues the previous shot" in line.inner_text()
        generate = page.locator("#generate-planned")
        assert generate.inner_text() == "Generate the planned shots ($0.32)"
        shoot(page, f"planned-{size}")
        generate.click()
        # The storyboard polls until the new shot's video is ready.
        page.locator(".shot:nth-child(3) img.shot-thumb").wait_for(timeout=60000)
        third = sequence.ordered_shots().last()
        assert third.state == ShotState.MADE
        assert third.generation.status == Status.READY
        assert third.generation.continues == older
        assert third.generation.first_frame

        # Reorder: by keyboard (Move up on the third shot), then by dragging.
        page.locator("#storyboard button[aria-label='Move shot 3 up']").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => document.querySelectorAll('.shot-title')[1].textContent.includes('lands')"
        )
        # The list was swapped in place; the keyboard stays on the shot it moved.
        assert page.evaluate("document.activeElement.id") == f"move-up-{third.pk}"
        assert shot_titles(page) == [
            "Kite over field", "The kite lands in the wheat", "Sun through clouds"
        ]  # fmt: skip
        page.goto(live_server.url + sequence.get_absolute_url())
        page.locator("#shots li.shot").nth(2).locator(".handle").drag_to(
            page.locator("#shots li.shot").nth(0), target_position={"x": 20, "y": 5}
        )
        # The list moves under the pointer at once; the server's answer then replaces it.
        page.wait_for_function(
            "() => document.getElementById('announcer').textContent === 'Shots reordered.'"
        )
        assert shot_titles(page)[0] == "Sun through clouds"
        order = [s.generation.prompt for s in sequence.ordered_shots()]
        assert order == ["Sun through clouds", "Kite over field", "The kite lands in the wheat"]

        # Export with crossfades: a progress bar, then the export plays.
        page.get_by_label(re.compile(r"Crossfades")).check()
        page.get_by_role("button", name="Export as one video").click()
        page.locator("#export-player").wait_for(timeout=120000)
        shoot(page, f"exported-{size}")
        durations = [s.generation.video_duration for s in sequence.ordered_shots()]
        expected = sum(durations) - 2 * 0.5
        page.evaluate("document.querySelector('#export-player').muted = true")
        page.evaluate("document.querySelector('#export-player').play()")
        page.wait_for_function(
            "() => document.querySelector('#export-player').currentTime > 0.3", timeout=20000
        )
        played = page.evaluate("document.querySelector('#export-player').duration")
        assert abs(played - expected) <= 1 / 24 + 0.03, (played, expected)  # AAC's padding
        page.evaluate("document.querySelector('#export-player').pause()")

        # The sequence plays as one: the end of a shot moves on to the next.
        page.get_by_role("button", name="Play the sequence").click()
        page.wait_for_function(
            "() => document.getElementById('now-playing').textContent.includes('1 of 3')"
        )
        page.wait_for_function(
            "() => document.getElementById('sequence-player').readyState >= 1", timeout=20000
        )
        page.evaluate(
            "(() => { const v = document.getElementById('sequence-player'); v.muted = true;"
            " v.currentTime = Math.max(0, v.duration - 0.2); v.play(); })()"
        )
        page.wait_for_function(
            "() => document.getElementById('now-playing').textContent.includes('2 of 3')",
            timeout=20000,
        )
        shoot(page, f"playing-{size}")

    assert made.pk  # the first video is in the sequence too
    assert errors == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_the_sequence_pages_pass_axe(live_server, browser, device, scheme):  # noqa: F811
    from django.urls import reverse

    from sequences.models import Export, ExportStatus
    from tests.test_accessibility import VIEWPORTS, serious

    maya = get_user_model().objects.create_user("maya", password=PASSWORD)
    ready = make_ready_generation(maya, seconds=1.0, prompt="A paper kite over the wheat")
    sequence = Sequence.objects.create(owner=maya, title="Kite spot")
    sequence.add_video(ready)
    sequence.plan_shot(prompt="The kite climbs", model="veo3.1-fast", seconds=8, continues=True)
    Export.objects.create(
        sequence=sequence,
        version=sequence.version - 1,
        transition="crossfade",
        size=sequence.size,
        status=ExportStatus.FAILED,
        error="Shot 1 (“A paper kite”) could not be read: its video file is missing.",
    )
    context = browser.new_context(color_scheme=scheme, **VIEWPORTS[device])
    page = context.new_page()
    with override_settings(DEMO_MODE=True):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "maya")
        page.fill("#id_password", PASSWORD)
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        found = {}
        for name, path in {
            "sequences": reverse("sequences:index"),
            "sequence": sequence.get_absolute_url(),
            "add to sequence": reverse("sequences:add_video", args=[ready.pk]),
        }.items():
            page.goto(live_server.url + path)
            found[name] = serious(page)
            if name == "sequences":
                shoot(page, f"list-{device}-{scheme}")
    context.close()
    assert {name: problems for name, problems in found.items() if problems} == {}
