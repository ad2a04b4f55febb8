"""Photos: queued when an answer or a tip names one, downloaded by runtime/photos.py, kept as
a JPEG without metadata, and read by exports and the web view by Telegram's file_unique_id.

The queueing and the deletes happen in the other rooms' transactions (storage.rows
queue_photos and drop_unused_photos): a photo is queued with the answer that names it and
goes with the last answer, idea or tip of its resident that names it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, select, update

from storage.engine import Room
from storage.records import PhotoJob, PhotoState, PhotoStatus
from storage.rows import claim_held, drop_unused_photos
from storage.schema import photos


class PhotoStore(Protocol):
    async def photo_bytes(self, unique_id: str) -> bytes | None:
        """The photo as a JPEG without metadata; None when it is not (yet) stored."""

    async def photo_state(self, unique_id: str) -> PhotoState | None:
        """How far the photo is (waiting, stored, failed); None when none is kept."""

    async def claim_photos(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[PhotoJob]:
        """Take up to `limit` due waiting photos for `hold` seconds as `holder`, the longest
        due first; replicas sharing the database each take different ones."""

    # Each of the following changes a photo only while `holder` still holds it.
    async def store_photo(self, photo_id: int, holder: str, data: bytes, now: datetime) -> bool:
        """Keep the downloaded, stripped JPEG."""

    async def retry_photo(self, photo_id: int, holder: str, due_at: datetime) -> bool:
        """Count a failed attempt and try again at `due_at`, by whoever claims it then."""

    async def give_up_photo(self, photo_id: int, holder: str) -> bool:
        """Count a failed attempt and stop trying: the photo stays without bytes."""

    async def forget_unused_photos(self) -> int:
        """Delete every photo no answer, idea or tip names any more (after an edit)."""


class PhotosRoom(Room):
    """Photos on the shared engine."""

    async def photo_bytes(self, unique_id: str) -> bytes | None:
        query = (
            select(photos.c.data)
            .where(
                and_(
                    photos.c.unique_id == unique_id,
                    photos.c.status == PhotoStatus.STORED.value,
                )
            )
            .limit(1)
        )
        data = await self._scalar(query)
        return bytes(data) if data is not None else None

    async def photo_state(self, unique_id: str) -> PhotoState | None:
        # A photo two residents sent is two rows: the one furthest along tells.
        query = (
            select(photos.c.status, photos.c.attempts, photos.c.bytes)
            .where(photos.c.unique_id == unique_id)
            .order_by(photos.c.stored_at.desc(), photos.c.id)
            .limit(1)
        )
        row = await self._first(query)
        if row is None:
            return None
        return PhotoState(PhotoStatus(row.status), int(row.attempts), row.bytes)

    async def claim_photos(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[PhotoJob]:
        due = and_(photos.c.status == PhotoStatus.WAITING.value, photos.c.next_try_at <= now)
        columns = (photos.c.id, photos.c.file_id, photos.c.attempts)
        async with self._writing() as connection:
            rows = await claim_held(connection, photos, due, columns, now, limit, hold, holder)
        return [PhotoJob(row.id, row.file_id, int(row.attempts)) for row in rows]

    async def store_photo(self, photo_id: int, holder: str, data: bytes, now: datetime) -> bool:
        stored = _held(photo_id, holder).values(
            status=PhotoStatus.STORED.value,
            data=data,
            bytes=len(data),
            stored_at=now,
            attempts=photos.c.attempts + 1,
            holder=None,
        )
        return await self._write(stored) == 1

    async def retry_photo(self, photo_id: int, holder: str, due_at: datetime) -> bool:
        again = _held(photo_id, holder).values(
            attempts=photos.c.attempts + 1, next_try_at=due_at, holder=None
        )
        return await self._write(again) == 1

    async def give_up_photo(self, photo_id: int, holder: str) -> bool:
        failed = _held(photo_id, holder).values(
            status=PhotoStatus.FAILED.value, attempts=photos.c.attempts + 1, holder=None
        )
        return await self._write(failed) == 1

    async def forget_unused_photos(self) -> int:
        async with self._writing() as connection:
            return await drop_unused_photos(connection, None)


def _held(photo_id: int, holder: str) -> Any:
    """An update of a waiting photo `holder` still holds (claimed by it, not taken since)."""
    return update(photos).where(
        and_(
            photos.c.id == photo_id,
            photos.c.holder == holder,
            photos.c.status == PhotoStatus.WAITING.value,
        )
    )
