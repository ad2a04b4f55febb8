"""The names of statuses, kinds, times of day and hiding reasons in the web view, in one
language. The same English texts as the bot's (handlers/render.py), so one translation
serves both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel.dates import format_date

from core.contributions import ACTION_LABELS, STATUS_LABELS, HideReason, Status, TimeOfDay
from core.i18n import locale
from core.loop import (
    RESPONSIBLE_LABELS,
    THEME_LABELS,
    Judgement,
    Priority,
    Responsible,
    SaferAnswer,
    Theme,
    TimeBand,
)
from core.mapview import DAY, PointKind

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
        PointKind.FINDING: _("🚶 Walk finding"),
    }[value]


# ---- closing the loop (issue 21) ------------------------------------------------------
def time_band(_: Gettext, value: TimeBand | str) -> str:
    """Purple Flag's band as the web view names it; DAY for a contribution without one."""
    if value == DAY:
        return _("daytime (05–17)")
    return {
        TimeBand.EVENING: _("17–20"),
        TimeBand.LATE_EVENING: _("20–23"),
        TimeBand.NIGHT: _("23–02"),
        TimeBand.SMALL_HOURS: _("02–05"),
    }[TimeBand(value)]


def theme(_: Gettext, value: Theme) -> str:
    """Purple Flag's theme, named as the Telegram card's triage names it."""
    return _(THEME_LABELS[value])


def responsible(_: Gettext, value: Responsible) -> str:
    """Who acts on it, as the Telegram card's triage names them."""
    return _(RESPONSIBLE_LABELS[value])


def priority(_: Gettext, value: Priority) -> str:
    return {
        Priority.HIGH: _("High priority"),
        Priority.MEDIUM: _("Medium priority"),
        Priority.LOW: _("Low priority"),
    }[value]


def judgement(_: Gettext, value: Judgement) -> str:
    return {Judgement.UNSAFE: _("Feels unsafe"), Judgement.GOOD: _("Good, worth keeping")}[value]


def safer(_: Gettext, value: SaferAnswer) -> str:
    """An answer to "Does it feel safer now?"."""
    return {
        SaferAnswer.YES: _("Safer"),
        SaferAnswer.SOMEWHAT: _("Somewhat safer"),
        SaferAnswer.NO: _("Not safer"),
        SaferAnswer.NOT_FIXED: _("Not fixed"),
    }[value]


def a_date(value: date, lang: str) -> str:
    """A date (a deadline) as people write it: 3 dec. 2026."""
    return format_date(value, "d MMM yyyy", locale=locale(lang))
