"""cometsim's demo videos: real H.264 files, made quickly enough for every test."""

import time

import pytest

from cometsim import make_demo_mp4


def test_demo_videos_are_cached_and_quick():
    started = time.monotonic()
    first = make_demo_mp4(384, 216, 4, caption="cached")
    assert make_demo_mp4(384, 216, 4, caption="cached") is first
    assert time.monotonic() - started < 2
    with pytest.raises(ValueError):
        make_demo_mp4(383, 216, 4)
