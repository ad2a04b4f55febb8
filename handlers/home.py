"""Where a resident lands: the privacy notice for newcomers, else the menu or their survey."""

from __future__ import annotations

from telegram import Update

from core import engine
from core.i18n import Lang
from handlers.common import Visitor, renderer, send
from handlers.context import Ctx
from handlers.render import Out, language_keyboard
from storage.records import ResponseStatus

ASK_LANGUAGE = "Vilket språk vill du använda?\nWhich language would you like to use?"


async def welcome(update: Update, context: Ctx, who: Visitor, code: str | None = None) -> None:
    """Onboard a newcomer, or take a resident home.

    `code` is the deep link the newcomer came through; the language and consent buttons
    carry it, so nothing about them is stored before they agree.
    """
    if who.resident is None:
        if who.lang is None:
            await send(context, who.chat_id, [Out(ASK_LANGUAGE, language_keyboard(code))])
        else:
            await send(context, who.chat_id, [privacy_notice(context, who.lang, code)])
        return
    await home(context, who)


async def home(context: Ctx, who: Visitor) -> None:
    """Offer to continue an unfinished survey, else show the open surveys."""
    services = context.services
    render = renderer(context, who.lang)
    active = await services.store.active_response(who.pseudonym)
    now = services.clock()
    if active is not None:
        survey = services.campaigns.get(active.survey_id)
        if survey is not None and survey.is_open(now):
            step = engine.show(survey, active.session)
            await send(
                context,
                who.chat_id,
                [render.resume_offer(survey, active.id, step.prompt, active.session.version)],
            )
            return
    await send(context, who.chat_id, [await menu(context, who)])


async def menu(context: Ctx, who: Visitor) -> Out:
    """The open surveys, with those the resident has answered or started marked."""
    services = context.services
    surveys = services.campaigns.open_at(services.clock())
    answered: set[str] = set()
    started: set[str] = set()
    if who.resident is not None and surveys:
        for response in await services.store.responses_of(who.pseudonym):
            done = response.status is ResponseStatus.COMPLETE
            (answered if done else started).add(response.survey_id)
    return renderer(context, who.lang).menu(surveys, answered, started)


def privacy_notice(context: Ctx, lang: Lang, code: str | None = None) -> Out:
    render = renderer(context, lang)
    _ = render._
    organizer = context.services.settings.organizer_name or _(
        "the place partnership of the town centre"
    )
    text = _(
        "<b>Before we start</b>\n"
        "Torget asks people who live, work or spend time in the area what they think, "
        "on behalf of {organizer}.\n\n"
        "• What is stored: your answers, ideas and tips (with a place or photo if you "
        "give one), your language, and whether you want news of new surveys and reminders. "
        "It is stored under a pseudonym: not your name, username or phone number.\n"
        "• Why: to improve the area. It is shared with the partnership "
        "(the municipality, the town-centre association, property owners and the police) "
        "without anything that identifies you.\n"
        "• For how long: {how_long}, or less if a survey says so. After that only "
        "counts remain (how many answered what), never what one person said.\n"
        "• Your rights: /mydata shows everything stored about you, also as a file; "
        "/delete erases it. /notify turns news and reminders on or off.\n\n"
        "Nothing about you is saved until you agree."
    ).format(
        organizer=organizer,
        how_long=render.counts.kept_for(context.services.settings.retention_days),
    )
    return Out(text, render.consent_keyboard(code))
