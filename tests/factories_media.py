"""Build good and bad image/video files in memory for the upload and probe tests."""

from __future__ import annotations

import functools
import io
import struct
import tempfile
import zlib
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageCms, ImageDraw

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ORIENTATION = 0x0112


def _save(image: Image.Image, format: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **params)
    return out.getvalue()


def _gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture with some structure, so encoders and decoders have real work to do."""
    image = Image.linear_gradient("L").resize((width, height))
    rgb = Image.merge(
        "RGB",
        (
            image,
            image.transpose(Image.Transpose.ROTATE_90).resize((width, height)),
            image,
        ),
    )
    ImageDraw.Draw(rgb).rectangle((0, 0, width // 4, height // 4), fill=(255, 0, 0))
    return rgb.convert(mode)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- images we accept ---------------------------------------------------------------------


def png_bytes(width: int = 320, height: int = 180, mode: str = "RGB") -> bytes:
    return _save(_gradient(width, height, mode), "PNG")


def rgba_png_with_transparent_corner(width: int = 200, height: int = 100) -> bytes:
    image = _gradient(width, height, "RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 20, 20))  # fully transparent black square
    return _save(image, "PNG")


def png_16bit_grey(width: int = 100, height: int = 80, value: int = 40_000) -> bytes:
    return _save(Image.new("I;16", (width, height), value), "PNG")


def jpeg_bytes(width: int = 320, height: int = 180, mode: str = "RGB", **params) -> bytes:
    return _save(_gradient(width, height, mode), "JPEG", quality=90, **params)


def jpeg_with_all_metadata(width: int = 320, height: int = 180) -> bytes:
    """A JPEG carrying EXIF (with GPS), an ICC profile, XMP and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    return jpeg_bytes(
        width,
        height,
        exif=exif.tobytes(),
        icc_profile=srgb_icc(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>',
        comment=b"shot at home",
    )


def cmyk_jpeg_with_exif_rotation(width: int = 200, height: int = 100) -> bytes:
    """A CMYK JPEG stored landscape whose EXIF says "rotate 90° clockwise to display"."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    image = Image.new("CMYK", (width, height), (0, 0, 0, 0))  # white in CMYK
    image.paste((0, 255, 255, 0), (0, 0, 20, 20))  # red square, top-left as stored
    return _save(image, "JPEG", quality=95, exif=exif.tobytes())


def mpo_bytes(width: int = 320, height: int = 180) -> bytes:
    """A JPEG with a second picture attached (MPO), as some cameras and phones save."""
    second = Image.new("RGB", (width, height), "blue")
    return _save(_gradient(width, height), "MPO", save_all=True, append_images=[second])


def webp_bytes(width: int = 320, height: int = 180, mode: str = "RGB") -> bytes:
    return _save(_gradient(width, height, mode), "WEBP", quality=90)


# --- images we refuse ---------------------------------------------------------------------


def _frames(count: int, size: tuple[int, int] = (96, 96)) -> list[Image.Image]:
    colours = ["red", "green", "blue", "yellow"]
    return [Image.new("RGB", size, colours[i % len(colours)]) for i in range(count)]


def animated_gif() -> bytes:
    first, *rest = _frames(3)
    return _save(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_webp() -> bytes:
    first, *rest = _frames(3)
    return _save(first, "WEBP", save_all=True, append_images=rest, duration=100, loop=0)


def apng() -> bytes:
    first, *rest = _frames(3)
    return _save(first, "PNG", save_all=True, append_images=rest, duration=100, loop=0)


def truncated_png() -> bytes:
    data = png_bytes(400, 300)
    return data[: len(data) * 2 // 3]


def png_with_bad_crc() -> bytes:
    data = bytearray(png_bytes(400, 300))
    data[data.index(b"IDAT") + 40] ^= 0xFF
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(400, 300)
    return data[: len(data) * 2 // 3]


def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="800" '
        b'height="600"><script>alert(1)</script><rect width="800" height="600"/></svg>'
    )


def html_bytes() -> bytes:
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def tiff_bytes() -> bytes:
    return _save(_gradient(200, 100), "TIFF")


def bmp_bytes() -> bytes:
    return _save(_gradient(200, 100), "BMP")


def pdf_bytes() -> bytes:
    return _save(_gradient(200, 100), "PDF")


def gif_bytes() -> bytes:
    return _save(_gradient(200, 100), "GIF")


def fake_heic() -> bytes:
    """The start of an iPhone HEIC file: an ftyp box with the 'heic' brand."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"heic", 0) + b"mif1heic"
    return ftyp + struct.pack(">I4s", 16, b"meta") + bytes(8) + b"\0" * 200


def polyglot_gif_js() -> bytes:
    """Valid-looking GIF header that is also a script: `GIF89a=1;alert(1)//...`."""
    return b"GIF89a=1;alert(1)//" + b"\x00" * 64 + b";"


def jpeg_header_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF0 marker has been rewritten to claim width x height."""
    data = bytearray(jpeg_bytes(16, 16))
    sof = data.index(b"\xff\xc0")
    # FFC0, segment length (2), sample precision (1), then height and width (2 each)
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def _png_with_extra_chunk(kind: bytes, payload: bytes) -> bytes:
    """A small valid PNG with one extra chunk placed right after IHDR."""
    data = png_bytes(128, 96)
    ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4
    return data[:ihdr_end] + _chunk(kind, payload) + data[ihdr_end:]


@functools.cache
def decompression_bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-bit greyscale PNG with huge dimensions that compresses to a few kilobytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    block = row * 256
    parts = [compressor.compress(block) for _ in range(height // 256)]
    parts.append(compressor.compress(row * (height % 256)))
    parts.append(compressor.flush())
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def png_with_huge_text_chunk(inflated_size: int = 16 * 1024 * 1024) -> bytes:
    """A zTXt chunk of a few kB that inflates to 16 MB."""
    return _png_with_extra_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"A" * inflated_size, 9))


def png_with_large_plain_text_chunk(size: int = 2 * 1024 * 1024) -> bytes:
    """An uncompressed tEXt chunk of 2 MB: Pillow reads it; our output must drop it."""
    return _png_with_extra_chunk(b"tEXt", b"Comment\0" + b"B" * size)


def png_with_huge_iccp(inflated_size: int = 16 * 1024 * 1024) -> bytes:
    """An iCCP chunk of a few kB whose profile inflates to 16 MB."""
    return _png_with_extra_chunk(b"iCCP", b"evil\0\0" + zlib.compress(b"\0" * inflated_size, 9))


def png_with_garbage_iccp() -> bytes:
    """A small iCCP chunk that is not a valid ICC profile at all."""
    return _png_with_extra_chunk(b"iCCP", b"junk\0\0" + zlib.compress(b"not a profile" * 20))


def over_size_limit(total: int = 20 * 1024 * 1024 + 1) -> bytes:
    """A valid PNG followed by padding, to make a file just over the byte cap."""
    data = png_bytes(64, 64)
    return data + b"\0" * (total - len(data))


# --- video --------------------------------------------------------------------------------


def make_mp4(
    width: int,
    height: int,
    seconds: float,
    fps: int = 12,
    *,
    faststart: bool = False,
    rotation: int = 0,
) -> bytes:
    """An H.264 MP4 made with PyAV/libx264 from Pillow frames (a red marker moving right).

    faststart puts the moov box first; FFmpeg then needs a real file to rewrite.
    """
    if faststart:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "faststart.mp4"
            _write_mp4(
                str(path),
                width,
                height,
                seconds,
                fps,
                rotation,
                {"movflags": "faststart"},
            )
            return path.read_bytes()
    out = io.BytesIO()
    _write_mp4(out, width, height, seconds, fps, rotation, {})
    return out.getvalue()


def _write_mp4(target, width, height, seconds, fps, rotation, options) -> None:
    with av.open(target, mode="w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        if rotation:
            stream.set_display_rotation(rotation)
        for index in range(round(seconds * fps)):
            image = Image.new("RGB", (width, height), (30, 30, 30))
            x = index * 4 % max(1, width - 16)
            ImageDraw.Draw(image).rectangle((x, 0, x + 15, 15), fill=(255, 0, 0))
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def audio_only_mp4(seconds: float = 1.0, rate: int = 48_000) -> bytes:
    """An MP4 holding one AAC audio track (silence) and no video."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        samples_per_frame = 1024
        for index in range(int(seconds * rate / samples_per_frame)):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=samples_per_frame)
            frame.sample_rate = rate
            frame.pts = index * samples_per_frame
            frame.time_base = Fraction(1, rate)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def phone_photo_bytes(width: int = 3000, height: int = 4000) -> bytes:
    """A JPEG as a phone takes it: large in pixels and, being grainy, in bytes (about 4 MB
    at 3000×4000, over the 2.5 MB a plain request may carry)."""
    grain = Image.effect_noise((width, height), 16)
    picture = Image.merge(
        "RGB", (grain, grain.rotate(180), grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    return _save(picture, "JPEG", quality=85)
