"""The survey engine: a pure state machine from (survey, session, input, now) to the next step.

No I/O and no clock: the Telegram handlers and the terminal preview both drive it, and the
store persists the Session it returns. Buttons carry the session's `version`, so a press on
an old message is recognised as stale instead of answering the wrong question. Ticks on a
multiple choice bump the version but stay on the same question (`Session.since`), so a
second tap made before the edited keyboard arrived still counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core.privacy import coarsen
from core.session import (
    DEFAULT_PRECISION,
    DONE,
    MAX_PHOTO_BYTES,
    REVIEW,
    SKIPPED,
    TICKS,
    Action,
    Answer,
    ChangePrompt,
    FinishedPrompt,
    Input,
    LocationInput,
    OtherInput,
    PhotoInput,
    Press,
    Problem,
    Prompt,
    QuestionPrompt,
    ReviewPrompt,
    Session,
    Step,
    TextInput,
)
from core.survey import (
    Condition,
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

# The engine's decisions, and the data they take and give (core/session.py), as before.
__all__ = [
    "DEFAULT_PRECISION",
    "DONE",
    "MAX_PHOTO_BYTES",
    "REVIEW",
    "SKIPPED",
    "TICKS",
    "Action",
    "Answer",
    "ChangePrompt",
    "FinishedPrompt",
    "Input",
    "LocationInput",
    "OtherInput",
    "PhotoInput",
    "Press",
    "Problem",
    "Prompt",
    "QuestionPrompt",
    "ReviewPrompt",
    "Session",
    "Step",
    "TextInput",
    "apply",
    "final_answers",
    "is_paused",
    "most_questions",
    "parse_coordinates",
    "parse_number",
    "pause",
    "resume",
    "show",
    "start",
    "visible_questions",
]


# ---- the engine -------------------------------------------------------------------------
def start(
    survey: Survey,
    now: datetime,
    prefill: Mapping[str, Answer] | None = None,
    source: str | None = None,
    version: int = 1,
) -> Step:
    """Begin a new response on `version` of the survey, at the first question not answered
    by `prefill`.

    A deep link from a QR code on a lamppost prefills the place; the resident can still
    change it from the summary.
    """
    known = {q.id for q in survey.questions}
    answers = {key: value for key, value in (prefill or {}).items() if key in known}
    session = Session(
        survey_id=survey.id,
        current=REVIEW,
        answers=answers,
        started_at=now,
        updated_at=now,
        source=source,
        survey_version=version,
    )
    return _advance(survey, session, now, changed=tuple(answers))


def show(survey: Survey, session: Session) -> Step:
    """Show where the resident is, changing nothing (used on resume and after bad input)."""
    return Step(session, _prompt(survey, session))


def is_paused(session: Session, now: datetime, after: timedelta) -> bool:
    """A resident who left, or has been away this long, is asked whether to continue."""
    return not session.finished and (session.paused or now - session.updated_at >= after)


def visible_questions(survey: Survey, answers: Mapping[str, Answer]) -> list[Question]:
    """The questions a resident with these answers is asked, in order."""
    shown: list[Question] = []
    shown_ids: set[str] = set()
    for question in survey.questions:
        condition = question.show_if
        if condition is None or (
            condition.question in shown_ids and _holds(condition, answers.get(condition.question))
        ):
            shown.append(question)
            shown_ids.add(question.id)
    return shown


def most_questions(survey: Survey) -> tuple[int, bool]:
    """(how many questions a resident is asked at most, whether every resident is asked
    that many): the count that stays true from the intro to the last question."""
    asked = [q for q in survey.questions if not isinstance(q, Note)]
    return len(asked), all(q.show_if is None for q in asked)


def final_answers(survey: Survey, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """The answers that count: those to questions the resident was actually shown."""
    return {q.id: answers[q.id] for q in visible_questions(survey, answers) if q.id in answers}


def apply(survey: Survey, session: Session, given: Input, now: datetime) -> Step:
    """Compute the resident's next step from what they just sent."""
    if session.finished:
        return show(survey, session)
    if isinstance(given, Press):
        # Drawn for what is on screen now (whichever tick's keyboard it came from), or stale.
        if not session.since <= given.version <= session.version:
            if _repeats(session, given):
                return _problem(survey, session, Problem.REPEATED)
            return _problem(survey, session, Problem.STALE)
        step = _press(survey, session, given, now)
        if step.session.since != session.since and not step.session.finished:
            # Something new is on screen: remember what got it there.
            came_by = (session.since, session.version, str(given.action), given.value)
            step = replace(step, session=replace(step.session, came_by=came_by))
        return step
    if session.current == REVIEW or session.current not in _ids(survey):
        return _problem(survey, session, Problem.EXPECTED_BUTTON)
    if isinstance(given, OtherInput) and given.kind in ("forwarded", "album"):
        problem = Problem.FORWARDED if given.kind == "forwarded" else Problem.ALBUM
        return _problem(survey, session, problem)
    question = survey.question(session.current)
    return _message(survey, session, question, given, now)


