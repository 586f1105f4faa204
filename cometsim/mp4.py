"""Demo videos: real, playable H.264 MP4s drawn with Pillow and encoded with PyAV."""

from __future__ import annotations

import array
import functools
import math
import os
import tempfile
import textwrap
import zlib
from typing import Any

import av
from PIL import Image, ImageDraw, ImageFont, ImageOps

_PALETTES = (
    ((255, 94, 98), (255, 195, 113)),
    ((67, 206, 162), (24, 90, 157)),
    ((142, 45, 226), (74, 0, 224)),
    ((247, 151, 30), (255, 210, 0)),
    ((0, 180, 219), (0, 91, 150)),
    ((238, 9, 121), (255, 106, 0)),
)


def demo_frame_size(size: str) -> tuple[int, int]:
    """The small frame rendered for a requested ``WxH``, in the same orientation."""
    try:
        width, height = (int(part) for part in size.lower().split("x"))
    except ValueError:
        width, height = 16, 9
    return (216, 384) if height > width else (384, 216)


def make_demo_mp4(
    width: int,
    height: int,
    seconds: float,
    fps: int = 12,
    first_frame: Image.Image | None = None,
    caption: str = "",
) -> bytes:
    """Encode a real, playable H.264 MP4 (yuv420p, faststart) of exactly width x height.

    Without ``first_frame``: an animated gradient with drifting shapes and ``caption``,
    cached by parameters. With it: that image, slowly zooming and panning.
    """
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"yuv420p needs positive even dimensions, not {width}x{height}")
    if first_frame is None:
        return _cached_demo_mp4(width, height, float(seconds), fps, caption)
    frames = _ken_burns_frames(first_frame, width, height, _frame_count(seconds, fps))
    return _encode(frames, width, height, fps)


@functools.lru_cache(maxsize=32)
def _cached_demo_mp4(width: int, height: int, seconds: float, fps: int, caption: str) -> bytes:
    frames = _gradient_frames(width, height, _frame_count(seconds, fps), caption)
    return _encode(frames, width, height, fps)


def _frame_count(seconds: float, fps: int) -> int:
    return max(1, round(seconds * fps))


def _encode(frames: Any, width: int, height: int, fps: int) -> bytes:
    # The faststart pass re-reads the output file, which PyAV cannot do on a BytesIO.
    fd, path = tempfile.mkstemp(prefix="veosim-", suffix=".mp4")
    os.close(fd)
    try:
        with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream(
                "libx264", rate=fps, options={"preset": "veryfast", "crf": "24"}
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            sound = out.add_stream("aac", rate=SOUND_RATE)  # before the first packet
            sound.layout = "mono"
            count = 0
            for image in frames:
                count += 1
                for packet in stream.encode(av.VideoFrame.from_image(image)):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
            _add_sound(out, sound, count / fps)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


SOUND_RATE = 48000
_SOUND_FRAME = 1024


def _add_sound(out: Any, stream: Any, seconds: float) -> None:
    """A soft two-note pad with a fade in and out: Veo 3.1 makes sound, so demo clips have
    a sound track too and the player's volume control behaves as it will for real."""
    total = max(_SOUND_FRAME, round(seconds * SOUND_RATE))
    fade = min(SOUND_RATE // 2, total // 4)
    for start in range(0, total, _SOUND_FRAME):
        count = min(_SOUND_FRAME, total - start)
        samples = array.array("f", (_pad(i, total, fade) for i in range(start, start + count)))
        frame = av.AudioFrame(format="fltp", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate, frame.pts = SOUND_RATE, start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _pad(i: int, total: int, fade: int) -> float:
    t = i / SOUND_RATE
    level = min(1.0, i / fade, (total - i) / fade) * 0.12
    return level * (math.sin(2 * math.pi * 220.0 * t) + 0.6 * math.sin(2 * math.pi * 329.6 * t))


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType has only a fixed bitmap font
        return ImageFont.load_default()


def _gradient_frames(width: int, height: int, count: int, caption: str) -> Any:
    first, second = _PALETTES[zlib.crc32(caption.encode()) % len(_PALETTES)]
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height))
    mask = Image.new("L", (width * 2, height))
    mask.paste(ramp, (0, 0))
    mask.paste(ImageOps.mirror(ramp), (width, 0))
    strip = Image.composite(
        Image.new("RGB", mask.size, first), Image.new("RGB", mask.size, second), mask
    )
    shade = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shade.putalpha(Image.linear_gradient("L").resize((width, height)).point(lambda v: v // 2))

    short = min(width, height)
    margin, line_height = max(6, short // 24), max(12, short // 11)
    small, big = _font(max(10, short // 18)), _font(line_height)
    lines = textwrap.wrap(caption, width=max(10, int((width - 2 * margin) / (line_height * 0.55))))
    lines = lines[:3]
    for index in range(count):
        t = index / max(1, count - 1)
        offset = int(width * t)
        frame = strip.crop((offset, 0, offset + width, height)).convert("RGBA")
        blobs = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(blobs)
        for k, (fx, fy, radius) in enumerate(((1, 2, 0.22), (2, 1, 0.15), (3, 2, 0.1))):
            phase = 2 * math.pi * t + k * 2.1
            cx = width * (0.5 + 0.38 * math.sin(fx * phase))
            cy = height * (0.45 + 0.3 * math.sin(fy * phase + 1.0))
            r = short * radius
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 70 - 15 * k))
        frame = Image.alpha_composite(Image.alpha_composite(frame, blobs), shade)
        draw = ImageDraw.Draw(frame)
        draw.text((margin, margin), "VeoStudio demo", font=small, fill=(255, 255, 255, 220))
        y = height - 2 * margin - len(lines) * line_height * 1.2
        for line in lines:
            draw.text(
                (width / 2, y),
                line,
                font=big,
                anchor="ma",
                fill="white",
                stroke_width=2,
                stroke_fill="black",
            )
            y += line_height * 1.2
        draw.rectangle((0, height - 3, offset, height), fill=(255, 255, 255, 200))
        yield frame.convert("RGB")


def _ken_burns_frames(image: Image.Image, width: int, height: int, count: int) -> Any:
    base = ImageOps.fit(
        ImageOps.exif_transpose(image).convert("RGB"), (width * 3 // 2, height * 3 // 2)
    )
    bw, bh = base.size
    badge = _font(max(10, height // 20))
    for index in range(count):
        t = index / max(1, count - 1)
        zoom = 1.0 + 0.15 * t
        cw, ch = bw / zoom, bh / zoom
        # Drift a little right and up while zooming, staying inside the picture.
        x0 = (bw - cw) * (0.5 + 0.4 * t)
        y0 = (bh - ch) * (0.5 - 0.3 * t)
        frame = base.resize(
            (width, height), Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch)
        )
        ImageDraw.Draw(frame).text(
            (width - 6, height - 6),
            "demo",
            font=badge,
            anchor="rd",
            fill=(255, 255, 255),
        )
        yield frame
