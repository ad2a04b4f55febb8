"""Residents' rights: see everything stored about you (/mydata) and delete it (/delete)."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Awaitable, Callable
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core import i18n
from core.contributions import FORM_KINDS
from core.engine import final_answers
from handlers.buttons import CONFIRM_DELETE, KEEP
from handlers.common import Handler, Visitor, answer_callback, close_keyboard, send, visitor
from handlers.context import Ctx
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.records import Resident

ResidentCommand = Callable[[Update, Ctx, Visitor, Resident, Renderer], Awaitable[None]]


def for_someone_stored(
    command: ResidentCommand,
) -> Handler:
    """/mydata or /delete, run for a stored resident with the update claimed; someone never
    stored hears that nothing is stored about them."""

    @functools.wraps(command)
    async def run(update: Update, context: Ctx) -> None:
        who = await visitor(update, context)
        if not await context.services.store.claim_update(update.update_id):
            return
        render = renderer(context, who.lang)
        if who.resident is None:
            await send(context, who.chat_id, [Reply(render._("Nothing is stored about you."))])
            return
        await command(update, context, who, who.resident, render)

    return run


@for_someone_stored
async def my_data(
    update: Update, context: Ctx, who: Visitor, resident: Resident, render: Renderer
) -> None:
    """Show the resident everything stored about them, as a message and a JSON file (/mydata)."""
    services = context.services
    _ = render._
    responses = await services.store.responses_of(who.pseudonym)
    lines = [
        "<b>{}</b>".format(_("What Torget has stored about you")),
        _("Language: {language}. You agreed to the privacy notice on {date}.").format(
            language="svenska" if resident.language == "sv" else "English",
            date=i18n.when(resident.consented_at, render.lang),
        ),
    ]
    # What the resident chose in /notify is stored too, so it is shown too.
    lines.append(render.subscriptions(resident.news, resident.reminders).text)
    given: list[dict[str, object]] = []
    export: dict[str, object] = {
        "language": resident.language,
        "consented_at": resident.consented_at.isoformat(),
        "news_of_new_surveys": resident.news,
        "reminders": resident.reminders,
        "responses": given,
    }
    for response in responses:
        # The questions of the version they answered.
        begun = services.campaigns.get(response.survey_id, response.session.survey_version)
        survey = begun or services.campaigns.get(response.survey_id)
        title = survey.title.get(render.lang) if survey else response.survey_id
        status = _("sent") if response.status == "complete" else _("not finished")
        if response.trial:
            status = "{}, {}".format(_("a trial, not counted"), status)
        lines.append(f"\n<b>{escape(title)}</b> ({status})")
        answers = final_answers(survey, response.session.answers) if survey else {}
        for question_id, value in answers.items():
            if survey is None:
                continue
            question = survey.question(question_id)
            if question.type == "note":
                continue
            asked = escape(question.text.get(render.lang))
            # As in the summary: a question often ends in "." or "?", so "question: answer"
            # would read "…på kartan.: 📍"; the answer goes on its own line.
            lines.append(f"• {asked}\n   → {escape(render.answer(question, value))}")
        given.append(
            {
                "survey": response.survey_id,
                "status": str(response.status),
                "started_at": response.started_at.isoformat(),
                "completed_at": response.completed_at.isoformat()
                if response.completed_at
                else None,
                "answers": response.session.answers,
                "trial": response.trial,
            }
        )
    if not responses:
        lines.append(_("You have not answered any survey yet."))
    contributions = await services.store.contributions_of(who.pseudonym)
    if contributions:
        lines.append("\n<b>{}</b>".format(_("Your ideas and tips")))
        forms = {kind: services.campaigns.form(kind) for kind in FORM_KINDS}
        lines.extend(render.contribution(item, forms.get(item.kind)) for item in contributions)
    export["contributions"] = [
        {
            "kind": str(item.kind),
            "category": item.category,
            "text": item.text,
            "lat": item.lat,
            "lon": item.lon,
            "place": item.place_name,
            "photo": item.photo_file_id is not None,
            "time_of_day": str(item.time_of_day) if item.time_of_day else None,
            "contactable": item.contactable,
            "status": str(item.status),
            "sent_at": item.created_at.isoformat() if item.created_at else None,
        }
        for item in contributions
    ]
    # Closing the loop: the "me too"s they added and their answers to "does it feel safer?".
    voiced = await services.store.voices_of(who.pseudonym)
    safer = await services.store.followups_of(who.pseudonym)
    if voiced or safer:
        lines.append("\n<b>{}</b>".format(_("Your “me too” and answers")))
    for contribution_id, _hear_back, added_at in voiced:
        lines.append(
            _("• “Me too” on tip no. {id}, {date}").format(
                id=contribution_id, date=i18n.day(added_at, render.lang)
            )
        )
    for followup in safer:
        assert followup.sent_at is not None
        answer = render.safer_answer(followup.answer) if followup.answer else _("not answered")
        lines.append(
            _("• Asked whether tip no. {id} feels safer now ({date}): {answer}").format(
                id=followup.contribution_id,
                date=i18n.day(followup.sent_at, render.lang),
                answer=answer,
            )
        )
    export["me_too"] = [
        {"contribution": cid, "hear_back": hear_back, "added_at": added_at.isoformat()}
        for cid, hear_back, added_at in voiced
    ]
    export["feels_safer"] = [
        {
            "contribution": followup.contribution_id,
            "asked_at": followup.sent_at.isoformat() if followup.sent_at else None,
            "answer": str(followup.answer) if followup.answer else None,
            "answered_at": followup.answered_at.isoformat() if followup.answered_at else None,
        }
        for followup in safer
    ]
    lines.append("\n" + _("/delete erases all of it."))
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:3990] + "…"
    await send(context, who.chat_id, [Reply(text)])
    payload = json.dumps(export, ensure_ascii=False, indent=2).encode()
    await context.bot.send_document(
        who.chat_id, document=io.BytesIO(payload), filename="torget-mydata.json"
    )


@for_someone_stored
async def ask_delete(
    update: Update, context: Ctx, who: Visitor, _resident: Resident, render: Renderer
) -> None:
    """Ask the resident to confirm that everything about them should be erased (/delete)."""
    _ = render._
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("🗑 Yes, delete everything"), callback_data=CONFIRM_DELETE)],
            [InlineKeyboardButton(_("No, keep it"), callback_data=KEEP)],
        ]
    )
    text = _(
        "Do you want to delete everything you have given to Torget: all your answers, "
        "ideas and tips, and your language choice? This cannot be undone."
    )
    await send(context, who.chat_id, [Reply(text, keyboard)])


async def keep_everything(update: Update, context: Ctx) -> None:
    """No, keep it (or a delete button of no known choice): nothing is deleted."""
    await _nothing_deleted(update, context, await visitor(update, context))


async def _nothing_deleted(update: Update, context: Ctx, who: Visitor) -> None:
    if await context.services.store.claim_update(update.update_id):
        await answer_callback(update)
        await close_keyboard(update, renderer(context, who.lang)._("Nothing was deleted."))


async def delete_everything(update: Update, context: Ctx) -> None:
    """Yes, delete everything: the resident is erased (someone already gone keeps nothing)."""
    who = await visitor(update, context)
    store = context.services.store
    if who.resident is None:
        return await _nothing_deleted(update, context, who)
    if not await store.forget_resident(update.update_id, who.pseudonym):
        return await answer_callback(update)
    await answer_callback(update)
    await close_keyboard(update)
    render = renderer(context, who.lang)
    _ = render._
    text = _("Everything you gave has been deleted. /start if you want to take part again.")
    await send(context, who.chat_id, [render.remove_keyboard(text)])
