"""Turn the engine's prompts into Telegram text and keyboards, in the resident's language.

Callback data is `a:<response>:<version>:<action>[:<value>]`: the response and version let a
press on an old message be recognised as stale; everything fits Telegram's 64 bytes because
ids are short (survey ids 40, question and choice ids 32 characters at most).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from babel.dates import format_date
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
    STATUS_LABELS,
    Contribution,
    HideReason,
    Kind,
    Place,
    Status,
    TimeOfDay,
)
from core.counts import Counts
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
from core.i18n import Lang
from core.loop import (
    RESPONSIBLE_LABELS,
    THEME_LABELS,
    Priority,
    Responsible,
    SaferAnswer,
    Theme,
    TimeBand,
)
from core.public import results_url
from core.survey import (
    Location,
    Question,
    Scale,
    SelectOne,
    Survey,
)
from core.texts import Button, QuestionText, SurveyTexts
from core.walks import WALK_CATEGORY_LABELS
from handlers.buttons import (
    CONSENT,
    LANGUAGE,
    MENU,
    MINE,
    NEWS,
    REMINDERS,
    WRITE,
    answer_data,
    carry,
    contribute_data,
    restart_data,
    resume_data,
    subscribe_data,
    survey_data,
)
from handlers.context import Ctx
from handlers.reply import Reply

# "My contributions" lists this many, newest first; a message holds 4096 characters.
MAX_LISTED = 15
WALK_LABELS = {category.value: label for category, label in WALK_CATEGORY_LABELS.items()}

# The fields of a button in the PTB this was written for; if a newer PTB has others, the
# Keyboard below leaves every button to PTB, so nothing it would send is ever left out.
_BUTTON_FIELDS = {
    "callback_data",
    "callback_game",
    "copy_text",
    "icon_custom_emoji_id",
    "login_url",
    "pay",
    "style",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "text",
    "url",
    "web_app",
}
_KNOWN_BUTTONS = set(InlineKeyboardButton.__slots__) == _BUTTON_FIELDS


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that turns itself into JSON without PTB's generic walk.

    Every question sends one; PTB's to_dict takes about 240 µs for seven buttons, this about
    4 µs, for the same dict (tests/test_render.py compares them).
    """

    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return {"inline_keyboard": [[_button(b) for b in row] for row in self.inline_keyboard]}


def _button(button: InlineKeyboardButton) -> dict[str, Any]:
    # A button with callback data has no other kind (Bot API: exactly one of them is set).
    if (
        _KNOWN_BUTTONS
        and isinstance(button.callback_data, str)
        and button.style is None
        and button.icon_custom_emoji_id is None
        and not button.api_kwargs
    ):
        return {"text": button.text, "callback_data": button.callback_data}
    return button.to_dict()


