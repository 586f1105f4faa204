"""Continue a shot in real Chromium: Maya makes a video (the simulator renders it), presses
"Continue this shot", and the first frame CometAPI receives is the video's very last frame.
Then she pauses the player at 1.5 s, "Use this frame", switches to a portrait format, moves
and zooms the crop box (drag, a finger on a phone, arrow keys, +), and the picture CometAPI
receives is exactly that box of that frame. Screenshots at a phone's and a laptop's size
(test-results/frames-*.png)."""

import base64
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image, ImageChops, ImageStat

from generations.models import Generation, Status
from lib import frames, framing
from tests.test_browser_flows import PASSWORD, log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "laptop": {"viewport": {"width": 1440, "height": 900}},
}


@pytest.fixture
def maya(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("maya", password=PASSWORD)


@pytest.fixture
def quick_studio(simulator):
    simulator.configure(render_seconds=0.5)
    with override_settings(COMETAPI_POLL_INTERVAL=0.3, DEMO_MODE=True):
        yield simulator


# The picture the player shows now, as a PNG data: URL (drawn at the video's own size).
SHOWN_FRAME = """() => {
  const video = document.querySelector('video.player');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return canvas.toDataURL('image/png');
}"""


def difference(one: Image.Image, other: Image.Image) -> float:
    """Mean difference per channel (0 to 255); JPEG round trips cost a point or two."""
    assert one.size == other.size, (one.size, other.size)
    return max(ImageStat.Stat(ImageChops.difference(one.convert("RGB"), other.convert("RGB"))).mean)


def sent_picture(simulator) -> Image.Image:
    """The first frame of the last video asked of CometAPI, as it received it."""
    data = simulator.creates[-1]["files"]["input_reference"]["data"]
    return Image.open(io.BytesIO(data))


def wait_until_ready(page, generation_id) -> Generation:
    page.locator(f"#status-{generation_id}[data-status=ready]").wait_for(timeout=60_000)
    page.locator("video.player").wait_for()
    return Generation.objects.get(pk=generation_id)


def newest() -> Generation:
    return Generation.objects.order_by("-created_at").first()


def touch_drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 8):
    """A one-finger drag, as a phone's screen sends it (Chromium's own touch events)."""
    session = page.context.new_cdp_session(page)

    def send(kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    send("touchStart", *start)
    for i in range(1, steps + 1):
        t = i / steps
        send("touchMove", start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
    send("touchEnd", *end)


@pytest.mark.parametrize("size", list(SIZES))
def test_maya_continues_a_shot_then_places_the_crop_of_a_chosen_frame(
    live_server, release_server_connections, quick_studio, running_worker, browser, maya, size
):
    page = browser.new_context(**SIZES[size]).new_page()
    log_in(page, live_server.url)

    # A video of her own, made by the simulator.
    page.goto(live_server.url + "/new/")
    page.fill("#id_prompt", "A paper kite over a wheat field at golden hour.")
    page.click("#generate-button")
    page.wait_for_url(re.compile(r"/videos/"))
    kite = wait_until_ready(page, newest().pk)
    assert kite.status == Status.READY
    source_path = default_storage.path(kite.video.name)
    page.locator("#use-frame").wait_for()  # shown once the script knows the player
    shot(page, f"frames-video-page-{size}")

    # Continue this shot: the form starts from the very last frame, in the same format.
    page.get_by_role("button", name="Continue this shot").click()
    page.wait_for_url(re.compile(r"/new/\?frame="))
    note = page.locator("#continues-note")
    assert re.search(
        r"Continues A paper kite over a wheat field.* from its last frame \(0:0\d\.\d\)",
        note.inner_text(),
    )
    assert page.locator("#frame-original-caption").inner_text() == "The last frame, 384×216"
    assert page.locator("#field-first_frame_fit").is_hidden()  # same shape: nothing to crop
    shot(page, f"frames-continue-form-{size}")
    page.fill("#id_prompt", "The kite dives towards the wheat and the wind drops.")
    page.click("#generate-button")
    page.wait_for_url(re.compile(r"/videos/"))
    continued = wait_until_ready(page, newest().pk)
    assert continued.continues == kite
    assert continued.continues_at == pytest.approx(kite.video_duration)
    last = frames.grab(source_path, None)
    sent = sent_picture(quick_studio)
    assert difference(sent, last.image) < 3
    # ...and not the frame before it: the very last one was sent.
    before_last = frames.frame_at(source_path, last.start - 0.001)
    assert difference(sent, last.image) < difference(sent, before_last)
    page.locator("#continues-link").wait_for()
    assert "at 0:0" in page.locator("#continues-note").inner_text()
    shot(page, f"frames-continued-video-{size}")

    # Use this frame at 1.5 s, then a portrait format: the crop box appears.
    page.goto(live_server.url + kite.get_absolute_url())
    page.locator("video.player").wait_for()
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 1")
    page.evaluate("document.querySelector('video.player').currentTime = 1.5")
    page.get_by_role("button", name="Use this frame (0:01.5)").wait_for()
    # The server's frame at 1.5 s is the one the player shows there, not its neighbour.
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 2")
    shown = Image.open(io.BytesIO(base64.b64decode(page.evaluate(SHOWN_FRAME).split(",")[1])))
    ours = frames.frame_at(source_path, 1.5)
    before = frames.frame_at(source_path, 1.5 - 1 / 12)
    assert difference(shown, ours) < difference(shown, before)
    assert difference(shown, ours) < 4
    page.get_by_role("button", name="Use this frame (0:01.5)").click()
    page.wait_for_url(re.compile(r"/new/\?frame="))
    assert "from its frame at 0:01.5" in page.locator("#continues-note").inner_text()
    page.locator("label.choice[data-value='720x1280']").click()
    editor = page.locator("#crop-editor")
    editor.wait_for()
    assert page.is_checked("input[name=first_frame_fit][value=crop]")
    box = page.locator("#crop-box")
    page.wait_for_function("() => document.getElementById('id_crop_zoom').value !== ''")
    centred_x = float(page.input_value("#id_crop_x"))
    assert centred_x == pytest.approx((1 - (216 * 720) / (384 * 1280)) / 2, abs=0.001)

    # Move it: a drag to the right (a finger on the phone), zoom in once, one step up.
    box.scroll_into_view_if_needed()
    start = box.bounding_box()
    assert start is not None
    middle = (start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    target = (middle[0] + start["width"] * 0.8, middle[1])
    if size == "phone":
        touch_drag(page, middle, target)
    else:
        page.mouse.move(*middle)
        page.mouse.down()
        page.mouse.move(*target, steps=8)
        page.mouse.up()
    page.wait_for_function(
        f"() => parseFloat(document.getElementById('id_crop_x').value) > {centred_x + 0.05}"
    )
    box.focus()
    page.keyboard.press("+")
    page.keyboard.press("ArrowUp")
    page.wait_for_function("() => parseFloat(document.getElementById('id_crop_zoom').value) < 0.95")
    page.wait_for_timeout(100)  # the live preview is drawn on the next frame
    placement = framing.Placement(
        float(page.input_value("#id_crop_x")),
        float(page.input_value("#id_crop_y")),
        float(page.input_value("#id_crop_zoom")),
    )
    preview = page.evaluate(
        "[document.getElementById('frame-cropped').naturalWidth,"
        " document.getElementById('frame-cropped').naturalHeight]"
    )
    assert preview[1] > preview[0], preview  # the live preview is portrait
    editor.scroll_into_view_if_needed()
    shot(page, f"frames-crop-editor-{size}")

    caption = page.locator("#frame-original-caption")
    assert caption.inner_text() == "The frame at 0:01.5, 384×216"
    page.fill("#id_prompt", "Close on the kite's tail, portrait.")
    page.click("#generate-button")
    page.wait_for_url(re.compile(r"/videos/"))
    placed = newest()
    assert placed.continues == kite and placed.continues_at == 1.5
    frame = frames.frame_at(source_path, 1.5)
    expected = frame.crop(framing.placed_box(frame.width, frame.height, "720x1280", placement))
    sent = sent_picture(quick_studio)
    assert difference(sent, expected) < 4
    centre = frame.crop(framing.crop_box(frame.width, frame.height, "720x1280"))
    assert difference(sent, expected) < difference(sent, centre.resize(sent.size))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_frame_buttons_and_the_crop_box_pass_axe(
    live_server, release_server_connections, browser, maya, size, scheme
):
    from tests.helpers import make_ready_generation
    from tests.test_accessibility import serious

    kite = make_ready_generation(maya, prompt="A paper kite over a wheat field.")
    continued = make_ready_generation(maya, prompt="The kite dives.")
    continued.continues, continued.continues_at = kite, 1.0
    continued.save()
    page = browser.new_context(color_scheme=scheme, **SIZES[size]).new_page()
    log_in(page, live_server.url)
    found = {}
    page.goto(live_server.url + continued.get_absolute_url())
    page.locator("#use-frame").wait_for()
    found["continued video"] = serious(page)
    page.goto(live_server.url + kite.get_absolute_url())
    page.get_by_role("button", name="Continue this shot").click()
    page.wait_for_url(re.compile(r"/new/\?frame="))
    found["form from a frame"] = serious(page)
    page.locator("label.choice[data-value='720x1280']").click()
    page.locator("#crop-editor").wait_for()
    page.wait_for_function("() => document.getElementById('id_crop_zoom').value !== ''")
    page.locator("#crop-box").focus()
    found["crop box"] = serious(page)
    assert {name: issues for name, issues in found.items() if issues} == {}
