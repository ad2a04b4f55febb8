"""Survey definitions: the format organizers write in surveys/*.yaml.

The vocabulary follows XLSForm (select_one, select_multiple, text, note, required, label)
where it fits, with plainer names where XLSForm's are technical (location for geopoint,
photo for image, scale for range). Branching is data (`show_if`), never an expression.

About 600 lines, kept whole: the models are one schema, read together by the JSON Schema
(`bot.py schema`), the loader and the problems' field names, and the survey's validators
(ids, `show_if`, dates, areas) reach across its questions and choices.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.says import N_, Says, SaysError, says

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The languages every text is written in; core.i18n speaks them.
Lang = Literal["sv", "en"]
LANGS: tuple[Lang, ...] = ("sv", "en")
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
SURVEY_ID = r"^[a-z0-9][a-z0-9-]*$"
ID_LIMIT = 32  # a question's, choice's or category's id
SURVEY_ID_LIMIT = 40
DEFAULT_TEXT_LIMIT = 1000
# Telegram allows 4096 characters in a message; a longer answer cannot even arrive whole.
MAX_TEXT_LIMIT = 4000

# How precisely a shared position is stored: a tip sent from home must not reveal the home.
Precision = Literal["exact", "100m", "500m"]
PRECISIONS: tuple[str, ...] = Precision.__args__  # type: ignore[attr-defined]

QuestionType = Literal[
    "select_one", "select_multiple", "scale", "text", "number", "location", "photo", "note"
]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]


def slug(text: str, separator: str) -> str:
    """The start of an id made from a name: 'Åka buss?' -> 'aka_buss' (or 'aka-buss').

    Letters lose their accents and case, and every run of anything else becomes one
    separator; the caller makes it fit its pattern and limit.
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text shown to residents, in both languages: {sv: "...", en: "..."}."""

    model_config = ConfigDict(title="Text in Swedish and English")

    sv: str = Field(min_length=1, title="Swedish", description="The Swedish text.")
    en: str = Field(min_length=1, title="English", description="The English text.")

    def get(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class Choice(Strict):
    """One answer a resident can press: an id for the exports and a label they read."""

    model_config = ConfigDict(title="Choice")

    id: str = Field(
        pattern=IDENTIFIER,
        max_length=ID_LIMIT,
        description="Stays the same in every export and in show_if: lower-case letters, "
        "digits and _, starting with a letter. Changing it later splits the answers in two.",
        examples=["daily", "weekly", "rarely"],
    )
    label: Text = Field(description="What the button says, in both languages.")


class Condition(Strict):
    """Show a question only when an earlier answer is (or is not) one of some values."""

    model_config = ConfigDict(title="Show this question only if")

    question: str = Field(
        description="The id of an earlier select_one, select_multiple, scale or number question.",
        examples=["feel_safe_evening"],
    )
    in_: list[str | int] | None = Field(
        default=None,
        alias="in",
        description="Show the question when the answer is one of these: choice ids, or "
        "numbers for a scale or number question. Use either in or not_in.",
        examples=[[1, 2], ["traffic"]],
    )
    not_in: list[str | int] | None = Field(
        default=None,
        description="Show the question when the answer is none of these. Use either in or not_in.",
        examples=[[0]],
    )

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.in_ is None) == (self.not_in is None):
            raise SaysError(
                says(
                    N_(
                        "show_if needs either 'in' (show it when the answer is one of these) "
                        "or 'not_in' (when it is none of these), like "
                        "show_if: {{question: {question}, in: [1, 2]}}"
                    ),
                    question=self.question,
                )
            )
        return self

    @property
    def values(self) -> list[str | int]:
        return self.in_ if self.in_ is not None else (self.not_in or [])


class BaseQuestion(Strict):
    id: str = Field(
        pattern=IDENTIFIER,
        max_length=ID_LIMIT,
        description="The question's name in exports and in show_if: lower-case letters, "
        "digits and _, starting with a letter, unique in the survey.",
        examples=["feel_safe_evening", "where_unsafe"],
    )
    text: Text = Field(description="The question as residents read it, in both languages.")
    hint: Text | None = Field(
        default=None, description="A short help line shown under the question."
    )
    required: bool = Field(default=True, description="false gives the question a Skip button.")
    show_if: Condition | None = Field(
        default=None,
        description="Ask this question only when an earlier answer is (in) or is not "
        "(not_in) one of some values.",
        examples=[{"question": "feel_safe_evening", "in": [1, 2]}],
    )


class SelectOne(BaseQuestion):
    """Single choice: the resident presses one button."""

    model_config = ConfigDict(title="select_one: one choice")

    type: Literal["select_one"]
    choices: list[Choice] = Field(
        min_length=2, max_length=20, description="2 to 20 choices, each with an id and a label."
    )


class SelectMultiple(BaseQuestion):
    """Multiple choice: the resident ticks buttons, then presses Done."""

    model_config = ConfigDict(title="select_multiple: several choices")

    type: Literal["select_multiple"]
    choices: list[Choice] = Field(
        min_length=2, max_length=20, description="2 to 20 choices, each with an id and a label."
    )
    max_choices: int | None = Field(
        default=None, ge=1, description="The most choices a resident may tick (default: all)."
    )


class Scale(BaseQuestion):
    """A scale: the resident presses a number, e.g. 1 to 5."""

    model_config = ConfigDict(title="scale: a number on a scale")

    type: Literal["scale"]
    min: int = Field(default=1, ge=0, le=1, description="The lowest number: 0 or 1.")
    max: int = Field(default=5, ge=2, le=10, description="The highest number: 2 to 10.")
    min_label: Text | None = Field(
        default=None,
        description="What the lowest number means.",
        examples=[{"sv": "Mycket otrygg", "en": "Very unsafe"}],
    )
    max_label: Text | None = Field(
        default=None,
        description="What the highest number means.",
        examples=[{"sv": "Mycket trygg", "en": "Very safe"}],
    )


class FreeText(BaseQuestion):
    """Free text: the resident writes an answer."""

    model_config = ConfigDict(title="text: a written answer")

    type: Literal["text"]
    max_length: int = Field(
        default=DEFAULT_TEXT_LIMIT,
        ge=1,
        le=MAX_TEXT_LIMIT,
        description=f"The most characters an answer may have (at most {MAX_TEXT_LIMIT}).",
    )


class Number(BaseQuestion):
    """A number the resident writes (3,5 or 3.5)."""

    model_config = ConfigDict(title="number: a written number")

    type: Literal["number"]
    min: float | None = Field(default=None, description="The smallest number accepted.")
    max: float | None = Field(default=None, description="The largest number accepted.")
    integer: bool = Field(
        default=True, description="true: whole numbers only; false: decimals too."
    )

    @model_validator(mode="after")
    def _range(self) -> Number:
        if self.min is not None and self.max is not None and self.min > self.max:
            _fail(
                "min",
                says(
                    N_("'min' ({min}) is larger than 'max' ({max}); are the two swapped?"),
                    min=f"{self.min:g}",
                    max=f"{self.max:g}",
                ),
                relative=True,
            )
        return self


class Location(BaseQuestion):
    """A place: the resident shares a position, picks one on the map, or sends a venue."""

    model_config = ConfigDict(title="location: a place")

    type: Literal["location"]


class Photo(BaseQuestion):
    """A photo the resident sends."""

    model_config = ConfigDict(title="photo: a picture")

    type: Literal["photo"]


class Note(BaseQuestion):
    """A text to read, with a Continue button; it asks nothing."""

    model_config = ConfigDict(title="note: a text to read")

    type: Literal["note"]
    required: bool = Field(default=False, description="A note asks nothing; leave it out.")


Question = Annotated[
    SelectOne | SelectMultiple | Scale | FreeText | Number | Location | Photo | Note,
    Field(discriminator="type"),
]
ChoiceQuestion = SelectOne | SelectMultiple


class Area(Strict):
    """The area a campaign is about, as a box; a place far outside it is refused."""

    model_config = ConfigDict(title="Area (degrees, WGS 84)")

    west: float = Field(ge=-180, le=180, description="Longitude of the west edge.")
    south: float = Field(ge=-90, le=90, description="Latitude of the south edge.")
    east: float = Field(ge=-180, le=180, description="Longitude of the east edge.")
    north: float = Field(ge=-90, le=90, description="Latitude of the north edge.")

    @model_validator(mode="after")
    def _ordered(self) -> Area:
        if self.west >= self.east:
            raise SaysError(
                says(
                    N_(
                        "the area's west ({west}) is not west of its east ({east}): west is "
                        "the smaller longitude; are the two swapped?"
                    ),
                    west=f"{self.west:g}",
                    east=f"{self.east:g}",
                )
            )
        if self.south >= self.north:
            raise SaysError(
                says(
                    N_(
                        "the area's south ({south}) is not south of its north ({north}): "
                        "south is the smaller latitude; are the two swapped?"
                    ),
                    south=f"{self.south:g}",
                    north=f"{self.north:g}",
                )
            )
        return self

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


class Retention(Strict):
    """How long a campaign's answers are kept, and what may stay after."""

    model_config = ConfigDict(title="Retention")

    # Answers are deleted this many days after the response was last changed.
    days: int = Field(
        ge=1,
        le=3650,
        description="Answers are deleted this many days after the response last changed.",
        examples=[180],
    )
    # What stays: "counts" (how many gave each answer, per question: /stats still works)
    # or "nothing".
    keep: Literal["counts", "nothing"] = Field(
        default="counts",
        description="What stays after: counts (how many gave each answer) or nothing.",
    )


