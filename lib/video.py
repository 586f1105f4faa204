"""Check that a downloaded file really is a playable MP4, and grab a poster frame."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
from PIL import Image

POSTER_QUALITY = 85
# Plenty for a single MP4 (or a fragmented one); stops a file of tiny boxes spinning us.
_MAX_TOP_LEVEL_BOXES = 10_000


class Readable(Protocol):
    """An open binary file: a real one, a BytesIO or a storage's File (S3 too)."""

    def read(self, size: int = ..., /) -> bytes: ...
    def seek(self, offset: int, whence: int = ..., /) -> int: ...
    def tell(self) -> int: ...


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    codec: str


class NotAVideo(Exception):
    """The file is not a playable MP4. str(exc) is a short technical reason, for logs."""


def looks_like_mp4(first_bytes: bytes) -> bool:
    """Cheap check: an ISO BMFF file starts with an 'ftyp' box."""
    if len(first_bytes) < 12 or first_bytes[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", first_bytes[:4])[0]
    return size >= 16


def probe_mp4(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe an MP4 after checking its structure and decoding its first frame."""
    with _open_mp4(path) as container:
        stream = container.streams.video[0]
        frame = _first_frame(container, stream)
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            raise NotAVideo("no duration in stream or container")
        if duration <= 0:
            raise NotAVideo(f"non-positive duration {duration}")
        width = stream.codec_context.width or frame.width
        height = stream.codec_context.height or frame.height
        if _is_quarter_turn(frame):
            width, height = height, width
        return VideoInfo(
            duration=duration,
            width=width,
            height=height,
            codec=stream.codec_context.name,
        )


def poster_jpeg(path: str | os.PathLike[str], max_width: int = 1280) -> bytes:
    """JPEG of the first decodable frame, no wider than max_width, upright."""
    with _open_mp4(path) as container:
        frame = _first_frame(container, container.streams.video[0])
        image = upright_image(frame)
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=POSTER_QUALITY, optimize=True)
    return out.getvalue()


@contextmanager
def _open_mp4(path: str | os.PathLike[str]) -> Iterator[av.container.InputContainer]:
    path = Path(path)
    _check_top_level_boxes(path)
    try:
        # Forcing the MP4 demuxer stops FFmpeg from probing the file as something else
        # (an HLS playlist or concat list would make it open other files or URLs).
        container = av.open(str(path), format="mp4")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise NotAVideo(f"demuxer refused the file: {exc}") from exc
    try:
        if not container.streams.video:
            raise NotAVideo("no video stream")
        yield container
    except (av.FFmpegError, OSError, ValueError, MemoryError) as exc:
        raise NotAVideo(f"decoding failed: {exc}") from exc
    finally:
        container.close()


def _check_top_level_boxes(path: Path) -> None:
    try:
        with path.open("rb") as f:
            check_top_level_boxes(f)
    except OSError as exc:
        raise NotAVideo(f"cannot read file: {exc}") from exc


def check_top_level_boxes(f: Readable) -> None:
    """Walk an open file's top-level boxes: they must tile it exactly and include moov and mdat.

    This catches downloads cut short even when the moov box came first (FFmpeg would still
    open those and decode the frames that did arrive). Leaves `f` at an unspecified position.
    """
    try:
        file_size = f.seek(0, os.SEEK_END)
        f.seek(0)
        if file_size == 0:
            raise NotAVideo("empty file")
        if not looks_like_mp4(f.read(12)):
            raise NotAVideo("no ftyp box at the start")
        seen: set[bytes] = set()
        position = 0
        for _ in range(_MAX_TOP_LEVEL_BOXES):
            if position == file_size:
                break
            f.seek(position)
            header = f.read(8)
            if len(header) < 8:
                raise NotAVideo(f"truncated box header at byte {position}")
            size, kind = struct.unpack(">I4s", header)
            if not kind.isalnum():
                raise NotAVideo(f"invalid box type {kind!r} at byte {position}")
            if size == 1:
                large = f.read(8)
                if len(large) < 8:
                    raise NotAVideo(f"truncated box header at byte {position}")
                size = struct.unpack(">Q", large)[0]
                header_size = 16
            elif size == 0:  # "extends to the end of the file"
                size = file_size - position
                header_size = 8
            else:
                header_size = 8
            if size < header_size:
                raise NotAVideo(f"bad size {size} for box {kind!r}")
            if position + size > file_size:
                raise NotAVideo(f"box {kind!r} runs past the end of the file (cut short?)")
            seen.add(kind)
            position += size
        else:
            raise NotAVideo("too many top-level boxes")
    except OSError as exc:
        raise NotAVideo(f"cannot read file: {exc}") from exc
    missing = {b"moov", b"mdat"} - seen
    if missing:
        names = ", ".join(sorted(m.decode() for m in missing))
        raise NotAVideo(f"missing top-level box: {names}")


def _first_frame(container, stream) -> av.VideoFrame:
    for frame in container.decode(stream):
        return frame
    raise NotAVideo("no decodable video frame")


def upright_image(frame: av.VideoFrame) -> Image.Image:
    """The decoded frame as a Pillow image, turned the way it displays."""
    image = frame.to_image()
    rotation = _rotation(frame)
    return image.rotate(rotation, expand=True) if rotation else image


def _rotation(frame: av.VideoFrame) -> int:
    """Degrees counter-clockwise to turn the decoded picture so it displays upright."""
    rotation = getattr(frame, "rotation", 0) or 0
    return round(rotation / 90) * 90 % 360


def _is_quarter_turn(frame: av.VideoFrame) -> bool:
    return _rotation(frame) in (90, 270)
