"""Keyboards: what the renderer hands PTB is exactly what PTB itself would send."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import engine
from core.contributions import HideReason
from core.i18n import Catalogs
from core.loader import load_survey
from core.survey import Survey
from handlers.render import Keyboard, Renderer, language_keyboard

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
# The campaigns, not the lists of categories and places beside them.
SURVEYS = [
    path
    for path in sorted((ROOT / "surveys").glob("*.yaml"))
    if path.stem not in {"categories", "places"}
]


def every_keyboard(survey: Survey, render: Renderer) -> list[InlineKeyboardMarkup]:
    """The keyboard of each question of a survey, and of its summary."""
    keyboards = []
    for current in [*(q.id for q in survey.questions), engine.REVIEW]:
        session = engine.Session(survey.id, current, {}, NOW, NOW, version=3)
        for out in render.step(survey, engine.show(survey, session), response_id=41):
            if isinstance(out.markup, InlineKeyboardMarkup):
                keyboards.append(out.markup)
    return keyboards


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_question_keyboard_is_sent_as_ptb_would_send_it(path: Path, lang: str) -> None:
    survey = load_survey(path)
    render = Renderer(Catalogs().get(lang), lang)
    keyboards = [*every_keyboard(survey, render), language_keyboard(), render.menu_button()]
    assert len(keyboards) > len(survey.questions) // 2  # the walk really saw the questions
    for keyboard in keyboards:
        assert isinstance(keyboard, Keyboard)
        assert keyboard.to_dict() == InlineKeyboardMarkup.to_dict(keyboard)


def test_a_button_with_more_than_text_and_data_is_left_to_ptb() -> None:
    plain = InlineKeyboardButton("Ja", callback_data="y")
    styled = InlineKeyboardButton("Skicka", callback_data="s", style="success")
    link = InlineKeyboardButton("Karta", url="https://www.openstreetmap.org/")
    keyboard = Keyboard([[plain, styled], [link]])
    assert keyboard.to_dict() == InlineKeyboardMarkup.to_dict(keyboard)
    assert keyboard.to_dict()["inline_keyboard"][0][1]["style"] == "success"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_use_of_a_hide_reason_has_its_own_words(lang: str) -> None:
    # The reason written to follow "because …" was also the button and the status line:
    # a button "det inte handlar om området", a card ending "Dold: det inte handlar …".
    render = Renderer(Catalogs().get(lang), lang)
    hidden = "Dold: " if lang == "sv" else "Hidden: "
    for reason in HideReason:
        clause = render.hide_reason(reason)
        label = render.hide_reason_label(reason)
        note = render.hidden_note(reason)
        assert clause[0].islower() and label[0].isupper(), reason
        assert note.startswith(hidden) and note != hidden + clause, reason
        assert len({clause, label, note}) == 3, reason
    assert (
        render.hide_reason_label(HideReason.OFF_TOPIC)
        == {
            "sv": "Handlar inte om området",
            "en": "Not about the area",
        }[lang]
    )