class Survey(Strict):
    """One campaign: a survey residents answer in Telegram."""

    model_config = ConfigDict(title="Torget survey")

    id: str = Field(
        pattern=SURVEY_ID,
        max_length=SURVEY_ID_LIMIT,
        description="The campaign's name in links, QR codes and exports: lower-case letters, "
        "digits and -. Keep it once answers come in.",
        examples=["soder-trygghet-2026"],
    )
    title: Text = Field(
        description="The name residents see in the list of surveys.",
        examples=[{"sv": "Trygghet på Söder", "en": "Safety in Söder"}],
    )
    intro: Text | None = Field(default=None, description="Shown before the first question.")
    thanks: Text | None = Field(default=None, description="Shown after the last answer.")
    opens: datetime | None = Field(
        default=None,
        description="When residents can start answering. Without an offset, Stockholm time. "
        "Without opens, the survey is a draft that only an admin can open.",
        examples=["2026-12-01T08:00:00+01:00"],
    )
    closes: datetime | None = Field(
        default=None,
        description="When the survey closes; after opens. Without an offset, Stockholm time.",
        examples=["2027-01-31T23:59:00+01:00"],
    )
    allow_multiple: bool = Field(
        default=False, description="true: a resident may answer more than once."
    )
    # None: the deployment's setting (LOCATION_PRECISION, AREA_BBOX) decides.
    location_precision: Precision | None = Field(
        default=None,
        description="How precisely a shared place is stored: exact, 100m or 500m "
        "(default: the bot's LOCATION_PRECISION).",
    )
    area: Area | None = Field(
        default=None,
        description="A place outside this box is refused (default: the bot's AREA_BBOX).",
        examples=[{"west": 12.60, "south": 55.95, "east": 12.85, "north": 56.15}],
    )
    retention: Retention | None = Field(
        default=None,
        description="Keep answers a shorter time than the bot's RETENTION_DAYS.",
        examples=[{"days": 180, "keep": "counts"}],
    )
    area_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[\w][\w .'/&-]*$",
        description="The part of town the campaign belongs to, e.g. Söder: an organizer "
        "invited for that area sees and runs only its campaigns. Without it, only owners "
        "and organizers of every area see the campaign.",
        examples=["Söder", "Maria Torg"],
    )
    publish_results: bool = Field(
        default=False,
        description="true: everyone may see the results at <WEB_URL>/results/<id>, and the "
        "thanks message links there: the counts per choice (a choice with fewer than 5 "
        "answers says only that) and a map of squares with 5 or more answers. Never the "
        "free texts, photos or who answered.",
    )
    questions: list[Question] = Field(
        min_length=1,
        max_length=100,
        description="The questions, in the order residents get them (1 to 100).",
    )

    @field_validator("opens", "closes")
    @classmethod
    def _stockholm_when_naive(cls, value: datetime | None) -> datetime | None:
        # Organizers write local times; a time without an offset means Stockholm time.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=STOCKHOLM)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        # Every broken rule at once, so an organizer fixes the file in one round.
        found: list[Rule] = []
        if self.opens and self.closes and self.closes <= self.opens:
            _broken(
                found,
                "closes",
                says(
                    N_(
                        "'closes' ({closes}) must come after 'opens' ({opens}); are the dates "
                        "the wrong way round, or is a year wrong?"
                    ),
                    closes=self.closes.isoformat(),
                    opens=self.opens.isoformat(),
                ),
            )
        earlier: dict[str, Any] = {}
        everywhere = [question.id for question in self.questions]
        for index, question in enumerate(self.questions):
            if question.id in earlier:
                first = everywhere.index(question.id) + 1
                _broken(
                    found,
                    ("questions", index, "id"),
                    says(
                        N_(
                            "the id '{id}' is used twice (question {first} has it too); give "
                            "each question its own id"
                        ),
                        id=question.id,
                        first=first,
                    ),
                )
            if isinstance(question, SelectOne | SelectMultiple):
                ids = [choice.id for choice in question.choices]
                for position, choice_id in enumerate(ids):
                    if choice_id in ids[:position]:
                        _broken(
                            found,
                            ("questions", index, "choices", position, "id"),
                            says(
                                N_(
                                    "the choice id '{id}' is used twice in this question "
                                    "(choice {first} has it too); give each choice its own id"
                                ),
                                id=choice_id,
                                first=ids.index(choice_id) + 1,
                            ),
                        )
            if question.show_if is not None:
                found += _check_condition(
                    question.show_if, earlier, everywhere, ("questions", index, "show_if")
                )
            earlier[question.id] = question
        if found:
            _fail_all(found)
        return self

    def state(self, now: datetime) -> CampaignState:
        """Where the campaign is in its life at `now`.

        A file without `opens` is a draft: dropping a file into surveys/ never puts a
        half-written campaign in front of residents; an organizer opens it on purpose.
        """
        if self.opens is None:
            return CampaignState.DRAFT
        if now < self.opens:
            return CampaignState.SCHEDULED
        if self.closes is not None and now >= self.closes:
            return CampaignState.CLOSED
        return CampaignState.OPEN

    def is_open(self, now: datetime) -> bool:
        return self.state(now) is CampaignState.OPEN

    @cached_property
    def questions_by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}

    def question(self, question_id: str) -> Question:
        # A dict, not a scan: exports look a question up for every cell of every row.
        return self.questions_by_id[question_id]


