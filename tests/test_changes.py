"""What changed between two versions of a survey, and which changes break answers."""

from __future__ import annotations

from core.changes import Change, What, changes
from core.loader import parse_survey
from core.survey import Survey
from tests.conftest import TEST_SURVEYS

KVALL = (TEST_SURVEYS / "kvall.yaml").read_text(encoding="utf-8")


def edited(*replacements: tuple[str, str]) -> Survey:
    text = KVALL
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return parse_survey(text, "kvall.yaml")


ORIGINAL = parse_survey(KVALL, "kvall.yaml")


def test_a_new_campaign_and_an_unchanged_one_have_no_changes() -> None:
    assert not changes(None, ORIGINAL)
    assert not changes(ORIGINAL, edited())


def test_texts_labels_and_an_added_choice_do_not_break_answers() -> None:
    new = edited(
        ('"Hur trygg känner du dig efter kl. 17?"', '"Hur trygg känner du dig på kvällen?"'),
        ('"Mindre skräp"', '"Mindre nedskräpning"'),
        (
            '      - {id: presence, label: {sv: "Fler vuxna ute", en: "More adults around"}}',
            '      - {id: presence, label: {sv: "Fler vuxna ute", en: "More adults around"}}\n'
            '      - {id: police, label: {sv: "Polis", en: "Police"}}',
        ),
    )
    found = changes(ORIGINAL, new)
    assert set(found.items) == {
        Change(What.QUESTION_TEXT, "safe"),
        Change(What.CHOICE_LABEL, "fixes", "litter"),
        Change(What.CHOICE_ADDED, "fixes", "police"),
    }
    assert found.breaking == []


def test_a_choice_removed_renamed_or_a_type_changed_breaks_answers() -> None:
    new = edited(
        ("{id: light,", "{id: lighting,"),
        ('      - {id: visitor, label: {sv: "Besökare", en: "Visitor"}}\n', ""),
        ('      - {id: resident, label: {sv: "Boende", en: "Resident"}}\n', ""),
        ("  - id: kind\n    type: select_one", "  - id: kind\n    type: text"),
        (
            '    text: {sv: "Du är här som", en: "You are here as"}\n    choices:\n',
            '    text: {sv: "Du är här som", en: "You are here as"}\n',
        ),
    )
    found = changes(ORIGINAL, new)
    assert Change(What.CHOICE_RENAMED, "fixes", "light", to="lighting", breaking=True) in (
        found.items
    )
    assert Change(What.QUESTION_TYPE, "kind", to="text", was="select_one", breaking=True) in (
        found.items
    )
    assert found.questions_broken() == ["fixes", "kind"]


def test_a_removed_question_breaks_only_when_it_has_answers() -> None:
    new = edited(
        (
            "  - id: visits\n    type: number\n    min: 0\n    max: 62\n",
            "  - id: visits\n    type: number\n    min: 0\n    max: 31\n",
        ),
    )
    assert changes(ORIGINAL, new).items == (
        Change(What.QUESTION_OTHER, "visits", fields=("max",)),
    )
    without_info = parse_survey(
        KVALL.replace(
            '  - id: info\n    type: note\n    text: {sv: "Snart klart, tre frågor kvar.", '
            'en: "Nearly done, three questions left."}\n',
            "",
        ),
        "kvall.yaml",
    )
    assert changes(ORIGINAL, without_info).items == (Change(What.QUESTION_REMOVED, "info"),)
    answered = changes(ORIGINAL, without_info, answered={"info", "safe"})
    assert answered.breaking == [Change(What.QUESTION_REMOVED, "info", breaking=True)]


def test_one_question_moved_is_named_alone_and_dates_and_title_are_seen() -> None:
    photo = (
        "  - id: photo\n    type: photo\n    required: false\n"
        '    text: {sv: "Har du en bild på platsen?", en: "Do you have a photo of the place?"}\n'
    )
    moved = KVALL.replace(photo, "").replace("questions:\n", "questions:\n" + photo)
    moved = moved.replace("closes: 2027-03-31T23:59:00+02:00", "closes: 2027-04-30T23:59:00+02:00")
    moved = moved.replace('title: {sv: "Kvällen på Söder"', 'title: {sv: "Kvällar på Söder"')
    found = changes(ORIGINAL, parse_survey(moved, "kvall.yaml"))
    assert found.items == (
        Change(What.TITLE),
        Change(What.DATES),
        Change(What.QUESTION_MOVED, "photo"),
    )
