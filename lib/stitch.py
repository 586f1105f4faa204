"""Stitch several MP4 shots into one: each brought to one size and frame rate, joined by
hard cuts or short crossfades, their sound resampled to one rate and joined without clicks.

No Django here (the worker and the benchmark call it alike). Memory stays flat whatever the
number of shots: frames stream from one decoder to the encoder, and only a crossfade's few
frames and one shot's sound are held at a time.
"""

from __future__ import annotations

import array
import gc
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

import av
from PIL import Image

AUDIO_RATE = 48_000
# A hard cut's sound fades out and in over this long: a step in the waveform clicks.
CUT_FADE_SECONDS = 0.004
AUDIO_FRAME = 1024  # AAC's frame size
PRESET = "veryfast"
CRF = 20


class BadShot(Exception):
    """A shot that cannot be read: `index` (0-based) and a short technical reason."""

    def __init__(self, index: int, reason: str):
        super().__init__(f"shot {index + 1}: {reason}")
        self.index = index
        self.reason = reason


@dataclass(frozen=True)
class Plan:
    width: int
    height: int
    fps: int = 24
    crossfade: float = 0.0  # seconds; 0 is a hard cut

    @property
    def fade_frames(self) -> int:
        return round(self.crossfade * self.fps)

    @property
    def samples_per_frame(self) -> Fraction:
        return Fraction(AUDIO_RATE, self.fps)


Source = Callable[[], "str | IO[bytes]"]  # opens a shot: a path or a file object


def shot_frames(source: str | IO[bytes], fps: int) -> int:
    """How many frames of the output the shot gives: its video's duration at `fps`."""
    container = _open(source)
    try:
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            raise ValueError("no duration")
        if duration <= 0:
            raise ValueError("no duration")
        return max(1, round(duration * fps))
    finally:
        container.close()
        _close(source)


def _close(source: str | IO[bytes]) -> None:
    if not isinstance(source, str):
        source.close()


def _open(source: str | IO[bytes]) -> Any:
    try:
        container = av.open(source, format="mp4")
    except BaseException:
        _close(source)
        raise
    if not container.streams.video:
        container.close()
        raise ValueError("no video stream")
    return container


