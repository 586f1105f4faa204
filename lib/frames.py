"""One exact frame of an MP4: the frame on screen at a given time, or the very last one.

No Django here (the worker, the export and scripts use it too). `frame_at` seeks to the
keyframe before the time and decodes forward, so the answer is the frame whose
presentation time covers the moment, never a nearby keyframe; the last frame is the last
one the decoder gives, not a guess from the duration.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
from PIL import Image

from .video import NotAVideo, Readable, check_top_level_boxes, upright_image

# A player's position may pass the last frame's end by a hair (rounding, a longer sound
# track): up to the container's end plus this much still means the last frame.
END_TOLERANCE = 0.001
# Near-lossless: what the upload check then re-encodes stays within a JPEG step of the frame.
_JPEG_QUALITY = 95

Source = str | os.PathLike[str] | BinaryIO | Readable


class FrameError(Exception):
    """No frame could be taken. str(exc) is a sentence a person can read."""


class VideoMissing(FrameError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("The video file is missing.")
        self.detail = detail


class VideoBroken(FrameError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("The video file is damaged and no frame can be read from it.")
        self.detail = detail  # a short technical reason, for logs


class TimeOutsideVideo(FrameError):
    def __init__(self, seconds: float, duration: float) -> None:
        super().__init__(f"{_clock(seconds)} is outside the video, which lasts {_clock(duration)}.")
        self.seconds = seconds
        self.duration = duration


@dataclass(frozen=True)
class Grab:
    image: Image.Image
    # Where the frame starts and ends on the video's clock, and the video's length.
    start: float
    end: float
    duration: float


def frame_at(source: Source, seconds: float | None) -> Image.Image:
    """The frame shown at `seconds` from the start (None: the very last frame), upright RGB.

    Raises VideoMissing, VideoBroken or TimeOutsideVideo."""
    return grab(source, seconds).image


def grab(source: Source, seconds: float | None) -> Grab:
    """As `frame_at`, with where the frame sits in the video."""
    with _opened(source) as (container, stream):
        duration = _duration(container, stream)
        if seconds is None:
            frame, next_pts = _last(container, stream)
        else:
            if not math.isfinite(seconds) or seconds < 0 or seconds > duration + END_TOLERANCE:
                raise TimeOutsideVideo(seconds, duration)
            frame, next_pts = _covering(container, stream, _ticks(stream, seconds))
        start = _seconds(stream, frame.pts or 0)  # never None: _decode_from skips those
        end = _seconds(stream, next_pts) if next_pts is not None else duration
        return Grab(upright_image(frame).convert("RGB"), start, max(start, end), duration)


def frame_bytes(source: Source, seconds: float | None, format: str = "JPEG") -> bytes:
    """`frame_at` encoded as JPEG (quality 95, full colour) or PNG."""
    image = frame_at(source, seconds)
    out = io.BytesIO()
    if format.upper() == "PNG":
        image.save(out, format="PNG")
    else:
        image.save(out, format="JPEG", quality=_JPEG_QUALITY, subsampling=0)
    return out.getvalue()


def video_duration(source: Source) -> float:
    with _opened(source) as (container, stream):
        return _duration(container, stream)


# --- decoding ------------------------------------------------------------------------------


@contextmanager
def _opened(source: Source) -> Iterator[tuple[av.container.InputContainer, av.VideoStream]]:
    with ExitStack() as stack:
        handle: Readable
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            try:
                handle = stack.enter_context(path.open("rb"))
            except FileNotFoundError as exc:
                raise VideoMissing(str(path)) from exc
            except OSError as exc:
                raise VideoBroken(f"cannot read file: {exc}") from exc
        else:
            handle = source
        try:
            check_top_level_boxes(handle)
            handle.seek(0)
            # Forcing the MP4 demuxer: FFmpeg must not probe the file as a playlist.
            container = av.open(handle, mode="r", format="mp4")
        except NotAVideo as exc:
            raise VideoBroken(str(exc)) from exc
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise VideoBroken(f"demuxer refused the file: {exc}") from exc
        try:
            if not container.streams.video:
                raise VideoBroken("no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frames decode in parallel: a long GOP costs less
            yield container, stream
        except (av.FFmpegError, OSError, ValueError, MemoryError) as exc:
            raise VideoBroken(f"decoding failed: {exc}") from exc
        finally:
            container.close()


def _covering(container, stream, target: int) -> tuple[av.VideoFrame, int | None]:
    """The last frame starting at or before `target`, and the next frame's start."""
    found = _decode_from(container, stream, target, seek_to=target)
    if found is None:
        # The demuxer landed on a keyframe shown after the target (it seeks by decode
        # time): decode from the very start instead, which is always right.
        found = _decode_from(container, stream, target, seek_to=None)
    if found is None:
        raise VideoBroken("no decodable video frame before the time asked")
    return found


def _last(container, stream) -> tuple[av.VideoFrame, None]:
    end = _ticks(stream, _duration(container, stream)) + 1
    found = _decode_from(container, stream, None, seek_to=end)
    if found is None:
        found = _decode_from(container, stream, None, seek_to=None)
    if found is None:
        raise VideoBroken("no decodable video frame")
    return found[0], None


def _decode_from(
    container, stream, target: int | None, seek_to: int | None
) -> tuple[av.VideoFrame, int | None] | None:
    """Decode forward from the keyframe at or before `seek_to` (None: the start); keep the
    last frame starting at or before `target` (None: the very end). None if the first frame
    decoded already starts after `target`."""
    try:
        if seek_to is None:
            container.seek(0)
        else:
            container.seek(max(0, seek_to), stream=stream, backward=True, any_frame=False)
    except av.FFmpegError:
        if seek_to is None:
            raise
        return None
    chosen: av.VideoFrame | None = None
    for frame in container.decode(stream):
        if frame.pts is None:
            continue
        if target is not None and frame.pts > target:
            return (chosen, frame.pts) if chosen is not None else None
        chosen = frame
    return (chosen, None) if chosen is not None else None


def _duration(container, stream) -> float:
    """The longer of the video stream's and the whole file's length, in seconds."""
    lengths = []
    if stream.duration and stream.time_base:
        lengths.append(float(stream.duration * stream.time_base))
    if container.duration:
        start = container.start_time or 0
        lengths.append((container.duration - max(0, start)) / av.time_base)
    if not lengths or max(lengths) <= 0:
        raise VideoBroken("no duration in stream or container")
    return max(lengths)


def _stream_start(stream) -> int:
    return stream.start_time if stream.start_time is not None else 0


def _ticks(stream, seconds: float) -> int:
    """`seconds` from the stream's first frame, in its time base (to the nearest tick)."""
    return _stream_start(stream) + round(Fraction(seconds) / stream.time_base)


def _seconds(stream, pts: int) -> float:
    return float((pts - _stream_start(stream)) * stream.time_base)


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "That time"
    sign = "-" if seconds < 0 else ""
    tenths = round(abs(seconds) * 10)
    return f"{sign}{tenths // 600}:{tenths % 600 // 10:02d}.{tenths % 10}"
