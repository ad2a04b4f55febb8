"""The survey engine, without Telegram or a database: what a resident's inputs lead to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import engine
from core.engine import (
    Action,
    ChangePrompt,
    FinishedPrompt,
    LocationInput,
    OtherInput,
    PhotoInput,
    Press,
    Problem,
    QuestionPrompt,
    ReviewPrompt,
    TextInput,
)
from core.loader import parse_survey

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

SURVEY = parse_survey(
    """
id: test-kvall
title: {sv: "Kvällen", en: "The evening"}
questions:
  - id: safe
    type: scale
    min: 1
    max: 5
    text: {sv: "Hur trygg?", en: "How safe?"}
  - id: where
    type: location
    required: false
    show_if: {question: safe, in: [1, 2]}
    text: {sv: "Var?", en: "Where?"}
  - id: fixes
    type: select_multiple
    max_choices: 2
    text: {sv: "Vad hjälper?", en: "What helps?"}
    choices:
      - {id: light, label: {sv: Belysning, en: Lighting}}
      - {id: litter, label: {sv: Skräp, en: Litter}}
      - {id: guards, label: {sv: Vakter, en: Guards}}
  - id: info
    type: note
    text: {sv: "Nästan klart", en: "Almost done"}
  - id: visits
    type: number
    min: 0
    max: 62
    text: {sv: "Hur ofta?", en: "How often?"}
  - id: photo
    type: photo
    required: false
    text: {sv: "Foto?", en: "Photo?"}
  - id: words
    type: text
    max_length: 20
    text: {sv: "Något mer?", en: "Anything else?"}
  - id: kind
    type: select_one
    required: false
    text: {sv: "Du är", en: "You are"}
    choices:
      - {id: resident, label: {sv: Boende, en: Resident}}
      - {id: visitor, label: {sv: Besökare, en: Visitor}}
