"""A resident's photo made fit to keep: upright, re-encoded as a plain JPEG, with nothing of
the original's metadata (EXIF, GPS position, camera, comments, ICC or XMP).

Here rather than in core/ (which may not import Pillow) or runtime/ (which the web view may
not import): exports/ is the floor that already draws pictures with Pillow (qr.py), and both
the photo fetcher (runtime/photos.py) and any later front end can stand on it.
"""

from __future__ import annotations

import warnings
from io import BytesIO

from PIL import Image, ImageOps

# The Bot API lets a bot download at most 20 MB; anything larger is not what Telegram sent.
MAX_BYTES = 20 * 1024 * 1024
# A phone's largest photo is about 50 megapixels (8160 × 6120); a small file that claims far
# more is a decompression bomb, refused before a pixel is decoded.
MAX_PIXELS = 60_000_000
QUALITY = 85  # Telegram's own photos are about this; the picture stays as the resident saw it


class NotAPhoto(ValueError):
    """The data is no picture, or none that may be kept (too large, a bomb): not retried."""


def clean_jpeg(data: bytes) -> bytes:
    """The photo upright (its EXIF orientation applied), as a new JPEG without metadata."""
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
                # In place: a photo already upright (most are) is not copied for nothing,
                # which was a quarter of the fetcher's CPU (bench/throughput.py).
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
