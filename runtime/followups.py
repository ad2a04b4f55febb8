"""The follow-up loop: some weeks after a tip, idea or walk finding was marked fixed, ask
each resident who reported it, walked it or said "me too": "Känns det tryggare nu?".

Every replica runs it; the store hands each question to one of them (claim_due_followups
marks it sent in the claiming transaction), so a resident is asked once, never twice. A
question Telegram refuses is not tried again: better unasked than asked twice.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from core.contributions import FORM_KINDS
from core.i18n import as_lang
from core.loop import FollowUp
from handlers.context import Services
from handlers.followup import question
from handlers.render import Renderer

log = logging.getLogger(__name__)

CHUNK = 50  # questions claimed at a time


class FollowUps:
    """Asks the follow-up questions that are due, on the services' clock."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot

    async def ask_due(self) -> int:
        """Ask every question due now; return how many Telegram took."""
        asked = 0
        while True:
            claimed = await self.services.store.claim_due_followups(self.services.clock(), CHUNK)
            for followup, chat_id in claimed:
                if await self._ask(followup, chat_id):
                    asked += 1
            if len(claimed) < CHUNK:
                return asked

    async def _ask(self, followup: FollowUp, chat_id: int) -> bool:
        services = self.services
        item = await services.store.get_contribution(followup.contribution_id)
        resident = await services.store.get_resident(followup.pseudonym)
        if item is None or resident is None:
            return False  # deleted since it was claimed
        lang = as_lang(resident.language) or "sv"
        render = Renderer(services.catalogs.get(lang), lang, services.campaigns.places())
        form = services.campaigns.form(item.kind) if item.kind in FORM_KINDS else None
        out = question(render, followup, item, form)
        try:
            await self.bot.send_message(
                chat_id, out.text, parse_mode=ParseMode.HTML, reply_markup=out.markup
            )
        except Forbidden:
            log.debug("a resident who blocked the bot was not asked whether it feels safer")
            return False
        except TelegramError as error:
            log.warning("a follow-up question was not sent: %s", type(error).__name__)
            return False
        return True

    async def run(self) -> None:
        """Ask what is due, every FOLLOWUP_SECONDS."""
        while True:
            try:
                await self.ask_due()
            except Exception:  # a database hiccup must not end the loop for good
                log.exception("the follow-up loop failed; trying again later")
            await asyncio.sleep(self.services.settings.followup_seconds)
