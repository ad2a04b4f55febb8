"""The peer: the survey bot a Python developer would write from python-telegram-bot's docs.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT DATA_DIR=... \\
        python -m bench.peer_bot

A yardstick for Torget, not a product: the same survey (surveys/soder-kvall.yaml), built as
PTB's examples build one (conversationbot.py, persistentconversationbot.py): a
ConversationHandler with one state per question, the answers in `context.user_data`,
PicklePersistence on its defaults (the file is written every 60 seconds and at shutdown),
PTB's default HTTPXRequest and its default sequential processing of updates, and
`run_polling()`. Per button press it makes the calls Torget makes: stop the spinner, note the
answer under the question (keyboard removed), send the next question. It speaks Swedish
only and stores the Telegram user id with each response (Torget stores a pseudonym): the
bench's residents (bench/residents.py) drive it unchanged, the same as they drive Torget.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.loader import load_survey  # noqa: E402
from core.survey import (  # noqa: E402
    FreeText,
    Location,
    Note,
    Photo,
    Question,
    Scale,
    SelectMultiple,
    SelectOne,
    Survey,
)

SURVEY_FILE = ROOT / "surveys" / "soder-kvall.yaml"
PICKLE_NAME = "peer.pickle"
CONSENT, MENU, REVIEW = "consent", "menu", "review"
SKIPPED = "(hoppade över)"
NOTICE = (
    "Innan vi börjar\n"
    "Vi frågar dig som bor eller rör dig på Söder vad du tycker. Dina svar sparas och "
    "används för att göra Söder bättre. Du kan sluta när du vill."
)
Ctx = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Ctx], Awaitable[object]]


# ---- what to ask next ----------------------------------------------------------------------
def shown(question: Question, answers: dict[str, Any]) -> bool:
    """Whether the question's show_if holds for the answers given so far."""
    condition = question.show_if
    if condition is None:
        return True
    given = answers.get(condition.question)
    if given is None:
        return False
    values = {str(v) for v in condition.values}
    picked = {str(v) for v in given} if isinstance(given, list) else {str(given)}
    hit = bool(values & picked)
    return hit if condition.in_ is not None else not hit


def next_question(survey: Survey, answers: dict[str, Any], after: int) -> int | None:
    """The index of the next question to ask after question `after` (-1: the first)."""
    for index in range(after + 1, len(survey.questions)):
        if shown(survey.questions[index], answers):
            return index
    return None


def label(question: Question, value: Any) -> str:
    """An answer as the resident chose it."""
    if value is None:
        return SKIPPED
    if isinstance(question, SelectOne | SelectMultiple):
        names = {choice.id: choice.label.sv for choice in question.choices}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in chosen)
    if isinstance(question, Location):
        return f"{value['latitude']:.5f}, {value['longitude']:.5f}"
    if isinstance(question, Photo):
        return "en bild"
    return str(value)


# ---- drawing a question ------------------------------------------------------------------
def question_text(survey: Survey, index: int) -> str:
    question = survey.questions[index]
    lines = [f"Fråga {index + 1} av {len(survey.questions)}", question.text.sv]
    if isinstance(question, Scale) and question.min_label and question.max_label:
        lines.append(
            f"{question.min} = {question.min_label.sv} · {question.max} = {question.max_label.sv}"
        )
    if question.hint:
        lines.append(question.hint.sv)
    return "\n".join(lines)