def _repeats(session: Session, press: Press) -> bool:
    if session.came_by is None:
        return False
    first, last, action, value = session.came_by
    return first <= press.version <= last and (str(press.action), press.value) == (action, value)


def _press(survey: Survey, session: Session, press: Press, now: datetime) -> Step:
    action = press.action
    if session.current == REVIEW:
        if action is Action.CONFIRM:
            return _finish(survey, session, now)
        if action is Action.CHANGE:
            visible = tuple(q for q in visible_questions(survey, session.answers))
            return Step(_touch(session, now), ChangePrompt(visible))
        if action is Action.JUMP and press.value in _ids(survey):
            target = survey.question(press.value)
            if target in visible_questions(survey, session.answers):
                return _goto(survey, session, target.id, now)
        if action is Action.SUMMARY:
            return _goto(survey, session, REVIEW, now)
        if action is Action.BACK:
            return _back(survey, session, now)
        return _problem(survey, session, Problem.STALE)

    question = survey.question(session.current)
    if action is Action.BACK:
        return _back(survey, session, now)
    if action is Action.SKIP:
        if question.required:
            return _problem(survey, session, Problem.REQUIRED)
        return _answer(survey, session, question, SKIPPED, now)
    if action is Action.NEXT:
        if isinstance(question, Note):
            return _answer(survey, session, question, True, now)
        if question.id in session.answers:
            return _advance(survey, _touch(session, now), now, changed=())
        return _problem(survey, session, Problem.STALE)
    if action is Action.CHOOSE and isinstance(question, SelectOne | Scale):
        value = _choice_value(question, press.value)
        if value is None:
            return _problem(survey, session, Problem.UNKNOWN_CHOICE)
        return _answer(survey, session, question, value, now)
    if action in TICKS and isinstance(question, SelectMultiple):
        wanted = None if action is Action.TOGGLE else action is Action.TICK
        return _toggle(survey, session, question, press.value, now, wanted)
    if action is Action.DONE and isinstance(question, SelectMultiple):
        chosen = _draft(session, question)
        if not chosen:
            if question.required:
                return _problem(survey, session, Problem.NO_CHOICE)
            return _answer(survey, session, question, SKIPPED, now)
        order = [c.id for c in question.choices]
        return _answer(survey, session, question, sorted(chosen, key=order.index), now)
    return _problem(survey, session, Problem.STALE)


def _message(
    survey: Survey, session: Session, question: Question, given: Input, now: datetime
) -> Step:
    if isinstance(question, FreeText):
        if not isinstance(given, TextInput):
            return _problem(survey, session, Problem.EXPECTED_TEXT)
        text = given.text.strip()
        if not text:
            return _problem(survey, session, Problem.EMPTY_TEXT)
        if len(text) > question.max_length:
            return _problem(
                survey,
                session,
                Problem.TOO_LONG,
                length=len(text),
                limit=question.max_length,
            )
        return _answer(survey, session, question, text, now)
    if isinstance(question, Number):
        if not isinstance(given, TextInput):
            return _problem(survey, session, Problem.EXPECTED_NUMBER)
        return _number(survey, session, question, given.text, now)
    if isinstance(question, Location):
        if isinstance(given, TextInput):
            typed = parse_coordinates(given.text)
            if typed is None:
                return _problem(survey, session, Problem.EXPECTED_LOCATION)
            given = LocationInput(*typed)
        if not isinstance(given, LocationInput):
            return _problem(survey, session, Problem.EXPECTED_LOCATION)
        if not (-90 <= given.lat <= 90 and -180 <= given.lon <= 180):
            return _problem(survey, session, Problem.BAD_LOCATION)
        if survey.area is not None and not survey.area.contains(given.lat, given.lon):
            return _problem(survey, session, Problem.OUTSIDE_AREA)
        return _answer(survey, session, question, _place(survey, given), now)
    if isinstance(question, Photo):
        if given == OtherInput("image_file"):
            return _problem(survey, session, Problem.IMAGE_AS_FILE)
        if not isinstance(given, PhotoInput):
            return _problem(survey, session, Problem.EXPECTED_PHOTO)
        if given.file_size is not None and given.file_size > MAX_PHOTO_BYTES:
            return _problem(
                survey, session, Problem.PHOTO_TOO_LARGE, limit=MAX_PHOTO_BYTES // 2**20
            )
        photo = {"file_id": given.file_id, "file_unique_id": given.file_unique_id}
        return _answer(survey, session, question, photo, now)
    if isinstance(question, SelectOne | Scale) and isinstance(given, TextInput):
        # A resident who types "3" or a choice's label means the same as pressing it.
        value = _typed_choice(question, given.text)
        if value is not None:
            return _answer(survey, session, question, value, now)
    return _problem(survey, session, Problem.EXPECTED_BUTTON)


