"""The XLSForm import's notes in the organizer's language: every template has its Swedish.

The CLI and the comments of the written file stay English (tests/test_xlsform.py); an upload
in Telegram says the same notes in Swedish (tests/test_bot_upload.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from authoring.xlsform import NotAnXLSForm, Note, convert, read_workbook
from core.says import ENGLISH, Says
from tests.conftest import ROOT
from tests.test_problems_in_swedish import SWEDISH, swedish_msgstrs
from tests.test_xlsform import EXAMPLE, HEAD, PLACES, SV, YES_NO, question, xlsform

# The Makefile's keywords (make messages).
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2), "nsays": (1, 2)}


def xlsform_templates() -> list[str]:
    found = extract_from_dir(
        str(ROOT / "authoring" / "xlsform"), [("**.py", "python")], keywords=KEYWORDS
    )
    messages = [message for _file, _line, message, _comments, _context in found]
    return [m[0] if isinstance(m, tuple) else m for m in messages]


def test_every_template_of_the_import_has_its_swedish() -> None:
    templates = xlsform_templates()
    assert len(templates) > 80  # the notes, their parts and the not-an-XLSForm reasons
    known = swedish_msgstrs()
    assert [template for template in templates if not known.get(template)] == []


def odd_form(tmp_path: Path) -> list[Note]:
    """A form with something of most kinds an import notes, lost and changed."""
    rows: list[list[Any]] = [
        [*HEAD, "appearance", "label::Deutsch (de)", "$kuid"],
        ["start", "start"],
        question("select_one yes_no", "Lit Up", required="perhaps"),
        question("select_one places or_other", "where", relevant="${Lit Up} = 'yes'"),
        question("select_multiple places", "which", relevant="${where} = 'park' and ${x} = 1"),
        question("range", "age", parameters="start=0 end=120 step=5"),
        question("decimal", "count", constraint=". > 1.5 and . < 9"),
        question("text", "why", relevant="${start} = 'x'", constraint="string-length(.) <= 9000"),
        [*question("text", "how"), "multiline", "Wie?", "k1"],
        ["begin_repeat", "visits", "Besök", None, None, "${which} = 'park'"],
        question("date", "when"),
        ["calculate", "sum"],
        question("select_one yes_no", "later", relevant="${count} >= 2"),
        ["end_group"],
        [None, "typeless"],
    ]
    choices: list[list[Any]] = [
        *YES_NO,
        *PLACES[1:],
        ["unused", "a b", "A", None],
        ["unused", "a b", "A", "A"],
    ]
    path = xlsform(tmp_path / "odd.xlsx", rows, choices, settings=[["version"], ["3"]])
    return convert(read_workbook(path)).notes


def test_each_note_of_an_odd_form_is_said_in_swedish(tmp_path: Path) -> None:
    notes = odd_form(tmp_path)
    assert len(notes) > 20
    known = swedish_msgstrs()
    for note in notes:
        parts = [part for part in note.says.parts() if part.translated]
        assert [p.template for p in parts if not known.get(p.template)] == [], str(note)
        said = note.render(SWEDISH)
        assert said != str(note)
        assert " row " not in said and "carried over" not in said, said
        assert note.render(ENGLISH) == str(note)


def test_the_example_forms_notes_in_swedish() -> None:
    notes = [note.render(SWEDISH) for note in convert(read_workbook(EXAMPLE)).notes]
    assert notes
    assert all(" row " not in note for note in notes), notes


def test_rows_and_missing_texts_in_swedish(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["type", "name", SV, "label::English (en)"],
        ["text", "why", "Varför?", "Why?"],
        ["text", "how", "Hur?", None],
        ["text", "what", "Vad?", None],
    ]
    path = xlsform(tmp_path / "form.xlsx", rows)
    notes = [note.render(SWEDISH) for note in convert(read_workbook(path)).notes]
    assert (
        "formuläret: engelsk text saknas för: survey rad 3 (fråga 'how'); survey rad 4 "
        "(fråga 'what')"
    ) in notes
    rows = [["type", "name", SV, "$kuid"], ["text", "why", "Varför?", "k1"]]
    only_swedish = [*rows, ["text", "how", "Hur?", "k2"]]
    path = xlsform(tmp_path / "form.xlsx", only_swedish, settings=[["form_id"], ["x"]])
    notes = [note.render(SWEDISH) for note in convert(read_workbook(path)).notes]
    assert "survey: kolumnen '$kuid' (raderna 2-3) förs inte över" in notes
    assert (
        "formuläret: formuläret har inga engelska texter: varje titel, etikett och hjälptext "
        "behöver få 'en:' tillagt för hand (2 texter)"
    ) in notes


def test_a_csv_is_asked_to_be_saved_as_xlsx_in_swedish(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("type,name\n", encoding="utf-8")
    with pytest.raises(NotAnXLSForm) as caught:
        read_workbook(path)
    message: Says = caught.value.says
    assert message.render(SWEDISH) == (
        f"{path} är en .csv-fil; öppna den i Excel eller LibreOffice, spara den som .xlsx "
        "(Excel-arbetsbok) och importera sedan den"
    )
    assert str(message) == str(caught.value)
