"""What the survey engine takes and gives: sessions, a resident's inputs and presses, the
problems it refuses input with, and the steps and prompts it returns.

Apart from core/engine.py so that the engine's file holds its decisions and nothing else;
everything here is plain data, importable from core.engine as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.survey import Question, Survey

# An answer is JSON: a choice id, a list of choice ids, a number, a text, a location
# {"lat", "lon"[, "name"]}, a photo {"file_id", "file_unique_id"}, True for a note that was
# seen, or None for a question the resident skipped.
Answer = Any
SKIPPED: Answer = None
REVIEW = "review"
DONE = "done"
# The Bot API lets a bot download files of up to 20 MB; a larger photo could never be used.
MAX_PHOTO_BYTES = 20 * 1024 * 1024
DEFAULT_PRECISION = "100m"


@dataclass(frozen=True)
class PhotoRef:
    """The photo an answer names: `file_id` to download it, `unique_id` to know it again."""

    file_id: str
    unique_id: str


def photo_of(answer: Answer) -> PhotoRef | None:
    """The photo an answer is, or None for every other answer."""
    if not isinstance(answer, Mapping):
        return None
    file_id, unique_id = answer.get("file_id"), answer.get("file_unique_id")
    if isinstance(file_id, str) and isinstance(unique_id, str) and file_id and unique_id:
        return PhotoRef(file_id, unique_id)
    return None


@dataclass(frozen=True)
class Session:
    """Where one resident is in one response; what the store saves after every step."""

    survey_id: str
    current: str  # a question id, or REVIEW, or DONE
    answers: dict[str, Answer]
    started_at: datetime
    updated_at: datetime
    version: int = 0
    draft: tuple[str, ...] | None = None  # choices toggled on a select_multiple, before Done
    paused: bool = False  # left with /cancel: wait for "continue" before taking answers
    source: str | None = None  # the deep-link code (a QR poster) the resident came through
    # The version at which the resident came to what is on screen now: every version since
    # then drew the same question (only ticks happened), so its buttons are not stale.
    since: int = 0
    # The press that brought the resident here and the versions it could have been drawn
    # for: (first version, last version, action, value). The same press again is a double
    # tap on a slow phone, not a press on an old question.
    came_by: tuple[int, int, str, str] | None = None
    # The campaign's version the resident started on: they finish on its questions even
    # when an organizer saves a new version meanwhile.
    survey_version: int = 1

    @property
    def finished(self) -> bool:
        return self.current == DONE

    def to_json(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "current": self.current,
            "answers": self.answers,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "version": self.version,
            "draft": list(self.draft) if self.draft is not None else None,
            "paused": self.paused,
            "source": self.source,
            "since": self.since,
            "came_by": list(self.came_by) if self.came_by is not None else None,
            "survey_version": self.survey_version,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        draft = data.get("draft")
        version = int(data["version"])
        came_by = data.get("came_by")
        return cls(
            survey_id=data["survey_id"],
            current=data["current"],
            answers=dict(data["answers"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=version,
            draft=tuple(draft) if draft is not None else None,
            paused=bool(data.get("paused", False)),
            source=data.get("source"),
            # Saved before `since` existed: only the latest version's buttons count.
            since=int(data.get("since", version)),
            came_by=(
                (int(came_by[0]), int(came_by[1]), str(came_by[2]), str(came_by[3]))
                if came_by
                else None
            ),
            # Saved before campaigns had versions: every campaign then had only its first.
            survey_version=int(data.get("survey_version", 1)),
        )


# ---- what a resident can do -------------------------------------------------------------
@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class LocationInput:
    lat: float
    lon: float
    name: str | None = None


@dataclass(frozen=True)
class PhotoInput:
    file_id: str
    file_unique_id: str
    file_size: int | None = None


@dataclass(frozen=True)
class OtherInput:
    """Something that is no answer to anything: a sticker, a voice message, a contact.

    `kind` "forwarded" (someone else's message) and "album" (several photos at once) get
    hints of their own, and so does "image_file" at a photo question: a picture sent as a
    file is the original, with its EXIF (where it was taken, to the metre), which no location
    coarsening would touch. Telegram's own photos come without it.
    """

    kind: str


class Action(StrEnum):
    CHOOSE = "choose"  # select_one or scale; value is the choice id or the number
    TOGGLE = "toggle"  # select_multiple; value is the choice id (the preview types these)
    # What a select_multiple button showed when pressed: ▫️ ticks, ✅ unticks. Two taps on one
    # keyboard, or on two copies of the question, then mean what the resident saw.
    TICK = "tick"
    UNTICK = "untick"
    DONE = "done"  # select_multiple finished
    NEXT = "next"  # a note read, or an earlier answer kept unchanged
    SKIP = "skip"
    BACK = "back"
    CONFIRM = "confirm"
    CHANGE = "change"  # from the review: list the questions to change
    JUMP = "jump"  # from that list: value is the question id
    SUMMARY = "summary"  # from that list: back to the review, changing nothing


# The presses that change a select_multiple's ticks and keep the question on screen.
TICKS = frozenset({Action.TOGGLE, Action.TICK, Action.UNTICK})


@dataclass(frozen=True)
class Press:
    """A button press; `version` is the session version the button was drawn for."""

    action: Action
    version: int
    value: str = ""


Input = TextInput | LocationInput | PhotoInput | OtherInput | Press


# ---- what the resident is shown next ----------------------------------------------------
class Problem(StrEnum):
    STALE = "stale"
    REPEATED = "repeated"  # the press that brought the resident here, tapped twice
    EXPECTED_BUTTON = "expected_button"
    EXPECTED_TEXT = "expected_text"
    EXPECTED_NUMBER = "expected_number"
    EXPECTED_LOCATION = "expected_location"
    EXPECTED_PHOTO = "expected_photo"
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"
    NOT_INTEGER = "not_integer"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    BAD_LOCATION = "bad_location"
    REQUIRED = "required"
    NO_CHOICE = "no_choice"
    TOO_MANY_CHOICES = "too_many_choices"
    UNKNOWN_CHOICE = "unknown_choice"
    OUTSIDE_AREA = "outside_area"
    PHOTO_TOO_LARGE = "photo_too_large"
    IMAGE_AS_FILE = "image_as_file"
    FORWARDED = "forwarded"
    ALBUM = "album"


@dataclass(frozen=True)
class QuestionPrompt:
    question: Question
    number: int  # this question's place among those the resident is asked, notes aside
    # The questions a resident could be asked at most, notes aside. A survey that branches
    # asks fewer of some: a total counted from the answers so far would change as they go
    # ("1 of 6", "3 of 8"), this one never does, and the end can only come sooner.
    total: int
    exact: bool  # no branching: every resident is asked `total` questions
    answer: Answer  # the current answer when the resident came back to this question
    answered: bool
    draft: tuple[str, ...]
    can_go_back: bool


@dataclass(frozen=True)
class ReviewPrompt:
    items: tuple[tuple[Question, Answer], ...]


@dataclass(frozen=True)
class ChangePrompt:
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class FinishedPrompt:
    survey: Survey


Prompt = QuestionPrompt | ReviewPrompt | ChangePrompt | FinishedPrompt


@dataclass(frozen=True)
class Step:
    session: Session
    prompt: Prompt
    problem: Problem | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # numbers a problem message needs
    changed: tuple[str, ...] = ()  # question ids whose stored answer changed
    removed: tuple[str, ...] = ()  # answers dropped because their question is no longer shown