def _place(survey: Survey, given: LocationInput) -> dict[str, Any]:
    """A location answer, coarsened as the survey says before it is ever stored.

    A venue is a public place the resident picked by name, so it is kept as it is; a shared
    position may be where the resident lives.
    """
    if given.name:
        return {"lat": round(given.lat, 6), "lon": round(given.lon, 6), "name": given.name[:200]}
    lat, lon = coarsen(given.lat, given.lon, survey.location_precision or DEFAULT_PRECISION)
    return {"lat": lat, "lon": lon}


def _number(survey: Survey, session: Session, question: Number, text: str, now: datetime) -> Step:
    value = parse_number(text)
    if value is None:
        return _problem(survey, session, Problem.EXPECTED_NUMBER)
    if question.integer and not value.is_integer():
        return _problem(survey, session, Problem.NOT_INTEGER)
    if question.min is not None and value < question.min:
        return _problem(survey, session, Problem.TOO_SMALL, limit=question.min)
    if question.max is not None and value > question.max:
        return _problem(survey, session, Problem.TOO_LARGE, limit=question.max)
    answer: int | float = int(value) if question.integer or value.is_integer() else value
    return _answer(survey, session, question, answer, now)


def _toggle(
    survey: Survey,
    session: Session,
    question: SelectMultiple,
    choice: str,
    now: datetime,
    wanted: bool | None,
) -> Step:
    """Tick or untick a choice; `wanted` None flips it, else it is set to that."""
    if choice not in {c.id for c in question.choices}:
        return _problem(survey, session, Problem.UNKNOWN_CHOICE)
    chosen = list(_draft(session, question))
    ticked = choice in chosen
    if wanted is None:
        wanted = not ticked
    if wanted == ticked:
        # A second tap on a keyboard that had not caught up yet: it is already as shown.
        return show(survey, session)
    if not wanted:
        chosen.remove(choice)
    elif question.max_choices is not None and len(chosen) >= question.max_choices:
        return _problem(survey, session, Problem.TOO_MANY_CHOICES, limit=question.max_choices)
    else:
        chosen.append(choice)
    # Still the same question on screen: the buttons drawn before this tick still count.
    updated = replace(
        _touch(session, now), draft=tuple(chosen), since=session.since, came_by=session.came_by
    )
    return Step(updated, _prompt(survey, updated))


def _answer(
    survey: Survey, session: Session, question: Question, value: Answer, now: datetime
) -> Step:
    answers = {**session.answers, question.id: value}
    updated = replace(_touch(session, now), answers=answers, draft=None)
    return _advance(survey, updated, now, changed=(question.id,))


def _advance(survey: Survey, session: Session, now: datetime, changed: tuple[str, ...]) -> Step:
    """Go to the first shown question without an answer, or to the review when there is none."""
    upcoming = next(
        (q.id for q in visible_questions(survey, session.answers) if q.id not in session.answers),
        REVIEW,
    )
    moved = replace(session, current=upcoming, draft=None)
    return Step(moved, _prompt(survey, moved), changed=changed)


def _back(survey: Survey, session: Session, now: datetime) -> Step:
    visible = visible_questions(survey, session.answers)
    ids = [q.id for q in visible]
    position = ids.index(session.current) if session.current in ids else len(ids)
    if position == 0:
        return _problem(survey, session, Problem.STALE)
    return _goto(survey, session, ids[position - 1], now)


def _goto(survey: Survey, session: Session, question_id: str, now: datetime) -> Step:
    moved = replace(_touch(session, now), current=question_id, draft=None)
    return Step(moved, _prompt(survey, moved))


