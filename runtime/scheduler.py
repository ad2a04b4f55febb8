"""The scheduler: once a minute, pick up admins' dates, announce what opened on its date,
and queue reminders for surveys left unfinished.

Every replica refreshes the dates; only the holder of the "scheduler" lease queues, so an
opening is announced once however many processes run.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from telegram import Bot

from core.outbox import opening_key
from handlers.context import Services
from handlers.progress import start_progress

log = logging.getLogger(__name__)


class Scheduler:
    """Once a minute: pick up admins' dates, announce what opened, queue reminders."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.holder = uuid.uuid4().hex

    async def tick(self) -> None:
        services = self.services
        store, now = services.store, services.clock()
        # Every replica refreshes the campaigns and the dates admins set (the refresh loop
        # does too, more often; an opening must not wait for it); only the lease holder queues.
        if services.refresh_campaigns is not None:
            await services.refresh_campaigns()
        else:
            services.campaigns.apply(await store.schedules())
        if not await store.acquire_lease("scheduler", self.holder, now, 90):
            return
        for survey in services.campaigns.to_announce(now):
            assert survey.opens is not None
            made = await store.announce(opening_key(survey.id, survey.opens), survey.id, now)
            if made is not None:
                mailing_id, queued = made
                log.info("campaign %s opened; announcing to %d subscriber(s)", survey.id, queued)
                await start_progress(
                    services, self.bot, mailing_id, list(services.settings.admin_ids)
                )
        hours = services.settings.reminder_after_hours
        if hours > 0:
            idle_since = now - timedelta(hours=hours)
            for survey in services.campaigns.open_at(now):
                queued = await store.queue_reminders(survey.id, idle_since, now)
                if queued:
                    log.info("queued %d reminder(s) for %s", queued, survey.id)
        services.outbox_wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end the loop for good
                log.exception("the scheduler failed; trying again next minute")
            every = self.services.settings.scheduler_seconds
            if every >= 60:
                # Wake just after the minute turns, so "opens: 08:00" is announced at 08:00.
                now = datetime.now()
                await asyncio.sleep(60 - now.second - now.microsecond / 1e6 + 0.5)
            else:
                await asyncio.sleep(every)
