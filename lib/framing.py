"""Fitting a first frame to the chosen format, and keeping a checked image across a correction.

The crop is ours (Pillow, centred), so the person sees exactly the frame Veo will start from
instead of Veo cropping it silently. A checked image is kept in storage under a signed token
while the form is corrected, so nobody has to pick the same file twice.
"""

import base64
import io
import math
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from . import frames
from .images import (
    JPEG_QUALITY,
    THUMBNAIL_BOX,
    THUMBNAIL_QUALITY,
    FirstFrame,
    _decode_slots,
    normalise_first_frame,
)

# Shapes within 5% of the format's are treated as the same: nobody can see the difference.
SHAPE_TOLERANCE = 0.05
KEPT_FOLDER = "kept-frames"
KEPT_FOR = timedelta(hours=12)
# All kept images together, whoever's: one person's is at most about 5 MB (a 3840-pixel JPEG).
KEPT_MAX_BYTES = 100 * 1024 * 1024
_SALT = "veostudio.kept-first-frame"


class Fit:
    CROP = "crop"
    VEO = "veo"
    CHOICES = [(CROP, "Crop to fit"), (VEO, "Let Veo crop")]


def format_box(size: str) -> tuple[int, int]:
    width, height = size.split("x")
    return int(width), int(height)


def shape_differs(width: int, height: int, size: str) -> bool:
    box_w, box_h = format_box(size)
    return abs(math.log((width / height) / (box_w / box_h))) > math.log(1 + SHAPE_TOLERANCE)


def describe_shape(width: int, height: int) -> str:
    ratio = width / height
    if ratio > 1 + SHAPE_TOLERANCE:
        return "landscape"
    if ratio < 1 - SHAPE_TOLERANCE:
        return "portrait"
    return "square"


def crop_box(width: int, height: int, size: str) -> tuple[int, int, int, int]:
    """The largest centred box of the format's shape inside a width×height image."""
    box_w, box_h = format_box(size)
    if width * box_h > height * box_w:  # too wide: trim the sides
        new_w = round(height * box_w / box_h)
        left = (width - new_w) // 2
        return left, 0, left + new_w, height
    new_h = round(width * box_h / box_w)
    top = (height - new_h) // 2
    return 0, top, width, top + new_h


@dataclass(frozen=True)
class Placement:
    """Where the person put the crop box, in fractions of the picture: its top-left corner
    (`x` of the width, `y` of the height) and `zoom`, its size against the largest box of
    the format's shape that fits (1: that largest box; 0.5: half as wide and half as high)."""

    x: float
    y: float
    zoom: float


MIN_ZOOM = 0.25  # up to four times closer
# A box may pass the picture's edge by this much (a browser's rounding); it is pulled back.
PLACEMENT_SLACK = 0.002


PLACEMENT_UNREADABLE = (
    "The position of the crop box could not be read. Please place the crop box again and send."
)


class BadPlacement(ValueError):
    """str(exc) is a sentence for the person."""


def largest_box_fraction(width: int, height: int, size: str) -> tuple[float, float]:
    """The largest box of the format's shape inside the picture, as fractions of its sides."""
    box_w, box_h = format_box(size)
    if width * box_h > height * box_w:  # wider than the format
        return (height * box_w) / (width * box_h), 1.0
    return 1.0, (width * box_h) / (height * box_w)


def check_placement(
    x: float, y: float, zoom: float, width: int, height: int, size: str
) -> Placement:
    """The placement, pulled inside the picture if a hair outside; raises BadPlacement."""
    if not all(math.isfinite(value) for value in (x, y, zoom)):
        raise BadPlacement(PLACEMENT_UNREADABLE)
    if zoom > 1 + PLACEMENT_SLACK or zoom < MIN_ZOOM - PLACEMENT_SLACK:
        raise BadPlacement(
            f"The crop can show the whole height or width of the picture at most, and zoom "
            f"in up to {round(1 / MIN_ZOOM)} times. Please resize the crop box and send again."
        )
    zoom = min(1.0, max(MIN_ZOOM, zoom))
    box_w, box_h = largest_box_fraction(width, height, size)
    box_w, box_h = box_w * zoom, box_h * zoom
    if (
        x < -PLACEMENT_SLACK
        or y < -PLACEMENT_SLACK
        or x + box_w > 1 + PLACEMENT_SLACK
        or y + box_h > 1 + PLACEMENT_SLACK
    ):
        raise BadPlacement(
            "The crop box must stay inside the picture. Please move it back inside and send again."
        )
    return Placement(min(max(x, 0.0), 1 - box_w), min(max(y, 0.0), 1 - box_h), zoom)