def _finish(survey: Survey, session: Session, now: datetime) -> Step:
    kept = final_answers(survey, session.answers)
    removed = tuple(q for q in session.answers if q not in kept)
    done = replace(_touch(session, now), current=DONE, answers=kept, draft=None)
    return Step(done, FinishedPrompt(survey), removed=removed)


def _touch(session: Session, now: datetime) -> Session:
    """A new version, and (unless the caller says otherwise) a new thing on screen."""
    version = session.version + 1
    return replace(session, version=version, updated_at=now, since=version, came_by=None)


def _problem(survey: Survey, session: Session, problem: Problem, **detail: Any) -> Step:
    return Step(session, _prompt(survey, session), problem=problem, detail=detail)


def _prompt(survey: Survey, session: Session) -> Prompt:
    if session.current == DONE:
        return FinishedPrompt(survey)
    visible = visible_questions(survey, session.answers)
    if session.current == REVIEW or session.current not in {q.id for q in visible}:
        items = tuple((q, session.answers.get(q.id)) for q in visible if not isinstance(q, Note))
        return ReviewPrompt(items)
    question = survey.question(session.current)
    # Progress counts questions, not notes; a note shows the number of the question after it.
    # Conditions only look back, so an answer never changes the number of one before it.
    total, exact = most_questions(survey)
    before = next(i for i, q in enumerate(visible) if q.id == question.id)
    number = sum(1 for q in visible[:before] if not isinstance(q, Note)) + 1
    return QuestionPrompt(
        question=question,
        number=min(number, total),
        total=total,
        exact=exact,
        answer=session.answers.get(question.id),
        answered=question.id in session.answers,
        draft=_draft(session, question) if isinstance(question, SelectMultiple) else (),
        can_go_back=before > 0,
    )


def _draft(session: Session, question: SelectMultiple) -> tuple[str, ...]:
    if session.draft is not None:
        return session.draft
    previous = session.answers.get(question.id)
    return tuple(previous) if isinstance(previous, list) else ()


def _ids(survey: Survey) -> set[str]:
    return {q.id for q in survey.questions}


def _holds(condition: Condition, answer: Answer) -> bool:
    if answer is None:
        return False  # skipped or never asked: a condition on an answer needs an answer
    given = {str(v) for v in answer} if isinstance(answer, list) else {_key(answer)}
    wanted = {_key(v) for v in condition.values}
    matches = bool(given & wanted)
    return matches if condition.in_ is not None else not matches


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choice_value(question: SelectOne | Scale, raw: str) -> str | int | None:
    if isinstance(question, Scale):
        try:
            number = int(raw)
        except ValueError:
            return None
        return number if question.min <= number <= question.max else None
    return raw if raw in {c.id for c in question.choices} else None


def _typed_choice(question: SelectOne | Scale, text: str) -> str | int | None:
    typed = text.strip().casefold()
    if isinstance(question, Scale):
        return _choice_value(question, typed)
    for choice in question.choices:
        if typed in (choice.label.sv.casefold(), choice.label.en.casefold()):
            return choice.id
    return None


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
# Two decimal numbers, with a point or a Swedish comma, apart by a comma, a semicolon or
# a space: "56.0437, 12.6946", "56,0437, 12,6946", "56,0437 12,6946".
_DEGREES = r"([+-]?\d{1,3}(?:[.,]\d+)?)"
_COORDINATES = re.compile(rf"^\s*{_DEGREES}(?:\s*[,;]\s*|\s+){_DEGREES}\s*$")


def parse_number(text: str) -> float | None:
    """Read a number the way Swedes and English speakers write it: 3,5 or 3.5, 1 000."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if not _NUMBER.match(cleaned):
        return None
    value = float(cleaned.replace(",", "."))
    return value if math.isfinite(value) else None


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """Read 'latitude, longitude' typed as two numbers: 56.0437, 12.6946 or 56,0437 12,6946."""
    match = _COORDINATES.match(text)
    if not match:
        return None
    return float(match.group(1).replace(",", ".")), float(match.group(2).replace(",", "."))


def pause(session: Session, now: datetime) -> Session:
    """The resident left the survey (/cancel): their next message is not taken as an answer."""
    return replace(_touch(session, now), paused=True)


def resume(survey: Survey, session: Session, now: datetime) -> Step:
    """Continue where the resident was."""
    resumed = replace(_touch(session, now), paused=False)
    return Step(resumed, _prompt(survey, resumed))
