import io
import time
import warnings

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import override_settings
from PIL import Image, ImageFile

from lib.images import FirstFrame, normalise_first_frame
from tests import factories_media as media


def upload(data: bytes, name: str = "frame.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def rejection(data: bytes, name: str = "frame.png") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalise_first_frame(upload(data, name))
    return caught.value


def jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of every segment before the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xDA:
            break
        markers.append(marker)
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return markers


NOT_ACCEPTED = "This file isn't a JPEG, PNG or WebP image."
DAMAGED = "This image looks damaged or incomplete."
ANIMATED = "Animated images can't be used as a first frame."
METADATA = "oversized colour profile or text block"


@pytest.mark.parametrize(
    ("make", "name", "code", "message"),
    [
        pytest.param(lambda: b"just some notes\n", "notes.png", "unsupported_format", NOT_ACCEPTED, id="text"),
        pytest.param(media.html_bytes, "cat.png", "unsupported_format", NOT_ACCEPTED, id="html-renamed-png"),
        pytest.param(media.svg_bytes, "logo.svg", "unsupported_format", NOT_ACCEPTED, id="svg"),
        pytest.param(media.svg_bytes, "logo.png", "unsupported_format", NOT_ACCEPTED, id="svg-renamed-png"),
        pytest.param(media.gif_bytes, "still.gif", "unsupported_format", NOT_ACCEPTED, id="gif"),
        pytest.param(media.animated_gif, "loop.gif", "unsupported_format", NOT_ACCEPTED, id="animated-gif"),
        pytest.param(media.polyglot_gif_js, "x.jpg", "unsupported_format", NOT_ACCEPTED, id="gif-js-polyglot"),
        pytest.param(media.tiff_bytes, "scan.tiff", "unsupported_format", NOT_ACCEPTED, id="tiff"),
        pytest.param(media.bmp_bytes, "paint.bmp", "unsupported_format", NOT_ACCEPTED, id="bmp"),
        pytest.param(media.pdf_bytes, "board.pdf", "unsupported_format", NOT_ACCEPTED, id="pdf"),
        pytest.param(media.fake_heic, "IMG_0001.HEIC", "unsupported_format", "HEIC photo", id="heic"),
        pytest.param(media.fake_heic, "IMG_0001.jpg", "unsupported_format", "export it as JPEG", id="heic-renamed-jpg"),
        pytest.param(media.truncated_png, "frame.png", "damaged", DAMAGED, id="truncated-png"),
        pytest.param(media.truncated_jpeg, "frame.jpg", "damaged", DAMAGED, id="truncated-jpeg"),
        pytest.param(media.png_with_bad_crc, "frame.png", "damaged", DAMAGED, id="png-bad-crc"),
        pytest.param(lambda: media.png_bytes()[:20], "frame.png", "damaged", DAMAGED, id="png-cut-in-header"),
        pytest.param(media.animated_webp, "loop.webp", "animated", ANIMATED, id="animated-webp"),
        pytest.param(media.apng, "loop.png", "animated", ANIMATED, id="apng"),
        pytest.param(media.png_with_huge_iccp, "frame.png", "metadata_too_large", METADATA, id="huge-iccp"),
        pytest.param(media.png_with_huge_text_chunk, "frame.png", "metadata_too_large", METADATA, id="huge-ztxt"),
        pytest.param(media.decompression_bomb_png, "bomb.png", "too_many_pixels", "under 16.8 megapixels", id="bomb-png"),
        pytest.param(lambda: media.png_bytes(32, 32), "icon.png", "too_small", "too small (32×32 pixels)", id="tiny"),
        pytest.param(lambda: media.png_bytes(63, 400), "strip.png", "too_small", "at least 64 pixels", id="narrow"),
    ],
)  # fmt: skip
def test_it_refuses_bad_files_with_a_human_message(make, name, code, message):
    error = rejection(make(), name)

    assert error.code == code
    assert message in error.message


def test_it_refuses_an_empty_file():
    error = rejection(b"")

    assert error.code == "empty"
    assert error.message == "This file is empty."


def test_it_refuses_a_file_over_20_mb():
    error = rejection(media.over_size_limit())

    assert error.code == "file_too_large"
    assert error.message == "The image is larger than 20 MB. Please upload a smaller file."


@override_settings(FIRST_FRAME_MAX_BYTES=2048)
def test_it_reads_the_byte_cap_from_settings_at_call_time():
    assert normalise_first_frame(upload(media.over_size_limit(2048)))

    error = rejection(media.over_size_limit(2049))

    assert error.code == "file_too_large"
    assert "larger than 2 KB" in error.message


class EndlessStream(io.RawIOBase):
    """A file that never ends and lies about its size, recording how much was asked for."""

    def __init__(self):
        self.requested = []

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("an unbounded read() on an upload")
        self.requested.append(size)
        return b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)


