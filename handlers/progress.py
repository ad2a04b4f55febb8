"""The admins' progress message of an announcement: sent when it starts, edited as it goes.

/campaigns starts one when an admin announces; the scheduler (runtime/scheduler.py) when a
campaign opens on its date; the outbox sender (runtime/outbox.py) edits them.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from core.i18n import as_lang
from core.outbox import Progress
from handlers.context import Services
from handlers.render import Renderer

log = logging.getLogger(__name__)


def progress_text(services: Services, progress: Progress, lang: str) -> str:
    counts = Renderer(services.catalogs.get(lang), lang).counts
    survey = services.campaigns.get(progress.survey_id)
    title = escape(survey.title.get(lang) if survey else progress.survey_id)
    if progress.finished_at is not None or progress.left == 0:
        return counts.announced(title, progress.sent, progress.failed)
    seconds = progress.seconds_left(services.settings.outbox_rate)
    minutes = max(1, round(seconds / 60))
    return counts.announcing(title, progress.sent, progress.failed, progress.left, minutes)


async def admin_lang(services: Services, admin_id: int) -> str:
    """An admin reads in the language they chose as a resident, else Swedish."""
    resident = await services.store.get_resident(services.pseudonymize(admin_id))
    return (as_lang(resident.language) if resident else None) or "sv"


async def show_progress(services: Services, bot: Bot, progress: Progress) -> None:
    for chat_id, message_id in progress.messages:
        text = progress_text(services, progress, await admin_lang(services, chat_id))
        try:
            await bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)
        except BadRequest:
            log.debug("the progress message did not change or is gone")
        except TelegramError:
            log.warning("could not update an announcement's progress message")


async def start_progress(
    services: Services, bot: Bot, mailing_id: int, admins: list[int]
) -> list[int]:
    """Send the admins their progress message for a new announcement, to be edited; return
    the admins it could not be sent to."""
    progress = await services.store.mailing_progress(mailing_id)
    if progress is None:
        return []
    messages: list[tuple[int, int]] = []
    missed: list[int] = []
    for admin in admins:
        text = progress_text(services, progress, await admin_lang(services, admin))
        try:
            sent = await bot.send_message(admin, text, parse_mode=ParseMode.HTML)
        except TelegramError:
            # An admin who never wrote to the bot cannot be written to; the rest still can.
            log.warning("an admin could not be told about an announcement")
            missed.append(admin)
            continue
        messages.append((admin, sent.message_id))
    await services.store.set_mailing_messages(mailing_id, messages)
    return missed
