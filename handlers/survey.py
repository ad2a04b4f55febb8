"""Answering a survey: choosing one, the questions, resume, and anything unexpected."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from telegram import Document, Message, Update
from telegram.error import BadRequest

from core import engine
from core.campaigns import Campaigns
from core.contributions import Kind, from_answers
from core.engine import Action, Input, Press, Step
from core.loop import time_band
from core.session import photo_of
from core.survey import Location, Note, Survey
from handlers import metoo
from handlers.buttons import parse_answer_data, parse_offer_data, parse_survey_data
from handlers.common import (
    STALE_TRIES,
    Handler,
    Visitor,
    again_when_stale,
    answer_callback,
    close_keyboard,
    send,
    survey_of,
    visitor,
)
from handlers.context import Ctx
from handlers.home import (
    answerable,
    begin,
    home,
    menu,
    show,
    step_replies,
    welcome,
    where_they_are,
)
from handlers.render import Renderer, renderer
from handlers.reply import Reply, call
from storage.records import Response, ResponseStatus, StaleSession

log = logging.getLogger(__name__)

# Presses after which the pressed message keeps a note of the answer, like a transcript.
_NOTED = {Action.CHOOSE, Action.DONE, Action.SKIP, Action.NEXT}
# How soon after a sent idea or tip a press of its Send is the same tap again (a slow phone
# shows the old keyboard for a moment).
_SECOND_TAP = timedelta(minutes=2)


async def pick_survey(update: Update, context: Ctx) -> None:
    """Start the survey chosen in the menu."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await visitor(update, context)
    if who.resident is None:
        await answer_callback(update)
        if await context.services.store.claim_update(update.update_id):
            await welcome(update, context, who)
        return
    survey = context.services.campaigns.get(parse_survey_data(query.data))
    await begin(update, context, who, survey)


OfferAction = Callable[[Update, Ctx, Visitor, Response, Survey], Awaitable[None]]