@override_settings(FIRST_FRAME_MAX_BYTES=10_000)
def test_it_never_reads_more_than_the_cap_plus_one_byte():
    stream = EndlessStream()

    with pytest.raises(ValidationError) as caught:
        normalise_first_frame(UploadedFile(stream, name="frame.png", size=100))

    assert caught.value.code == "file_too_large"
    assert sum(stream.requested) == 10_001


def test_it_refuses_a_jpeg_claiming_60000_by_60000_pixels_without_decoding_it():
    started = time.monotonic()
    error = rejection(media.jpeg_header_claiming(60_000, 60_000), "huge.jpg")

    assert time.monotonic() - started < 1
    assert error.code == "too_many_pixels"
    assert error.message == (
        "The image is too large (3,600 megapixels). Please use an image under 16.8 megapixels "
        "(a JPEG photo may have up to 67.1 megapixels)."
    )


def test_it_refuses_images_over_the_pixel_setting_that_pillow_would_allow():
    # 72 MP is below Pillow's own bomb limit (~89 MP) but above what a JPEG may declare.
    error = rejection(media.jpeg_header_claiming(9000, 8000), "big.jpg")

    assert error.code == "too_many_pixels"
    assert "(9000×8000 pixels)" in error.message


@override_settings(FIRST_FRAME_MAX_PIXELS=10_000)
def test_it_reads_the_pixel_limit_from_settings_at_call_time():
    error = rejection(media.png_bytes(200, 100))

    assert error.code == "too_many_pixels"
    assert error.message == (
        "The image is too large (200×100 pixels). Please use an image under 0.01 megapixels "
        "(a JPEG photo may have up to 0.04 megapixels)."
    )


