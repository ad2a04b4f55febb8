"""What changed between two versions of a survey, and which changes break existing answers.

An organizer who sends a new version sees this before saving it. A change breaks the answers
already given when they would no longer mean the same under the new version: a choice id
removed or renamed (its answers match no choice), a question's type changed (its answers are
of another kind), a question removed that has answers (they belong to no question). Those
are named and need a second confirmation; everything else is only listed.

Pure: the caller says which questions have answers (`answered`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.survey import Choice, Question, Survey

# A question's fields that have a change of their own; any other differing field is "other".
_OWN_FIELDS = {"id", "type", "text", "choices"}
# The survey's fields that have a change of their own; the rest are named by their keys.
_SURVEY_FIELDS = {"id", "title", "opens", "closes", "questions"}


class What(StrEnum):
    QUESTION_ADDED = "question_added"
    QUESTION_REMOVED = "question_removed"
    QUESTION_MOVED = "question_moved"
    QUESTION_TEXT = "question_text"
    QUESTION_TYPE = "question_type"
    QUESTION_OTHER = "question_other"  # required, hint, show_if, limits...: `fields` says
    CHOICE_ADDED = "choice_added"
    CHOICE_REMOVED = "choice_removed"
    CHOICE_RENAMED = "choice_renamed"  # the same label under another id: `choice` → `to`
    CHOICE_LABEL = "choice_label"
    TITLE = "title"
    DATES = "dates"
    SURVEY_OTHER = "survey_other"  # intro, thanks, area, retention...: `fields` says


@dataclass(frozen=True)
class Change:
    what: What
    question: str | None = None  # the question's id
    choice: str | None = None  # the choice's id (the old one when renamed)
    to: str | None = None  # renamed: the new choice id; type: the new type
    was: str | None = None  # type: the old type
    fields: tuple[str, ...] = ()  # QUESTION_OTHER, SURVEY_OTHER: the keys as a file has them
    breaking: bool = False


@dataclass(frozen=True)
class Changes:
    items: tuple[Change, ...]

    @property
    def breaking(self) -> list[Change]:
        return [change for change in self.items if change.breaking]

    def __bool__(self) -> bool:
        return bool(self.items)

    def questions_broken(self) -> list[str]:
        """The questions whose existing answers would not match the new version, in order."""
        return list(dict.fromkeys(c.question for c in self.breaking if c.question is not None))


def changes(old: Survey | None, new: Survey, answered: Collection[str] = ()) -> Changes:
    """What `new` changes compared with `old` (None: a new campaign, nothing to compare).

    `answered`: the ids of the questions that have answers, so removing one of them breaks.
    """
    if old is None:
        return Changes(())
    found: list[Change] = []
    if old.title != new.title:
        found.append(Change(What.TITLE))
    if (old.opens, old.closes) != (new.opens, new.closes):
        found.append(Change(What.DATES))
    others = _differing(old, new, _SURVEY_FIELDS)
    if others:
        found.append(Change(What.SURVEY_OTHER, fields=others))
    before = {question.id: question for question in old.questions}
    after = {question.id: question for question in new.questions}
    for question in old.questions:
        if question.id not in after:
            removed = Change(What.QUESTION_REMOVED, question.id, breaking=question.id in answered)
            found.append(removed)
    for question in new.questions:
        if question.id not in before:
            found.append(Change(What.QUESTION_ADDED, question.id))
    found.extend(Change(What.QUESTION_MOVED, moved) for moved in _moved(old, new))
    for question in new.questions:
        if question.id in before:
            found.extend(_question_changes(before[question.id], question))
    return Changes(tuple(found))


def _moved(old: Survey, new: Survey) -> list[str]:
    """The questions in both versions that stand elsewhere among the others: those outside
    the longest run of questions kept in order (one question moved is one, not all after it)."""
    kept = {question.id for question in new.questions}
    earlier = [question.id for question in old.questions if question.id in kept]
    had = set(earlier)
    later = [question.id for question in new.questions if question.id in had]
    matcher = difflib.SequenceMatcher(a=earlier, b=later, autojunk=False)
    in_order = {
        earlier[block.a + offset]
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
    }
    return [question_id for question_id in later if question_id not in in_order]


def _question_changes(old: Question, new: Question) -> list[Change]:
    if old.type != new.type:
        return [Change(What.QUESTION_TYPE, new.id, to=new.type, was=old.type, breaking=True)]
    found: list[Change] = []
    if old.text != new.text:
        found.append(Change(What.QUESTION_TEXT, new.id))
    old_choices: Sequence[Choice] = getattr(old, "choices", ())
    new_choices: Sequence[Choice] = getattr(new, "choices", ())
    found.extend(_choice_changes(new.id, old_choices, new_choices))
    others = _differing(old, new, _OWN_FIELDS)
    if others:
        found.append(Change(What.QUESTION_OTHER, new.id, fields=others))
    return found


def _choice_changes(question: str, old: Sequence[Choice], new: Sequence[Choice]) -> list[Change]:
    before = {choice.id: choice for choice in old}
    after = {choice.id: choice for choice in new}
    removed = [choice for choice in old if choice.id not in after]
    added = [choice for choice in new if choice.id not in before]
    found: list[Change] = []
    for choice in removed:
        # The same label under a new id is the same answer renamed; its answers are lost all
        # the same, so it breaks, but the organizer recognises it better as a rename.
        twin = next((c for c in added if c.label == choice.label), None)
        if (
            twin is None
            and len(removed) == len(added) == 1
            and old.index(choice) == new.index(added[0])
        ):
            twin = added[0]  # one choice swapped for another in the same place
        if twin is not None:
            added.remove(twin)
            found.append(
                Change(What.CHOICE_RENAMED, question, choice.id, to=twin.id, breaking=True)
            )
        else:
            found.append(Change(What.CHOICE_REMOVED, question, choice.id, breaking=True))
    found.extend(Change(What.CHOICE_ADDED, question, choice.id) for choice in added)
    for choice in new:
        was = before.get(choice.id)
        if was is not None and was.label != choice.label:
            found.append(Change(What.CHOICE_LABEL, question, choice.id))
    return found


def _differing(old: Any, new: Any, own: set[str]) -> tuple[str, ...]:
    """The fields, as a file names them, whose values differ, apart from those in `own`."""
    fields = type(new).model_fields
    names = [
        info.alias or name
        for name, info in fields.items()
        if name not in own and getattr(old, name, None) != getattr(new, name, None)
    ]
    return tuple(names)
