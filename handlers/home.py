"""Where a resident lands: the privacy notice for newcomers, else the menu or their survey.

An organizer's trial of a campaign (handlers/trial.py starts one) is answered as any
response: `answerable` lets it be answered whatever the campaign's state, and its first
message and its thanks (`trial_intro`, `step_replies`) say it is a trial."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from telegram import Update

from core import engine
from core.contributions import PLACE, parse_start_code, tagged_place
from core.engine import FinishedPrompt, Step
from core.i18n import Lang
from core.survey import Survey
from handlers.common import (
    Visitor,
    answer_callback,
    close_keyboard,
    send,
    survey_of,
    visitor,
)
from handlers.context import Ctx
from handlers.render import Renderer, language_keyboard, renderer
from handlers.reply import Reply
from storage.records import Response, ResponseStatus, StaleSession

ASK_LANGUAGE = "Vilket språk vill du använda?\nWhich language would you like to use?"


async def welcome(update: Update, context: Ctx, who: Visitor, code: str | None = None) -> None:
    """Onboard a newcomer, or take a resident home.

    `code` is the deep link the newcomer came through; the language and consent buttons
    carry it, so nothing about them is stored before they agree.
    """
    if who.resident is None:
        if who.lang is None:
            await send(context, who.chat_id, [Reply(ASK_LANGUAGE, language_keyboard(code))])
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
        survey = await survey_of(context, active)
        if answerable(survey, active, now):
            assert survey is not None
            await send(context, who.chat_id, [resume_offer(render, survey, active)])
            return
    await send(context, who.chat_id, [await menu(context, who)])


def resume_offer(render: Renderer, survey: Survey, response: Response) -> Reply:
    """The offer to continue an unfinished response, drawn for its current version."""
    step = engine.show(survey, response.session)
    offer = render.resume_offer(survey, response.id, step.prompt, response.session.version)
    if response.trial:
        mark = render._("🧪 A trial: these answers are not counted.")
        return Reply(f"{mark}\n{offer.text}", offer.markup)
    return offer


def answerable(survey: Survey | None, response: Response, now: datetime) -> bool:
    """Whether a response can be answered now: while its campaign is open, or whatever the
    campaign's state when it is an organizer's trial (a draft is tried before it opens)."""
    return survey is not None and (response.trial or survey.is_open(now))


def trial_intro(render: Renderer, survey: Survey, now: datetime) -> Reply:
    """The first message of a trial: what it is, and how to stop."""
    _ = render._
    lines = [
        _("🧪 <b>A trial of “{title}”</b>").format(title=escape(survey.title.get(render.lang))),
        _(
            "You answer it here as a resident would. Your answers are marked as a trial: "
            "they are never counted or exported, and they are deleted after a day."
        ),
    ]
    if not survey.is_open(now):
        lines.append(_("Residents cannot answer it now: it is not open."))
    lines.append(_("/cancel stops the trial; 🧪 Try it on the campaign's card begins it again."))
    return Reply("\n\n".join(lines))


def step_replies(render: Renderer, survey: Survey, step: Step, response: Response) -> list[Reply]:
    """The messages of a step; a trial ends with the campaign's thanks as residents read
    it, framed as a trial's end."""
    replies = render.step(survey, step, response.id)
    if not response.trial or not isinstance(step.prompt, FinishedPrompt):
        return replies
    _ = render._
    text = "\n\n".join(
        [
            _("🧪 <b>The trial is over.</b> Residents read this thanks:"),
            f"<i>{render.thanks(survey)}</i>",
            _(
                "These answers were a trial: they are not counted or exported, "
                "and they are deleted within a day."
            ),
        ]
    )
    return [*replies[:-1], Reply(text, render.menu_button())]


async def menu(context: Ctx, who: Visitor) -> Reply:
    """The open surveys, with those the resident has answered or started marked."""
    services = context.services
    surveys = services.campaigns.open_at(services.clock())
    answered: set[str] = set()
    started: set[str] = set()
    if who.resident is not None and surveys:
        for response in await services.store.responses_of(who.pseudonym):
            if response.trial:
                continue  # a trial is no answer: the campaign is still theirs to answer
            done = response.status is ResponseStatus.COMPLETE
            (answered if done else started).add(response.survey_id)
    return renderer(context, who.lang).menu(surveys, answered, started)


def privacy_notice(context: Ctx, lang: Lang, code: str | None = None) -> Reply:
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
    return Reply(text, render.consent_keyboard(code))


