"""What is kept of a resident's photo: the picture, upright, and nothing of where, when and
with what it was taken, whatever the file carries around the picture."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageCms

from exports.images import NotAPhoto, clean_jpeg
from tests.fakebot import phone_photo

# What a picture's metadata may hold and no kept photo may: the place (in XMP), a name.
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="56,2.625N" dc:creator="Anna Svensson"/></rdf:RDF></x:xmpmeta>'
)


def opened(data: bytes) -> Image.Image:
    picture = Image.open(BytesIO(data))
    picture.load()
    return picture


def pixels(data: bytes) -> bytes:
    return opened(data).convert("RGB").tobytes()


def with_everything(**save: object) -> bytes:
    """A phone's JPEG with its EXIF and GPS, and an ICC profile, XMP and a comment as well."""
    picture = opened(phone_photo(320, 240))
    out = BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture.save(
        out,
        "JPEG",
        exif=picture.getexif(),
        icc_profile=profile,
        xmp=XMP,
        comment=b"taken behind the station",
        **save,
    )
    return out.getvalue()


def assert_bare(data: bytes) -> None:
    picture = opened(data)
    assert picture.format == "JPEG"
    assert len(picture.getexif()) == 0
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "comment", "icc_profile", "xmp", "adobe", "mp"):
        assert key not in picture.info, key
    assert b"Svensson" not in data and b"Phone" not in data and b"station" not in data


def test_an_upright_photo_keeps_its_picture_exactly_and_loses_its_metadata() -> None:
    original = with_everything()
    kept = clean_jpeg(original)
    assert_bare(kept)
    # Not re-encoded: the very same pixels, no generation lost.
    assert pixels(kept) == pixels(original)
    assert len(kept) < len(original)


@pytest.mark.parametrize(
    "save",
    [{"progressive": True}, {"restart_marker_blocks": 4}, {"subsampling": 0}],
    ids=["progressive", "restart markers", "no subsampling"],
)
def test_other_jpeg_layouts_keep_their_pictures_too(save: dict[str, object]) -> None:
    original = with_everything(**save)
    kept = clean_jpeg(original)
    assert_bare(kept)
    assert pixels(kept) == pixels(original)


def test_a_grey_photo_stays_grey_and_whole() -> None:
    out = BytesIO()
    Image.linear_gradient("L").save(out, "JPEG", comment=b"taken behind the station")
    kept = clean_jpeg(out.getvalue())
    assert_bare(kept)
    assert opened(kept).mode == "L" and pixels(kept) == pixels(out.getvalue())


def test_what_is_appended_after_the_picture_is_not_kept() -> None:
    # A second picture (as an MPO carries), or anything else hidden after the end.
    hidden = with_everything() + b"PK\x03\x04 Anna Svensson's notes"
    kept = clean_jpeg(hidden)
    assert_bare(kept)
    assert kept.endswith(b"\xff\xd9") and b"PK\x03\x04" not in kept


def test_a_jfif_thumbnail_is_not_kept() -> None:
    original = phone_photo(64, 48)
    # A JFIF header carrying a 2 × 2 RGB thumbnail of its own, put where Pillow wrote its own.
    thumbnail = bytes([1, 2, 3] * 4)
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + thumbnail
    header_end = 4 + int.from_bytes(original[4:6], "big")
    assert original[6:11] == b"JFIF\x00"
    crafted = original[:4] + (len(jfif) + 2).to_bytes(2, "big") + jfif + original[header_end:]
    assert opened(crafted).size == (64, 48)
    kept = clean_jpeg(crafted)
    assert thumbnail not in kept
    assert pixels(kept) == pixels(crafted)


def test_a_sideways_photo_is_turned_upright() -> None:
    kept = clean_jpeg(phone_photo(64, 48, orientation=6))
    assert_bare(kept)
    assert opened(kept).size == (48, 64)


def test_a_cmyk_jpeg_is_re_encoded_in_rgb_colours() -> None:
    out = BytesIO()
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(out, "JPEG", comment=b"station")
    kept = clean_jpeg(out.getvalue())
    assert_bare(kept)
    picture = opened(kept)
    assert picture.mode == "RGB"
    red, green, blue = picture.getpixel((5, 5))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


def test_a_png_is_kept_as_a_jpeg() -> None:
    out = BytesIO()
    Image.new("RGBA", (40, 30), (20, 20, 160, 255)).save(out, "PNG")
    kept = clean_jpeg(out.getvalue())
    assert_bare(kept)
    assert opened(kept).size == (40, 30)


@pytest.mark.parametrize(
    "data",
    [
        phone_photo(64, 48)[:-300],
        phone_photo(64, 48)[:400],
        b"\xff\xd8\xff\xe0\x00\x02" + b"\xff\xda" * 20,
        b"GIF89a not really",
        b"",
    ],
    ids=["cut short", "only headers", "marker salad", "no picture", "empty"],
)
def test_what_is_no_whole_picture_is_refused(data: bytes) -> None:
    with pytest.raises(NotAPhoto):
        clean_jpeg(data)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    out = BytesIO()
    Image.new("L", (8, 8)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")
    # Claim 40,000 × 40,000 pixels in the frame header (height, then width, after precision).
    data[frame + 5 : frame + 9] = (40_000).to_bytes(2, "big") * 2
    with pytest.raises(NotAPhoto):
        clean_jpeg(bytes(data))