def keyboard(
    survey: Survey, index: int, response: int, ticked: list[str]
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The question's buttons; their data is a:<response>:<question>:<action>[:<value>]."""
    question = survey.questions[index]

    def data(action: str, value: str = "") -> str:
        return f"a:{response}:{index}:{action}" + (f":{value}" if value else "")

    rows: list[list[InlineKeyboardButton]] = []
    if isinstance(question, Location):
        places = [[KeyboardButton("📍 Dela min plats", request_location=True)]]
        if not question.required:
            places.append([KeyboardButton("Hoppa över")])
        return ReplyKeyboardMarkup(places, resize_keyboard=True)
    if isinstance(question, SelectOne):
        rows = [
            [InlineKeyboardButton(c.label.sv, callback_data=data("c", c.id))]
            for c in question.choices
        ]
    elif isinstance(question, Scale):
        numbers = range(question.min, question.max + 1)
        rows = [[InlineKeyboardButton(str(n), callback_data=data("c", str(n))) for n in numbers]]
    elif isinstance(question, SelectMultiple):
        for choice in question.choices:
            on = choice.id in ticked
            box = f"{'✅' if on else '▫️'} {choice.label.sv}"
            rows.append(
                [InlineKeyboardButton(box, callback_data=data("-" if on else "+", choice.id))]
            )
        rows.append([InlineKeyboardButton("Klar", callback_data=data("d"))])
    elif isinstance(question, Note):
        rows = [[InlineKeyboardButton("Fortsätt ➜", callback_data=data("n"))]]
    if not question.required and not isinstance(question, Note):
        rows.append([InlineKeyboardButton("Hoppa över", callback_data=data("s"))])
    return InlineKeyboardMarkup(rows) if rows else None


def pressed(data: str) -> tuple[int, str, str]:
    """(question index, action, value) of an answer button's data."""
    _, _response, index, action, *value = data.split(":", 4)
    return int(index), action, value[0] if value else ""


# ---- the conversation ----------------------------------------------------------------------
async def start(update: Update, context: Ctx) -> str:
    """The privacy notice, with the button that agrees to it."""
    assert update.message is not None
    agree = InlineKeyboardMarkup(
        [[InlineKeyboardButton("✅ Jag godkänner", callback_data="c:sv")]]
    )
    await update.message.reply_text(NOTICE, reply_markup=agree)
    return CONSENT


async def consent(survey: Survey, update: Update, context: Ctx) -> str:
    """Agreed: the notice loses its button and the menu of surveys comes."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    pick = InlineKeyboardButton(survey.title.sv, callback_data=f"s:{survey.id}")
    await context.bot.send_message(
        query.message.chat.id, "Vad vill du svara på?", reply_markup=InlineKeyboardMarkup([[pick]])
    )
    return MENU


async def begin(survey: Survey, update: Update, context: Ctx) -> str:
    """The survey picked: its intro and the first question."""
    query = update.callback_query
    assert query is not None and query.message is not None and context.user_data is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data["response"] = context.user_data.get("response", 0) + 1
    context.user_data["answers"] = {}
    context.user_data["ticked"] = []
    if survey.intro:
        await context.bot.send_message(
            query.message.chat.id, f"{survey.title.sv}\n\n{survey.intro.sv}"
        )
    first = next_question(survey, {}, -1)
    assert first is not None
    return await ask(survey, context, query.message.chat.id, first)


async def ask(survey: Survey, context: Ctx, chat_id: int, index: int | None) -> str:
    """Send the question at `index`, or the summary to send after the last one."""
    assert context.user_data is not None
    if index is None:
        return await summary(survey, context, chat_id)
    context.user_data["current"] = index
    markup = keyboard(survey, index, context.user_data["response"], [])
    await context.bot.send_message(chat_id, question_text(survey, index), reply_markup=markup)
    return survey.questions[index].id


async def summary(survey: Survey, context: Ctx, chat_id: int) -> str:
    assert context.user_data is not None
    answers = context.user_data["answers"]
    lines = ["Dina svar"]
    for number, question in enumerate(
        (q for q in survey.questions if q.id in answers and not isinstance(q, Note)), 1
    ):
        lines.append(f"{number}. {question.text.sv}\n   → {label(question, answers[question.id])}")
    lines.append("Vill du skicka in dem?")
    response = context.user_data["response"]
    send = InlineKeyboardButton(
        "✅ Skicka", callback_data=f"a:{response}:{len(survey.questions)}:y"
    )
    await context.bot.send_message(
        chat_id, "\n".join(lines), reply_markup=InlineKeyboardMarkup([[send]])
    )
    return REVIEW


async def press(survey: Survey, update: Update, context: Ctx) -> str | None:
    """A button under a question: a choice, a tick, Done, Skip or Continue."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    assert context.user_data is not None
    index, action, value = pressed(query.data)
    if index != context.user_data.get("current"):
        await query.answer("Den frågan är redan besvarad.")
        return None  # stay where we are
    question = survey.questions[index]
    answers: dict[str, Any] = context.user_data["answers"]
    ticked: list[str] = context.user_data["ticked"]
    if action in "+-":
        if action == "+" and value not in ticked:
            if isinstance(question, SelectMultiple) and len(ticked) >= (
                question.max_choices or 99
            ):
                await query.answer(f"Högst {question.max_choices}.")
                return None
            ticked.append(value)
        elif action == "-" and value in ticked:
            ticked.remove(value)
        await query.answer()
        response = context.user_data["response"]
        await query.edit_message_reply_markup(keyboard(survey, index, response, ticked))  # type: ignore[arg-type]
        return None
    if action == "d" and not ticked:
        await query.answer("Välj minst ett alternativ.")
        return None
    await query.answer()
    if action == "c":
        answers[question.id] = int(value) if isinstance(question, Scale) else value
    elif action == "d":
        answers[question.id] = list(ticked)
        context.user_data["ticked"] = []
    elif action == "s":
        answers[question.id] = None
    elif action == "n":
        answers[question.id] = True
    if isinstance(question, Note):
        await query.edit_message_reply_markup(None)
    else:
        text = getattr(query.message, "text", None) or ""
        await query.edit_message_text(f"{text}\n\n→ {label(question, answers[question.id])}")
    return await ask(survey, context, query.message.chat.id, next_question(survey, answers, index))


async def typed(survey: Survey, update: Update, context: Ctx) -> str:
    """A written answer, a photo, a place or the location question's Skip."""
    message = update.message
    assert message is not None and context.user_data is not None
    index: int = context.user_data["current"]
    question = survey.questions[index]
    answers: dict[str, Any] = context.user_data["answers"]
    if message.location is not None:
        answers[question.id] = {
            "latitude": message.location.latitude,
            "longitude": message.location.longitude,
        }
    elif message.photo:
        answers[question.id] = message.photo[-1].file_id
    elif isinstance(question, Location):  # "Hoppa över" on the reply keyboard
        answers[question.id] = None
    else:
        answers[question.id] = (message.text or "")[: getattr(question, "max_length", 1000)]
    if isinstance(question, Location):
        # The location button stays on screen until a message takes it away.
        await message.reply_text("Tack, noterat.", reply_markup=ReplyKeyboardRemove())
    return await ask(survey, context, message.chat_id, next_question(survey, answers, index))


async def send_in(survey: Survey, update: Update, context: Ctx) -> int:
    """The summary's Send: the response joins the complete ones, and the thanks come."""
    query = update.callback_query
    assert query is not None and query.message is not None
    assert context.user_data is not None and update.effective_user is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.bot_data.setdefault("responses", []).append(
        {"user": update.effective_user.id, "answers": context.user_data.pop("answers")}
    )
    context.user_data.pop("current", None)
    thanks = survey.thanks.sv if survey.thanks else "Tack!"
    await context.bot.send_message(query.message.chat.id, thanks)
    return ConversationHandler.END


async def elsewhere(update: Update, context: Ctx) -> None:
    """Anything the current question does not take."""
    if update.callback_query is not None:
        await update.callback_query.answer("Svara på frågan ovan.")
    elif update.message is not None:
        await update.message.reply_text("Svara på frågan ovan, eller skriv /start.")


def states(survey: Survey) -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """One state per question, named by its id, plus the notice, the menu and the summary."""
    on_press = partial(press, survey)
    on_message = partial(typed, survey)
    table: dict[object, list[BaseHandler[Update, Ctx, Any]]] = {
        CONSENT: [CallbackQueryHandler(partial(consent, survey), pattern=r"^c:")],
        MENU: [CallbackQueryHandler(partial(begin, survey), pattern=rf"^s:{survey.id}$")],
        REVIEW: [CallbackQueryHandler(partial(send_in, survey), pattern=r"^a:\d+:\d+:y$")],
    }
    for question in survey.questions:
        handlers: list[BaseHandler[Update, Ctx, Any]] = []
        if isinstance(question, FreeText):
            handlers.append(MessageHandler(filters.TEXT & ~filters.COMMAND, on_message))
        elif isinstance(question, Photo):
            handlers.append(MessageHandler(filters.PHOTO, on_message))
        elif isinstance(question, Location):
            handlers.append(MessageHandler(filters.LOCATION, on_message))
            handlers.append(MessageHandler(filters.Regex(r"^Hoppa över$"), on_message))
        handlers.append(CallbackQueryHandler(on_press, pattern=r"^a:\d+:\d+:[c+\-dsn]"))
        table[question.id] = handlers
    return table


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # PTB warns that with per_message=False a CallbackQueryHandler is tracked per chat, not
    # per message: that is what a survey wants (one question at a time per resident).
    warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
    survey = load_survey(Path(os.environ.get("PEER_SURVEY", SURVEY_FILE)))
    api = os.environ["TELEGRAM_API_URL"]
    persistence = PicklePersistence(filepath=Path(os.environ["DATA_DIR"]) / PICKLE_NAME)
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .persistence(persistence)
        .build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states=states(survey),
            fallbacks=[
                CommandHandler("start", start),
                MessageHandler(filters.ALL, elsewhere),
                CallbackQueryHandler(elsewhere),
            ],
            name="survey",
            persistent=True,
        )
    )
    app.run_polling()


if __name__ == "__main__":
    main()
