"""Taking one exact frame out of a video: the one on screen at a time, or the very last.

The test videos show their frame number on every frame (tests/frame_videos.py), so each
test names the exact frame it expects."""

import io
import math
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase, override_settings
from PIL import Image, ImageChops, ImageStat

from lib import frames
from lib.framing import first_frame_from_video
from tests.factories_media import audio_only_mp4
from tests.frame_videos import numbered_image, numbered_mp4, read_index


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "numbered.mp4"
    path.write_bytes(numbered_mp4())  # 50 frames at 25 fps: frame i shows from i/25 s
    return path


def test_time_zero_is_the_first_frame(video):
    assert read_index(frames.frame_at(video, 0.0)) == 0


def test_a_frames_exact_start_time_gives_that_frame_not_the_one_before(video):
    assert read_index(frames.frame_at(video, 17 / 25)) == 17
    assert read_index(frames.frame_at(video, 30 / 25)) == 30


def test_a_moment_inside_a_frame_gives_the_frame_on_screen_then(video):
    assert read_index(frames.frame_at(video, 17 / 25 + 0.039)) == 17
    assert read_index(frames.frame_at(video, 18 / 25 - 0.0005)) == 17


def test_frames_between_keyframes_are_decoded_not_rounded_to_a_keyframe(video):
    # Keyframes are every 12 frames: every other frame needs decoding forward from one.
    for index in range(50):
        assert read_index(frames.frame_at(video, (index + 0.5) / 25)) == index


def test_none_gives_the_very_last_frame(video):
    assert read_index(frames.frame_at(video, None)) == 49


def test_the_videos_end_gives_the_last_frame(video):
    duration = frames.video_duration(video)
    assert duration == pytest.approx(2.0, abs=0.001)
    assert read_index(frames.frame_at(video, duration)) == 49


def test_the_last_frame_when_the_last_keyframe_is_far_back(tmp_path):
    path = tmp_path / "long-gop.mp4"
    path.write_bytes(numbered_mp4(frames=61, gop=250, bframes=3))  # one keyframe, at the start
    assert read_index(frames.frame_at(path, None)) == 60
    assert read_index(frames.frame_at(path, 33 / 25)) == 33


def test_the_last_frame_when_the_sound_runs_longer_than_the_picture(tmp_path):
    path = tmp_path / "long-sound.mp4"
    path.write_bytes(numbered_mp4(frames=20, audio_seconds=1.5))  # picture ends at 0.8 s
    assert read_index(frames.frame_at(path, None)) == 19
    assert read_index(frames.frame_at(path, 1.2)) == 19


def test_an_ntsc_frame_rate_lands_on_exact_frames(tmp_path):
    path = tmp_path / "ntsc.mp4"
    rate = Fraction(30000, 1001)
    path.write_bytes(numbered_mp4(frames=40, fps=rate, gop=10))
    for index in (0, 1, 9, 10, 11, 29, 39):
        start = float(index / rate)
        assert read_index(frames.frame_at(path, start)) == index
    assert read_index(frames.frame_at(path, None)) == 39


def test_grab_says_where_the_frame_sits(video):
    grabbed = frames.grab(video, 0.5)
    assert read_index(grabbed.image) == 12
    assert grabbed.start == pytest.approx(12 / 25)
    assert grabbed.end == pytest.approx(13 / 25)
    last = frames.grab(video, None)
    assert last.start == pytest.approx(49 / 25)
    assert last.end == pytest.approx(2.0, abs=0.001)


def test_an_open_file_works_as_well_as_a_path(video):
    with open(video, "rb") as handle:
        assert read_index(frames.frame_at(handle, 1.0)) == 25
    assert read_index(frames.frame_at(io.BytesIO(video.read_bytes()), None)) == 49


def test_the_frame_is_the_picture_that_was_encoded(video):
    image = frames.frame_at(video, 21 / 25)
    assert image.size == (128, 72) and image.mode == "RGB"
    difference = ImageStat.Stat(ImageChops.difference(image, numbered_image(21))).mean
    assert max(difference) < 8


@pytest.mark.parametrize("seconds", [-0.001, -1.0, 2.01, 60.0, math.nan, math.inf])
def test_a_time_outside_the_video_is_refused_with_a_sentence(video, seconds):
    with pytest.raises(frames.TimeOutsideVideo) as caught:
        frames.frame_at(video, seconds)
    assert "outside the video, which lasts 0:02.0" in str(caught.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(frames.VideoMissing, match="The video file is missing."):
        frames.frame_at(tmp_path / "gone.mp4", 0.0)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a video at all, just some words",
        numbered_mp4()[: len(numbered_mp4()) // 2],  # cut short
        audio_only_mp4(),
    ],
    ids=["empty", "text", "cut-short", "sound-only"],
)
def test_a_broken_file_says_it_is_damaged(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    for seconds in (0.0, None):
        with pytest.raises(frames.VideoBroken, match="damaged and no frame can be read"):
            frames.frame_at(path, seconds)


def test_a_file_whose_frames_are_garbage_is_broken_not_a_crash(tmp_path):
    data = bytearray(numbered_mp4())
    start = data.index(b"mdat") + 4
    data[start : start + 4000] = bytes(4000)  # wipe the first pictures' data
    path = tmp_path / "wiped.mp4"
    path.write_bytes(bytes(data))
    try:
        image = frames.frame_at(path, 0.0)
    except frames.VideoBroken:
        return
    assert isinstance(image, Image.Image)  # a decoder may conceal it; never another error


def test_frame_bytes_are_a_jpeg_or_a_png_of_that_frame(video):
    jpeg = Image.open(io.BytesIO(frames.frame_bytes(video, 0.2)))
    assert jpeg.format == "JPEG" and read_index(jpeg) == 5
    png = Image.open(io.BytesIO(frames.frame_bytes(video, None, format="PNG")))
    assert png.format == "PNG" and read_index(png) == 49


class FirstFrameFromVideoTests(SimpleTestCase):
    def test_the_frame_is_checked_and_re_encoded_like_an_upload(self):
        first = first_frame_from_video(io.BytesIO(numbered_mp4(width=256, height=144)), None)
        assert (first.width, first.height) == (256, 144)
        with Image.open(io.BytesIO(first.image)) as image:
            assert image.format == "JPEG" and not image.info.get("exif")
            assert read_index(image) == 49
        with Image.open(io.BytesIO(first.thumbnail)) as thumbnail:
            assert thumbnail.format == "JPEG"

    def test_a_frame_too_small_for_veo_is_refused_like_a_small_upload(self):
        tiny = numbered_mp4(frames=5, width=48, height=32)
        with pytest.raises(ValidationError, match="too small"):
            first_frame_from_video(io.BytesIO(tiny), 0.0)

    @override_settings(FIRST_FRAME_MAX_PIXELS=100 * 50)
    def test_the_upload_limits_apply_to_a_frame_too(self):
        with pytest.raises(ValidationError, match="too large"):
            first_frame_from_video(io.BytesIO(numbered_mp4(width=256, height=144)), 0.0)
