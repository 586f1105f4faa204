"""cometsim's demo videos: real H.264 files, made quickly enough for every test."""

import array
import time

import av
import pytest

from cometsim import make_demo_mp4
from cometsim.mp4 import demo_frame_size


def test_demo_videos_are_cached_and_quick():
    started = time.monotonic()
    first = make_demo_mp4(384, 216, 4, caption="cached")
    assert make_demo_mp4(384, 216, 4, caption="cached") is first
    assert time.monotonic() - started < 2
    with pytest.raises(ValueError):
        make_demo_mp4(383, 216, 4)


@pytest.mark.parametrize("size", ["1280x720", "720x1280"])
def test_demo_clips_have_a_sound_track_and_the_chosen_orientation(size, tmp_path):
    width, height = demo_frame_size(size)
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_demo_mp4(width, height, 4, caption=size))

    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert (video.width > video.height) == (size == "1280x720")
        assert audio.duration * audio.time_base == pytest.approx(4, abs=0.1)
        loud = max(_peak(frame) for frame in container.decode(audio=0))
    assert loud > 0.05  # audible, not a silent track


def _peak(frame) -> float:
    samples = array.array("f", bytes(frame.planes[0]))
    return max((abs(s) for s in samples[: frame.samples]), default=0.0)
