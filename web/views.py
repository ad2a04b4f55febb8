"""Jinja2 templates in the person's language, with the Babel catalogs of core/i18n.py.

One environment per language, each with jinja2.ext.i18n installed on that language's
translations (newstyle: `_("… %(name)s", name=…)` escapes its values). The templates'
strings are extracted with `make messages` (babel.cfg maps web/templates to Jinja2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.i18n import LANGS, Catalogs, Lang

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Views:
    def __init__(self, catalogs: Catalogs) -> None:
        loader = FileSystemLoader(TEMPLATES)
        self._environments: dict[str, Environment] = {}
        for lang in LANGS:
            environment = Environment(
                loader=loader,
                autoescape=select_autoescape(["html"]),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
            )
            environment.install_gettext_translations(  # type: ignore[attr-defined]
                catalogs.get(lang), newstyle=True
            )
            self._environments[lang] = environment

    def render(self, lang: Lang, name: str, values: dict[str, Any]) -> str:
        return self._environments[lang].get_template(name).render(values)
