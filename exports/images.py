"""A resident's photo made fit to keep: upright, as a plain JPEG, with nothing of the
original's metadata (EXIF, GPS position, camera, comments, ICC or XMP).

A JPEG that is already upright (every photo Telegram compresses, and most others) keeps its
compressed picture as it is and loses only the segments around it, as `jpegtran -copy none`
does: nothing is decoded or re-encoded, the picture loses no quality, and the benchmark's
photo costs 0.08 ms of CPU instead of the 26 ms a re-encoding took, about a fifth of the bot's
CPU per update under load (bench/throughput.py). Any other picture (turned
by its EXIF, CMYK, PNG, ...) is decoded, turned upright and re-encoded.

Here rather than in core/ (which may not import Pillow) or runtime/ (which the web view may
not import): exports/ is the floor that already draws pictures with Pillow (qr.py), and both
the photo fetcher (runtime/photos.py) and any later front end can stand on it.
"""

from __future__ import annotations

import re
import warnings
from io import BytesIO

from PIL import ExifTags, Image, ImageOps

# The Bot API lets a bot download at most 20 MB; anything larger is not what Telegram sent.
MAX_BYTES = 20 * 1024 * 1024
# A phone's largest photo is about 50 megapixels (8160 × 6120); a small file that claims far
# more is a decompression bomb, refused before a pixel is decoded.
MAX_PIXELS = 60_000_000
QUALITY = 85  # Telegram's own photos are about this; the picture stays as the resident saw it


# The JPEG markers that carry no picture: APP0 to APP15 (JFIF, EXIF and GPS, ICC, XMP, MPF,
# Photoshop's IPTC, ...) and COM.
_METADATA = frozenset(range(0xE0, 0xF0)) | {0xFE}
_SOS, _EOI = 0xDA, 0xD9
# Markers that stand alone, without a length: SOI, EOI, TEM and the restart markers.
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0xD8, 0xD9, 0x01}
# The first marker after a scan's compressed data: in that data a 0xFF byte is always followed
# by 0x00 (stuffing) or a restart marker, and 0xFF 0xFF is fill before a marker.
_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# The frame headers (SOF0 to SOF15 but DHT, JPG and DAC, which share the range).
_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class NotAPhoto(ValueError):
    """The data is no picture, or none that may be kept (too large, a bomb): not retried."""


def clean_jpeg(data: bytes) -> bytes:
    """The photo upright (its EXIF orientation applied), as a JPEG without metadata."""
    if len(data) > MAX_BYTES:
        raise NotAPhoto(f"{len(data)} bytes, more than {MAX_BYTES}")
    with warnings.catch_warnings():
        # Pillow only warns below twice its own limit: here any bomb is refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)) as image:
                width, height = image.size  # from the header, nothing decoded yet
                if width * height > MAX_PIXELS:
                    raise NotAPhoto(f"{width} × {height} pixels, more than {MAX_PIXELS}")
                if _keeps_its_picture(image):
                    stripped = _without_metadata(data)
                    if stripped is not None:
                        return stripped
                # In place: a picture already upright (a PNG, a CMYK JPEG) is not copied for
                # nothing, which was a quarter of the fetcher's CPU (bench/throughput.py).
                ImageOps.exif_transpose(image, in_place=True)
                rgb = image if image.mode == "RGB" else image.convert("RGB")
                # A fresh image of the pixels alone, with an empty info: no comment, ICC or
                # XMP can ride along (a copy of the pixel store; going through tobytes and
                # frombytes did the same at eight times the cost).
                bare = rgb.copy()
                bare.info = {}
        except NotAPhoto:
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            # UnidentifiedImageError and truncated files are OSErrors; the warning above too.
            raise NotAPhoto(type(error).__name__) from error
        except Image.DecompressionBombWarning as error:
            raise NotAPhoto("a decompression bomb") from error
    out = BytesIO()
    bare.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _keeps_its_picture(image: Image.Image) -> bool:
    """Whether the compressed picture can be kept as it is, only its metadata dropped.

    Only a JPEG (an MPO is a JPEG with more pictures after the first) that is upright already,
    grey or YCbCr colour: an Adobe segment says how the colours are coded (RGB, CMYK), so a
    picture that has one is re-encoded rather than have it dropped and its colours misread.
    """
    if image.format not in ("JPEG", "MPO") or image.mode not in ("L", "RGB"):
        return False
    if "adobe" in image.info:
        return False
    return image.getexif().get(ExifTags.Base.Orientation, 1) == 1


def _without_metadata(data: bytes) -> bytes | None:
    """The JPEG's segments that make the picture, from SOI to the first EOI after its scans.

    Every APPn and COM segment is dropped, and everything after the end of the first picture
    (an MPO's further pictures, anything appended). A JFIF header is written anew with only
    its version and density (a JFIF thumbnail is a picture of its own). None when the file is
    not laid out as a JPEG must be (truncated, a marker where none may be): the caller then
    decodes it, and Pillow says what is wrong.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    kept = [b"\xff\xd8"]
    framed = scanned = False
    at, size = 2, len(data)
    while at + 1 < size:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill before a marker
            at += 1
            continue
        if marker == _EOI:
            if not (framed and scanned):
                return None
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if marker in _STANDALONE or at + 4 > size:
            return None
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if end <= at + 3 or end > size:
            return None
        if marker == 0xE0 and data[at + 4 : at + 9] == b"JFIF\x00" and end - at >= 16:
            # Version, density unit, and x and y density; no thumbnail.
            kept.append(b"\xff\xe0\x00\x10JFIF\x00" + data[at + 9 : at + 16] + b"\x00\x00")
        elif marker not in _METADATA:
            kept.append(data[at:end])
            framed = framed or marker in _FRAMES
        at = end
        if marker == _SOS:
            if not framed:
                return None
            scanned = True
            after = _AFTER_SCAN.search(data, at)
            if after is None:  # no end: truncated
                return None
            kept.append(data[at : after.start()])
            at = after.start()
    return None
