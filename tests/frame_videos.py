"""Test MP4s whose every frame shows its own number, and a reader for that number.

Each frame is 8 vertical bars, black or white for the bits of the frame's index (most
significant on the left): H.264 at any sane quality keeps black and white apart, so the
number read back from a decoded frame is exact.
"""

from __future__ import annotations

import functools
import tempfile
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

BITS = 8


def numbered_image(index: int, width: int = 128, height: int = 72) -> Image.Image:
    image = Image.new("RGB", (width, height), "black")
    bar = width // BITS
    for bit in range(BITS):
        if index >> (BITS - 1 - bit) & 1:
            image.paste((255, 255, 255), (bit * bar, 0, (bit + 1) * bar, height))
    return image


def read_index(image: Image.Image) -> int:
    """The number a numbered frame shows (reads the middle of each bar)."""
    grey = image.convert("L")
    bar = grey.width // BITS
    index = 0
    for bit in range(BITS):
        value = grey.getpixel((bit * bar + bar // 2, grey.height // 2))
        assert isinstance(value, int)
        index = index << 1 | (value > 127)
    return index


@functools.lru_cache(maxsize=16)
def numbered_mp4(
    frames: int = 50,
    fps: Fraction | int = 25,
    gop: int = 12,
    bframes: int = 2,
    width: int = 128,
    height: int = 72,
    audio_seconds: float = 0.0,
) -> bytes:
    """An H.264 MP4 of `frames` numbered frames (keyframe every `gop`, with B-frames)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbered.mp4"
        with av.open(str(path), mode="w", format="mp4") as out:
            stream = out.add_stream(
                "libx264",
                rate=fps,
                options={
                    "preset": "ultrafast" if not bframes else "veryfast",
                    "crf": "18",
                    "g": str(gop),
                    "keyint_min": str(gop),
                    "sc_threshold": "0",
                    "bf": str(bframes),
                },
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            sound = None
            if audio_seconds:
                sound = out.add_stream("aac", rate=48_000)
                sound.layout = "mono"
            for index in range(frames):
                frame = av.VideoFrame.from_image(numbered_image(index, width, height))
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
            if sound is not None:
                total = round(audio_seconds * 48_000)
                for start in range(0, total, 1024):
                    count = min(1024, total - start)
                    chunk = av.AudioFrame(format="fltp", layout="mono", samples=count)
                    chunk.planes[0].update(bytes(4 * count))
                    chunk.sample_rate, chunk.pts = 48_000, start
                    for packet in sound.encode(chunk):
                        out.mux(packet)
                for packet in sound.encode():
                    out.mux(packet)
        return path.read_bytes()
