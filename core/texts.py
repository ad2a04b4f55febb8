"""What a resident reads in a survey, as plain translated text and labelled buttons.

One place for the words, so every front end says the same thing: handlers/render.py wraps
them in Telegram's HTML and keyboards, the terminal preview (authoring/preview.py) prints
them. Survey texts come from the survey in the chosen language, interface texts through the
gettext catalogs. Nothing here is escaped or marked up; that is the front end's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations

from core import i18n
from core.contributions import Place
from core.counts import Counts
from core.engine import (
    Action,
    Answer,
    ChangePrompt,
    Problem,
    QuestionPrompt,
    ReviewPrompt,
    most_questions,
)
from core.places import describe
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


@dataclass(frozen=True)
class Button:
    """A button: what it says, and what pressing it tells the engine."""

    label: str
    action: Action
    value: str = ""


@dataclass(frozen=True)
class QuestionText:
    """One question as the resident reads it; parts that do not apply are None or empty."""

    progress: str | None  # "Question 2 of 7", "Question 2 of at most 9"; a note has none
    text: str
    hint: str | None
    guidance: str | None  # how to answer: "Choose up to 3, then press Done."
    so_far: str | None  # the answer given before, when the resident came back
    choices: tuple[Button, ...]  # the choices or the scale's numbers, the chosen ones marked
    finish: Button | None  # Done on a multiple choice, Continue on a note
    navigation: tuple[Button, ...]  # Back, Keep answer, Skip: what this question offers


@dataclass(frozen=True)
class ReviewText:
    """The summary before sending: numbered questions with the answers given."""

    title: str
    items: tuple[tuple[int, str, str], ...]  # (number, question, answer)
    question: str
    buttons: tuple[Button, ...]  # Send, Change an answer


@dataclass(frozen=True)
class ChangeText:
    """The list of questions whose answer can be changed, numbered as in the summary."""

    title: str
    items: tuple[tuple[int, Question], ...]
    back: Button  # back to the summary, changing nothing


class SurveyTexts:
    """The survey's words in one language."""

    def __init__(
        self, translations: NullTranslations, lang: str, places: Sequence[Place] = ()
    ) -> None:
        self.lang = lang
        self.translations = translations
        self._ = translations.gettext
        self.ngettext = translations.ngettext
        # The organizers' named places (places.yaml): a shared position near one is named.
        self.places = places
        self.counts = Counts(translations, lang)

    def intro(self, survey: Survey) -> list[str]:
        """The paragraphs a survey opens with: title, the organizer's intro, its length."""
        paragraphs = [survey.title.get(self.lang)]
        if survey.intro:
            paragraphs.append(survey.intro.get(self.lang))
        count, exact = most_questions(survey)
        if exact:
            length = self.ngettext(
                "{count} question. You can pause at any time and continue later.",
                "{count} questions. You can pause at any time and continue later.",
                count,
            )
        else:
            # The same number as every question's "of at most": some are only asked after
            # certain answers, so a resident may well meet fewer, never more.
            length = self.ngettext(
                "At most {count} question, depending on your answers. You can pause at any "
                "time and continue later.",
                "At most {count} questions, depending on your answers. You can pause at any "
                "time and continue later.",
                count,
            )
        paragraphs.append(length.format(count=count))
        return paragraphs

    def progress(self, prompt: QuestionPrompt) -> str:
        """Where the resident is: a number that only moves on, of a total that never moves."""
        if prompt.exact:
            text = self._("Question {number} of {total}")
        else:
            text = self._("Question {number} of at most {total}")
        return text.format(number=prompt.number, total=prompt.total)

    def question(self, prompt: QuestionPrompt) -> QuestionText:
        _ = self._
        question = prompt.question
        progress = None if isinstance(question, Note) else self.progress(prompt)
        so_far = None
        if prompt.answered and not isinstance(question, Note | SelectMultiple):
            so_far = _("Your answer so far: {answer}").format(
                answer=self.answer(question, prompt.answer)
            )
        return QuestionText(
            progress=progress,
            text=question.text.get(self.lang),
            hint=question.hint.get(self.lang) if question.hint else None,
            guidance=self.guidance(question) or None,
            so_far=so_far,
            choices=self._choices(prompt),
            finish=self._finish(question),
            navigation=self._navigation(prompt),
        )

    def _choices(self, prompt: QuestionPrompt) -> tuple[Button, ...]:
        question = prompt.question
        if isinstance(question, SelectOne):
            return tuple(
                Button(
                    f"✓ {choice.label.get(self.lang)}"
                    if prompt.answer == choice.id
                    else choice.label.get(self.lang),
                    Action.CHOOSE,
                    choice.id,
                )
                for choice in question.choices
            )
        if isinstance(question, Scale):
            return tuple(
                Button(
                    f"✓ {value}" if prompt.answer == value else str(value),
                    Action.CHOOSE,
                    str(value),
                )
                for value in range(question.min, question.max + 1)
            )
        if isinstance(question, SelectMultiple):
            return tuple(
                Button(
                    f"✅ {choice.label.get(self.lang)}",
                    Action.UNTICK,
                    choice.id,
                )
                if choice.id in prompt.draft
                else Button(f"▫️ {choice.label.get(self.lang)}", Action.TICK, choice.id)
                for choice in question.choices
            )
        return ()

    def _finish(self, question: Question) -> Button | None:
        if isinstance(question, SelectMultiple):
            return Button(self.done_label(), Action.DONE)
        if isinstance(question, Note):
            return Button(self.continue_label(), Action.NEXT)
        return None

    def _navigation(self, prompt: QuestionPrompt) -> tuple[Button, ...]:
        question = prompt.question
        back = Button(self.back_label(), Action.BACK) if prompt.can_go_back else None
        keep = Button(self.keep_label(), Action.NEXT)
        skip = Button(self.skip_label(), Action.SKIP)
        if isinstance(question, Location):
            # A location's answer may be kept too; its buttons sit on the reply keyboard.
            offered = [
                back,
                skip if not question.required else None,
                keep if prompt.answered else None,
            ]
        else:
            offered = [
                back,
                keep
                if prompt.answered and isinstance(question, FreeText | Number | Photo)
                else None,
                skip
                if not question.required and not isinstance(question, Note | SelectMultiple)
                else None,
            ]
        return tuple(button for button in offered if button is not None)

    def share_location_label(self) -> str:
        return self._("📍 Share my location")

    def back_label(self) -> str:
        return self._("⬅ Back")

    def skip_label(self) -> str:
        return self._("Skip")

    def keep_label(self) -> str:
        return self._("Keep answer")

    def back_to_summary_label(self) -> str:
        return self._("⬅ Back to the summary")

    def done_label(self) -> str:
        return self._("Done ✔")

    def continue_label(self) -> str:
        return self._("Continue ➜")

    def send_label(self) -> str:
        return self._("✅ Send answers")

    def change_label(self) -> str:
        return self._("✏️ Change an answer")

    def guidance(self, question: Question) -> str:
        """How to answer this kind of question; empty when the question says it all."""
        _ = self._
        if isinstance(question, Scale):
            low = question.min_label.get(self.lang) if question.min_label else ""
            high = question.max_label.get(self.lang) if question.max_label else ""
            if low and high:
                return f"{question.min} = {low} · {question.max} = {high}"
            return ""
        if isinstance(question, SelectMultiple):
            if question.max_choices:
                return _("Choose up to {count}, then press Done.").format(
                    count=question.max_choices
                )
            return _("Choose all that apply, then press Done.")
        if isinstance(question, FreeText):
            return self.counts.characters(question.max_length)
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
            return "📍 " + self.place(value["lat"], value["lon"], value.get("name"))
        if isinstance(question, Photo):
            return _("📷 a photo")
        text = str(value)
        return text if len(text) <= 120 else text[:119] + "…"

    def place(self, lat: float, lon: float, name: str | None = None) -> str:
        """A place as it reads everywhere: its name, near a named place, or coordinates."""
        return describe(lat, lon, self.lang, self.translations, self.places, name)

    def review(self, prompt: ReviewPrompt) -> ReviewText:
        _ = self._
        return ReviewText(
            title=_("Your answers"),
            items=tuple(
                (number, question.text.get(self.lang), self.answer(question, value))
                for number, (question, value) in enumerate(prompt.items, start=1)
            ),
            question=_("Is this right? Send your answers, or change one."),
            buttons=(
                Button(self.send_label(), Action.CONFIRM),
                Button(self.change_label(), Action.CHANGE),
            ),
        )

    def change(self, prompt: ChangePrompt) -> ChangeText:
        # Numbered as in the summary, which leaves notes out.
        questions = [q for q in prompt.questions if not isinstance(q, Note)]
        return ChangeText(
            title=self._("Which answer do you want to change?"),
            items=tuple(enumerate(questions, start=1)),
            back=Button(self.back_to_summary_label(), Action.SUMMARY),
        )

    def thanks(self, survey: Survey) -> str:
        if survey.thanks:
            return survey.thanks.get(self.lang)
        return self._("Thank you! Your answers have been saved.")

    def problem(self, problem: Problem, values: Mapping[str, Any]) -> str:
        """What the resident is told when the engine refuses what they sent."""
        _ = self._
        limit = values.get("limit")
        shown_limit = (
            i18n.number(float(limit), self.lang) if isinstance(limit, int | float) else ""
        )
        messages = {
            Problem.STALE: _("That button belongs to an earlier question. Here is where you are:"),
            # A toast for a double tap: the first tap did it, nothing else happens.
            Problem.REPEATED: _("Got it already ✓"),
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
            Problem.TOO_LONG: self.counts.too_long(
                int(values.get("length", 0)), int(limit) if isinstance(limit, int | float) else 0
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
            Problem.IMAGE_AS_FILE: _(
                "Please send the picture as a photo instead (📎 → Photo, not “as a file”). "
                "A file keeps hidden details such as where the picture was taken; a photo does "
                "not. Nothing of the file was saved."
            ),
            Problem.FORWARDED: _(
                "Please write your answer yourself: forwarded messages are not taken, since "
                "they can hold other people's words."
            ),
            Problem.ALBUM: _("Please send one photo at a time: I only keep one here."),
        }
        return messages[problem]
