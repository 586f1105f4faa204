"""In real Chromium, with media in an S3 bucket: the video page's player and poster follow
our redirect to a presigned link, the page's Content-Security-Policy lets them, and the
video plays and seeks straight from the bucket (moto's S3 server on loopback)."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from veostudio.settings import s3_media_origins

from .helpers import drive, make_generation
from .test_browser import browser, release_server_connections  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def until(page, expression: str, seconds: float = 15) -> None:
    """Poll from outside the page: Playwright's own polling evaluates strings with eval,
    which the page's CSP (script-src 'self') rightly refuses."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def test_a_video_in_the_bucket_plays_and_seeks_in_the_browser(
    live_server,
    release_server_connections,  # noqa: F811 - the imported fixture
    simulator,
    s3_storage,
    s3_server,
    browser,  # noqa: F811 - the imported fixture
):
    maya = get_user_model().objects.create_user("maya", password="a long studio password")
    generation = drive(make_generation(maya, seconds=8, prompt="A kite over the sea."))
    assert generation.status == "ready", generation.failure_reason
    assert generation.video.name in s3_storage.keys()

    # What settings.py derives from S3_ENDPOINT_URL for this bucket, nothing wider.
    origins = s3_media_origins(s3_server, s3_storage.name, "path", "us-east-1")
    csp = {
        **settings.SECURE_CSP,
        "img-src": [*settings.SECURE_CSP["img-src"], *origins],
        "media-src": [*settings.SECURE_CSP["media-src"], *origins],
    }
    page = browser.new_page()
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    bucket_requests = []
    page.on("request", lambda r: r.url.startswith(s3_server) and bucket_requests.append(r.url))

    with override_settings(SECURE_CSP=csp):
        page.goto(live_server.url + "/")
        page.fill("#id_username", "maya")
        page.fill("#id_password", "a long studio password")
        page.click("button[type=submit]")
        page.goto(live_server.url + generation.get_absolute_url())

        player = "document.querySelector('video.player')"
        page.locator("video.player").wait_for()
        page.evaluate(f"{player}.muted = true; {player}.play()")
        until(page, f"{player}.readyState >= 2")
        page.evaluate(f"{player}.currentTime = 6")
        until(page, f"{player}.currentTime >= 6 && !{player}.seeking")
        assert page.evaluate(f"{player}.duration") == pytest.approx(8, abs=0.3)
        assert page.evaluate(f"{player}.currentSrc").startswith(live_server.url)

    assert refused == []
    assert any("X-Amz-Signature" in url for url in bucket_requests), bucket_requests
