"""What the converter stands on: its notes, the form's columns, and the languages of the texts.

Which language a column without one is read as, the columns of a language Torget does not
ask in, and which texts lack Swedish or English: noted once for the form, at the end.
"""

from __future__ import annotations

from authoring.xlsform.form import Column, Form, Note, joined, language_of, parse_header
from core.says import N_, Says, nsays, says
from core.survey import LANGS

# Per language, as Swedish says each language's name in its own form in each sentence.
PLAIN_READ = {
    "sv": N_(
        "columns without a language ({columns}) were read as Swedish ({where}); if they are "
        "English, import again with --language en"
    ),
    "en": N_(
        "columns without a language ({columns}) were read as English ({where}); if they are "
        "Swedish, import again with --language sv"
    ),
}
NO_TEXT_FOR = {
    "sv": N_("no Swedish text for: {places}"),
    "en": N_("no English text for: {places}"),
}


def _no_texts(lang: str, count: int) -> Says:
    if lang == "sv":
        return nsays(
            "the form has no Swedish texts: every title, label and hint needs 'sv:' added by "
            "hand ({count} text)",
            "the form has no Swedish texts: every title, label and hint needs 'sv:' added by "
            "hand ({count} texts)",
            count,
        )
    return nsays(
        "the form has no English texts: every title, label and hint needs 'en:' added by hand "
        "({count} text)",
        "the form has no English texts: every title, label and hint needs 'en:' added by hand "
        "({count} texts)",
        count,
    )


class Reading:
    """The state every part of the conversion notes into, and the texts in two languages."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.notes: list[Note] = []
        self.columns: dict[str, Column] = {}
        self.plain = "sv"
        self.missing: dict[str, list[Says]] = {lang: [] for lang in LANGS}
        self.languages_seen: set[str] = set()

    def note(self, sheet: str, row: int | None, text: Says, lost: bool = True) -> None:
        self.notes.append(Note(sheet, row, text, lost))

    def column(self, header: str) -> Column:
        if header not in self.columns:
            self.columns[header] = parse_header(header)
        return self.columns[header]

    def _value(self, cells: dict[str, str], base: str) -> str:
        return next((v for h, v in cells.items() if self.column(h).base == base), "")

    def _languages(self) -> None:
        settings = next((row for row in self.form.settings if row.cells), None)
        default = self._value(settings.cells, "default_language") if settings else ""
        from_settings = language_of(default) if default else None
        chosen = self.form.plain_language or from_settings
        self.plain = chosen if chosen in LANGS else "sv"
        sheets = (*self.form.survey, *self.form.choices, *self.form.settings)
        headers = {h for row in sheets for h in row.cells}
        plain = sorted(
            h for h in headers if self.column(h).base in ("label", "hint", "form_title")
        )
        plain = [h for h in plain if self.column(h).language is None]
        if plain:
            if self.form.plain_language:
                where = N_("as asked with --language")
            elif from_settings in LANGS:
                where = N_("the settings sheet's default_language")
            else:
                where = N_("Torget's default")
            columns = ", ".join(repr(h) for h in plain)
            text = says(PLAIN_READ[self.plain], columns=columns, where=says(where))
            self.note("form", None, text, lost=False)
        others: dict[str, list[str]] = {}
        for sheet, rows in (("survey", self.form.survey), ("choices", self.form.choices)):
            for row in rows:
                for header in row.cells:
                    language = self.column(header).language
                    if language is not None and language not in LANGS:
                        others.setdefault(sheet, [])
                        if header not in others[sheet]:
                            others[sheet].append(header)
        for sheet, headers_of in others.items():
            for header in headers_of:
                text = says(
                    N_(
                        "column '{header}' is not carried over (Torget asks in Swedish and "
                        "English)"
                    ),
                    header=header,
                )
                self.note(sheet, None, text)

    def _texts(self, cells: dict[str, str], base: str) -> dict[str, str]:
        """The Swedish and English texts of a column family (label, hint) in one row."""
        found: dict[str, str] = {}
        plain: str | None = None
        for header, value in cells.items():
            column = self.column(header)
            if column.base != base:
                continue
            if column.language is None:
                plain = value
            elif column.language in LANGS:
                found[column.language] = value
                self.languages_seen.add(column.language)
        if plain is not None and self.plain not in found:
            found[self.plain] = plain
            self.languages_seen.add(self.plain)
        return {lang: found[lang] for lang in LANGS if lang in found}

    def _check_languages(self, texts: dict[str, str], sheet: str, row: int, what: Says) -> None:
        for lang in LANGS:
            if lang not in texts:
                place = says(N_("{sheet} row {row} ({what})"), sheet=sheet, row=row, what=what)
                self.missing[lang].append(place)

    def _summarise_languages(self) -> None:
        for lang in LANGS:
            places = self.missing[lang]
            if not places:
                continue
            if lang not in self.languages_seen:
                text = _no_texts(lang, len(places))
            else:
                text = says(NO_TEXT_FOR[lang], places=joined(places))
            self.note("form", None, text)
