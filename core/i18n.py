"""Interface languages: gettext catalogs read through Babel, numbers and dates by locale."""

from __future__ import annotations

import functools
import io
import re
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

# The languages are the survey model's; named here too, where the texts are made.
from core.survey import LANGS as LANGS
from core.survey import STOCKHOLM
from core.survey import Lang as Lang

DEFAULT_LANG: Lang = "sv"
# Their names in the organizers' tools (validate, import-xlsform), which speak English.
LANGUAGE_NAMES = {"sv": "Swedish", "en": "English"}
# How organizers write the languages' names, in either language: read as the language.
SPELLINGS = {
    "svenska": "sv",
    "swedish": "sv",
    "svensk": "sv",
    "engelska": "en",
    "english": "en",
}
# Codes written by mistake for sv or en: only ever suggested, never read as them, for some
# are another language's (se is Northern Sami's).
CODE_SLIPS = {"se": "sv", "swe": "sv", "sw": "sv", "eng": "en", "gb": "en", "uk": "en"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def as_lang(code: str | None) -> Lang | None:
    """Swedish or English from a Telegram language_code such as 'sv', 'sv-SE' or 'en-GB'."""
    if not code:
        return None
    base = code.split("-")[0].split("_")[0].lower()
    if base == "sv":
        return "sv"
    if base == "en":
        return "en"
    return None


@functools.cache
def locale(lang: str) -> Locale:
    """The Babel locale that writes numbers and dates as the language's readers expect,
    parsed once: given a name, Babel parses it again at every number and date written (a
    tenth of the web map's time at 10,000 points)."""
    return Locale.parse("sv_SE" if lang == "sv" else "en_GB")


class Catalogs:
    """Both languages' translations, compiled from the .po files when Torget starts.

    Compiling in memory (instead of shipping .mo files) means an edited .po is what runs:
    there is no stale compiled copy to forget. Fuzzy entries are left out, as gettext does.
    """

    def __init__(self, folder: Path = LOCALES_DIR, domain: str = "messages") -> None:
        self._translations: dict[str, NullTranslations] = {}
        for lang in LANGS:
            po = folder / lang / "LC_MESSAGES" / f"{domain}.po"
            if not po.exists():
                self._translations[lang] = NullTranslations()
                continue
            text = po.read_bytes()
            if not _translates(text):
                # The source language's catalog (English) has no msgstr: reading it would
                # cost as much as the Swedish one at every start, to translate nothing.
                self._translations[lang] = NullTranslations()
                continue
            catalog = read_po(io.BytesIO(text), locale=lang)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self._translations[lang] = Translations(fp=buffer, domain=domain)

    def get(self, lang: str) -> NullTranslations:
        return self._translations.get(lang) or self._translations[DEFAULT_LANG]


# A msgstr with text on its own line, or empty there and continued on the next ("" then "…").
_TRANSLATED = re.compile(rb'^msgstr(?:\[\d+\])? (?:"[^"\n]|""\n")', re.MULTILINE)


def _translates(po: bytes) -> bool:
    """Whether a .po file translates anything beyond its header (the first entry)."""
    _, _, entries = po.partition(b"\n\n")
    return _TRANSLATED.search(entries) is not None


def number(value: float, lang: str) -> str:
    """3,5 in Swedish, 3.5 in English."""
    return format_decimal(value, locale=locale(lang))


def degrees(value: float, lang: str) -> str:
    """A coordinate with four decimals, as the language writes decimals: 56,0437 / 56.0437."""
    return format_decimal(value, format="0.0000", locale=locale(lang))


def percent(share: float, lang: str) -> str:
    """45 % in Swedish (with a no-break space), 45% in English."""
    return format_percent(share, locale=locale(lang))


def day(moment: datetime, lang: str) -> str:
    """A date as people write it in the language, in Stockholm time: 3 dec. 2026."""
    return format_datetime(moment, "d MMM yyyy", tzinfo=STOCKHOLM, locale=locale(lang))


def when(moment: datetime, lang: str) -> str:
    """A date and time as people write it in the language, in Stockholm time."""
    return format_datetime(
        moment,
        "d MMM yyyy HH:mm" if lang == "sv" else "d MMM yyyy, HH:mm",
        tzinfo=STOCKHOLM,
        locale=locale(lang),
    )
