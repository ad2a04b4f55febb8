"""The outbox sender: announcements and reminders to many residents, paced and resumable.

Nothing here answers an update. The scheduler (runtime/scheduler.py) queues messages and
the sender drains the outbox; in a deployment with several replicas each takes a lease in
the store first, so only one process announces, reminds or sends at a time. The admins'
progress messages are drawn by handlers/progress.py, which /campaigns uses too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from core.i18n import as_lang
from core.outbox import MAX_ATTEMPTS, MailKind, Pacer, backoff
from handlers.context import Services
from handlers.progress import show_progress
from handlers.render import Renderer
from handlers.reply import Reply as Out
from storage.records import OutboxItem

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# A sender claims this many messages at a time, and holds them this long: if it dies, the
# ones it never handed to Telegram are due again after the hold.
CHUNK = 50
HOLD_SECONDS = 120.0
LEASE_SECONDS = 60.0
# While it sends or waits (a retry_after may be minutes), a sender renews its lease and its
# batch's hold this often: well inside both, so no replica sees them lapse while it lives.
RENEW_EVERY = timedelta(seconds=min(HOLD_SECONDS, LEASE_SECONDS) / 3)
# The admins' progress message is edited at most this often (Telegram limits edits too).
PROGRESS_EVERY = timedelta(seconds=3)


def _retry_seconds(error: RetryAfter) -> float:
    # PTB 22 warns about the int form unless PTB_TIMEDELTA is set; both forms are handled.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _LeaseLost(Exception):
    """Another process holds the outbox lease now: this sender stops and hands over."""


class Sender:
    """Sends what the outbox holds, paced below Telegram's limit."""

    def __init__(self, services: Services, bot: Bot, sleep: Sleep = asyncio.sleep) -> None:
        self.services = services
        self.bot = bot
        self.sleep = sleep
        self.pacer = Pacer(services.settings.outbox_rate, services.clock)
        # Each process is its own holder of the outbox lease.
        self.holder = uuid.uuid4().hex
        self.wake = services.outbox_wake
        self._edited: dict[int, datetime] = {}
        self._renewed = services.clock()  # when the lease and the batch's hold were renewed

    async def drain(self, stop_after: int | None = None) -> int:
        """Send every message that is due; return how many went out.

        `stop_after` ends the run early, as a crash would (for tests of restarts).
        """
        store, clock = self.services.store, self.services.clock
        sent = 0
        while True:
            if not await store.acquire_lease("outbox", self.holder, clock(), LEASE_SECONDS):
                log.debug("another process is sending the outbox")
                return sent
            self._renewed = clock()
            items = await store.claim_outbox(clock(), CHUNK, HOLD_SECONDS, self.holder)
            if not items:
                break
            batch = [item.id for item in items]
            try:
                for item in items:
                    if stop_after is not None and sent >= stop_after:
                        return sent
                    await self._keep(batch)
                    if await self._deliver(item, batch):
                        sent += 1
                    await self._report(item.mailing_id)
            except _LeaseLost:
                # Whoever holds the lease now sends what this sender never tried, at once
                # rather than when its hold would have lapsed.
                given = await store.outbox_release(batch, self.holder, clock())
                log.warning(
                    "another process took over the outbox; %d message(s) handed over", given
                )
                return sent
        await self._finish()
        return sent

    async def _keep(self, batch: list[int]) -> None:
        """Renew the lease and the batch's hold once a slice has passed (or raise _LeaseLost)."""
        store, now = self.services.store, self.services.clock()
        if now - self._renewed < RENEW_EVERY:
            return
        if not await store.acquire_lease("outbox", self.holder, now, LEASE_SECONDS):
            raise _LeaseLost
        await store.outbox_hold(batch, self.holder, now, HOLD_SECONDS)
        self._renewed = now

    async def _wait(self, seconds: float, batch: list[int]) -> None:
        """Sleep in slices, keeping the lease and the batch's hold through a long wait."""
        left = seconds
        while left > 0:
            step = min(left, RENEW_EVERY.total_seconds())
            await self.sleep(step)
            left -= step
            await self._keep(batch)

    async def _deliver(self, item: OutboxItem, batch: list[int]) -> bool:
        store, clock = self.services.store, self.services.clock
        out = self._message(item)
        if item.chat_id is None or out is None:
            # Nowhere to write, or nothing left to say (the campaign closed, the survey
            # was finished since the reminder was queued).
            await store.outbox_failed(item.id, self.holder)
            return False
        while True:
            wait = self.pacer.delay()
            if wait > 0:
                await self._wait(wait, batch)
            # The last check before Telegram, in one statement with marking the attempt: a
            # sender that takes the row after its hold lapsed then gives up on it instead of
            # sending it a second time.
            if not await store.outbox_attempt(item.id, self.holder, clock(), HOLD_SECONDS):
                log.warning("an outbox message passed to another sender; this one skips it")
                return False
            try:
                await self.bot.send_message(
                    item.chat_id, out.text, parse_mode=ParseMode.HTML, reply_markup=out.markup
                )
            except RetryAfter as error:
                # Not delivered: it may go again, from here after the wait, or from whoever
                # takes over if this sender loses its lease meanwhile. Everything else waits
                # with this message.
                await store.outbox_refused(item.id, self.holder)
                seconds = _retry_seconds(error)
                log.warning("Telegram asked the outbox to wait %.0f s", seconds)
                await self._wait(seconds, batch)
                continue
            except Forbidden:
                # The resident blocked the bot: they hear nothing more until they come back.
                await store.outbox_failed(item.id, self.holder, blocked=True)
                return False
            except BadRequest:
                log.warning("Telegram refused an outbox message; it is not retried")
                await store.outbox_failed(item.id, self.holder)
                return False
            except TelegramError:
                if item.attempts + 1 >= MAX_ATTEMPTS:
                    await store.outbox_failed(item.id, self.holder)
                else:
                    due = clock() + backoff(item.attempts + 1)
                    await store.outbox_retry(item.id, self.holder, due)
                return False
            self.pacer.sent()
            if not await store.outbox_sent(item.id, self.holder, clock()):
                # Its hold lapsed while Telegram took its time: another sender already
                # counted it as failed (and will never send it again).
                log.warning("an outbox message went out after its hold lapsed")
            return True

    def _message(self, item: OutboxItem) -> Out | None:
        services = self.services
        survey = services.campaigns.get(item.survey_id)
        if survey is None or not survey.is_open(services.clock()):
            return None
        lang = as_lang(item.language) or "sv"
        render = Renderer(services.catalogs.get(lang), lang)
        if item.kind is MailKind.REMIND:
            if item.response_id is None:
                return None
            return render.reminder(survey, item.response_id)
        return render.announcement(survey, services.settings.organizer_name)

    async def _report(self, mailing_id: int, final: bool = False) -> None:
        """Edit the admins' progress message, at most every few seconds."""
        now = self.services.clock()
        last = self._edited.get(mailing_id)
        if not final and last is not None and now - last < PROGRESS_EVERY:
            return
        progress = await self.services.store.mailing_progress(mailing_id)
        if progress is None or not progress.messages:
            return
        self._edited[mailing_id] = now
        await show_progress(self.services, self.bot, progress)

    async def _finish(self) -> None:
        store, clock = self.services.store, self.services.clock
        for progress in await store.unfinished_mailings():
            if progress.left == 0:
                await store.finish_mailing(progress.mailing_id, clock())
                await self._report(progress.mailing_id, final=True)
                self._edited.pop(progress.mailing_id, None)

    async def run(self) -> None:
        """Drain whenever woken, and every few seconds (for other replicas' mailings)."""
        while True:
            try:
                await self.drain()
            except Exception:  # the loop must survive a database or network hiccup
                log.exception("the outbox sender failed; trying again shortly")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=5.0)