def _fail(at: str | tuple[str | int, ...], message: Says, relative: bool = False) -> None:
    """Raise a validation error that points at a place in the file, not just the survey.

    `at` is a path from the survey's top, or with `relative` from the model that fails.
    """
    where = (at,) if isinstance(at, str) else at
    # The message is passed as context, not as the template, so braces in it stay literal.
    key = "below" if relative else "at"
    raise PydanticCustomError("survey_rule", "{message}", {"message": message, key: where})


# A broken rule of a survey: where in the file (a path from the top) and what is wrong.
Rule = tuple[tuple[str | int, ...], Says]


def _broken(found: list[Rule], at: str | tuple[str | int, ...], message: Says) -> None:
    found.append(((at,) if isinstance(at, str) else at, message))


def _fail_all(found: list[Rule]) -> None:
    """Raise one validation error carrying every broken rule; the loader lists each."""
    (at, message), *more = found
    raise PydanticCustomError(
        "survey_rule", "{message}", {"message": message, "at": at, "more": more}
    )


def _check_condition(
    condition: Condition, earlier: dict[str, Any], everywhere: list[str], at: tuple[Any, ...]
) -> list[Rule]:
    """What is wrong with a show_if, given the questions before it and all the ids."""
    found: list[Rule] = []
    target = earlier.get(condition.question)
    test = "in" if condition.in_ is not None else "not_in"
    if target is None and condition.question in everywhere:
        _broken(
            found,
            (*at, "question"),
            says(
                N_(
                    "show_if refers to '{question}', which is not an earlier question: it "
                    "comes later, and a question can only depend on questions before it "
                    "(move this question below it)"
                ),
                question=condition.question,
            ),
        )
    elif target is None:
        close = difflib.get_close_matches(condition.question, list(earlier), n=1)
        hint = says(N_("; did you mean '{id}'?"), id=close[0]) if close else ""
        _broken(
            found,
            (*at, "question"),
            says(
                N_(
                    "show_if refers to '{question}', which is not an earlier question: "
                    "there is no question with that id{hint}"
                ),
                question=condition.question,
                hint=hint,
            ),
        )
    elif isinstance(target, SelectOne | SelectMultiple):
        known = [choice.id for choice in target.choices]
        for value in condition.values:
            if str(value) not in known:
                _broken(
                    found,
                    (*at, test),
                    says(
                        N_(
                            "'{value}' is not a choice of '{question}': show_if lists choice "
                            "ids, and its choices are {choices}"
                        ),
                        value=value,
                        question=target.id,
                        choices=", ".join(known),
                    ),
                )
    elif isinstance(target, Scale):
        for value in condition.values:
            if not _int_in(value, target.min, target.max):
                _broken(
                    found,
                    (*at, test),
                    says(
                        N_("'{value}' is outside the scale {min}-{max} of '{question}'"),
                        value=value,
                        min=target.min,
                        max=target.max,
                        question=target.id,
                    ),
                )
    elif isinstance(target, Number):
        for value in condition.values:
            if not isinstance(value, int):
                _broken(
                    found,
                    (*at, test),
                    says(
                        N_("'{value}' is not a number, and '{question}' asks for one"),
                        value=value,
                        question=target.id,
                    ),
                )
    else:
        _broken(
            found,
            (*at, "question"),
            says(
                N_(
                    "show_if can only depend on a choice, scale or number question, and "
                    "'{question}' is a {type} question, whose answers cannot be compared"
                ),
                question=target.id,
                type=target.type,
            ),
        )
    return found


def _int_in(value: str | int, low: int, high: int) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False
    return low <= number <= high
