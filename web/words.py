"""The names of statuses, kinds, times of day and hiding reasons in the web view, in one
language. The same English texts as the bot's (handlers/render.py), so one translation
serves both."""

from __future__ import annotations

from collections.abc import Callable

from core.contributions import ACTION_LABELS, STATUS_LABELS, HideReason, Status, TimeOfDay
from core.mapview import PointKind

Gettext = Callable[[str], str]


def status(_: Gettext, value: Status) -> str:
    return _(STATUS_LABELS[value])


def action(_: Gettext, value: Status) -> str:
    """The button that gives an idea or tip this status, as /moderate labels it (Hide's
    reason is chosen beside it, not on a next screen)."""
    return _(ACTION_LABELS[value])


def time_of_day(_: Gettext, value: TimeOfDay) -> str:
    return {
        TimeOfDay.DAY: _("in the daytime"),
        TimeOfDay.EVENING: _("in the evening"),
        TimeOfDay.NIGHT: _("at night"),
        TimeOfDay.ALWAYS: _("always"),
    }[value]


def hide_reason(_: Gettext, value: HideReason) -> str:
    return {
        HideReason.OFF_TOPIC: _("Not about the area"),
        HideReason.PERSONAL_DATA: _("Contains personal information"),
        HideReason.OFFENSIVE: _("Offensive"),
        HideReason.DUPLICATE: _("Already reported"),
    }[value]


def kind(_: Gettext, value: PointKind) -> str:
    return {
        PointKind.IDEA: _("💡 Idea"),
        PointKind.TIP: _("🔦 Safety tip"),
        PointKind.ANSWER: _("📋 Survey answer"),
    }[value]