class Renderer:
    """Everything a resident reads in one language."""

    def __init__(
        self,
        translations: NullTranslations,
        lang: str,
        places: Sequence[Place] = (),
        web_url: str | None = None,
    ) -> None:
        self.lang = lang
        # The web view's address (WEB_URL): the thanks of a campaign with publish_results
        # links to its public results there. None: no web view, no link.
        self.web_url = web_url
        self._ = translations.gettext
        self.ngettext = translations.ngettext
        self.counts = Counts(translations, lang)
        # The survey's words are shared with the terminal preview; this adds HTML and buttons.
        self.texts = SurveyTexts(translations, lang, places)

    # ---- the survey ----
    def step(self, survey: Survey, step: Step, response_id: int) -> list[Reply]:
        """The problem (if any) and then the prompt of an engine step."""
        messages: list[Reply] = []
        if step.problem is not None:
            messages.append(Reply(self.problem(step.problem, step.detail)))
        messages.extend(self.prompt(survey, step.prompt, response_id, step.session.version))
        return messages

    def prompt(
        self, survey: Survey, prompt: Prompt, response_id: int, version: int
    ) -> list[Reply]:
        if isinstance(prompt, QuestionPrompt):
            return [self.question(prompt, response_id, version)]
        if isinstance(prompt, ReviewPrompt):
            return [self.review(prompt, response_id, version)]
        if isinstance(prompt, ChangePrompt):
            return [self.change(prompt, response_id, version)]
        return [self.finished(prompt)]

    def intro(self, survey: Survey) -> Reply:
        title, *rest = self.texts.intro(survey)
        return Reply("\n\n".join([f"<b>{escape(title)}</b>", *(escape(p) for p in rest)]))

    def question(self, prompt: QuestionPrompt, response_id: int, version: int) -> Reply:
        shown = self.texts.question(prompt)
        lines = [shown.progress] if shown.progress else []
        lines.append(f"<b>{escape(shown.text)}</b>")
        if shown.hint:
            lines.append(f"<i>{escape(shown.hint)}</i>")
        if shown.guidance:
            lines.append(f"<i>{escape(shown.guidance)}</i>")
        if shown.so_far:
            lines.append(escape(shown.so_far))
        text = "\n".join(lines)

        def button(pressed: Button) -> InlineKeyboardButton:
            data = answer_data(response_id, version, pressed.action, pressed.value)
            return InlineKeyboardButton(pressed.label, callback_data=data)

        if isinstance(prompt.question, Location):
            return Reply(text, self._location_keyboard(shown))
        rows: list[list[InlineKeyboardButton]] = []
        if isinstance(prompt.question, Scale):
            rows.append([button(choice) for choice in shown.choices])
        else:
            rows.extend([button(choice)] for choice in shown.choices)
        if shown.finish:
            rows.append([button(shown.finish)])
        if shown.navigation:
            rows.append([button(pressed) for pressed in shown.navigation])
        return Reply(text, Keyboard(rows) if rows else None)

    def _location_keyboard(self, shown: QuestionText) -> ReplyKeyboardMarkup:
        # Sharing a position only works from a reply keyboard, so Back and Skip live there
        # too (as text the handler recognises) instead of in an inline keyboard.
        rows = [[KeyboardButton(self.share_location_label(), request_location=True)]]
        if shown.navigation:
            rows.append([KeyboardButton(pressed.label) for pressed in shown.navigation])
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=False)

    def share_location_label(self) -> str:
        return self.texts.share_location_label()

    def back_label(self) -> str:
        return self.texts.back_label()

    def skip_label(self) -> str:
        return self.texts.skip_label()

    def keep_label(self) -> str:
        return self.texts.keep_label()

    def answer(self, question: Question, value: Answer) -> str:
        """An answer as the resident recognises it, for the summary."""
        return self.texts.answer(question, value)

    def review(self, prompt: ReviewPrompt, response_id: int, version: int) -> Reply:
        shown = self.texts.review(prompt)
        lines = [f"<b>{escape(shown.title)}</b>"]
        for number, question, answer in shown.items:
            lines.append(f"{number}. {escape(question)}\n   → {escape(answer)}")
        lines.append(escape(shown.question))
        keyboard = Keyboard(
            [
                [
                    InlineKeyboardButton(
                        pressed.label,
                        callback_data=answer_data(response_id, version, pressed.action),
                    )
                ]
                for pressed in shown.buttons
            ]
        )
        return Reply("\n".join(lines), keyboard)

    def change(self, prompt: ChangePrompt, response_id: int, version: int) -> Reply:
        shown = self.texts.change(prompt)
        rows = []
        for number, question in shown.items:
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
        back = shown.back
        rows.append(
            [
                InlineKeyboardButton(
                    back.label, callback_data=answer_data(response_id, version, back.action)
                )
            ]
        )
        return Reply(shown.title, Keyboard(rows))

    def finished(self, prompt: FinishedPrompt) -> Reply:
        return Reply(self.thanks(prompt.survey), self.menu_button())

    def thanks(self, survey: Survey) -> str:
        """The campaign's thanks (HTML), and with publish_results a link to its public
        results when the web view is set up."""
        text = escape(self.texts.thanks(survey))
        if survey.publish_results and self.web_url:
            link = results_url(self.web_url, survey.id)
            # A bare address: Telegram makes it a link, and it reads the same when copied.
            text += "\n\n" + self._("See what residents have answered so far: {link}").format(
                link=escape(link)
            )
        return text

    def problem(self, problem: Problem, values: Mapping[str, Any]) -> str:
        return self.texts.problem(problem, values)

    # ---- around the survey ----
    def menu_button(self) -> InlineKeyboardMarkup:
        return Keyboard([[InlineKeyboardButton(self._("☰ Main menu"), callback_data=MENU)]])

    def menu(
        self,
        surveys: list[Survey],
        answered: Collection[str] = (),
        started: Collection[str] = (),
    ) -> Reply:
        """The open surveys, each marked when the resident has answered (✓) or started (▶)
        it, and said so in the text too: a button alone is easy to misread on a phone."""
        _ = self._
        rows: list[list[InlineKeyboardButton]] = []
        marks: list[str] = []
        for survey in surveys:
            title = survey.title.get(self.lang)
            if survey.id in started:
                label = f"▶ {title}"
                note = _("▶ You have started “{title}”: press it to continue where you were.")
            elif survey.id in answered:
                label = f"✓ {title}"
                note = (
                    _("✓ You have answered “{title}”. You may answer it again.")
                    if survey.allow_multiple
                    else _("✓ You have answered “{title}”. Thank you!")
                )
            else:
                label, note = title, ""
            if note:
                marks.append(note.format(title=escape(title)))
            rows.append([InlineKeyboardButton(label, callback_data=survey_data(survey.id))])
        rows += [
            [InlineKeyboardButton(self.idea_label(), callback_data=contribute_data(Kind.IDEA))],
            [InlineKeyboardButton(self.tip_label(), callback_data=contribute_data(Kind.TIP))],
            [InlineKeyboardButton(_("📋 My contributions"), callback_data=contribute_data(MINE))],
        ]
        if not surveys:
            text = _(
                "There is no open survey right now, but you can always share an idea or "
                "report a place that feels unsafe."
            )
        elif all(s.id in answered and s.id not in started for s in surveys):
            text = _(
                "Thank you: you have answered the open surveys. You can still share an idea "
                "or a tip."
            )
        else:
            text = _("What would you like to answer? You can also share an idea or a tip.")
        return Reply("\n\n".join([text, "\n".join(marks)]) if marks else text, Keyboard(rows))

    def idea_label(self) -> str:
        return self._("💡 Share an idea")

    def tip_label(self) -> str:
        return self._("🔦 Report a safety concern")

    # ---- ideas and tips ----
    def status(self, status: Status) -> str:
        return self._(STATUS_LABELS[status])

    def time_of_day(self, when: TimeOfDay) -> str:
        _ = self._
        return {
            TimeOfDay.DAY: _("in the daytime"),
            TimeOfDay.EVENING: _("in the evening"),
            TimeOfDay.NIGHT: _("at night"),
            TimeOfDay.ALWAYS: _("always"),
        }[when]

    # A reason to hide is shown in three places, each needing its own grammar: a clause after
    # "because" (to the resident), a button label and a status line (to the organizer).
    def hide_reason(self, reason: HideReason) -> str:
        """The reason as a clause that follows "because …", as the resident is told it."""
        _ = self._
        return {
            HideReason.OFF_TOPIC: _("it is not about the area"),
            HideReason.PERSONAL_DATA: _("it contained personal information"),
            HideReason.OFFENSIVE: _("it was offensive"),
            HideReason.DUPLICATE: _("the same thing had already been reported"),
        }[reason]

    def hide_reason_label(self, reason: HideReason) -> str:
        """The button an organizer presses to hide for this reason."""
        _ = self._
        return {
            HideReason.OFF_TOPIC: _("Not about the area"),
            HideReason.PERSONAL_DATA: _("Contains personal information"),
            HideReason.OFFENSIVE: _("Offensive"),
            HideReason.DUPLICATE: _("Already reported"),
        }[reason]

    def hidden_note(self, reason: HideReason) -> str:
        """What the card says once it has been hidden for this reason."""
        _ = self._
        return {
            HideReason.OFF_TOPIC: _("Hidden: not about the area"),
            HideReason.PERSONAL_DATA: _("Hidden: contains personal information"),
            HideReason.OFFENSIVE: _("Hidden: offensive"),
            HideReason.DUPLICATE: _("Hidden: already reported"),
        }[reason]

    def kind(self, kind: Kind) -> str:
        if kind is Kind.FINDING:
            return self._("🚶 Walk finding")
        return self._("💡 Idea") if kind is Kind.IDEA else self._("🔦 Safety tip")

    # ---- closing the loop (issue 21): triage and Purple Flag, as a card shows them ----
    def responsible(self, who: Responsible) -> str:
        """Who is to act, as a button and after "Responsible:" on a card."""
        return self._(RESPONSIBLE_LABELS[who])

    def priority(self, priority: Priority) -> str:
        _ = self._
        return {
            Priority.HIGH: _("High"),
            Priority.MEDIUM: _("Medium"),
            Priority.LOW: _("Low"),
        }[priority]

    def theme(self, theme: Theme) -> str:
        """Purple Flag's five themes, short enough for a button."""
        return self._(THEME_LABELS[theme])

    def date(self, day: date) -> str:
        """A day without a time (a deadline) as people write it: 15 jan. 2027."""
        return format_date(day, "d MMM yyyy", locale=i18n.locale(self.lang))

    def time_band(self, band: TimeBand) -> str:
        """17–20, 20–23, 23–02, 02–05: hours, the same in Swedish and English."""
        return band.value.replace("-", "–")

    def category(self, form: Survey | None, category_id: str) -> str:
        """A category's label from the form, or its id when the list has changed since."""
        if form is not None:
            question = form.question(CATEGORY)
            if isinstance(question, SelectOne):
                for choice in question.choices:
                    if choice.id == category_id:
                        return choice.label.get(self.lang)
        if category_id in WALK_LABELS:  # a walk finding's (core.walks), which has no form
            return self._(WALK_LABELS[category_id])
        return category_id

    def place(self, item: Contribution) -> str:
        if item.lat is None or item.lon is None:
            return ""
        return self.texts.place(item.lat, item.lon, item.place_name)

    def contribution(self, item: Contribution, form: Survey | None) -> str:
        """One idea or tip as its sender sees it in "My contributions"."""
        _ = self._
        assert item.created_at is not None
        category = self.category(form, item.category)
        head = f"{self.kind(item.kind)} · {category} · {i18n.day(item.created_at, self.lang)}"
        text = item.text if len(item.text) <= 160 else item.text[:159] + "…"
        # The quotation marks are the language's own (”…” in Swedish), so they are translated.
        lines = [f"<b>{escape(head)}</b>", _("“{text}”").format(text=escape(text))]
        place = self.place(item)
        if place:
            lines.append(f"📍 {escape(place)}")
        status = _("Status: {status}").format(status=self.status(item.status))
        if item.status is Status.HIDDEN and item.hidden_reason is not None:
            status = _("Status: not published, because {reason}").format(
                reason=self.hide_reason(item.hidden_reason)
            )
        elif item.status is Status.WONT_FIX and item.status_reason:
            status += " — " + item.status_reason
        lines.append(f"<i>{escape(status)}</i>")
        return "\n".join(lines)

    def contributions(self, items: list[Contribution], forms: dict[Kind, Survey | None]) -> Reply:
        _ = self._
        if not items:
            text = _(
                "You have not sent any ideas or tips yet. When you do, you can follow them "
                "here: received, seen by the partnership, handled."
            )
            return Reply(text, self.menu_button())
        shown = items[:MAX_LISTED]
        parts = ["<b>{}</b>".format(_("My contributions"))]
        parts += [self.contribution(item, forms.get(item.kind)) for item in shown]
        if len(items) > len(shown):
            parts.append(self.counts.older(len(items) - len(shown)))
        return Reply("\n\n".join(parts), self.menu_button())

    def resume_offer(
        self, survey: Survey, response_id: int, prompt: Prompt, version: int | None = None
    ) -> Reply:
        """Offer to continue, saying where the resident got to as the questions say it.

        `version`: the response's version the offer was drawn for, so that a second tap on
        Continue (before the buttons are gone) is known as one and sends nothing twice.
        """
        _ = self._
        if isinstance(prompt, QuestionPrompt) and prompt.exact:
            text = _(
                "You have started “{title}” and got to question {number} of {total}. "
                "Do you want to continue where you were?"
            )
        elif isinstance(prompt, QuestionPrompt):
            text = _(
                "You have started “{title}” and got to question {number} of at most {total}. "
                "Do you want to continue where you were?"
            )
        else:
            text = _(
                "You have started “{title}” and answered every question: all that is left "
                "is to send your answers. Do you want to continue where you were?"
            )
        number, total = (
            (prompt.number, prompt.total) if isinstance(prompt, QuestionPrompt) else (0, 0)
        )
        text = text.format(title=escape(survey.title.get(self.lang)), number=number, total=total)
        keyboard = Keyboard(
            [
                [
                    InlineKeyboardButton(
                        _("▶ Continue"), callback_data=resume_data(response_id, version)
                    )
                ],
                [InlineKeyboardButton(_("↺ Start over"), callback_data=restart_data(response_id))],
            ]
        )
        return Reply(text, keyboard)

    def consent_keyboard(self, code: str | None = None) -> InlineKeyboardMarkup:
        other = "en" if self.lang == "sv" else "sv"
        switch = "🇬🇧 In English" if other == "en" else "🇸🇪 På svenska"
        return Keyboard(
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
    def announcement(self, survey: Survey, organizer: str | None) -> Reply:
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
            [InlineKeyboardButton(_("✍️ Answer now"), callback_data=survey_data(survey.id))],
            [
                InlineKeyboardButton(
                    _("🔕 No more news"), callback_data=subscribe_data(NEWS, "off")
                )
            ],
        ]
        return Reply("\n".join(lines), Keyboard(buttons))

    def reminder(self, survey: Survey, response_id: int) -> Reply:
        """The one gentle reminder to finish a survey."""
        _ = self._
        text = _(
            "You started “{title}” but have not finished it yet. Your answers so far are "
            "saved, and the rest takes only a minute or two."
        ).format(title=escape(survey.title.get(self.lang)))
        buttons = [
            [InlineKeyboardButton(_("▶ Continue"), callback_data=resume_data(response_id))],
            [
                InlineKeyboardButton(
                    _("No more reminders"), callback_data=subscribe_data(REMINDERS, "off")
                )
            ],
        ]
        return Reply(text, Keyboard(buttons))

    def news_offer(self) -> Reply:
        """Asked once, right after the privacy notice is accepted: every message Torget
        might send unasked, in one question, so that "no" means none of them."""
        _ = self._
        text = _(
            "May I write to you now and then?\n"
            "• when a new survey opens\n"
            "• once, if you leave a survey unfinished\n"
            "If you say no, I only answer when you write to me. /notify changes it at any time."
        )
        buttons = [
            [
                InlineKeyboardButton(
                    _("🔔 Yes, tell me"), callback_data=subscribe_data(WRITE, "on")
                ),
                InlineKeyboardButton(_("No, thanks"), callback_data=subscribe_data(WRITE, "no")),
            ]
        ]
        return Reply(text, Keyboard(buttons))

    def subscriptions(self, news: bool, reminders: bool) -> Reply:
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
                    callback_data=subscribe_data(NEWS, "off" if news else "on", panel=True),
                )
            ],
            [
                InlineKeyboardButton(
                    _("Stop reminders") if reminders else _("Allow reminders"),
                    callback_data=subscribe_data(
                        REMINDERS, "off" if reminders else "on", panel=True
                    ),
                )
            ],
        ]
        return Reply("\n".join(lines), Keyboard(buttons))

    def remove_keyboard(self, text: str) -> Reply:
        return Reply(text, ReplyKeyboardRemove())

    # ---- closing the loop: "does it feel safer now?" (handlers/followup.py) ----
    def safer_answer(self, answer: SaferAnswer) -> str:
        """An answer to "does it feel safer now?" as its button says it."""
        _ = self._
        return {
            SaferAnswer.YES: _("Yes"),
            SaferAnswer.SOMEWHAT: _("Somewhat"),
            SaferAnswer.NO: _("No"),
            SaferAnswer.NOT_FIXED: _("It is not fixed"),
        }[answer]

    def safer_summary(self, answers: Mapping[SaferAnswer, int]) -> str:
        """What residents answered after a fix, for an organizer's card (storage's
        safer_counts of one contribution): "" when nobody has answered yet."""
        given = [f"{self.safer_answer(a)}: {answers[a]}" for a in SaferAnswer if answers.get(a)]
        if not given:
            return ""
        return self._("Feels safer now? {answers}").format(answers=" · ".join(given))


def excerpt(text: str, limit: int = 80) -> str:
    """A resident's text quoted in a message about it: whole, or cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def language_keyboard(code: str | None = None) -> InlineKeyboardMarkup:
    """The two language buttons, each in its own language."""
    return Keyboard(
        [
            [
                InlineKeyboardButton("Svenska", callback_data=carry(LANGUAGE, "sv", code)),
                InlineKeyboardButton("English", callback_data=carry(LANGUAGE, "en", code)),
            ]
        ]
    )


def renderer(context: Ctx, lang: Lang | None) -> Renderer:
    """The renderer in this language (Swedish when none is known), with today's places."""
    chosen = lang or "sv"
    places = context.services.campaigns.places()
    web_url = context.services.settings.web_url
    return Renderer(context.services.catalogs.get(chosen), chosen, places, web_url)
