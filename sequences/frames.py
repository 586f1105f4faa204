"""The first frame of a shot that continues another: the other video's very last frame,
checked like an upload (lib.framing) and cropped to the sequence's format if its shape
differs."""

from typing import BinaryIO, cast

from django.core.files.storage import default_storage

from generations.models import Generation
from lib import framing
from lib.images import FirstFrame


def continuation_frame(source: Generation, size: str) -> FirstFrame:
    """Raises lib.frames.FrameError (a missing or damaged file) with a sentence to show."""
    assert source.video.name, "the caller checks that the video is ready"
    with default_storage.open(source.video.name, "rb") as handle:
        frame = framing.first_frame_from_video(cast(BinaryIO, handle), None)
    if framing.shape_differs(frame.width, frame.height, size):
        frame = framing.crop_to_fit(frame, size)
    return frame
