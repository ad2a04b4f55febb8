"""The command menus: residents' in their Telegram language, organizers' and owners' own.

Shared ground: the runtime sets them at start, the roles feature when someone joins as an
organizer or is removed (a menu only hides: every handler checks the sender itself)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from core.i18n import LANGS, Catalogs
from core.roles import Role

log = logging.getLogger(__name__)

Gettext = Callable[[str], str]


def resident_commands(_: Gettext) -> list[BotCommand]:
    return [
        BotCommand("start", _("Open surveys, or continue where you were")),
        BotCommand("idea", _("Share an idea for the area")),
        BotCommand("tip", _("Report a place that feels unsafe")),
        BotCommand("mine", _("Your ideas and tips, and what happened to them")),
        BotCommand("notify", _("News of new surveys, and reminders: on or off")),
        BotCommand("language", _("Svenska or English")),
        BotCommand("cancel", _("Leave the survey you are answering")),
        BotCommand("mydata", _("See what is stored about you")),
        BotCommand("delete", _("Delete everything stored about you")),
        BotCommand("help", _("What Torget is and how it works")),
    ]


def staff_commands(_: Gettext, role: Role) -> list[BotCommand]:
    """An organizer's menu; an owner's adds who may run campaigns and the log."""
    commands = [
        BotCommand("campaigns", _("Campaigns: open, close, announce")),
        BotCommand("versions", _("A campaign's saved versions, as files")),
        BotCommand("stats", _("Results so far, with a chart")),
        BotCommand("export", _("Answers, ideas and tips as a file (Excel, maps)")),
        BotCommand("moderate", _("Go through new ideas and tips")),
        BotCommand("forward", _("Send a tip on to the municipality (/forward 12)")),
        BotCommand("walk", _("How to start a safety walk in a group")),
        BotCommand("web", _("The map and results in your browser (a login link)")),
        BotCommand("reload", _("Import the survey files again")),
    ]
    if role is Role.OWNER:
        commands += [
            BotCommand("invite", _("Invite an organizer (for an area: /invite Söder)")),
            BotCommand("organizers", _("Organizers: their areas, remove one")),
            BotCommand("audit", _("Who changed what in campaigns and roles, and when")),
        ]
    return [*commands, *resident_commands(_)]


async def set_default_menu(bot: Bot, catalogs: Catalogs) -> None:
    for lang in LANGS:
        commands = resident_commands(catalogs.get(lang).gettext)
        await bot.set_my_commands(commands, language_code=lang)
        if lang == "sv":
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def set_staff_menu(bot: Bot, catalogs: Catalogs, chat_id: int, role: Role) -> bool:
    """Give an owner or organizer their menu; False when Telegram refused (a chat it does not
    know until they have written to the bot)."""
    scope = BotCommandScopeChat(chat_id)
    try:
        for lang in LANGS:
            commands = staff_commands(catalogs.get(lang).gettext, role)
            await bot.set_my_commands(commands, scope=scope, language_code=lang)
            if lang == "sv":
                await bot.set_my_commands(commands, scope=scope)
    except TelegramError as error:
        log.warning("could not set an organizer's command menu: %s", type(error).__name__)
        return False
    return True


async def drop_staff_menu(bot: Bot, chat_id: int) -> None:
    """Back to the residents' menu, for someone no longer an organizer."""
    scope = BotCommandScopeChat(chat_id)
    try:
        for lang in LANGS:
            await bot.delete_my_commands(scope=scope, language_code=lang)
        await bot.delete_my_commands(scope=scope)
    except TelegramError as error:
        log.warning("could not drop an organizer's command menu: %s", type(error).__name__)
