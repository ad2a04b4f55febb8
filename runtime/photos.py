"""The photo fetcher: downloads each photo residents sent, strips its metadata and keeps it.

A file id opens a photo only for this bot, so every photo is fetched through the Bot API's
getFile as soon as it is queued (in the transaction that stored the answer, idea or tip
naming it; storage.rows.queue_photos). Each fetcher claims photos row by row, so replicas
sharing a database never fetch the same one; a photo that fails (a network error, Telegram
busy) waits with a growing pause while the others go ahead, and is given up on after about
two days, or at once when it can never work (no picture, too large).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, RetryAfter

from exports.images import MAX_BYTES, NotAPhoto, clean_jpeg
from handlers.context import Services
from storage.records import PhotoJob

log = logging.getLogger(__name__)

# A fetcher claims this many photos at a time and holds them this long: if it dies, the ones
# it never stored are due again after the hold, for any replica.
CHUNK = 10
HOLD_SECONDS = 300.0
# After a failure a photo waits a minute, then twice as long each time, at most six hours:
# the sixteenth failure comes about two days after the first, and is the last.
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=6)
MAX_ATTEMPTS = 16


# The cleaning thread's niceness: residents' answers come first, a photo when the core has
# time (on Linux a thread has a niceness of its own).
NICE = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


def pause_after(attempts: int) -> timedelta:
    """How long a photo waits after its `attempts`-th failed attempt."""
    return min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** max(attempts - 1, 0))


def _never_works(error: BadRequest) -> bool:
    # Telegram lets a bot download at most 20 MB: such a file stays too big however often.
    return "too big" in error.message.lower()


def _retry_seconds(error: RetryAfter) -> float:
    # PTB 22 warns about the int form unless PTB_TIMEDELTA is set; both forms are handled.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PhotoFetcher:
    """Fetches the photos that are due, one after another."""

    def __init__(
        self, services: Services, bot: Bot, clean: Callable[[bytes], bytes] = clean_jpeg
    ) -> None:
        self.services = services
        self.bot = bot
        self.clean = clean
        self.holder = uuid.uuid4().hex  # each process holds its own claims
        # One photo at a time (the fetcher fetches them in turn), in a thread of low priority.
        self.cleaner = ThreadPoolExecutor(1, "photos", initializer=_lower_priority)
        self.wake = services.photos_wake

    async def fetch_due(self) -> int:
        """Fetch every photo that is due now; return how many were stored."""
        store, clock = self.services.store, self.services.clock
        stored = 0
        while True:
            jobs = await store.claim_photos(clock(), CHUNK, HOLD_SECONDS, self.holder)
            if not jobs:
                return stored
            for job in jobs:
                # A failed photo is due again only later, so this round moves past it.
                if await self._fetch(job):
                    stored += 1

    async def _fetch(self, job: PhotoJob) -> bool:
        store, clock = self.services.store, self.services.clock
        try:
            file = await self.bot.get_file(job.file_id)
            if file.file_size is not None and file.file_size > MAX_BYTES:
                raise NotAPhoto("larger than a bot may download")
            data = bytes(await file.download_as_bytearray())
            # Decoding and re-encoding a photo that must be turned (or is no plain JPEG)
            # takes tens of milliseconds: in a thread (Pillow lets go of the GIL), residents'
            # answers are not kept waiting.
            jpeg = await asyncio.get_running_loop().run_in_executor(self.cleaner, self.clean, data)
        except NotAPhoto as error:
            log.warning("a photo cannot be kept (%s); it is given up", error)
            await store.give_up_photo(job.id, self.holder)
            return False
        except RetryAfter as error:
            # Telegram asks to wait: no attempt counted against the photo.
            seconds = _retry_seconds(error)
            log.warning("Telegram asked the photo fetcher to wait %.0f s", seconds)
            due = clock() + timedelta(seconds=seconds)
            await store.retry_photo(job.id, self.holder, due)
            return False
        except BadRequest as error:
            if _never_works(error):
                log.warning("Telegram will not hand over a photo (too big); it is given up")
                await store.give_up_photo(job.id, self.holder)
                return False
            await self._again(job, type(error).__name__)
            return False
        except Exception as error:  # a network error, Telegram busy, or the unforeseen:
            # this photo waits and tries again later, and the others go ahead now.
            await self._again(job, type(error).__name__)
            return False
        if await store.store_photo(job.id, self.holder, jpeg, clock()):
            log.info("stored a photo (%d kB)", len(jpeg) // 1024)
            return True
        log.warning("a photo passed to another fetcher while it was downloaded here")
        return False

    async def _again(self, job: PhotoJob, reason: str) -> None:
        store, clock = self.services.store, self.services.clock
        failures = job.attempts + 1
        if failures >= MAX_ATTEMPTS:
            log.warning("a photo failed %d times (%s); it is given up", failures, reason)
            await store.give_up_photo(job.id, self.holder)
            return
        pause = pause_after(failures)
        log.warning(
            "a photo download failed (%s); trying again in %d min", reason, pause // FIRST_PAUSE
        )
        await store.retry_photo(job.id, self.holder, clock() + pause)

    async def run(self) -> None:
        """Fetch whenever a handler queued a photo, and every PHOTO_RETRY_SECONDS (for the
        photos due again, and those other replicas queued)."""
        every = self.services.settings.photo_retry_seconds
        while True:
            # Cleared before the round: a photo queued during it wakes the next at once.
            self.wake.clear()
            try:
                await self.fetch_due()
            except Exception:  # the loop must survive a database or network hiccup
                log.exception("the photo fetcher failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=every)
