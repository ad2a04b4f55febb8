"""The web view's logins: one-time links from /web and the browsers' sessions they open.

Both are kept by their token's SHA-256 (core.roles.token_digest): a copy of the database
opens no session. A link is taken in one transaction that marks it used, so of two
browsers (or replicas) opening the same link at once only one gets in. What the person may
see is not kept here: the web view reads it from organizers and ADMIN_IDS on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update

from core.roles import Refusal, refusal
from storage.engine import Room
from storage.rows import use_once
from storage.schema import web_links, web_sessions

# A session's last_seen is written at most this often: a page's every request (the map's
# points, its photos) need not be a write.
LAST_SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class WebLink:
    """A login link as the store keeps it: whose it is, and until when it works."""

    digest: str
    pseudonym: str
    name: str  # their Telegram name when they sent /web, for the audit log
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class WebSession:
    digest: str
    pseudonym: str
    name: str
    created_at: datetime
    expires_at: datetime
    last_seen: datetime


class WebLogins(Protocol):
    async def add_web_link(self, link: WebLink) -> None:
        """Keep a new login link."""

    async def take_web_link(self, digest: str, now: datetime) -> WebLink | Refusal:
        """The link, used up in the same transaction (once, on every replica); or why not."""

    async def web_link_refusal(self, digest: str, now: datetime) -> Refusal | None:
        """Why the link would not log in now; None while it would (nothing is used up)."""

    async def open_web_session(self, session: WebSession) -> None: ...

    async def web_session(self, digest: str, now: datetime) -> WebSession | None:
        """The session a cookie names while it lasts (its last_seen moved on); else None."""

    async def close_web_session(self, digest: str) -> None: ...

    async def forget_web_logins(self, now: datetime) -> int:
        """Forget links and sessions that have expired; how many."""


class WebRoom(Room):
    """Login links and sessions on the shared engine."""

    async def add_web_link(self, link: WebLink) -> None:
        await self._write(
            web_links.insert().values(
                digest=link.digest,
                pseudonym=link.pseudonym,
                name=link.name[:128],
                created_at=link.created_at,
                expires_at=link.expires_at,
                used_at=None,
            )
        )

    async def take_web_link(self, digest: str, now: datetime) -> WebLink | Refusal:
        async with self._writing() as connection:
            row = await use_once(connection, web_links, digest, now)
            if isinstance(row, Refusal):
                return row
            return WebLink(
                row.digest, row.pseudonym, row.name, row.created_at, row.expires_at, now
            )

    async def web_link_refusal(self, digest: str, now: datetime) -> Refusal | None:
        row = await self._first(select(web_links).where(web_links.c.digest == digest))
        if row is None:
            return Refusal.UNKNOWN
        return refusal(row.used_at, row.expires_at, now)

    async def open_web_session(self, session: WebSession) -> None:
        await self._write(
            web_sessions.insert().values(
                digest=session.digest,
                pseudonym=session.pseudonym,
                name=session.name[:128],
                created_at=session.created_at,
                expires_at=session.expires_at,
                last_seen=session.last_seen,
            )
        )

    async def web_session(self, digest: str, now: datetime) -> WebSession | None:
        row = await self._first(select(web_sessions).where(web_sessions.c.digest == digest))
        if row is None or now >= row.expires_at:
            return None
        last_seen = row.last_seen
        if now - last_seen >= LAST_SEEN_EVERY:
            await self._write(
                update(web_sessions).where(web_sessions.c.digest == digest).values(last_seen=now)
            )
            last_seen = now
        return WebSession(
            row.digest, row.pseudonym, row.name, row.created_at, row.expires_at, last_seen
        )

    async def close_web_session(self, digest: str) -> None:
        await self._write(delete(web_sessions).where(web_sessions.c.digest == digest))

    async def forget_web_logins(self, now: datetime) -> int:
        async with self._writing() as connection:
            # A used link stays until it would have expired, so that a second try hears
            # "used" rather than "unknown" (both say: send /web again).
            links = await connection.execute(
                delete(web_links).where(web_links.c.expires_at <= now)
            )
            sessions = await connection.execute(
                delete(web_sessions).where(web_sessions.c.expires_at <= now)
            )
            return int(links.rowcount) + int(sessions.rowcount)
