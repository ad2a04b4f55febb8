"""A campaign across its versions: which version had which question and choice, and the
columns every export writes for responses answered on different versions.

A response keeps the version it was answered on. An export reads each response against
that version, under columns that are the union of every version's questions: the current
version's in its order, then the questions only older versions had (the newest first, each
in its version's order). Pure: the caller hands in the versions (core.campaigns.Campaigns
`versions()`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.export import Cell, Column, cell, columns_of, long_rows
from core.survey import Choice, Question, Scale, SelectMultiple, SelectOne, Survey

# A response stored before campaigns had versions was answered on the first one.
FIRST_VERSION = 1


def version_list(versions: Sequence[int]) -> str:
    """ "1, 2" for a codebook cell and the command line."""
    return ", ".join(str(version) for version in sorted(versions))


@dataclass(frozen=True)
class ChoiceOf:
    """A choice of a question in the union: as the newest version that has it defines it."""

    choice: Choice
    versions: tuple[int, ...]


class History:
    """Every stored version of one campaign, oldest first; the current is the newest."""

    def __init__(self, versions: Mapping[int, Survey]) -> None:
        if not versions:
            raise ValueError("a campaign has at least one version")
        self.versions: dict[int, Survey] = {v: versions[v] for v in sorted(versions)}
        self.current_version = max(self.versions)
        self.current = self.versions[self.current_version]
        self.survey_id = self.current.id
        self._had: dict[str, list[int]] = {}
        for version, survey in self.versions.items():
            for question in survey.questions:
                self._had.setdefault(question.id, []).append(version)
        # The union in order: the current version's questions, then those of older versions
        # that the newer ones dropped, the most recently dropped first.
        order = {q.id: None for q in self.current.questions}
        for version in sorted(self.versions, reverse=True):
            order.update(
                {q.id: None for q in self.versions[version].questions if q.id not in order}
            )
        self._order = list(order)
        self._columns = columns_of(self.questions())
        # Per version, which of the columns it asked: a row is then one pass over the columns,
        # without looking up its version's questions again for every cell.
        self._asked: dict[int, list[bool]] = {}

    @classmethod
    def single(cls, survey: Survey, version: int = FIRST_VERSION) -> History:
        return cls({version: survey})

    # ---- which version has what ----
    def question(self, question_id: str) -> Question:
        """The question as the newest version that had it asks it."""
        return self.versions[self._had[question_id][-1]].question(question_id)

    def questions(self) -> list[Question]:
        """Every question any version had, in the union's order (notes too)."""
        return [self.question(question_id) for question_id in self._order]

    def had(self, question_id: str) -> tuple[int, ...]:
        """The versions that had the question, oldest first (none for an unknown id)."""
        return tuple(self._had.get(question_id, ()))

    def versions_of(self, question_id: str) -> str:
        """ "1, 2" for a codebook cell; a version that asked it as another type says so:
        "1 (text), 2"."""
        kind = self.question(question_id).type
        shown = []
        for version in self.had(question_id):
            then = self.versions[version].question(question_id).type
            shown.append(str(version) if then == kind else f"{version} ({then})")
        return ", ".join(shown)

    def same_type(self, question_id: str) -> tuple[int, ...]:
        """The versions whose question has the type the newest one gives it: only their
        answers are of one kind and can be added up."""
        kind = self.question(question_id).type
        return tuple(
            version
            for version in self.had(question_id)
            if self.versions[version].question(question_id).type == kind
        )

    def choices(self, question_id: str) -> list[ChoiceOf]:
        """Every choice any version of the question with its current type had: the newest
        version's choices in its order, then those only older ones had."""
        found: dict[str, Choice] = {}
        having: dict[str, list[int]] = {}
        for version in reversed(self.same_type(question_id)):
            for choice in getattr(self.versions[version].question(question_id), "choices", ()):
                found.setdefault(choice.id, choice)
                having.setdefault(choice.id, []).insert(0, version)
        return [ChoiceOf(choice, tuple(having[key])) for key, choice in found.items()]

    def survey(self, version: int | None) -> Survey:
        """The version a response was answered on; the current one when that version is not
        stored (a response from before versions, or a version that can no longer be read)."""
        return self.versions.get(version or FIRST_VERSION, self.current)

    def choice_label(self, version: int | None, question_id: str, choice_id: str) -> Choice | None:
        """The choice as the response's own version labels it, or else as the newest version
        that knows the id; None when no version does."""
        own = self.survey(version).questions_by_id.get(question_id)
        for choice in getattr(own, "choices", ()):
            if choice.id == choice_id:
                return choice
        for later in sorted(self.versions, reverse=True):
            question = self.versions[later].questions_by_id.get(question_id)
            for choice in getattr(question, "choices", ()):
                if choice.id == choice_id:
                    return choice
        return None

    def label(self, question_id: str, choice_id: str, lang: str) -> str:
        """A choice's label as the newest version that knows it says it (the id if none)."""
        choice = self.choice_label(self.current_version, question_id, choice_id)
        return choice.label.get(lang) if choice is not None else choice_id

    # ---- the export's columns and cells ----
    def columns(self, prefix: str = "") -> list[Column]:
        """One column per question of every version (two for a location)."""
        return columns_of(self.questions(), prefix) if prefix else self._columns

    def cell(self, version: int | None, column: Column, answers: Mapping[str, Any]) -> Cell:
        """The response's cell, read against its own version; empty for a question that
        version did not have (not "skipped": it was never asked)."""
        survey = self.survey(version)
        if column.question_id not in survey.questions_by_id:
            return None
        return cell(survey, column, answers)

    def row(self, version: int | None, answers: Mapping[str, Any]) -> list[Cell]:
        """The response's cells under every column (`columns()`, in its order), each read
        against the response's own version as `cell` reads it."""
        key = version or FIRST_VERSION
        if key not in self.versions:  # as survey(): a version not stored reads as the current
            key = self.current_version
        survey = self.versions[key]
        asked = self._asked.get(key)
        if asked is None:
            having = survey.questions_by_id
            asked = self._asked[key] = [c.question_id in having for c in self._columns]
        return [
            cell(survey, column, answers) if has else None
            for column, has in zip(self._columns, asked, strict=True)
        ]

    def long_rows(
        self, version: int | None, answers: Mapping[str, Any]
    ) -> Iterator[tuple[str, str, Cell]]:
        return long_rows(self.survey(version), answers)

    def labels(self, version: int | None, question_id: str, value: Any, lang: str = "sv") -> str:
        """The labels of the chosen choices ("Ja; Kanske"), from the response's version."""
        survey = self.survey(version)
        question = survey.questions_by_id.get(question_id)
        if not isinstance(question, SelectOne | SelectMultiple) or value is None:
            return ""
        chosen = value if isinstance(value, list) else [value]
        shown = []
        for choice_id in chosen:
            choice = self.choice_label(version, question_id, str(choice_id))
            shown.append(choice.label.get(lang) if choice else str(choice_id))
        return "; ".join(shown)


def codebook(histories: Sequence[History]) -> Iterator[dict[str, Cell]]:
    """One row per question of every version: what the columns mean, in both languages, and
    which versions had the question and each of its choices."""
    for history in histories:
        for question in history.questions():
            choices = choice_versions = ""
            if isinstance(question, SelectOne | SelectMultiple):
                union = history.choices(question.id)
                choices = "; ".join(
                    f"{c.choice.id} = {c.choice.label.sv} / {c.choice.label.en}" for c in union
                )
                choice_versions = "; ".join(
                    f"{c.choice.id}: {version_list(c.versions)}" for c in union
                )
            elif isinstance(question, Scale):
                choices = f"{question.min}–{question.max}"
            yield {
                "campaign": history.survey_id,
                "question": question.id,
                "type": question.type,
                "required": "yes" if question.required else "no",
                "text_sv": question.text.sv,
                "text_en": question.text.en,
                "choices": choices,
                "versions": history.versions_of(question.id),
                "choice_versions": choice_versions,
            }


CODEBOOK_COLUMNS = [
    "campaign",
    "question",
    "type",
    "required",
    "text_sv",
    "text_en",
    "choices",
    "versions",
    "choice_versions",
]
