"""The New video form's picture in real Chromium: a phone photo over
2.5 MB gets its preview, its own size and the crop offer; a refused picture is never
quietly dropped from a paid job."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from PIL import Image

from generations.models import Generation
from tests import factories_media as media
from tests.test_browser_flows import LAPTOP, PASSWORD, log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def maya(db):
    return get_user_model().objects.create_user("maya", password=PASSWORD)


@pytest.fixture
def phone_photo(tmp_path):
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(media.phone_photo_bytes(3000, 4000))
    return path


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture at all\n")
    return path


def new_video_page(browser, live_server):
    page = browser.new_context(**LAPTOP).new_page()
    log_in(page, live_server.url)
    page.goto(live_server.url + "/new/")
    page.fill("#id_prompt", "A lighthouse keeper climbs the spiral stairs at dusk.")
    return page


def test_a_phone_photo_gets_its_preview_size_and_crop_offer(
    live_server, release_server_connections, simulator, browser, maya, phone_photo
):
    assert os.path.getsize(phone_photo) > 2_621_440  # what used to be refused
    page = new_video_page(browser, live_server)

    page.set_input_files("input[name=first_frame]", str(phone_photo))

    page.locator("#frame-cropped").wait_for()
    assert "(3000×4000)" in page.locator("#fit-message").inner_text()
    assert page.locator("#frame-original-caption").inner_text() == "Your image, 3000×4000"
    assert page.is_checked("input[name=first_frame_fit][value=crop]")
    assert page.locator("#first-frame-errors").inner_text() == ""
    shot(page, "first-frame-phone-photo")

    page.click("#generate-button")
    page.wait_for_url("**/videos/**")
    job = Generation.objects.get()
    assert job.first_frame  # started from the photo, cropped to 1280×720
    with job.first_frame.open("rb") as handle, Image.open(handle) as picture:
        assert picture.size == (1280, 720)


def test_a_refused_picture_stops_generate_until_replaced_or_removed(
    live_server, release_server_connections, simulator, browser, maya, notes, phone_photo
):
    page = new_video_page(browser, live_server)
    errors = page.locator("#first-frame-errors")
    sent = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.url)
            if r.method == "POST" and "/new/" in r.url and "first-frame" not in r.url
            else None
        ),
    )

    page.set_input_files("input[name=first_frame]", str(notes))
    errors.get_by_text("isn't a JPEG, PNG or WebP").wait_for()
    page.click("#generate-button")

    errors.get_by_text("nothing was started").wait_for()
    assert sent == []  # held in the page: the form was never sent
    assert page.locator("#generate-button").inner_text() == "Generate"
    assert Generation.objects.count() == 0
    shot(page, "first-frame-refused")

    # Too large for the form: refused in place, before a byte is sent.
    with override_settings(FIRST_FRAME_MAX_BYTES=1_000_000):
        page.reload()
        page.fill("#id_prompt", "A lighthouse keeper climbs the spiral stairs at dusk.")
        page.set_input_files("input[name=first_frame]", str(phone_photo))
        errors.get_by_text("larger than 977 KB").wait_for()
        page.click("#generate-button")
        errors.get_by_text("nothing was started").wait_for()
    assert sent == []
    assert Generation.objects.count() == 0

    # The explicit choice: go on from the prompt alone.
    page.check("input[name=first_frame_removed]")
    page.click("#generate-button")
    page.wait_for_url("**/videos/**")
    job = Generation.objects.get()
    assert not job.first_frame


def test_choosing_a_good_picture_after_a_refused_one_uses_it(
    live_server, release_server_connections, simulator, browser, maya, notes
):
    page = new_video_page(browser, live_server)
    page.set_input_files("input[name=first_frame]", str(notes))
    page.locator("#frame-refused").wait_for()

    landscape = notes.with_name("kite.jpg")
    landscape.write_bytes(media.jpeg_bytes(1280, 720))
    page.set_input_files("input[name=first_frame]", str(landscape))
    page.locator("#frame-refused").wait_for(state="hidden")
    page.locator("#frame-original-caption").get_by_text("Your image, 1280×720").wait_for()
    page.click("#generate-button")

    page.wait_for_url("**/videos/**")
    assert Generation.objects.get().first_frame