def stitch(
    sources: Sequence[Source],
    out_path: str,
    plan: Plan,
    progress: Callable[[int, int], None] | None = None,
    *,
    preset: str = PRESET,
    crf: int = CRF,
) -> float:
    """Write the shots into `out_path` as one MP4 (H.264 and AAC); returns its duration in
    seconds. Raises BadShot for a shot that is missing or cannot be decoded (the caller
    deletes `out_path`). `progress(done, total)` is told in frames; it may raise to stop."""
    if not sources:
        raise ValueError("nothing to stitch")
    counts = []
    for index, source in enumerate(sources):
        try:
            counts.append(shot_frames(_opened(source, index), plan.fps))
        except BadShot:
            raise
        except Exception as error:  # noqa: BLE001  (whatever FFmpeg or the storage says)
            raise BadShot(index, str(error) or type(error).__name__) from error
    fade = min(plan.fade_frames, *(count // 2 for count in counts)) if len(counts) > 1 else 0
    total = sum(counts) - fade * (len(counts) - 1)

    output = av.open(out_path, "w", format="mp4", options={"movflags": "+faststart"})
    try:
        video = output.add_stream("libx264", rate=plan.fps)
        video.width, video.height, video.pix_fmt = plan.width, plan.height, "yuv420p"
        video.options = {"preset": preset, "crf": str(crf)}
        video.codec_context.time_base = Fraction(1, plan.fps)
        audio = output.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        writer = _Writer(output, video, audio, plan, fade, total, progress)
        for index, source in enumerate(sources):
            last = index == len(sources) - 1
            try:
                writer.shot(_opened(source, index), counts[index], first=index == 0, last=last)
            except BadShot:
                raise
            except (av.FFmpegError, OSError, ValueError) as error:
                raise BadShot(index, str(error) or type(error).__name__) from error
        writer.finish()
    finally:
        output.close()
    return total / plan.fps


def _opened(source: Source, index: int) -> str | IO[bytes]:
    try:
        return source()
    except Exception as error:  # noqa: BLE001
        raise BadShot(index, f"cannot open: {error}") from error


class _Writer:
    def __init__(self, output, video, audio, plan: Plan, fade: int, total: int, progress):
        self.output, self.video, self.audio, self.plan = output, video, audio, plan
        self.fade, self.total, self.progress = fade, total, progress
        self.frames_out = 0
        self.samples_out = 0
        self.held: deque = deque()  # the last `fade` frames of the shot before
        self.sound_tail = _Channels.silence(0)  # the last shot's sound kept for its fade
        self.pending = _Channels.silence(0)  # sound not yet a whole AAC frame

    # --- pictures -----------------------------------------------------------------------

    def shot(self, source, count: int, *, first: bool, last: bool) -> None:
        container = _open(source)
        try:
            frames = self._frames(container, count)
            fade_in = 0 if first else self.fade
            tail = 0 if last else self.fade
            held = self.held
            self.held = deque()
            sound = _Channels.silence(0)
            for number, frame in enumerate(frames):
                if number < fade_in:
                    weight = (number + 1) / (fade_in + 1)
                    frame = _blend(held.popleft(), frame, weight)
                if tail and number >= count - tail:
                    self.held.append(frame)
                else:
                    self._encode_video(frame)
            sound = self._sound(container)
        finally:
            container.close()
            _close(source)
        self._join_sound(sound, count, fade_in=fade_in, tail=tail, first=first)
        # A filter graph and its nodes refer to each other: only the cycle collector frees
        # a finished shot's graph and the frame buffers it pooled (10-30 MB a shot, seen
        # growing with the number of shots without this).
        gc.collect()

    def _frames(self, container, count: int) -> Iterator[av.VideoFrame]:
        """Exactly `count` frames of the plan's size and rate (the last one repeated if the
        stream falls short), decoded and scaled through one filter graph per shot."""
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        graph = av.filter.Graph()
        plan = self.plan
        nodes = [
            graph.add_buffer(template=stream),
            graph.add("scale", f"{plan.width}:{plan.height}:force_original_aspect_ratio=decrease"),
            graph.add("pad", f"{plan.width}:{plan.height}:(ow-iw)/2:(oh-ih)/2"),
            graph.add("setsar", "1"),
            graph.add("fps", str(plan.fps)),
            graph.add("format", "yuv420p"),
            graph.add("buffersink"),
        ]
        graph.link_nodes(*nodes).configure()
        made = 0
        last = None
        for packet in container.demux(stream):
            for decoded in packet.decode():
                graph.push(decoded)
                for frame in _drain(graph):
                    if made < count:
                        last = frame
                        made += 1
                        yield frame
        graph.push(None)
        for frame in _drain(graph):
            if made < count:
                last = frame
                made += 1
                yield frame
        if last is None:
            raise ValueError("no decodable video frame")
        while made < count:
            made += 1
            yield last

    def _encode_video(self, frame) -> None:
        frame.pts = self.frames_out
        frame.time_base = Fraction(1, self.plan.fps)
        frame.pict_type = av.video.frame.PictureType.NONE
        self.output.mux(self.video.encode(frame))
        self.frames_out += 1
        if self.progress and self.frames_out % 12 == 0:
            self.progress(self.frames_out, self.total)

    # --- sound --------------------------------------------------------------------------

    def _sound(self, container) -> _Channels:
        """The shot's whole sound at 48 kHz stereo (one shot's: 8 s is 3 MB), or nothing."""
        if not container.streams.audio:
            return _Channels.silence(0)
        stream = container.streams.audio[0]
        container.seek(0)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        sound = _Channels.silence(0)
        for packet in container.demux(stream):
            for frame in packet.decode():
                for out in resampler.resample(frame):
                    sound.extend(_Channels.of(out))
        for out in resampler.resample(None):
            sound.extend(_Channels.of(out))
        return sound

    def _join_sound(self, sound: _Channels, count: int, *, fade_in: int, tail: int, first: bool):
        spf = self.plan.samples_per_frame
        wanted = int(count * spf)
        sound.fit(wanted)
        if not first and not fade_in:
            sound.ramp_in(round(CUT_FADE_SECONDS * AUDIO_RATE))
        if not tail:
            sound.ramp_out(round(CUT_FADE_SECONDS * AUDIO_RATE))
        if fade_in:
            overlap = int(fade_in * spf)
            sound.mix_in(self.sound_tail, overlap)
            self.sound_tail = _Channels.silence(0)
        if tail:
            keep = int(tail * spf)
            self.sound_tail = sound.split_tail(keep)
        self.pending.extend(sound)
        self._flush_sound(final=False)

    def _flush_sound(self, final: bool) -> None:
        pending, start = self.pending, 0
        while len(pending) - start >= AUDIO_FRAME or (final and len(pending) > start):
            frame = pending.frame(start, min(start + AUDIO_FRAME, len(pending)))
            start += frame.samples
            frame.pts = self.samples_out
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.samples_out += frame.samples
            self.output.mux(self.audio.encode(frame))
        pending.drop(start)

    def finish(self) -> None:
        for frame in self.held:
            self._encode_video(frame)
        self.held.clear()
        self.pending.extend(self.sound_tail)
        self._flush_sound(final=True)
        self.output.mux(self.video.encode(None))
        self.output.mux(self.audio.encode(None))
        if self.progress:
            self.progress(self.frames_out, self.total)


def _drain(graph) -> Iterator[av.VideoFrame]:
    while True:
        try:
            yield graph.pull()
        except (BlockingIOError, av.BlockingIOError):
            return
        except (EOFError, av.EOFError):
            return


def _blend(before, after, weight: float):
    """`after` shown at `weight` (0..1) over `before`, plane by plane in YUV (no colour
    conversion: the three planes blend alike). Planes may carry padding at each line's
    end (the pad filter's frames do), so each is read and written line by line."""
    out = av.VideoFrame(after.width, after.height, "yuv420p")
    for plane_before, plane_after, plane_out in zip(
        before.planes, after.planes, out.planes, strict=True
    ):
        size = (plane_after.width, plane_after.height)
        a = Image.frombytes("L", size, _tight(plane_before))
        b = Image.frombytes("L", size, _tight(plane_after))
        _fill(plane_out, Image.blend(a, b, weight).tobytes())
    return out


def _tight(plane) -> bytes:
    width, height, stride = plane.width, plane.height, plane.line_size
    data = memoryview(plane)
    if stride == width:
        return bytes(data[: width * height])
    return b"".join(data[row * stride : row * stride + width] for row in range(height))


def _fill(plane, tight: bytes) -> None:
    width, height, stride = plane.width, plane.height, plane.line_size
    if stride != width:
        gap = bytes(stride - width)
        tight = b"".join(tight[row * width : (row + 1) * width] + gap for row in range(height))
    plane.update(tight.ljust(plane.buffer_size, b"\0"))


class _Channels:
    """Two channels of 32-bit float samples (left, right)."""

    def __init__(self, left: array.array, right: array.array):
        self.left, self.right = left, right

    @classmethod
    def silence(cls, samples: int) -> _Channels:
        return cls(array.array("f", bytes(4 * samples)), array.array("f", bytes(4 * samples)))

    @classmethod
    def of(cls, frame) -> _Channels:
        n = frame.samples
        left = array.array("f", bytes(frame.planes[0])[: 4 * n])
        right = array.array("f", bytes(frame.planes[1])[: 4 * n])
        return cls(left, right)

    def __len__(self) -> int:
        return len(self.left)

    def extend(self, other: _Channels) -> None:
        self.left.extend(other.left)
        self.right.extend(other.right)

    def fit(self, samples: int) -> None:
        if len(self) > samples:
            del self.left[samples:]
            del self.right[samples:]
        elif len(self) < samples:
            self.extend(_Channels.silence(samples - len(self)))

    def ramp_in(self, samples: int) -> None:
        samples = min(samples, len(self))
        for i in range(samples):
            gain = i / samples
            self.left[i] *= gain
            self.right[i] *= gain

    def ramp_out(self, samples: int) -> None:
        samples = min(samples, len(self))
        n = len(self)
        for i in range(samples):
            gain = i / samples
            self.left[n - 1 - i] *= gain
            self.right[n - 1 - i] *= gain

    def mix_in(self, before: _Channels, samples: int) -> None:
        """Crossfade: the first `samples` become `before` fading out under this fading in."""
        samples = min(samples, len(self), len(before))
        for i in range(samples):
            w = (i + 0.5) / samples
            # Equal power: the sum keeps its loudness through the fade.
            a, b = math.cos(w * math.pi / 2), math.sin(w * math.pi / 2)
            self.left[i] = before.left[i] * a + self.left[i] * b
            self.right[i] = before.right[i] * a + self.right[i] * b

    def split_tail(self, samples: int) -> _Channels:
        samples = min(samples, len(self))
        cut = len(self) - samples
        tail = _Channels(self.left[cut:], self.right[cut:])
        del self.left[cut:]
        del self.right[cut:]
        return tail

    def drop(self, samples: int) -> None:
        del self.left[:samples]
        del self.right[:samples]

    def frame(self, start: int, end: int):
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=end - start)
        for plane, channel in zip(frame.planes, (self.left, self.right), strict=True):
            plane.update(channel[start:end].tobytes().ljust(plane.buffer_size, b"\0"))
        frame.sample_rate = AUDIO_RATE
        return frame
