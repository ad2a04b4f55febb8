"""Turn the engine's prompts into Telegram text and keyboards, in the resident's language.

Callback data is `a:<response>:<version>:<action>[:<value>]`: the response and version let a
press on an old message be recognised as stale; everything fits Telegram's 64 bytes because
ids are short (survey ids 40, question and choice ids 32 characters at most).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from babel.support import NullTranslations
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from core import i18n
from core.contributions import (
    CATEGORY,
    Contribution,
    HideReason,
    Kind,
    Status,
    TimeOfDay,
)
from core.engine import (
    Action,
    Answer,
    ChangePrompt,
    FinishedPrompt,
    Problem,
    Prompt,
    QuestionPrompt,
    ReviewPrompt,
    Step,
)
from core.survey import (
    FreeText,
    Location,
    Note,
    Number,
    Photo,
    Question,
    Scale,
    SelectMultiple,
    SelectOne,
    Survey,
)

# Callback-data prefixes, one per kind of button; handlers build their patterns from these.
ANSWER = "a"
LANGUAGE = "l"
CONSENT = "c"
MENU = "m"
SURVEY = "s"
RESUME = "r"
RESTART = "n"
CONTRIBUTE = "i"  # i:idea, i:tip, i:mine
MODERATE = "o"  # o:<queue>:<contribution>:<what>[:<reason>]
SUBSCRIBE = "u"  # u:<news|rem>:<on|off>
CAMPAIGN = "k"  # k:<what>:<survey id>, admins only
NEWS, REMINDERS = "news", "rem"
PANEL = "p"  # ends the /notify panel's buttons: a press edits the panel in place
MINE = "mine"
CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts

ACTION_CODES: dict[Action, str] = {
    Action.CHOOSE: "c",
    Action.TOGGLE: "t",
    Action.DONE: "d",
    Action.NEXT: "n",
    Action.SKIP: "s",
    Action.BACK: "b",
    Action.CONFIRM: "y",
    Action.CHANGE: "x",
    Action.JUMP: "j",
}
ACTIONS_BY_CODE = {code: action for action, code in ACTION_CODES.items()}

# "My contributions" lists this many, newest first; a message holds 4096 characters.
MAX_LISTED = 15

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass(frozen=True)
class Out:
    """One message to send."""

    text: str
    markup: Markup = None


def answer_data(response_id: int, version: int, action: Action, value: str = "") -> str:
    data = f"{ANSWER}:{response_id}:{version}:{ACTION_CODES[action]}"
    return f"{data}:{value}" if value else data


def parse_answer_data(data: str) -> tuple[int, int, Action, str] | None:
    parts = data.split(":", 4)
    if len(parts) < 4 or parts[0] != ANSWER:
        return None
    try:
        response_id, version = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    action = ACTIONS_BY_CODE.get(parts[3])
    if action is None:
        return None
    return response_id, version, action, parts[4] if len(parts) == 5 else ""


class Renderer:
    """Everything a resident reads in one language."""

    def __init__(self, translations: NullTranslations, lang: str) -> None:
        self.lang = lang
        self._ = translations.gettext
        self.ngettext = translations.ngettext

    # ---- the survey ----
    def step(self, survey: Survey, step: Step, response_id: int) -> list[Out]:
        """The problem (if any) and then the prompt of an engine step."""
        messages: list[Out] = []
        if step.problem is not None:
            messages.append(Out(self.problem(step.problem, step.detail)))
        messages.extend(self.prompt(survey, step.prompt, response_id, step.session.version))
        return messages

    def prompt(self, survey: Survey, prompt: Prompt, response_id: int, version: int) -> list[Out]:
        if isinstance(prompt, QuestionPrompt):
            return [self.question(prompt, response_id, version)]
        if isinstance(prompt, ReviewPrompt):
            return [self.review(prompt, response_id, version)]
        if isinstance(prompt, ChangePrompt):
            return [self.change(prompt, response_id, version)]
        return [self.finished(prompt)]

    def intro(self, survey: Survey) -> Out:
        _ = self._
        lines = [f"<b>{escape(survey.title.get(self.lang))}</b>"]
        if survey.intro:
            lines.append(escape(survey.intro.get(self.lang)))
        count = sum(1 for q in survey.questions if not isinstance(q, Note))
        lines.append(
            self.ngettext(
                "{count} question. You can pause at any time and continue later.",
                "{count} questions. You can pause at any time and continue later.",
                count,
            ).format(count=count)
        )
        return Out("\n\n".join(lines))

    def question(self, prompt: QuestionPrompt, response_id: int, version: int) -> Out:
        _ = self._
        question = prompt.question
        lines = (
            []
            if isinstance(question, Note)
            else [
                _("Question {number} of {total}").format(number=prompt.number, total=prompt.total)
            ]
        )
        lines.append(f"<b>{escape(question.text.get(self.lang))}</b>")
        if question.hint:
            lines.append(f"<i>{escape(question.hint.get(self.lang))}</i>")
        guidance = self._guidance(question)
        if guidance:
            lines.append(f"<i>{guidance}</i>")
        if prompt.answered and not isinstance(question, Note | SelectMultiple):
            lines.append(
                _("Your answer so far: {answer}").format(
                    answer=escape(self.answer(question, prompt.answer))
                )
            )
        text = "\n".join(lines)

        def data(action: Action, value: str = "") -> str:
            return answer_data(response_id, version, action, value)

        if isinstance(question, Location):
            return Out(text, self._location_keyboard(prompt))
        rows: list[list[InlineKeyboardButton]] = []
        if isinstance(question, SelectOne):
            for choice in question.choices:
                label = choice.label.get(self.lang)
                if prompt.answer == choice.id:
                    label = f"✓ {label}"
                rows.append(
                    [InlineKeyboardButton(label, callback_data=data(Action.CHOOSE, choice.id))]
                )
        elif isinstance(question, Scale):
            rows.append(
                [
                    InlineKeyboardButton(
                        f"✓ {value}" if prompt.answer == value else str(value),
                        callback_data=data(Action.CHOOSE, str(value)),
                    )
                    for value in range(question.min, question.max + 1)
                ]
            )
        elif isinstance(question, SelectMultiple):
            for choice in question.choices:
                mark = "✅" if choice.id in prompt.draft else "▫️"
                rows.append(
                    [
                        InlineKeyboardButton(
                            f"{mark} {choice.label.get(self.lang)}",
                            callback_data=data(Action.TOGGLE, choice.id),
                        )
                    ]
                )
            rows.append([InlineKeyboardButton(_("Done ✔"), callback_data=data(Action.DONE))])
        elif isinstance(question, Note):
            rows.append([InlineKeyboardButton(_("Continue ➜"), callback_data=data(Action.NEXT))])
        navigation: list[InlineKeyboardButton] = []
        if prompt.can_go_back:
            navigation.append(InlineKeyboardButton(_("⬅ Back"), callback_data=data(Action.BACK)))
        if prompt.answered and isinstance(question, FreeText | Number | Photo):
            navigation.append(
                InlineKeyboardButton(_("Keep answer"), callback_data=data(Action.NEXT))
            )
        if not question.required and not isinstance(question, Note | SelectMultiple):
            navigation.append(InlineKeyboardButton(_("Skip"), callback_data=data(Action.SKIP)))
        if navigation:
            rows.append(navigation)
        return Out(text, InlineKeyboardMarkup(rows) if rows else None)

    def _location_keyboard(self, prompt: QuestionPrompt) -> ReplyKeyboardMarkup:
        # Sharing a position only works from a reply keyboard, so Back and Skip live there
        # too (as text the handler recognises) instead of in an inline keyboard.
        rows = [[KeyboardButton(self.share_location_label(), request_location=True)]]
        extra = []
        if prompt.can_go_back:
            extra.append(KeyboardButton(self.back_label()))
        if not prompt.question.required:
            extra.append(KeyboardButton(self.skip_label()))
        if prompt.answered:
            extra.append(KeyboardButton(self.keep_label()))
        if extra:
            rows.append(extra)
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=False)

    def share_location_label(self) -> str:
        return self._("📍 Share my location")

    def back_label(self) -> str:
        return self._("⬅ Back")

    def skip_label(self) -> str:
        return self._("Skip")

    def keep_label(self) -> str:
        return self._("Keep answer")

    def _guidance(self, question: Question) -> str:
        _ = self._
        if isinstance(question, Scale):
            low = question.min_label.get(self.lang) if question.min_label else ""
            high = question.max_label.get(self.lang) if question.max_label else ""
            if low and high:
                return escape(f"{question.min} = {low} · {question.max} = {high}")
            return ""
        if isinstance(question, SelectMultiple):
            if question.max_choices:
                return _("Choose up to {count}, then press Done.").format(
                    count=question.max_choices
                )
            return _("Choose all that apply, then press Done.")
        if isinstance(question, FreeText):
            return _("Write your answer (at most {limit} characters).").format(
                limit=i18n.number(question.max_length, self.lang)
            )
        if isinstance(question, Number):
            if question.min is not None and question.max is not None:
                return _("Write a number from {low} to {high}.").format(
                    low=i18n.number(question.min, self.lang),
                    high=i18n.number(question.max, self.lang),
                )
            return _("Write a number.")
        if isinstance(question, Location):
            return _("Press “📍 Share my location”, or choose a place on the map: 📎 → Location.")
        if isinstance(question, Photo):
            return _("Send a photo with 📎.")
        return ""

    def answer(self, question: Question, value: Answer) -> str:
        """An answer as the resident recognises it, for the summary."""
        _ = self._
        if value is None:
            return _("(skipped)")
        if isinstance(question, SelectOne):
            return next(
                (c.label.get(self.lang) for c in question.choices if c.id == value), str(value)
            )
        if isinstance(question, SelectMultiple):
            labels = {c.id: c.label.get(self.lang) for c in question.choices}
            return ", ".join(labels.get(v, str(v)) for v in value)
        if isinstance(question, Number):
            return i18n.number(value, self.lang)
        if isinstance(question, Location):
            place = value.get("name") or "{lat}, {lon}".format(
                lat=i18n.number(value["lat"], self.lang), lon=i18n.number(value["lon"], self.lang)
            )
            return f"📍 {place}"
        if isinstance(question, Photo):
            return _("📷 a photo")
        text = str(value)
        return text if len(text) <= 120 else text[:119] + "…"

    def review(self, prompt: ReviewPrompt, response_id: int, version: int) -> Out:
        _ = self._
        lines = ["<b>{}</b>".format(_("Your answers"))]
        for number, (question, value) in enumerate(prompt.items, start=1):
            lines.append(
                f"{number}. {escape(question.text.get(self.lang))}\n"
                f"   → {escape(self.answer(question, value))}"
            )
        lines.append(_("Is this right? Send your answers, or change one."))
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("✅ Send answers"),
                        callback_data=answer_data(response_id, version, Action.CONFIRM),
                    )
                ],
                [
                    InlineKeyboardButton(
                        _("✏️ Change an answer"),
                        callback_data=answer_data(response_id, version, Action.CHANGE),
                    )
                ],
            ]
        )
        return Out("\n".join(lines), keyboard)

    def change(self, prompt: ChangePrompt, response_id: int, version: int) -> Out:
        rows = []
        for number, question in enumerate(prompt.questions, start=1):
            if isinstance(question, Note):
                continue
            label = question.text.get(self.lang)
            label = label if len(label) <= 40 else label[:39] + "…"
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{number}. {label}",
                        callback_data=answer_data(response_id, version, Action.JUMP, question.id),
                    )
                ]
            )
        return Out(self._("Which answer do you want to change?"), InlineKeyboardMarkup(rows))

    def finished(self, prompt: FinishedPrompt) -> Out:
        survey = prompt.survey
        if survey.thanks:
            text = escape(survey.thanks.get(self.lang))
        else:
            text = self._("Thank you! Your answers have been saved.")
        return Out(text, self.menu_button())

    def problem(self, problem: Problem, values: Mapping[str, Any]) -> str:
        _ = self._
        limit = values.get("limit")
        shown_limit = (
            i18n.number(float(limit), self.lang) if isinstance(limit, int | float) else ""
        )
        messages = {
            Problem.STALE: _("That button belongs to an earlier question. Here is where you are:"),
            Problem.UNKNOWN_CHOICE: _(
                "That button belongs to an earlier question. Here is where you are:"
            ),
            Problem.EXPECTED_BUTTON: _("Please answer with one of the buttons."),
            Problem.EXPECTED_TEXT: _("Please answer this one with a text message."),
            Problem.EXPECTED_NUMBER: _("Please write a number, for example 12."),
            Problem.EXPECTED_LOCATION: _(
                "Please share a place: press “📍 Share my location” or choose one with 📎 → "
                "Location."
            ),
            Problem.EXPECTED_PHOTO: _("Please send a photo (📎 → Photo)."),
            Problem.EMPTY_TEXT: _("Your answer was empty. Please write a few words."),
            Problem.TOO_LONG: _(
                "Your answer is {length} characters long, but this question takes at most "
                "{limit}. Please shorten it and send it again."
            ).format(
                length=i18n.number(values.get("length", 0), self.lang),
                limit=shown_limit,
            ),
            Problem.NOT_INTEGER: _("Please write a whole number, without decimals."),
            Problem.TOO_SMALL: _("The number must be at least {limit}.").format(limit=shown_limit),
            Problem.TOO_LARGE: _("The number can be at most {limit}.").format(limit=shown_limit),
            Problem.BAD_LOCATION: _("That place could not be read. Please try again."),
            Problem.REQUIRED: _("This question needs an answer."),
            Problem.NO_CHOICE: _("Choose at least one option, then press Done."),
            Problem.TOO_MANY_CHOICES: _(
                "You can choose at most {limit}. Untick one first."
            ).format(limit=shown_limit),
            Problem.OUTSIDE_AREA: _(
                "That place is far outside the area this is about. Please choose a place in "
                "the area, or skip the question."
            ),
            Problem.PHOTO_TOO_LARGE: _(
                "That file is too large (at most {limit} MB). Please send it as a photo, "
                "which Telegram makes smaller."
            ).format(limit=shown_limit),
            Problem.FORWARDED: _(
                "Please write your answer yourself: forwarded messages are not taken, since "
                "they can hold other people's words."
            ),
            Problem.ALBUM: _("Please send one photo at a time: I only keep one here."),
        }
        return messages[problem]

    # ---- around the survey ----
    def menu_button(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(self._("☰ Main menu"), callback_data=MENU)]]
        )

    def menu(self, surveys: list[Survey]) -> Out:
        _ = self._
        rows = [
            [InlineKeyboardButton(s.title.get(self.lang), callback_data=f"{SURVEY}:{s.id}")]
            for s in surveys
        ]
        rows += [
            [InlineKeyboardButton(self.idea_label(), callback_data=f"{CONTRIBUTE}:{Kind.IDEA}")],
            [InlineKeyboardButton(self.tip_label(), callback_data=f"{CONTRIBUTE}:{Kind.TIP}")],
            [InlineKeyboardButton(_("📋 My contributions"), callback_data=f"{CONTRIBUTE}:{MINE}")],
        ]
        if surveys:
            text = _("What would you like to answer? You can also share an idea or a tip.")
        else:
            text = _(
                "There is no open survey right now, but you can always share an idea or "
                "report a place that feels unsafe."
            )
        return Out(text, InlineKeyboardMarkup(rows))

    def idea_label(self) -> str:
        return self._("💡 Share an idea")

    def tip_label(self) -> str:
        return self._("🔦 Report a safety concern")

    # ---- ideas and tips ----
    def status(self, status: Status) -> str:
        _ = self._
        return {
            Status.RECEIVED: _("received"),
            Status.SEEN: _("seen by the partnership"),
            Status.HANDLED: _("handled"),
            Status.HIDDEN: _("not published"),
        }[status]

    def time_of_day(self, when: TimeOfDay) -> str:
        _ = self._
        return {
            TimeOfDay.DAY: _("in the daytime"),
            TimeOfDay.EVENING: _("in the evening"),
            TimeOfDay.NIGHT: _("at night"),
            TimeOfDay.ALWAYS: _("always"),
        }[when]

    def hide_reason(self, reason: HideReason) -> str:
        _ = self._
        return {
            HideReason.OFF_TOPIC: _("it is not about the area"),
            HideReason.PERSONAL_DATA: _("it contained personal information"),
            HideReason.OFFENSIVE: _("it was offensive"),
            HideReason.DUPLICATE: _("the same thing had already been reported"),
        }[reason]

    def kind(self, kind: Kind) -> str:
        return self._("💡 Idea") if kind is Kind.IDEA else self._("🔦 Safety tip")

    def category(self, form: Survey | None, category_id: str) -> str:
        """A category's label from the form, or its id when the list has changed since."""
        if form is not None:
            question = form.question(CATEGORY)
            if isinstance(question, SelectOne):
                for choice in question.choices:
                    if choice.id == category_id:
                        return choice.label.get(self.lang)
        return category_id

    def place(self, item: Contribution) -> str:
        if item.lat is None or item.lon is None:
            return ""
        if item.place_name:
            return item.place_name
        return f"{i18n.number(item.lat, self.lang)}, {i18n.number(item.lon, self.lang)}"

    def contribution(self, item: Contribution, form: Survey | None) -> str:
        """One idea or tip as its sender sees it in "My contributions"."""
        _ = self._
        assert item.created_at is not None
        category = self.category(form, item.category)
        head = f"{self.kind(item.kind)} · {category} · {i18n.day(item.created_at, self.lang)}"
        text = item.text if len(item.text) <= 160 else item.text[:159] + "…"
        lines = [f"<b>{escape(head)}</b>", f"“{escape(text)}”"]
        place = self.place(item)
        if place:
            lines.append(f"📍 {escape(place)}")
        status = _("Status: {status}").format(status=self.status(item.status))
        if item.status is Status.HIDDEN and item.hidden_reason is not None:
            status = _("Status: not published, because {reason}").format(
                reason=self.hide_reason(item.hidden_reason)
            )
        lines.append(f"<i>{escape(status)}</i>")
        return "\n".join(lines)

    def contributions(self, items: list[Contribution], forms: dict[Kind, Survey | None]) -> Out:
        _ = self._
        if not items:
            text = _(
                "You have not sent any ideas or tips yet. When you do, you can follow them "
                "here: received, seen by the partnership, handled."
            )
            return Out(text, self.menu_button())
        shown = items[:MAX_LISTED]
        parts = ["<b>{}</b>".format(_("My contributions"))]
        parts += [self.contribution(item, forms.get(item.kind)) for item in shown]
        if len(items) > len(shown):
            parts.append(
                self.ngettext(
                    "…and {count} older one.", "…and {count} older ones.", len(items) - len(shown)
                ).format(count=len(items) - len(shown))
            )
        return Out("\n\n".join(parts), self.menu_button())

    def resume_offer(self, survey: Survey, response_id: int, number: int, total: int) -> Out:
        _ = self._
        text = _(
            "You have started “{title}” and got to question {number} of {total}. "
            "Do you want to continue where you were?"
        ).format(title=escape(survey.title.get(self.lang)), number=number, total=total)
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("▶ Continue"), callback_data=f"{RESUME}:{response_id}")],
                [
                    InlineKeyboardButton(
                        _("↺ Start over"), callback_data=f"{RESTART}:{response_id}"
                    )
                ],
            ]
        )
        return Out(text, keyboard)

    def consent_keyboard(self, code: str | None = None) -> InlineKeyboardMarkup:
        other = "en" if self.lang == "sv" else "sv"
        switch = "🇬🇧 In English" if other == "en" else "🇸🇪 På svenska"
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self._("✅ I agree"), callback_data=carry(CONSENT, self.lang, code)
                    )
                ],
                [InlineKeyboardButton(switch, callback_data=carry(LANGUAGE, other, code))],
            ]
        )

    # ---- news and reminders ----
    def announcement(self, survey: Survey, organizer: str | None) -> Out:
        """A campaign has opened: the message each subscriber gets."""
        _ = self._
        title = escape(survey.title.get(self.lang))
        lines = [
            _("📣 New survey from {organizer}: <b>{title}</b>").format(
                organizer=escape(organizer or _("the place partnership")), title=title
            )
        ]
        if survey.intro is not None:
            lines += ["", escape(survey.intro.get(self.lang))]
        if survey.closes is not None:
            lines += [
                "",
                _("Open until {date}.").format(date=escape(i18n.day(survey.closes, self.lang))),
            ]
        buttons = [
            [InlineKeyboardButton(_("✍️ Answer now"), callback_data=f"{SURVEY}:{survey.id}")],
            [InlineKeyboardButton(_("🔕 No more news"), callback_data=f"{SUBSCRIBE}:{NEWS}:off")],
        ]
        return Out("\n".join(lines), InlineKeyboardMarkup(buttons))

    def reminder(self, survey: Survey, response_id: int) -> Out:
        """The one gentle reminder to finish a survey."""
        _ = self._
        text = _(
            "You started “{title}” but have not finished it yet. Your answers so far are "
            "saved, and the rest takes only a minute or two."
        ).format(title=escape(survey.title.get(self.lang)))
        buttons = [
            [InlineKeyboardButton(_("▶ Continue"), callback_data=f"{RESUME}:{response_id}")],
            [
                InlineKeyboardButton(
                    _("No more reminders"), callback_data=f"{SUBSCRIBE}:{REMINDERS}:off"
                )
            ],
        ]
        return Out(text, InlineKeyboardMarkup(buttons))

    def news_offer(self) -> Out:
        """Asked once, right after the privacy notice is accepted."""
        _ = self._
        text = _(
            "Would you like a message when a new survey opens? A few times a year at most, "
            "and you can stop with one tap or /notify."
        )
        buttons = [
            [
                InlineKeyboardButton(_("🔔 Yes, tell me"), callback_data=f"{SUBSCRIBE}:{NEWS}:on"),
                InlineKeyboardButton(_("No, thanks"), callback_data=f"{SUBSCRIBE}:{NEWS}:no"),
            ]
        ]
        return Out(text, InlineKeyboardMarkup(buttons))

    def subscriptions(self, news: bool, reminders: bool) -> Out:
        """What /notify shows: both settings, each switched with one tap."""
        _ = self._
        lines = [
            _("🔔 News of new surveys: <b>on</b>")
            if news
            else _("🔕 News of new surveys: <b>off</b>"),
            _("⏰ A reminder when you leave a survey unfinished: <b>on</b>")
            if reminders
            else _("⏰ A reminder when you leave a survey unfinished: <b>off</b>"),
        ]
        buttons = [
            [
                InlineKeyboardButton(
                    _("Stop news") if news else _("Get news"),
                    callback_data=f"{SUBSCRIBE}:{NEWS}:{'off' if news else 'on'}:{PANEL}",
                )
            ],
            [
                InlineKeyboardButton(
                    _("Stop reminders") if reminders else _("Allow reminders"),
                    callback_data=(
                        f"{SUBSCRIBE}:{REMINDERS}:{'off' if reminders else 'on'}:{PANEL}"
                    ),
                )
            ],
        ]
        return Out("\n".join(lines), InlineKeyboardMarkup(buttons))

    def remove_keyboard(self, text: str) -> Out:
        return Out(text, ReplyKeyboardRemove())


def language_keyboard(code: str | None = None) -> InlineKeyboardMarkup:
    """The two language buttons, each in its own language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Svenska", callback_data=carry(LANGUAGE, "sv", code)),
                InlineKeyboardButton("English", callback_data=carry(LANGUAGE, "en", code)),
            ]
        ]
    )


def carry(prefix: str, lang: str, code: str | None) -> str:
    """Callback data that carries a newcomer's deep-link code through onboarding.

    Keeping the code in the buttons, not the store, is what lets nothing be stored before
    consent. A code too long for Telegram's 64 bytes is dropped: the menu is the fallback.
    """
    data = f"{prefix}:{lang}"
    carried = f"{data}:{code}" if code else data
    return carried if len(carried.encode()) <= CALLBACK_LIMIT else data


def split_carried(data: str) -> tuple[str, str | None]:
    """(language, code) from data made by carry()."""
    parts = data.split(":", 2)
    lang = parts[1] if len(parts) > 1 else ""
    return lang, parts[2] if len(parts) > 2 and parts[2] else None
