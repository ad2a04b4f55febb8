"""Pseudonyms: residents are stored under a keyed HMAC of their Telegram id, never the id."""

from __future__ import annotations

import hashlib
import hmac
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
