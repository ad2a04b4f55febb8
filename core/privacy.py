"""Pseudonyms: residents are stored under a keyed HMAC of their Telegram id, never the id."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

# Where the secret lived before the database kept it; still read, so it is adopted.
SECRET_FILE = "pseudonym.secret"


class Pseudonymizer:
    """Turns a Telegram user id into a stable pseudonym that only the secret's holder links.

    An unkeyed hash of a Telegram id could be reversed by hashing every possible id, so the
    secret is what makes the pseudonym safe to export. The secret is the deployment's, found
    when the store opens (see `settle_secret`); until then there is none to use.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret: bytes | None = None
        if secret is not None:
            self.use(secret)

    def use(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must be at least 16 bytes")
        self._secret = secret

    def __call__(self, user_id: int) -> str:
        if self._secret is None:
            raise RuntimeError("the pseudonym secret is not known before the store is open")
        digest = hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()
        return digest[:32]

    def derived(self, purpose: str) -> bytes:
        """A key of its own for `purpose` (the web view's cookies), made from the deployment's
        secret: every replica has the same one, and it reveals nothing of the secret."""
        if self._secret is None:
            raise RuntimeError("the deployment's secret is not known before the store is open")
        message = f"torget {purpose}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest().encode()


def new_secret() -> bytes:
    return secrets.token_hex(32).encode()


def fingerprint(secret: bytes) -> str:
    """Tells two secrets apart without revealing either (kept for a configured secret)."""
    return hmac.new(secret, b"torget pseudonym secret fingerprint", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StoredSecret:
    """The deployment's row: the secret itself when Torget made it, else only its print."""

    secret: bytes | None
    fingerprint: str


class SecretMismatch(Exception):
    """This process would make other pseudonyms than the deployment's: it must not start."""


def proposed_secret(configured: bytes | None, from_file: bytes | None) -> StoredSecret:
    """What this process offers the deployment when it has no secret yet.

    A configured PSEUDONYM_SECRET is never written to the database, only its fingerprint;
    a data/pseudonym.secret from before the secret moved to the database is adopted.
    """
    if configured is not None:
        return StoredSecret(None, fingerprint(configured))
    chosen = from_file or new_secret()
    return StoredSecret(chosen, fingerprint(chosen))


def settle_secret(
    configured: bytes | None, from_file: bytes | None, stored: StoredSecret
) -> bytes:
    """The secret this process uses, given the deployment's; SecretMismatch when they differ.

    Every replica must make the same pseudonym of the same resident, or a resident becomes
    two people: asked for consent again, able to answer twice, deleted only halfway.
    """
    if configured is not None:
        if fingerprint(configured) != stored.fingerprint:
            raise SecretMismatch(
                "PSEUDONYM_SECRET is not the secret this database was started with: every "
                "resident would become a new person. Set the same PSEUDONYM_SECRET on every "
                "replica (or remove it, if the database keeps the secret)."
            )
        return configured
    if stored.secret is None:
        raise SecretMismatch(
            "This database's pseudonyms are made with PSEUDONYM_SECRET, and it is not set "
            "here. Set the same PSEUDONYM_SECRET as on the other replicas."
        )
    if from_file is not None and from_file != stored.secret:
        raise SecretMismatch(
            f"{SECRET_FILE} in DATA_DIR holds another secret than the one this database "
            "keeps: each would make other pseudonyms of the same residents. The database's "
            "is the deployment's; delete the file on this replica to start with it."
        )
    return stored.secret


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
