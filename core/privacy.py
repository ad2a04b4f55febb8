"""Pseudonyms: residents are stored under a keyed HMAC of their Telegram id, never the id."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from pathlib import Path

SECRET_FILE = "pseudonym.secret"


class Pseudonymizer:
    """Turns a Telegram user id into a stable pseudonym that only the secret's holder links.

    An unkeyed hash of a Telegram id could be reversed by hashing every possible id, so the
    secret is what makes the pseudonym safe to export.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must be at least 16 bytes")
        self._secret = secret

    def __call__(self, user_id: int) -> str:
        digest = hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()
        return digest[:32]


def load_or_create_secret(given: str | None, data_dir: Path) -> bytes:
    """Use the configured secret, else the one generated into the data folder on first run."""
    if given:
        return given.encode()
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip().encode()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    # Written with owner-only permissions: whoever reads it can link pseudonyms to people.
    path.touch(mode=0o600)
    path.write_text(secret + "\n", encoding="ascii")
    return secret.encode()


METRES_PER_DEGREE = 111_320.0  # of latitude, and of longitude at the equator
GRID_METRES = {"exact": 0, "100m": 100, "500m": 500}


def coarsen(lat: float, lon: float, precision: str) -> tuple[float, float]:
    """Snap a point to the centre of its grid cell of about 100 m or 500 m.

    Snapping (rather than adding noise) gives every point in a cell the same stored value,
    so repeated tips from one home cannot be averaged back to it. The cell's width in
    longitude follows the snapped latitude, so cells stay roughly square in Sweden too.
    """
    return snap(lat, lon, GRID_METRES[precision])


def snap(lat: float, lon: float, metres: float) -> tuple[float, float]:
    """The centre of the square grid cell of `metres` that holds the point (0: the point)."""
    if not metres:
        return round(lat, 6), round(lon, 6)
    lat_step = metres / METRES_PER_DEGREE
    snapped_lat = (math.floor(lat / lat_step) + 0.5) * lat_step
    lon_step = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(snapped_lat)), 0.01))
    snapped_lon = (math.floor(lon / lon_step) + 0.5) * lon_step
    return round(min(max(snapped_lat, -90.0), 90.0), 6), round(snapped_lon, 6)
