"""Both languages are complete: every interface text a resident can see exists in Swedish."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import LOCALES_DIR, Catalogs

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# The rooms whose texts residents and organizers read.
TEXT_FOLDERS = ("core", "handlers", "authoring", "runtime", "exports")


def source_messages() -> set[str]:
    found: set[str] = set()
    for folder in TEXT_FOLDERS:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def product_files() -> list[Path]:
    """Every module whose texts people read (packages inside the rooms included)."""
    return [path for folder in TEXT_FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))]


def swedish_catalog() -> dict[str, Message]:
    with (LOCALES_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="sv")
    return {str(m.id[0] if isinstance(m.id, tuple | list) else m.id): m for m in catalog if m.id}


def test_every_swedish_entry_is_translated_and_not_fuzzy() -> None:
    def translated(message: Message) -> bool:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return not message.fuzzy and all(strings)

    assert [key for key, m in swedish_catalog().items() if not translated(m)] == []


def test_every_text_in_the_code_is_in_the_swedish_catalog() -> None:
    missing = source_messages() - set(swedish_catalog())
    assert missing == set(), "run `make messages` and translate the new entries"


def test_no_translation_call_inside_an_f_string() -> None:
    # gettext extraction cannot see _() inside an f-string, so such a text would never be
    # translated; translate first, format after.
    offenders = []
    for path in [*product_files(), ROOT / "bot.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "id", "") == "_":
                        offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_swedish_resident_reads_swedish() -> None:
    catalogs = Catalogs()
    assert (
        catalogs.get("sv").gettext("Question {number} of {total}") == "Fråga {number} av {total}"
    )
    assert (
        catalogs.get("en").gettext("Question {number} of {total}")
        == "Question {number} of {total}"
    )
    assert (
        catalogs.get("sv")
        .ngettext(
            "{count} question. You can pause at any time and continue later.",
            "{count} questions. You can pause at any time and continue later.",
            6,
        )
        .format(count=6)
        == "6 frågor. Du kan pausa när du vill och fortsätta senare."
    )


# Quotation marks that are not Swedish: Swedish quotes with ”…” (and ’…’ inside).
NOT_SWEDISH_QUOTES = ("“", "„", "‘", '"')
TRANSLATED = {"_", "N_", "ngettext", "gettext"}


def test_swedish_texts_quote_with_swedish_quotation_marks() -> None:
    # English writes “…”, Swedish ”…”: a Swedish text showing “Mina bidrag” looks translated.
    wrong = []
    for key, message in swedish_catalog().items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # Straight quotes the English has too are YAML an organizer types (text: {sv: "..."}),
        # the same in both languages: English prose quotes with “…”, never with them.
        english = "".join(key) if isinstance(key, tuple) else str(key)
        marks = [q for q in NOT_SWEDISH_QUOTES if not (q == '"' and q in english)]
        wrong += [key for text in strings if any(q in str(text or "") for q in marks)]
    assert wrong == []


def test_the_shipped_surveys_quote_with_swedish_quotation_marks_in_swedish() -> None:
    def swedish(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [v for k, v in node.items() if k == "sv" and isinstance(v, str)]
            return found + [t for v in node.values() for t in swedish(v)]
        if isinstance(node, list):
            return [t for v in node for t in swedish(v)]
        return []

    for path in sorted((ROOT / "surveys").glob("*.yaml")):
        texts = swedish(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert texts, path
        assert [t for t in texts if any(q in t for q in NOT_SWEDISH_QUOTES)] == [], path.name


def test_no_code_puts_quotation_marks_around_a_translated_text() -> None:
    # Quotation marks differ by language, so they belong inside the translated text: a
    # quote written in code ("“" + title + "”") shows English quotes to a Swedish reader.
    offenders = []
    paths = [*product_files(), ROOT / "bot.py"]
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exempt: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in TRANSLATED:
                    exempt.update(id(inner) for arg in node.args[:2] for inner in ast.walk(arg))
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                exempt.add(id(body[0].value))  # a docstring
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in exempt
                and any(q in node.value for q in "“”„‘’")
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_an_english_catalog_is_read_only_when_it_translates_something(tmp_path: Path) -> None:
    """English is the source language: its catalog is skipped while it has no msgstr, but a
    text someone did write in it (a wrapped one too) is what English readers get."""
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    entries = {
        "sv": 'msgid "Cancel"\nmsgstr "Avbryt"\n',
        "en": 'msgid "Cancel"\nmsgstr ""\n"Cancel, and keep\\n"\n"nothing"\n',
    }
    for lang, entry in entries.items():
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text(header + entry, encoding="utf-8")
    catalogs = Catalogs(tmp_path)
    assert catalogs.get("en").gettext("Cancel") == "Cancel, and keep\nnothing"
    assert catalogs.get("sv").gettext("Cancel") == "Avbryt"
    (tmp_path / "en" / "LC_MESSAGES" / "messages.po").write_text(
        header + 'msgid "Cancel"\nmsgstr ""\n\nmsgid "Save"\nmsgstr ""\n', encoding="utf-8"
    )
    assert Catalogs(tmp_path).get("en").gettext("Cancel") == "Cancel"
