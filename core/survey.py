"""Survey definitions: the format organizers write in surveys/*.yaml.

The vocabulary follows XLSForm (select_one, select_multiple, text, note, required, label)
where it fits, with plainer names where XLSForm's are technical (location for geopoint,
photo for image, scale for range). Branching is data (`show_if`), never an expression.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LANGUAGES = ("sv", "en")
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
SURVEY_ID = r"^[a-z0-9][a-z0-9-]*$"
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


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text shown to residents, in both languages."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class Choice(Strict):
    id: str = Field(pattern=IDENTIFIER, max_length=32)
    label: Text


class Condition(Strict):
    """Show a question only when an earlier answer is (or is not) one of some values."""

    question: str
    in_: list[str | int] | None = Field(default=None, alias="in")
    not_in: list[str | int] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("show_if needs exactly one of 'in' or 'not_in'")
        return self

    @property
    def values(self) -> list[str | int]:
        return self.in_ if self.in_ is not None else (self.not_in or [])


class BaseQuestion(Strict):
    id: str = Field(pattern=IDENTIFIER, max_length=32)
    text: Text
    hint: Text | None = None
    required: bool = True
    show_if: Condition | None = None


class SelectOne(BaseQuestion):
    type: Literal["select_one"]
    choices: list[Choice] = Field(min_length=2, max_length=20)


class SelectMultiple(BaseQuestion):
    type: Literal["select_multiple"]
    choices: list[Choice] = Field(min_length=2, max_length=20)
    max_choices: int | None = Field(default=None, ge=1)


class Scale(BaseQuestion):
    type: Literal["scale"]
    min: int = Field(default=1, ge=0, le=1)
    max: int = Field(default=5, ge=2, le=10)
    min_label: Text | None = None
    max_label: Text | None = None


class FreeText(BaseQuestion):
    type: Literal["text"]
    max_length: int = Field(default=DEFAULT_TEXT_LIMIT, ge=1, le=MAX_TEXT_LIMIT)


class Number(BaseQuestion):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = True

    @model_validator(mode="after")
    def _range(self) -> Number:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is larger than 'max'")
        return self


class Location(BaseQuestion):
    type: Literal["location"]


class Photo(BaseQuestion):
    type: Literal["photo"]


class Note(BaseQuestion):
    type: Literal["note"]
    required: bool = False


Question = Annotated[
    SelectOne | SelectMultiple | Scale | FreeText | Number | Location | Photo | Note,
    Field(discriminator="type"),
]
ChoiceQuestion = SelectOne | SelectMultiple


class Area(Strict):
    """The area a campaign is about, as a box; a place far outside it is refused."""

    west: float = Field(ge=-180, le=180)
    south: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)

    @model_validator(mode="after")
    def _ordered(self) -> Area:
        if self.west >= self.east or self.south >= self.north:
            raise ValueError("the area needs west < east and south < north")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


class Retention(Strict):
    """How long a campaign's answers are kept, and what may stay after."""

    # Answers are deleted this many days after the response was last changed.
    days: int = Field(ge=1, le=3650)
    # What stays: "counts" (how many gave each answer, per question: /stats still works)
    # or "nothing".
    keep: Literal["counts", "nothing"] = "counts"


class Survey(Strict):
    id: str = Field(pattern=SURVEY_ID, max_length=40)
    title: Text
    intro: Text | None = None
    thanks: Text | None = None
    opens: datetime | None = None
    closes: datetime | None = None
    allow_multiple: bool = False
    # None: the deployment's setting (LOCATION_PRECISION, AREA_BBOX) decides.
    location_precision: Precision | None = None
    area: Area | None = None
    retention: Retention | None = None
    questions: list[Question] = Field(min_length=1, max_length=100)

    @field_validator("opens", "closes")
    @classmethod
    def _stockholm_when_naive(cls, value: datetime | None) -> datetime | None:
        # Organizers write local times; a time without an offset means Stockholm time.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=STOCKHOLM)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        if self.opens and self.closes and self.closes <= self.opens:
            _fail(
                "closes",
                f"'closes' ({self.closes.isoformat()}) must come after "
                f"'opens' ({self.opens.isoformat()})",
            )
        earlier: dict[str, Any] = {}
        for index, question in enumerate(self.questions):
            if question.id in earlier:
                _fail(("questions", index, "id"), f"the id '{question.id}' is used twice")
            if isinstance(question, SelectOne | SelectMultiple):
                ids = [choice.id for choice in question.choices]
                for position, choice_id in enumerate(ids):
                    if choice_id in ids[:position]:
                        _fail(
                            ("questions", index, "choices", position, "id"),
                            f"the choice id '{choice_id}' is used twice",
                        )
            if question.show_if is not None:
                _check_condition(question.show_if, earlier, ("questions", index, "show_if"))
            earlier[question.id] = question
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


def _fail(at: str | tuple[str | int, ...], message: str) -> None:
    """Raise a validation error that points at a place in the file, not just the survey."""
    where = (at,) if isinstance(at, str) else at
    # The message is passed as context, not as the template, so braces in it stay literal.
    raise PydanticCustomError("survey_rule", "{message}", {"message": message, "at": where})


def _check_condition(condition: Condition, earlier: dict[str, Any], at: tuple[Any, ...]) -> None:
    target = earlier.get(condition.question)
    if target is None:
        _fail(
            (*at, "question"),
            f"show_if refers to '{condition.question}', which is not an earlier question "
            "(a question can only depend on questions before it)",
        )
    elif isinstance(target, SelectOne | SelectMultiple):
        known = [choice.id for choice in target.choices]
        for value in condition.values:
            if str(value) not in known:
                _fail(
                    (*at, "in" if condition.in_ is not None else "not_in"),
                    f"'{value}' is not a choice of '{target.id}' (its choices: "
                    f"{', '.join(known)})",
                )
    elif isinstance(target, Scale):
        for value in condition.values:
            if not _int_in(value, target.min, target.max):
                _fail(
                    (*at, "in" if condition.in_ is not None else "not_in"),
                    f"'{value}' is outside the scale {target.min}-{target.max} of '{target.id}'",
                )
    elif isinstance(target, Number):
        for value in condition.values:
            if not isinstance(value, int):
                _fail((*at, "in"), f"'{value}' is not a number, and '{target.id}' asks for one")
    else:
        _fail(
            (*at, "question"),
            f"show_if can only depend on a choice, scale or number question, and "
            f"'{target.id}' is a {target.type} question",
        )


def _int_in(value: str | int, low: int, high: int) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False
    return low <= number <= high
