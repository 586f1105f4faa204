"""Check an uploaded first-frame image and re-encode it as a clean JPEG.

The uploaded bytes are never forwarded: whatever comes in is decoded by Pillow under
strict limits and written out again as a plain RGB JPEG with no metadata at all.

Memory is bounded whatever the file declares: the header is checked before any pixel is
decoded, a JPEG is decoded at a reduced scale straight from its DCT blocks, nothing is
ever decoded beyond FIRST_FRAME_MAX_PIXELS, the picture is cut down to what Veo can use
before the colour work, and only FIRST_FRAME_DECODE_CONCURRENCY uploads decode at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import threading
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MIN_SIDE = 64
JPEG_QUALITY = 92
THUMBNAIL_BOX = (480, 480)
THUMBNAIL_QUALITY = 85
# Veo's largest output is 3840×2160 (or 2160×3840 upright): more pixels are never used.
OUTPUT_MAX_SIDE = 3840
# A JPEG may declare up to this many times the decode budget per side: libjpeg decodes it
# at 1/2, 1/4 or 1/8 scale without ever holding the full-size picture. So 48 MP phone
# photos are fine, while PNG and WebP (decoded at full size) must stay under the budget.
JPEG_DRAFT_FACTOR = 2
_JPEG_FORMATS = ("JPEG", "MPO")

# Pillow allocates pixels in 16 MB blocks by default; glibc serves blocks that size from
# per-thread heaps and keeps them after they are freed, so each web thread that once
# decoded a big picture held on to it (8 uploads at once grew the process by 1.1 GB with
# only 2 decoding at a time). Blocks above glibc's 32 MB mmap ceiling go back to the
# system when freed: the same 8 uploads then cost what 2 decodes need (bench/README.md).
PILLOW_BLOCK_SIZE = 64 * 1024 * 1024
Image.core.set_block_size(max(PILLOW_BLOCK_SIZE, Image.core.get_block_size()))

# Brands of ISO-BMFF files that hold HEIC/HEIF/AVIF stills (what iPhones save by default).
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True)
class FirstFrame:
    image: bytes
    width: int
    height: int
    thumbnail: bytes
    content_type: str = "image/jpeg"
    # The picture as the person chose it, upright, before it was scaled to Veo's largest
    # size (a 3000×4000 photo is kept as 2880×3840): what previews and messages show.
    original_width: int = 0
    original_height: int = 0

    @property
    def original_size(self) -> tuple[int, int]:
        if self.original_width and self.original_height:
            return self.original_width, self.original_height
        return self.width, self.height

    @property
    def sha256(self) -> str:
        """Identifies the same image sent twice (the re-encoding is deterministic)."""
        return hashlib.sha256(self.image).hexdigest()


def normalise_first_frame(upload: UploadedFile) -> FirstFrame:
    """Validate an uploaded image and return our own JPEG re-encoding of it.

    Raises ValidationError with a message meant for the person who uploaded the file.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Something in the process switched this on; truncated uploads would slip through.
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False.")

    slots = _decode_slots(settings.FIRST_FRAME_DECODE_CONCURRENCY)
    if not slots.acquire(timeout=settings.FIRST_FRAME_DECODE_WAIT_SECONDS):
        raise ValidationError(
            "The studio is busy preparing other pictures right now. "
            "Please send the form again in a moment.",
            code="busy",
        )
    try:
        # Read inside the slot too: a waiting upload holds no copy of its bytes.
        data = _read_bounded(upload, settings.FIRST_FRAME_MAX_BYTES)
        return _normalise_safely(data, settings.FIRST_FRAME_MAX_PIXELS)
    finally:
        slots.release()


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _decode_slots(size: int) -> threading.BoundedSemaphore:
    """One semaphore per process (per configured size, so tests can change it)."""
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


def _normalise_safely(data: bytes, max_pixels: int) -> FirstFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _normalise(data, max_pixels)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's own limit fired inside Image.open(), before we could read the size.
            raise _too_many_pixels(max_pixels, found=_pixels_in_bomb_message(exc)) from None
        except UnidentifiedImageError:
            if _sniff_accepted_format(data):
                raise _damaged() from None
            raise _unsupported(data) from None
        except MemoryError:
            logger.warning("Ran out of memory decoding a first-frame upload")
            raise _damaged() from None
        except Exception as exc:  # noqa: BLE001 - hostile input must never 500
            if "MAX_TEXT" in str(exc):
                # PngImagePlugin refuses iCCP/zTXt/iTXt chunks that inflate past 1 MB.
                raise ValidationError(
                    "This image carries an oversized colour profile or text block. "
                    "Please export it again without metadata and upload it.",
                    code="metadata_too_large",
                ) from None
            logger.info("Rejected a first-frame upload: %r", exc)
            raise _damaged() from None


def _read_bounded(upload: UploadedFile, max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _file_too_large(max_bytes)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)  # a form may already have peeked at the file
    data = upload.read(max_bytes + 1)
    if not data:
        raise ValidationError("This file is empty.", code="empty")
    if len(data) > max_bytes:
        raise _file_too_large(max_bytes)
    return data