def test_it_refuses_when_pillow_is_set_to_load_truncated_images(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(ImproperlyConfigured):
        normalise_first_frame(upload(media.truncated_png()))


def test_it_leaves_pillow_and_warning_globals_as_it_found_them():
    filters_before = list(warnings.filters)
    max_pixels_before = Image.MAX_IMAGE_PIXELS

    normalise_first_frame(upload(media.png_bytes()))
    rejection(media.decompression_bomb_png())

    assert warnings.filters == filters_before
    assert Image.MAX_IMAGE_PIXELS == max_pixels_before


# --- accepted images ----------------------------------------------------------------------


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    image.load()
    return image


@pytest.mark.parametrize(
    ("make", "name", "size"),
    [
        pytest.param(media.png_bytes, "frame.png", (320, 180), id="png"),
        pytest.param(media.png_bytes, "frame.jpg", (320, 180), id="png-named-jpg"),
        pytest.param(media.jpeg_bytes, "frame.png", (320, 180), id="jpeg-named-png"),
        pytest.param(lambda: media.jpeg_bytes(mode="L"), "grey.jpg", (320, 180), id="greyscale-jpeg"),
        pytest.param(media.mpo_bytes, "DSC0001.JPG", (320, 180), id="mpo-first-picture"),
        pytest.param(media.webp_bytes, "frame.webp", (320, 180), id="webp"),
        pytest.param(lambda: media.webp_bytes(mode="RGBA"), "frame.webp", (320, 180), id="webp-alpha"),
        pytest.param(lambda: media.png_bytes(mode="P"), "palette.png", (320, 180), id="palette-png"),
        pytest.param(lambda: media.png_bytes(mode="LA"), "grey-alpha.png", (320, 180), id="la-png"),
        pytest.param(lambda: media.png_bytes(64, 64), "edge.png", (64, 64), id="smallest-allowed"),
        pytest.param(media.png_with_large_plain_text_chunk, "notes.png", (128, 96), id="2mb-text-chunk"),
        pytest.param(media.png_with_garbage_iccp, "junk-profile.png", (128, 96), id="garbage-iccp"),
    ],
)  # fmt: skip
def test_it_accepts_good_images_as_plain_rgb_jpeg(make, name, size):
    frame = normalise_first_frame(upload(make(), name))

    assert isinstance(frame, FirstFrame)
    assert frame.content_type == "image/jpeg"
    assert (frame.width, frame.height) == size
    image = decoded(frame.image)
    assert image.size == size
    assert image.mode == "RGB"
    assert not image.getexif()
    assert "icc_profile" not in image.info
    assert "comment" not in image.info


def test_it_flattens_transparency_onto_white():
    frame = normalise_first_frame(upload(media.rgba_png_with_transparent_corner()))

    r, g, b = decoded(frame.image).getpixel((5, 5))
    assert min(r, g, b) >= 250


def test_it_scales_16_bit_greys_instead_of_clipping_them():
    frame = normalise_first_frame(upload(media.png_16bit_grey(value=40_000)))

    r, g, b = decoded(frame.image).getpixel((50, 40))
    assert r == g == b
    assert abs(r - 40_000 / 256) <= 2


def test_it_rotates_a_cmyk_jpeg_by_its_exif_orientation_and_makes_it_rgb():
    frame = normalise_first_frame(upload(media.cmyk_jpeg_with_exif_rotation(200, 100), "cmyk.jpg"))

    image = decoded(frame.image)
    assert (frame.width, frame.height) == (100, 200)
    assert image.size == (100, 200)
    assert image.mode == "RGB"
    assert not image.getexif()
    # The red square stored top-left shows top-right once turned 90° clockwise.
    red, green, blue = image.getpixel((95, 5))
    assert red > 200 and green < 60 and blue < 60
    assert min(image.getpixel((5, 195))) > 240


def test_it_drops_every_kind_of_metadata():
    original = media.jpeg_with_all_metadata()
    secrets = (b"SpyCam", b"shot at home", b"secret")
    assert all(secret in original for secret in secrets)

    frame = normalise_first_frame(upload(original, "holiday.jpg"))

    for data in (frame.image, frame.thumbnail):
        image = decoded(data)
        assert not image.getexif()
        assert not {"icc_profile", "exif", "xmp", "comment"} & image.info.keys()
        assert not any(secret in data for secret in secrets)
        # Only JFIF (APP0), tables, frame header and restart interval: no APPn, no COM.
        assert set(jpeg_markers(data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD}


def test_an_srgb_profile_does_not_shift_colours():
    plain = normalise_first_frame(upload(media.jpeg_bytes(), "plain.jpg"))
    tagged = normalise_first_frame(upload(media.jpeg_with_all_metadata(), "tagged.jpg"))

    plain_pixel = decoded(plain.image).getpixel((200, 100))
    tagged_pixel = decoded(tagged.image).getpixel((200, 100))
    assert all(abs(a - b) <= 3 for a, b in zip(plain_pixel, tagged_pixel, strict=True))


@pytest.mark.parametrize(
    ("size", "thumbnail_size"),
    [((1600, 900), (480, 270)), ((900, 1600), (270, 480)), ((300, 200), (300, 200))],
)
def test_the_thumbnail_fits_in_480_by_480(size, thumbnail_size):
    frame = normalise_first_frame(upload(media.jpeg_bytes(*size), "frame.jpg"))

    thumbnail = decoded(frame.thumbnail)
    assert thumbnail.size == thumbnail_size
    assert thumbnail.mode == "RGB"
    assert (frame.width, frame.height) == size


def test_it_reads_the_upload_from_the_start_even_if_someone_already_read_it():
    uploaded = upload(media.png_bytes())
    uploaded.read(10)

    frame = normalise_first_frame(uploaded)

    assert (frame.width, frame.height) == (320, 180)