def on_own_response(action: OfferAction) -> Handler:
    """A Continue or Start again button's action, run on the unfinished response it names
    while that is still the resident's and its survey open (or it is their trial);
    otherwise they get the menu."""

    @functools.wraps(action)
    async def run(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        who = await visitor(update, context)
        services = context.services
        parsed = parse_offer_data(query.data)
        response_id = parsed[0] if parsed else -1
        response = await services.store.get_response(response_id) if who.resident else None
        survey = await survey_of(context, response) if response else None
        if (
            response is None
            or survey is None
            or response.pseudonym != who.pseudonym
            or response.status is not ResponseStatus.IN_PROGRESS
            or not answerable(survey, response, services.clock())
        ):
            await answer_callback(update)
            if await services.store.claim_update(update.update_id):
                await welcome(update, context, who)
            return
        await action(update, context, who, response, survey)

    return run


@again_when_stale
@on_own_response
async def resume_survey(
    update: Update, context: Ctx, who: Visitor, response: Response, survey: Survey
) -> None:
    """Continue an unfinished response where the resident left it."""
    if _continued_already(update, response):
        render = renderer(context, who.lang)
        await answer_callback(update, render.problem(engine.Problem.REPEATED, {}))
        await context.services.store.claim_update(update.update_id)
        return
    step = engine.resume(survey, response.session, context.services.clock())
    saved = await context.services.store.save_step(
        update.update_id, response.id, step.session, {}, [], based_on=response.session.version
    )
    await _step_instead(update, context, who, survey, step, response.id if saved else None)


@again_when_stale
@on_own_response
async def restart_survey(
    update: Update, context: Ctx, who: Visitor, response: Response, survey: Survey
) -> None:
    """Throw away an unfinished response and begin the survey again, on its current version
    (a trial begins again as a fresh trial)."""
    campaigns = context.services.campaigns
    store = context.services.store
    survey = campaigns.get(response.survey_id) or survey
    version = campaigns.version_of(survey.id) or 1
    step = engine.start(survey, context.services.clock(), version=version)
    if response.trial:
        response_id = await store.start_trial(update.update_id, who.pseudonym, step.session)
    else:
        response_id = await store.start_response(
            update.update_id,
            who.pseudonym,
            step.session,
            replace=response.id,
            once=not survey.allow_multiple,
        )
    await _step_instead(update, context, who, survey, step, response_id)


async def _step_instead(
    update: Update,
    context: Ctx,
    who: Visitor,
    survey: Survey,
    step: Step,
    response_id: int | None,
) -> None:
    """After Continue or Start again: the spinner stops and, when the step was stored (a
    response id), the offer's keyboard goes and the step's question comes."""
    await answer_callback(update)
    if response_id is None:
        return
    await close_keyboard(update)
    render = renderer(context, who.lang)
    await show(
        context,
        who.chat_id,
        render.step(survey, step, response_id),
        response_id,
        step.session.version,
    )


def _continued_already(update: Update, response: Response) -> bool:
    """A second tap on the Continue the resident just pressed: the question it brought is on
    screen and nothing has happened since, so it must not come a second time."""
    query = update.callback_query
    parsed = parse_offer_data(query.data) if query and query.data else None
    offered = parsed[1] if parsed else None
    session = response.session
    return (
        offered is not None
        and session.version == offered + 1
        and not session.paused
        and response.shown_version == session.version
    )


@again_when_stale
async def press_answer(update: Update, context: Ctx) -> None:
    """Apply a pressed answer button (choice, toggle, skip, back, confirm...)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await visitor(update, context)
    services = context.services
    parsed = parse_answer_data(query.data)
    active = who.active
    render = renderer(context, who.lang)
    if parsed is None or active is None or active.id != parsed[0]:
        if parsed is not None and await _sent_already(update, context, who, parsed):
            return
        await stale_button(update, context)
        return
    survey = await survey_of(context, active)
    if not answerable(survey, active, services.clock()):
        await answer_callback(update)
        if await services.store.claim_update(update.update_id):
            await _closed(context, who, render)
        return
    assert survey is not None
    _, version, action, value = parsed
    before = active.session
    step = engine.apply(survey, before, Press(action, version, value), services.clock())
    if await metoo.offered(update, context, who, active, step, value):
        return  # a tip close by is shown first; the draft waits
    if not await _save(update, context, active, step):
        return await answer_callback(update)
    if step.problem is not None:
        # A refused press (Done with nothing chosen, Skip on a required question) is told as
        # a toast and the question stays; a stale one also gets the current question anew.
        await answer_callback(update, render.problem(step.problem, step.detail))
        if step.problem in (engine.Problem.STALE, engine.Problem.UNKNOWN_CHOICE):
            version = step.session.version
            await send(
                context, who.chat_id, render.prompt(survey, step.prompt, active.id, version)
            )
        return
    await answer_callback(update)
    if action in engine.TICKS:
        await _show_ticks(update, context, survey, render, active.id, step.session)
        return
    note = None
    if action in _NOTED and before.current in step.session.answers:
        question = survey.question(before.current)
        # A note read has no answer to show under it (it is stored as True).
        if not isinstance(question, Note):
            note = render.answer(question, step.session.answers[before.current])
    await close_keyboard(update, note)
    await show(
        context,
        who.chat_id,
        step_replies(render, survey, step, active),
        active.id,
        step.session.version,
    )


async def _sent_already(
    update: Update, context: Ctx, who: Visitor, pressed: tuple[int, int, Action, str]
) -> bool:
    """A press on a survey the resident has sent (Send tapped twice, or an old message):
    a toast says so, and the thanks and the menu they already have are not sent again."""
    store = context.services.store
    response_id, _version, action, _value = pressed
    response = await store.get_response(response_id) if who.resident else None
    render = renderer(context, who.lang)
    if response is None and action is Action.CONFIRM and who.resident is not None:
        # A sent idea or tip leaves no response behind, only the contribution: a second tap
        # on its Send within moments of the first is the same tap again, not a stale button.
        latest = max(
            (c.created_at for c in await store.contributions_of(who.pseudonym)), default=None
        )
        if latest is None or context.services.clock() - latest > _SECOND_TAP:
            return False
        text = render._("Already sent. Thank you!")
    elif (
        response is None
        or response.pseudonym != who.pseudonym
        or response.status is not ResponseStatus.COMPLETE
    ):
        return False
    else:
        text = render._("Your answers are already sent. Thank you!")
    await answer_callback(update, text)
    await store.claim_update(update.update_id)
    return True


async def _show_ticks(
    update: Update,
    context: Ctx,
    survey: Survey,
    render: Renderer,
    response_id: int,
    session: engine.Session,
) -> None:
    """Redraw the pressed keyboard with the ticks as stored.

    On two replicas, the edit of an earlier tick can reach Telegram after the edit of a
    later one and show fewer ticks than are stored: after editing, look again, and redraw
    while the same question is still on screen with ticks this edit did not show.
    """
    query = update.callback_query
    assert query is not None and query.message is not None
    store = context.services.store
    # The raw call: the edited Message Telegram sends back is not read (reply.call).
    where = {"chat_id": query.message.chat.id, "message_id": query.message.message_id}
    for _ in range(STALE_TRIES):
        (question_message,) = render.step(survey, engine.show(survey, session), response_id)
        try:
            markup = question_message.markup
            await call(context.bot, "editMessageReplyMarkup", **where, reply_markup=markup)
        except BadRequest:
            # "Message is not modified": a tap that changed nothing, or a redraw of the same.
            log.debug("the ticks on screen were already these")
        await store.mark_shown(response_id, session.version)
        latest = await store.get_response(response_id)
        if (
            latest is None
            or latest.status is not ResponseStatus.IN_PROGRESS
            or latest.session.version == session.version
            or latest.session.since != session.since
        ):
            return
        session = latest.session


async def stale_button(update: Update, context: Ctx) -> None:
    """A button from an old message or an unknown one: show where the resident really is."""
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    await answer_callback(update, render.problem(engine.Problem.STALE, {}))
    await where_they_are(update, context, who)


async def message(update: Update, context: Ctx) -> None:
    """Take a message as the answer to the current question, or explain what is expected."""
    incoming = update.message
    assert incoming is not None
    who = await visitor(update, context)
    services = context.services
    store = services.store
    if who.resident is None:
        if await _first_stray(update, context, who):
            await welcome(update, context, who)
        return
    render = renderer(context, who.lang)
    now = services.clock()
    active = who.active
    if active is None:
        if await _first_stray(update, context, who):
            text = render._("Choose a survey in the menu to answer it.")
            await send(context, who.chat_id, [Reply(text), await menu(context, who)])
        return
    survey = await survey_of(context, active)
    if not answerable(survey, active, now):
        if await _first_stray(update, context, who):
            await _closed(context, who, render)
        return
    assert survey is not None
    session = active.session
    resume_after = timedelta(minutes=services.settings.resume_after_minutes)
    if engine.is_paused(session, now, resume_after):
        if await _first_stray(update, context, who):
            await home(context, who)
        return
    if active.shown_version is not None and active.shown_version < session.version:
        # The bot saved the last answer and died before showing the next question: this
        # message was written without seeing it, so it answers nothing. Show where we are.
        if await store.claim_update(update.update_id):
            step = engine.show(survey, session)
            await show(
                context,
                who.chat_id,
                render.step(survey, step, active.id),
                active.id,
                session.version,
            )
        return
    given = _input(incoming, render, session)
    if given == engine.OtherInput("album") and not _first_of_album(incoming, context):
        # An album arrives as one message per photo: one hint is enough.
        await store.claim_update(update.update_id)
        return
    step = engine.apply(survey, session, given, now)
    try:
        if not await _save(update, context, active, step):
            return
    except StaleSession:
        # Another replica took a message of theirs first: this one was written for the
        # question that was on screen then, not for the one after it. Show where they are.
        return await where_they_are(update, context)
    messages: list[Reply] = []
    if _left_location(survey, session, step):
        # The location question's reply keyboard stays on screen until it is removed, which
        # takes a message of its own: it says what became of the question.
        messages.append(render.remove_keyboard(_left_location_text(render, given)))
    messages.extend(step_replies(render, survey, step, active))
    await show(context, who.chat_id, messages, active.id, step.session.version)


async def _first_stray(update: Update, context: Ctx, who: Visitor) -> bool:
    """Claim a message that answers no question; True when it should be answered.

    Only the first of them in STRAY_QUIET is: what it was answered with (the menu, the
    notice, the offer to continue) is still on screen, and a resident who types a few lines
    should not get one menu per line. A re-delivered update is claimed already and does not
    use up the answer.
    """
    services = context.services
    if not await services.store.claim_update(update.update_id):
        return False
    return services.stray.first(who.chat_id, services.clock())


def _input(incoming: Message, render: Renderer, session: engine.Session) -> Input:
    """What the resident sent, as the engine understands it."""
    if incoming.forward_origin is not None:
        return engine.OtherInput("forwarded")
    if incoming.media_group_id is not None:
        return engine.OtherInput("album")
    if incoming.location is not None or incoming.venue is not None:
        place = incoming.venue.location if incoming.venue else incoming.location
        assert place is not None
        name = incoming.venue.title if incoming.venue else None
        return engine.LocationInput(place.latitude, place.longitude, name)
    if incoming.photo:
        largest = incoming.photo[-1]
        return engine.PhotoInput(largest.file_id, largest.file_unique_id, largest.file_size)
    if incoming.document is not None and _is_image(incoming.document):
        # The original file, GPS position and all: refused, and nothing of it is kept.
        return engine.OtherInput("image_file")
    if incoming.text is not None:
        # The location question's reply keyboard has Back, Skip and Keep as plain text.
        shortcuts = {
            render.back_label(): Action.BACK,
            render.skip_label(): Action.SKIP,
            render.keep_label(): Action.NEXT,
        }
        action = shortcuts.get(incoming.text.strip())
        if action is not None:
            return Press(action, session.version)
        return engine.TextInput(incoming.text)
    return engine.OtherInput(_kind(incoming))


# Pictures a phone or camera writes, whose type a client may not name (HEIC on iPhones).
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff", ".dng")


def _is_image(document: Document) -> bool:
    if (document.mime_type or "").startswith("image/"):
        return True
    return (document.file_name or "").lower().endswith(_IMAGE_SUFFIXES)


def _first_of_album(incoming: Message, context: Ctx) -> bool:
    """True for the first message of an album seen in this chat; only hints are at stake."""
    chat_data = context.chat_data
    if chat_data is None:
        return True
    first = chat_data.get("album") != incoming.media_group_id
    chat_data["album"] = incoming.media_group_id
    return first


def _kind(incoming: Message) -> str:
    for kind in ("sticker", "voice", "audio", "video", "video_note", "animation", "contact"):
        if getattr(incoming, kind, None):
            return kind
    return "other"


def _left_location_text(render: Renderer, given: Input) -> str:
    _ = render._
    if isinstance(given, Press):
        if given.action is Action.SKIP:
            return _("OK, that one is skipped.")
        if given.action is Action.BACK:
            return _("OK, back one question.")
        if given.action is Action.NEXT:
            return _("OK, your answer stays as it was.")
    return _("Thanks, noted.")


def _left_location(survey: Survey, before: engine.Session, step: Step) -> bool:
    if before.current not in {q.id for q in survey.questions}:
        return False
    was_location = isinstance(survey.question(before.current), Location)
    return was_location and step.session.current != before.current


async def _save(update: Update, context: Ctx, response: Response, step: Step) -> bool:
    """Store the step with the update's claim; False when the update was handled before."""
    store = context.services.store
    if step.session == response.session:
        return await store.claim_update(update.update_id)
    if step.session.finished and Campaigns.is_form(response.survey_id):
        # A sent idea or tip leaves the draft behind and becomes one contribution.
        contribution = from_answers(
            Kind(response.survey_id), step.session.answers, step.session.source
        )
        contribution = replace(contribution, time_band=time_band(step.session.updated_at))
        stored = await store.submit_contribution(
            update.update_id,
            response.id,
            response.pseudonym,
            contribution,
            step.session.updated_at,
            based_on=response.session.version,
        )
        if stored is not None and contribution.photo_unique_id:
            context.services.photos_wake.set()
        return stored is not None
    answers = step.session.answers
    changed = {question_id: answers.get(question_id) for question_id in step.changed}
    saved = await store.save_step(
        update.update_id,
        response.id,
        step.session,
        changed,
        list(step.removed),
        based_on=response.session.version,
    )
    if saved and any(photo_of(value) for value in changed.values()):
        # Queued with the answer: the fetcher downloads it now rather than at its next look.
        context.services.photos_wake.set()
    return saved


async def _closed(context: Ctx, who: Visitor, render: Renderer) -> None:
    text = render._(
        "This survey has closed. Thank you: the answers you gave before it closed are saved."
    )
    await send(context, who.chat_id, [render.remove_keyboard(text)])
    await send(context, who.chat_id, [await menu(context, who)])