def _normalise(data: bytes, max_pixels: int) -> FirstFrame:
    image: Image.Image = _open(data)
    if image.format not in (*ACCEPTED_FORMATS, "MPO"):
        raise _unsupported(data)

    # Everything up to here only parsed headers; no pixel memory has been allocated.
    width, height = image.size
    is_jpeg = image.format in _JPEG_FORMATS
    declared_limit = max_pixels * JPEG_DRAFT_FACTOR**2 if is_jpeg else max_pixels
    if width * height > declared_limit:
        raise _too_many_pixels(max_pixels, found=f"{width}×{height} pixels")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ValidationError(
            f"The image is too small ({width}×{height} pixels). Please use an image at "
            f"least {MIN_SIDE} pixels wide and {MIN_SIDE} pixels high.",
            code="too_small",
        )
    # MPO is a JPEG with extra pictures (phone depth maps, stereo pairs): keep the first.
    if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
        raise ValidationError(
            "Animated images can't be used as a first frame. Please upload a still image.",
            code="animated",
        )

    image.verify()
    image = _open(data)
    if is_jpeg:
        _draft(image, max_pixels)
    if image.width * image.height > max_pixels:  # a draft that could not reduce enough
        raise _too_many_pixels(max_pixels, found=f"{width}×{height} pixels")
    image.load()
    icc_profile = image.info.get("icc_profile")

    decoded = image.size
    _transpose(image)
    if image.size != decoded and image.size == decoded[::-1]:
        width, height = height, width  # EXIF said the photo was taken on its side
    image = _flatten(image)
    # In place, and before the colour conversion makes another copy.
    image.thumbnail((OUTPUT_MAX_SIDE, OUTPUT_MAX_SIDE), Image.Resampling.LANCZOS, 3.0)
    rgb = _to_srgb(image, icc_profile)
    del image
    rgb.info = {}  # Pillow's JPEG writer copies a "comment" from info unless told otherwise.

    thumb = rgb.resize(_fit(rgb.size, THUMBNAIL_BOX), Image.Resampling.LANCZOS, None, 3.0)
    return FirstFrame(
        image=_jpeg(rgb, JPEG_QUALITY),
        width=rgb.width,
        height=rgb.height,
        thumbnail=_jpeg(thumb, THUMBNAIL_QUALITY),
        content_type="image/jpeg",
        original_width=width,
        original_height=height,
    )


def _open(data: bytes) -> ImageFile.ImageFile:
    return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)


def _draft(image: ImageFile.ImageFile, max_pixels: int) -> None:
    """Ask libjpeg for the smallest scale that still covers Veo's largest output, and at
    least the scale that brings the picture under the decode budget."""
    width, height = image.size
    scale = 1
    while scale < 8 and (
        (width // scale) * (height // scale) > max_pixels
        or max(width, height) // (scale * 2) >= OUTPUT_MAX_SIDE
    ):
        scale *= 2
    if scale > 1:
        image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    ratio = min(box[0] / width, box[1] / height, 1.0)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _transpose(image: Image.Image) -> None:
    try:
        ImageOps.exif_transpose(image, in_place=True)  # in place: no second full-size copy
    except Exception:  # noqa: BLE001
        # A mangled EXIF block should not cost the user their upload; keep it unrotated.
        logger.info("Ignoring unreadable EXIF orientation on a first-frame upload")


def _flatten(image: Image.Image) -> Image.Image:
    """Return an L, RGB or CMYK image, with any transparency composited onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow clips 16-bit greys to 255 when converting; scale them down instead.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif "transparency" in image.info and image.mode in ("L", "RGB"):
        image = image.convert("LA" if image.mode == "L" else "RGBA")
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("L", "RGB", "CMYK"):
        return image
    return image.convert("RGB")


_PROFILE_SPACE_FOR_MODE = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert to RGB, honouring an embedded colour profile when it can be used.

    We strip the profile from our output, so colours in Display P3 (iPhone), Adobe RGB or
    CMYK files would shift unless the pixels are converted to sRGB first.
    """
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            space = source.profile.xcolor_space.strip()
            if space == _PROFILE_SPACE_FOR_MODE.get(image.mode):
                converted = ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                if converted is not None:
                    return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.info("Ignoring an unusable ICC profile on a first-frame upload")
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _sniff_accepted_format(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _unsupported(data: bytes) -> ValidationError:
    message = "This file isn't a JPEG, PNG or WebP image."
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            message += (
                " It looks like a HEIC photo (the iPhone default). "
                "Please export it as JPEG and upload it again."
            )
        elif brand in _AVIF_BRANDS:
            message += " AVIF images can't be used yet. Please export it as JPEG or PNG."
    return ValidationError(message, code="unsupported_format")


def _damaged() -> ValidationError:
    return ValidationError(
        "This image looks damaged or incomplete. Please export it again and re-upload it.",
        code="damaged",
    )


def _too_many_pixels(max_pixels: int, found: str = "") -> ValidationError:
    limit = f"{max_pixels / 1_000_000:.3g} megapixels"
    jpeg = f"{max_pixels * JPEG_DRAFT_FACTOR**2 / 1_000_000:.3g} megapixels"
    found = f" ({found})" if found else ""
    return ValidationError(
        f"The image is too large{found}. Please use an image under {limit} "
        f"(a JPEG photo may have up to {jpeg}).",
        code="too_many_pixels",
    )


def _pixels_in_bomb_message(exc: Exception) -> str:
    """'Image size (3600000000 pixels) exceeds limit...' -> '3,600 megapixels'."""
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return f"{int(match[1]) / 1_000_000:,.0f} megapixels" if match else ""


def too_large_message(max_bytes: int) -> str:
    return f"The image is larger than {human_bytes(max_bytes)}. Please upload a smaller file."


def _file_too_large(max_bytes: int) -> ValidationError:
    return ValidationError(too_large_message(max_bytes), code="file_too_large")


def human_bytes(count: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"