def placed_box(
    width: int, height: int, size: str, placement: Placement
) -> tuple[int, int, int, int]:
    """The pixels inside the placed box: (left, top, right, bottom) of a width×height image."""
    box_w, box_h = largest_box_fraction(width, height, size)
    crop_w = max(1, min(width, round(box_w * placement.zoom * width)))
    crop_h = max(1, min(height, round(box_h * placement.zoom * height)))
    left = min(max(0, round(placement.x * width)), width - crop_w)
    top = min(max(0, round(placement.y * height)), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def crop_to_fit(frame: FirstFrame, size: str, placement: Placement | None = None) -> FirstFrame:
    """`frame` cropped to the format's shape (where `placement` says, else the centre), and
    no larger than the format."""
    if placement is None:
        box = crop_box(frame.width, frame.height, size)
    else:
        box = placed_box(frame.width, frame.height, size, placement)
    with Image.open(io.BytesIO(frame.image)) as source:
        image = source.convert("RGB").crop(box)
    target = format_box(size)
    if image.width > target[0]:
        image = image.resize(target, Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    return FirstFrame(
        image=_jpeg(image, JPEG_QUALITY),
        width=image.width,
        height=image.height,
        thumbnail=_jpeg(thumb, THUMBNAIL_QUALITY),
    )


def first_frame_from_video(source: frames.Source, seconds: float | None) -> FirstFrame:
    """The video's frame at `seconds` (None: its last), checked and re-encoded as an upload is.

    `source` is a path or an open file (a stored video: `default_storage.open(name, "rb")`).
    Raises frames.FrameError (missing, broken, a time outside the video) or the upload
    check's ValidationError, each with a sentence for the person."""
    # Decoding a 4K video holds its reference frames (up to ~200 MB): bounded like an upload.
    slots = _decode_slots(settings.FIRST_FRAME_DECODE_CONCURRENCY)
    if not slots.acquire(timeout=settings.FIRST_FRAME_DECODE_WAIT_SECONDS):
        raise ValidationError(
            "The studio is busy preparing other pictures right now. Please try again in a moment.",
            code="busy",
        )
    try:
        data = frames.frame_bytes(source, seconds, format="JPEG")
    finally:
        slots.release()
    return normalise_first_frame(SimpleUploadedFile("frame.jpg", data, "image/jpeg"))


def preview_url(jpeg: bytes) -> str:
    """A data: URL for a small JPEG, so a preview needs no stored file or extra request."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


# --- keeping a checked image while the form is corrected -------------------------------


def keep(frame: FirstFrame, owner, origin: dict | None = None) -> str:
    """Store a checked image for `owner`; returns the token the form carries for it.

    Each person keeps one image, the latest: a refused form or a new pick replaces it (so
    ten refused posts hold one picture, not ten). The folder as a whole is held under
    KEPT_MAX_BYTES, the oldest going first, and nothing stays past KEPT_FOR."""
    sweep()
    # Before saving, not after: two tabs keeping at once then both keep theirs.
    for name in _files(prefix=_owner_prefix(owner)):
        default_storage.delete(name)
    name = default_storage.save(
        f"{KEPT_FOLDER}/{_owner_prefix(owner)}{uuid.uuid4().hex}.jpg", ContentFile(frame.image)
    )
    _hold_under(KEPT_MAX_BYTES, keep=name)
    payload = {"name": name, "owner": owner.pk, "size": list(frame.original_size)}
    if origin:
        payload["origin"] = origin
    return signing.dumps(payload, salt=_SALT)


def kept(token: str, owner) -> FirstFrame | None:
    """The image kept under `token`, checked again; None if it is not this person's or gone."""
    data = _payload(token, owner)
    if data is None or not default_storage.exists(data["name"]):
        return None
    with default_storage.open(data["name"], "rb") as handle:
        image = handle.read()
    frame = normalise_first_frame(SimpleUploadedFile("kept.jpg", image, "image/jpeg"))
    size = data.get("size")
    if isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size):
        frame = replace(frame, original_width=size[0], original_height=size[1])
    return frame


def kept_origin(token: str, owner) -> dict | None:
    """The `origin` the image was kept with, if `token` is this person's and carries one."""
    data = _payload(token, owner)
    origin = data.get("origin") if data else None
    return origin if isinstance(origin, dict) else None


def discard(token: str, owner) -> None:
    data = _payload(token, owner)
    if data is not None:
        default_storage.delete(data["name"])


def sweep(now=None) -> int:
    """Delete kept images older than KEPT_FOR (forms that were abandoned); returns how many."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    removed = 0
    for name in _files():
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
        except (FileNotFoundError, OSError):
            continue  # another request swept it first
    return removed


def _hold_under(max_bytes: int, keep: str) -> None:
    """Delete the oldest kept images until the folder holds at most `max_bytes`."""
    files = []
    for name in _files():
        try:
            files.append(
                (default_storage.get_modified_time(name), name, default_storage.size(name))
            )
        except (FileNotFoundError, OSError):
            continue
    total = sum(size for _, _, size in files)
    for _, name, size in sorted(files):
        if total <= max_bytes:
            break
        if name != keep:
            default_storage.delete(name)
            total -= size


def _files(prefix: str = "") -> list[str]:
    try:
        _, files = default_storage.listdir(KEPT_FOLDER)
    except FileNotFoundError:
        return []
    return [f"{KEPT_FOLDER}/{file}" for file in files if file.startswith(prefix)]


def _owner_prefix(owner) -> str:
    return f"{owner.pk}-"


def _payload(token: str, owner) -> dict | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=KEPT_FOR)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("owner") != owner.pk:
        return None
    name = data.get("name", "")
    if not isinstance(name, str) or not name.startswith(f"{KEPT_FOLDER}/"):
        return None
    return data