""",
    "test.yaml",
)


def press(step: engine.Step, action: Action, value: str = "") -> engine.Step:
    return engine.apply(SURVEY, step.session, Press(action, step.session.version, value), NOW)


def send(step: engine.Step, given: engine.Input) -> engine.Step:
    return engine.apply(SURVEY, step.session, given, NOW)


def current(step: engine.Step) -> str:
    assert isinstance(step.prompt, QuestionPrompt), step.prompt
    return step.prompt.question.id


def through_to_visits(safe: str = "4") -> engine.Step:
    step = press(engine.start(SURVEY, NOW), Action.CHOOSE, safe)
    if safe in ("1", "2"):
        step = send(step, LocationInput(56.0437, 12.6946))
    step = press(step, Action.TOGGLE, "light")
    step = press(step, Action.DONE)
    return press(step, Action.NEXT)


def test_starts_at_first_question_with_progress() -> None:
    step = engine.start(SURVEY, NOW)
    assert isinstance(step.prompt, QuestionPrompt)
    # Seven questions at most (the place is only asked of some), notes aside.
    assert (current(step), step.prompt.number, step.prompt.total) == ("safe", 1, 7)
    assert not step.prompt.exact
    assert not step.prompt.can_go_back


def test_low_safety_shows_where_question_and_high_skips_it() -> None:
    low = press(engine.start(SURVEY, NOW), Action.CHOOSE, "2")
    assert current(low) == "where"
    assert isinstance(low.prompt, QuestionPrompt) and low.prompt.total == 7  # as before
    high = press(engine.start(SURVEY, NOW), Action.CHOOSE, "5")
    assert current(high) == "fixes"


def test_multiple_choice_toggles_and_limits() -> None:
    step = press(engine.start(SURVEY, NOW), Action.CHOOSE, "4")
    step = press(step, Action.TOGGLE, "light")
    step = press(step, Action.TOGGLE, "guards")
    assert isinstance(step.prompt, QuestionPrompt) and step.prompt.draft == ("light", "guards")
    refused = press(step, Action.TOGGLE, "litter")
    assert refused.problem is Problem.TOO_MANY_CHOICES
    step = press(step, Action.TOGGLE, "light")
    step = press(step, Action.DONE)
    assert step.session.answers["fixes"] == ["guards"]
    assert step.changed == ("fixes",)


def at(step: engine.Step, version: int, action: Action, value: str = "") -> engine.Step:
    """A press on a keyboard drawn for `version`, as a phone that had not caught up sends it."""
    return engine.apply(SURVEY, step.session, Press(action, version, value), NOW)


def test_ticks_from_a_keyboard_before_the_last_tick_still_count() -> None:
    step = press(engine.start(SURVEY, NOW), Action.CHOOSE, "4")
    drawn = step.session.version  # the keyboard as the question was sent
    step = at(step, drawn, Action.TICK, "light")
    step = at(step, drawn, Action.TICK, "guards")
    assert step.problem is None
    assert isinstance(step.prompt, QuestionPrompt) and step.prompt.draft == ("light", "guards")
    # What the button showed is what it does: a second tap on an unticked-looking choice
    # leaves it ticked, and an untick of one not ticked changes nothing.
    again = at(step, drawn, Action.TICK, "light")
    assert again.problem is None and again.session == step.session
    assert at(step, drawn, Action.UNTICK, "litter").session == step.session
    step = at(step, drawn, Action.UNTICK, "light")
    assert isinstance(step.prompt, QuestionPrompt) and step.prompt.draft == ("guards",)
    step = at(step, drawn, Action.DONE)
    assert step.session.answers["fixes"] == ["guards"]


def test_a_press_from_before_the_question_was_shown_is_stale() -> None:
    first = engine.start(SURVEY, NOW)
    step = press(first, Action.CHOOSE, "4")
    step = press(step, Action.TICK, "light")
    assert at(step, first.session.version, Action.CHOOSE, "1").problem is Problem.STALE
    # Back and forward again: the question's earlier message is an old copy, with old ticks.
    shown = step.session.version
    step = press(press(step, Action.BACK), Action.CHOOSE, "5")
    assert current(step) == "fixes"
    assert at(step, shown, Action.TICK, "litter").problem is Problem.STALE
    # A keyboard from the future (another replica's, not yet stored here) is not taken either.
    assert at(step, step.session.version + 1, Action.TICK, "litter").problem is Problem.STALE


def test_the_same_press_twice_is_a_double_tap_not_a_stale_button() -> None:
    first = engine.start(SURVEY, NOW)
    step = press(first, Action.CHOOSE, "4")
    drawn = first.session.version
    again = at(step, drawn, Action.CHOOSE, "4")
    assert again.problem is Problem.REPEATED and again.session == step.session
    # Another choice on the question just answered is a press on an earlier question.
    assert at(step, drawn, Action.CHOOSE, "2").problem is Problem.STALE
    # A tick in between changes nothing about that; an answer to the next question does.
    step = press(step, Action.TICK, "light")
    assert at(step, drawn, Action.CHOOSE, "4").problem is Problem.REPEATED
    step = press(step, Action.DONE)
    assert at(step, drawn, Action.CHOOSE, "4").problem is Problem.STALE
    # The state survives the store.
    restored = engine.Session.from_json(step.session.to_json())
    assert restored == step.session


def test_the_list_of_answers_to_change_goes_back_to_the_summary() -> None:
    step = through_to_visits()
    step = send(step, TextInput("3"))
    step = press(step, Action.SKIP)
    step = send(step, TextInput("Inget"))
    step = press(step, Action.CHOOSE, "resident")
    assert isinstance(step.prompt, ReviewPrompt)
    answers = step.session.answers
    listed = press(step, Action.CHANGE)
    assert isinstance(listed.prompt, ChangePrompt)
    back = press(listed, Action.SUMMARY)
    assert back.problem is None and isinstance(back.prompt, ReviewPrompt)
    assert back.session.answers == answers and not (
        back.changed or back.removed or back.session.finished
    )
    # The list's buttons are for the list: after going back, its choices are stale.
    assert at(back, listed.session.version, Action.JUMP, "safe").problem is Problem.STALE


def test_done_without_a_choice_on_required_question_is_refused() -> None:
    step = press(engine.start(SURVEY, NOW), Action.CHOOSE, "4")
    refused = press(step, Action.DONE)
    assert refused.problem is Problem.NO_CHOICE
    assert refused.session == step.session


@pytest.mark.parametrize(
    ("typed", "problem", "stored"),
    [
        ("12", None, 12),
        (" 1 0 ", None, 10),
        ("3,5", Problem.NOT_INTEGER, None),
        ("tolv", Problem.EXPECTED_NUMBER, None),
        ("-1", Problem.TOO_SMALL, None),
        ("100", Problem.TOO_LARGE, None),
    ],
)
def test_number_answers(typed: str, problem: Problem | None, stored: int | None) -> None:
    step = send(through_to_visits(), TextInput(typed))
    assert step.problem is problem
    if stored is not None:
        assert step.session.answers["visits"] == stored


def test_sticker_where_a_number_was_asked_gets_a_hint_and_changes_nothing() -> None:
    before = through_to_visits()
    step = send(before, OtherInput("sticker"))
    assert step.problem is Problem.EXPECTED_NUMBER
    assert step.session == before.session
    assert current(step) == "visits"


def test_long_text_is_refused_with_its_length() -> None:
    step = send(through_to_visits(), TextInput("5"))
    step = press(step, Action.SKIP)  # the photo
    refused = send(step, TextInput("x" * 5000))
    assert refused.problem is Problem.TOO_LONG
    assert refused.detail == {"length": 5000, "limit": 20}
    assert "words" not in refused.session.answers


def test_required_question_cannot_be_skipped() -> None:
    step = engine.start(SURVEY, NOW)
    assert press(step, Action.SKIP).problem is Problem.REQUIRED


def test_stale_button_is_recognised() -> None:
    first = engine.start(SURVEY, NOW)
    second = press(first, Action.CHOOSE, "4")
    old = engine.apply(
        SURVEY, second.session, Press(Action.CHOOSE, first.session.version, "1"), NOW
    )
    assert old.problem is Problem.STALE
    assert old.session == second.session


def test_back_then_changed_answer_continues_where_unanswered() -> None:
    step = through_to_visits("4")
    step = press(step, Action.BACK)  # the note
    step = press(step, Action.BACK)  # fixes
    step = press(step, Action.BACK)  # safe
    assert current(step) == "safe"
    assert isinstance(step.prompt, QuestionPrompt) and step.prompt.answer == 4
    step = press(step, Action.CHOOSE, "1")
    assert current(step) == "where"  # newly shown by the changed answer
    step = send(step, LocationInput(56.05, 12.7, "Maria Torg"))
    assert current(step) == "visits"


def test_photo_and_location_inputs() -> None:
    step = send(through_to_visits(), TextInput("3"))
    assert send(step, TextInput("hej")).problem is Problem.EXPECTED_PHOTO
    # A picture sent as a file keeps its GPS position: it answers nothing.
    refused = send(step, OtherInput("image_file"))
    assert refused.problem is Problem.IMAGE_AS_FILE and refused.session == step.session
    step = send(step, PhotoInput("file-1", "uniq-1"))
    assert step.session.answers["photo"] == {"file_id": "file-1", "file_unique_id": "uniq-1"}
    low = press(engine.start(SURVEY, NOW), Action.CHOOSE, "1")
    typed = send(low, TextInput("56.0437, 12.6946"))
    # A typed or shared point is stored snapped to its 100 m cell (the default precision).
    assert (
        typed.session.answers["where"]
        == send(low, LocationInput(56.0435, 12.6948)).session.answers["where"]
    )
    assert send(low, LocationInput(91, 0)).problem is Problem.BAD_LOCATION


def complete_survey(safe: str = "1") -> engine.Step:
    step = through_to_visits(safe)
    step = send(step, TextInput("7"))
    step = press(step, Action.SKIP)
    step = send(step, TextInput("  Mer ljus  "))
    return press(step, Action.CHOOSE, "resident")


def test_review_confirm_keeps_only_shown_answers() -> None:
    step = complete_survey("1")
    assert isinstance(step.prompt, ReviewPrompt)
    shown = [q.id for q, _ in step.prompt.items]
    assert shown == ["safe", "where", "fixes", "visits", "photo", "words", "kind"]
    # Change the first answer so that 'where' is no longer shown, then confirm.
    step = press(step, Action.CHANGE)
    assert isinstance(step.prompt, ChangePrompt)
    step = press(step, Action.JUMP, "safe")
    step = press(step, Action.CHOOSE, "5")
    assert isinstance(step.prompt, ReviewPrompt)
    step = press(step, Action.CONFIRM)
    assert isinstance(step.prompt, FinishedPrompt)
    assert step.session.finished
    assert step.removed == ("where",)
    assert step.session.answers["words"] == "Mer ljus"
    assert step.session.answers["photo"] is None  # skipped, and told apart from not shown


def test_typed_choice_label_counts_as_pressing_it() -> None:
    step = complete_survey("4")
    step = press(step, Action.BACK)
    assert current(step) == "kind"
    step = send(step, TextInput("besökare"))
    assert step.session.answers["kind"] == "visitor"


def test_session_survives_json_round_trip() -> None:
    step = press(press(engine.start(SURVEY, NOW), Action.CHOOSE, "4"), Action.TOGGLE, "litter")
    again = engine.Session.from_json(step.session.to_json())
    assert again == step.session


def test_pause_after_cancel_or_a_long_absence() -> None:
    step = press(engine.start(SURVEY, NOW), Action.CHOOSE, "4")
    hour = timedelta(hours=1)
    assert not engine.is_paused(step.session, NOW, hour)
    assert engine.is_paused(step.session, NOW + 2 * hour, hour)
    paused = engine.pause(step.session, NOW)
    assert engine.is_paused(paused, NOW, hour)
    resumed = engine.resume(SURVEY, paused, NOW)
    assert not engine.is_paused(resumed.session, NOW, hour)
    assert current(resumed) == "fixes"


@pytest.mark.parametrize(
    ("text", "value"),
    [("3,5", 3.5), ("1 000", 1000.0), ("−2", -2.0), ("1e5", None), ("", None), ("nan", None)],
)
def test_parse_number_reads_swedish_and_english(text: str, value: float | None) -> None:
    assert engine.parse_number(text) == value
