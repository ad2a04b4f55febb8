"""Printable QR codes for deep links: a poster at the square that opens the bot right there."""

from __future__ import annotations

import io
import re
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

# What Telegram accepts after ?start=: letters, digits, _ and -, at most 64 characters.
START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MODULE_PX = 12  # large enough to print at A5 and scan from a metre away
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def deep_link(bot_username: str, code: str) -> str:
    """https://t.me/<bot>?start=<code>, refusing a code Telegram would not pass on."""
    if not START_PARAMETER.match(code):
        raise ValueError(
            f"'{code}' cannot be a start code: use only letters a-z, digits, '_' and '-', "
            "at most 64 characters"
        )
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def write_qr_png(link: str, out: Path, caption: str | None = None) -> None:
    """Write the QR code of `link` with the link (or `caption`) written under it."""
    # Error correction Q survives a quarter of the code being dirty or torn.
    code = segno.make_qr(link, error="q", boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=MODULE_PX, border=QUIET_ZONE)
    buffer.seek(0)
    qr = Image.open(buffer).convert("L")
    text = caption or link
    font = ImageFont.load_default(size=max(16, qr.width // 28))
    measure = ImageDraw.Draw(qr)
    left, top, right, bottom = (round(v) for v in measure.textbbox((0, 0), text, font=font))
    width = max(qr.width, right - left + 2 * MODULE_PX * QUIET_ZONE)
    height = qr.height + (bottom - top) + MODULE_PX * QUIET_ZONE
    page = Image.new("L", (width, height), 255)
    page.paste(qr, ((width - qr.width) // 2, 0))
    draw = ImageDraw.Draw(page)
    draw.text(((width - (right - left)) // 2 - left, qr.height - top), text, fill=0, font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.save(out, format="PNG")
