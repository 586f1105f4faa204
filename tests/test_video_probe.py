import io
import json

import pytest
from PIL import Image

from lib.video import NotAVideo, looks_like_mp4, poster_jpeg, probe_mp4
from tests import factories_media as media


@pytest.fixture
def write(tmp_path):
    def write(data: bytes, name: str = "video.mp4"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.mark.parametrize(
    ("width", "height", "seconds"),
    [(320, 180, 2.0), (180, 320, 1.5)],
    ids=["landscape", "portrait"],
)
def test_it_describes_a_real_h264_mp4(write, width, height, seconds):
    path = write(media.make_mp4(width, height, seconds))

    info = probe_mp4(path)

    assert (info.width, info.height) == (width, height)
    assert info.duration == pytest.approx(seconds, abs=0.2)
    assert info.codec == "h264"


def test_it_accepts_a_str_path_and_a_faststart_mp4(write):
    path = write(media.make_mp4(320, 180, 1.0, faststart=True))

    info = probe_mp4(str(path))

    assert (info.width, info.height) == (320, 180)


def test_it_reports_display_size_for_a_rotated_video(write):
    path = write(media.make_mp4(320, 180, 1.0, rotation=-90))

    info = probe_mp4(path)

    assert (info.width, info.height) == (180, 320)


@pytest.mark.parametrize(("width", "height"), [(320, 180), (180, 320)])
def test_the_poster_is_a_jpeg_of_the_first_frame_with_the_right_aspect(write, width, height):
    path = write(media.make_mp4(width, height, 1.0))

    poster = Image.open(io.BytesIO(poster_jpeg(path)))

    assert poster.format == "JPEG"
    assert poster.size == (width, height)
    # The first frame has the red marker in its top-left corner.
    red, green, blue = poster.convert("RGB").getpixel((4, 4))
    assert red > 200 and green < 60 and blue < 60


def test_the_poster_is_scaled_down_to_max_width(write):
    path = write(media.make_mp4(640, 360, 0.5))

    poster = Image.open(io.BytesIO(poster_jpeg(path, max_width=320)))

    assert poster.size == (320, 180)


def test_the_poster_of_a_rotated_video_is_upright(write):
    path = write(media.make_mp4(320, 180, 0.5, rotation=-90))

    poster = Image.open(io.BytesIO(poster_jpeg(path))).convert("RGB")

    # Shown turned 90° clockwise, so the top-left marker ends up top-right.
    assert poster.size == (180, 320)
    red, green, blue = poster.getpixel((175, 4))
    assert red > 200 and green < 60 and blue < 60


def whole_mp4() -> bytes:
    return media.make_mp4(320, 180, 1.0)


def without_moov() -> bytes:
    # PyAV writes moov last, so the first half holds ftyp and part of mdat only.
    data = whole_mp4()
    return data[: len(data) // 2]


def cut_after_moov() -> bytes:
    # With moov first FFmpeg opens this happily and decodes the frames that arrived.
    data = media.make_mp4(320, 180, 1.0, faststart=True)
    return data[: len(data) * 9 // 10]


def header_then_garbage() -> bytes:
    return whole_mp4()[:32] + bytes(range(256)) * 40


def trailing_garbage() -> bytes:
    return whole_mp4() + b"<html>oops</html>"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: b"<!doctype html><html><body>502 Bad Gateway</body></html>",
            id="html",
        ),
        pytest.param(lambda: json.dumps({"error": {"message": "quota"}}).encode(), id="json"),
        pytest.param(lambda: b"", id="empty"),
        pytest.param(without_moov, id="truncated-no-moov"),
        pytest.param(cut_after_moov, id="truncated-after-moov"),
        pytest.param(header_then_garbage, id="header-then-garbage"),
        pytest.param(trailing_garbage, id="trailing-garbage"),
        pytest.param(media.audio_only_mp4, id="audio-only"),
        pytest.param(media.fake_heic, id="heic-still"),
        pytest.param(media.png_bytes, id="png"),
    ],
)
def test_it_refuses_anything_that_is_not_a_playable_mp4(write, make):
    path = write(make())

    with pytest.raises(NotAVideo) as caught:
        probe_mp4(path)
    assert str(caught.value)

    with pytest.raises(NotAVideo):
        poster_jpeg(path)


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(NotAVideo):
        probe_mp4(tmp_path / "nope.mp4")


def test_looks_like_mp4_checks_for_an_ftyp_box():
    assert looks_like_mp4(whole_mp4()[:64])
    assert not looks_like_mp4(b"<!doctype html>")
    assert not looks_like_mp4(b"")
    assert not looks_like_mp4(b"\0\0\0\x20ftyp")  # too short to hold a brand
