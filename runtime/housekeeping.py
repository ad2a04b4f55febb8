"""Housekeeping: once an hour (the first time a minute after the start), forget old update
claims, files organizers sent but never saved and the trial answers of organizers trying a
campaign, and apply the campaigns' retention.

Like the scheduler and the outbox sender, a loop that answers no update; a failed round is
logged and tried again an hour later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from handlers.context import Services
from storage.retention import purge

log = logging.getLogger("torget")

# Telegram keeps an undelivered update for 24 hours; a claim older than two days can go.
KEEP_CLAIMS = timedelta(days=2)
# A file an organizer sent waits this long for Save (or Cancel); then it is forgotten.
KEEP_UPLOADS = timedelta(days=1)
# A trial (an organizer answering a campaign to try it) is deleted a day after its last
# answer: it is never counted, and an organizer tries again with a fresh one.
KEEP_TRIALS = timedelta(days=1)
# An organizer's unanswered prompt expires within the hour; a day later its row can go.
KEEP_PROMPTS = timedelta(days=1)
HOUSEKEEPING_EVERY = 3600.0
# The first round waits this long: applying every campaign's retention reads each one's
# responses, and at a start that competed with the start itself (with 50 campaigns, a
# quarter of a second of CPU before the bot could poll: bench/startup.py).
FIRST_ROUND_AFTER = 60.0


async def housekeeping(services: Services) -> None:
    """Once an hour: forget old update claims and unsaved files, apply the retention."""
    await asyncio.sleep(FIRST_ROUND_AFTER)
    while True:
        try:
            await tidy(services)
            purged = await purge(
                services.store,
                services.campaigns,
                services.clock(),
                contributions_days=services.settings.retention_days,
            )
            if sum(purged.responses.values()):
                log.info("retention: deleted %s", purged)
        except Exception:  # a database hiccup must not end the loop for good
            log.exception("housekeeping failed; trying again later")
        await asyncio.sleep(HOUSEKEEPING_EVERY)


async def tidy(services: Services) -> None:
    """Forget old update claims, the files organizers sent a day ago but never saved, and
    trials untouched for a day, the questions organizers never answered, the photos nothing
    names any more and the web view's expired login links and sessions."""
    now = services.clock()
    dropped = await services.store.forget_updates_before(now - KEEP_CLAIMS)
    log.debug("forgot %d old update claims", dropped)
    uploads = await services.store.drop_uploads_before(now - KEEP_UPLOADS)
    log.debug("forgot %d unsaved uploads", uploads)
    trials = await services.store.purge_trials(now - KEEP_TRIALS)
    log.debug("deleted %d trial responses", trials)
    prompts = await services.store.drop_prompts_before(now - KEEP_PROMPTS)
    log.debug("forgot %d unanswered prompts", prompts)
    logins = await services.store.forget_web_logins(now)
    log.debug("forgot %d expired web logins", logins)
    # A photo answered over (the resident went back and sent another) is named by nothing.
    photos = await services.store.forget_unused_photos()
    log.debug("deleted %d photos nothing names any more", photos)
