"""A text for an organizer kept as its parts, so it can be said in either language.

A problem of a survey file is found once (core.loader, core.problems, the validators of
core.survey and core.contributions) and read in the organizer's language: `validate --lang`,
or an upload in Telegram. So a message is not a finished English string but a template
marked with N_() (the catalogs translate it) and its parameters, which may be messages too.
`str()` of one is the English text, as the CLI and the tests have always read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from babel.support import NullTranslations


class Translator(Protocol):
    """What says a template in one language: Babel's Translations, or a Renderer's pair."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


@dataclass(frozen=True)
class Words:
    """A Translator from a gettext and an ngettext function (a handler's render._)."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


# The templates are English already: English is the catalog that translates nothing.
ENGLISH: Translator = NullTranslations()


def N_(text: str) -> str:
    """Mark a template for the catalogs (make messages); it is translated when said."""
    return text


@dataclass(frozen=True)
class Says:
    """A template and its parameters: tuples of pairs, so a problem stays hashable."""

    template: str
    params: tuple[tuple[str, Any], ...] = ()
    # With a plural: ngettext(template, plural, count) picks the form.
    plural: str | None = None
    count: int = 0
    # False for text that comes from elsewhere in English (PyYAML's, an unforeseen
    # pydantic message, an OS error): shown as it is, never looked up.
    translated: bool = True

    def render(self, translator: Translator) -> str:
        if not self.translated:
            return self.template
        if self.plural is not None:
            text = translator.ngettext(self.template, self.plural, self.count)
        else:
            text = translator.gettext(self.template)
        return text.format(**{name: _say(value, translator) for name, value in self.params})

    def __str__(self) -> str:
        return self.render(ENGLISH)

    def parts(self) -> list[Says]:
        """This message and every message inside it, for the tests of the catalogs."""
        found = [self]
        for _name, value in self.params:
            if isinstance(value, Says):
                found += value.parts()
        return found


def says(template: str, **params: Any) -> Says:
    return Says(template, _kept(params))


def nsays(singular: str, plural: str, count: int, **params: Any) -> Says:
    """A message whose words follow a number: the Makefile extracts nsays:1,2."""
    return Says(singular, _kept({"count": count, **params}), plural, count)


def _kept(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    # A value is what the file said, as text, now: a problem keeps no part of the parsed
    # file (a mapping would make it unhashable), and says the same in every language.
    return tuple((k, v if isinstance(v, Says) else str(v)) for k, v in params.items())


def raw(text: str) -> Says:
    """Text that arrives in English from elsewhere; it is shown as it is."""
    return Says(text, translated=False)


def _say(value: Any, translator: Translator) -> str:
    return value.render(translator) if isinstance(value, Says) else str(value)


class SaysError(ValueError):
    """A validator's refusal as a message; pydantic keeps it in the error's ctx["error"],
    where core.problems finds its parts. str() is the English text."""

    def __init__(self, message: Says) -> None:
        super().__init__(str(message))
        self.says = message