async def begin(
    update: Update,
    context: Ctx,
    who: Visitor,
    survey: Survey | None,
    *,
    prefill: Mapping[str, Any] | None = None,
    source: str | None = None,
    claimed: bool = False,
) -> None:
    """Start a survey or a form, offer to continue it, or say it was already answered.

    `claimed` says the update was already claimed by the caller's own write (a consent
    that leads straight into a survey from a deep link).
    """
    services = context.services
    store = services.store
    update_id = None if claimed else update.update_id

    async def claim() -> bool:
        await answer_callback(update)
        return update_id is None or await store.claim_update(update_id)

    render = renderer(context, who.lang)
    now = services.clock()
    if survey is None or not survey.is_open(now):
        if await claim():
            text = render._("That survey is closed now. Thank you for your interest!")
            await send(context, who.chat_id, [Reply(text), await menu(context, who)])
        return
    latest = await store.latest_response(who.pseudonym, survey.id)
    if latest is not None and latest.status is ResponseStatus.IN_PROGRESS:
        # Offered on the version they began, which they finish on.
        begun = await survey_of(context, latest)
        if await claim():
            offer = resume_offer(render, begun, latest) if begun else await menu(context, who)
            await send(context, who.chat_id, [offer])
        return
    if latest is not None and not survey.allow_multiple:
        text = render._(
            "You have already answered “{title}”. Thank you, your answers are saved!"
        ).format(title=survey.title.get(render.lang))
        if update.callback_query is not None:
            # Pressed in the menu, which already marks it answered: a toast is enough, a
            # second menu saying the same would only push the first one up.
            await answer_callback(update, text)
            if update_id is not None:
                await store.claim_update(update_id)
            return
        if await claim():
            await send(context, who.chat_id, [Reply(text), await menu(context, who)])
        return
    version = services.campaigns.version_of(survey.id) or 1
    step = engine.start(survey, now, prefill=prefill, source=source, version=version)
    try:
        response_id = await store.start_response(
            update_id, who.pseudonym, step.session, once=not survey.allow_multiple
        )
    except StaleSession:
        # Another replica started (or finished) this survey for them a moment ago.
        await answer_callback(update)
        return await where_they_are(update, context, claimed=claimed)
    await answer_callback(update)
    if response_id is None:
        return
    await close_keyboard(update)
    await show(
        context,
        who.chat_id,
        [render.intro(survey), *render.step(survey, step, response_id)],
        response_id,
        step.session.version,
    )


async def where_they_are(
    update: Update, context: Ctx, who: Visitor | None = None, *, claimed: bool = False
) -> None:
    """Show the current question (or the menu) as stored now, once per update.

    `who`: the resident as just read (else read now: after StaleSession it must be fresh).
    `claimed`: the caller's own earlier write claimed the update already.
    """
    who = who or await visitor(update, context)
    services = context.services
    if not claimed and not await services.store.claim_update(update.update_id):
        return
    if who.resident is None:
        return await welcome(update, context, who)
    active = who.active
    survey = await survey_of(context, active) if active else None
    if active is None or survey is None or not answerable(survey, active, services.clock()):
        return await home(context, who)
    render = renderer(context, who.lang)
    await show(
        context,
        who.chat_id,
        step_replies(render, survey, engine.show(survey, active.session), active),
        active.id,
        active.session.version,
    )


async def show(
    context: Ctx, chat_id: int, messages: list[Reply], response_id: int, version: int
) -> None:
    """Send a step and record that the resident has now seen this version's question."""
    await send(context, chat_id, messages)
    await context.services.store.mark_shown(response_id, version)
    # They are answering again: a stray message after this one deserves its own answer.
    context.services.stray.forget(chat_id)


async def follow_link(
    update: Update, context: Ctx, who: Visitor, code: str, claimed: bool = False
) -> None:
    """Open what a deep link (a QR code on a poster) points at, tagged with its place."""
    campaigns = context.services.campaigns
    parsed = parse_start_code(code)
    target = campaigns.get(parsed.target) if parsed else None
    place = campaigns.place(parsed.place) if parsed and parsed.place else None
    if parsed is None or target is None or (parsed.place and place is None):
        if claimed or await context.services.store.claim_update(update.update_id):
            render = renderer(context, who.lang)
            text = render._(
                "That link does not lead anywhere I know; it may be old. "
                "Here is what you can do right now:"
            )
            await send(context, who.chat_id, [Reply(text), await menu(context, who)])
        return
    prefill = None
    if place is not None and campaigns.is_form(target.id):
        prefill = {PLACE: tagged_place(place, who.lang or "sv")}
    await begin(update, context, who, target, prefill=prefill, source=str(parsed), claimed=claimed)
