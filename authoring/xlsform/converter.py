"""The mapping: an XLSForm's rows in, a Torget survey (as plain data) and notes out; no I/O.

About 600 lines, kept whole: one class that walks the form once, row by row, and each of its
methods reads or notes into the same state (lists, earlier questions, missing texts); what it
stands on (the notes, the columns, the languages of the texts) is `languages.Reading`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from authoring.xlsform.conditions import (
    ListChoice,
    Target,
    constraint_limits,
    parse_relevant,
    plain_number,
    resolve,
)
from authoring.xlsform.form import (
    Conversion,
    Form,
    Row,
    rows_text,
)
from authoring.xlsform.ids import make_id, make_survey_id, unique_id
from authoring.xlsform.languages import Reading
from authoring.xlsform.vocabulary import (
    COLUMN_REASONS,
    METADATA_TYPES,
    NO,
    READ_COLUMNS,
    SCALE_ENDS,
    SCALE_STARTS,
    TOOL_PREFIXES,
    TORGET_TYPES,
    UNSUPPORTED_TYPES,
    YES,
    split_type,
)
from core.contributions import FORM_IDS
from core.says import N_, Says, says
from core.survey import LANGS, MAX_TEXT_LIMIT


def _column_not_carried(header: str, rows: Says) -> Says:
    return says(N_("column '{header}' ({rows}) is not carried over"), header=header, rows=rows)


def convert(form: Form) -> Conversion:
    """Map an XLSForm's rows to a Torget survey (as plain data) and what did not fit."""
    return _Converter(form).run()


@dataclass
class _Group:
    kind: str  # group or repeat
    name: str
    row: int
    condition: dict[str, Any] | None


class _Converter(Reading):
    def __init__(self, form: Form) -> None:
        super().__init__(form)
        self.lists: dict[str, list[ListChoice]] = {}
        self.used_lists: set[str] = set()
        self.targets: dict[str, Target] = {}
        self.left_out: set[str] = set()
        self.question_ids: set[str] = set()
        self.bookkeeping: dict[str, list[int]] = {}

    def run(self) -> Conversion:
        settings = self._settings()
        self._languages()
        self._choices()
        survey: dict[str, Any] = {"id": self._survey_id(settings)}
        title = self._texts(settings.cells, "form_title") if settings else {}
        if settings and title:
            survey["title"] = title
            self._check_languages(title, "settings", settings.number, says(N_("the title")))
        else:
            text = says(N_("the form has no form_title: write a title by hand"))
            self.note("settings", None, text)
        survey["questions"] = self._questions()
        for name, choices in self.lists.items():
            if name not in self.used_lists:
                rows = rows_text([choice.row for choice in choices])
                text = says(
                    N_("list '{name}' ({rows}) is used by no question"), name=name, rows=rows
                )
                self.note("choices", None, text)
        self._summarise_languages()
        for header, rows_of in self.bookkeeping.items():
            rows = rows_text(rows_of)
            self.note("survey", None, _column_not_carried(header, rows))
        # In the order an organizer reads the form: the survey sheet first, row by row.
        order = {"form": 0, "survey": 1, "choices": 2, "settings": 3}
        notes = sorted(self.notes, key=lambda n: (order.get(n.sheet, 4), n.row or 0))
        return Conversion(survey, notes)

    # settings and languages

    def _settings(self) -> Row | None:
        rows = [row for row in self.form.settings if row.cells]
        if not rows:
            return None
        first = rows[0]
        for header, value in first.cells.items():
            base = self.column(header).base
            if base not in ("form_id", "form_title", "default_language"):
                text = says(
                    N_("{header} ('{value}') is not carried over"), header=header, value=value
                )
                self.note("settings", first.number, text)
        for extra in rows[1:]:
            self.note("settings", extra.number, says(N_("only the first row of settings is read")))
        return first

    def _survey_id(self, settings: Row | None) -> str:
        given = self._value(settings.cells, "form_id") if settings else ""
        source = given or self.form.name
        made = make_survey_id(source)
        row = settings.number if settings and given else None
        if not given:
            text = says(N_("no form_id: the id '{id}' was made from the file name"), id=made)
            self.note("settings", None, text, lost=False)
        elif made != given:
            text = says(N_("form_id '{given}' became the id '{id}'"), given=given, id=made)
            self.note("settings", row, text, lost=False)
        if made in FORM_IDS:
            text = says(N_("the id '{id}' is reserved for the bot: choose another"), id=made)
            self.note("settings", row, text)
        return made

    # choices

    def _choices(self) -> None:
        extra: dict[str, list[int]] = {}
        for row in self.form.choices:
            cells = row.cells
            list_name, name = self._value(cells, "list_name"), self._value(cells, "name")
            if not list_name and not name:
                continue
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                text = says(N_("no {column}: the choice is left out"), column=missing)
                self.note("choices", row.number, text)
                continue
            label = self._texts(cells, "label")
            for header in cells:
                column = self.column(header)
                if column.base in ("list_name", "name", "label"):
                    continue
                if column.language is not None and column.language not in LANGS:
                    continue  # noted once for the column
                extra.setdefault(header, []).append(row.number)
            choices = self.lists.setdefault(list_name, [])
            known = {choice.id for choice in choices}
            made = unique_id(make_id(name, "choice_"), known)
            if made != name:
                text = says(
                    N_(
                        "the choice '{name}' of list '{list}' has the id '{id}' "
                        "(Torget ids are lower-case letters, digits and _)"
                    ),
                    name=name,
                    list=list_name,
                    id=made,
                )
                self.note("choices", row.number, text, lost=False)
            if any(choice.name == name for choice in choices):
                text = says(N_("'{name}' is twice in list '{list}'"), name=name, list=list_name)
                self.note("choices", row.number, text)
            what = says(N_("choice '{id}'"), id=made)
            self._check_languages(label, "choices", row.number, what)
            choices.append(ListChoice(name, made, label, row.number))
        for header, rows in extra.items():
            self.note("choices", None, _column_not_carried(header, rows_text(rows)))

    # questions

    def _questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = []
        groups: list[_Group] = []
        for row in self.form.survey:
            cells = row.cells
            raw_type = self._value(cells, "type")
            name = self._value(cells, "name")
            if not raw_type:
                if name:
                    text = says(N_("'{name}' without a type: left out"), name=name)
                else:
                    text = says(N_("a row without a type: left out"))
                self.note("survey", row.number, text)
                continue
            kind, rest = split_type(raw_type)
            if kind in ("begin_group", "begin_repeat"):
                groups.append(self._begin(row, kind, name))
                continue
            if kind in ("end_group", "end_repeat"):
                if groups:
                    groups.pop()
                else:
                    text = says(N_("{kind} without a begin: ignored"), kind=kind)
                    self.note("survey", row.number, text)
                continue
            question = self._question(row, kind, rest, name, groups)
            if question is not None:
                questions.append(question)
        for group in groups:
            if group.kind == "group":
                text = says(N_("group '{name}' is never ended"), name=group.name)
            else:
                text = says(N_("repeat '{name}' is never ended"), name=group.name)
            self.note("survey", group.row, text)
        return questions

    def _begin(self, row: Row, kind: str, name: str) -> _Group:
        word = "group" if kind == "begin_group" else "repeat"
        label = self._texts(row.cells, "label")
        shown = f" ({label[next(iter(label))]!r})" if label else ""
        condition: dict[str, Any] | None = None
        relevant = self._value(row.cells, "relevant")
        if word == "group":
            subject = says(N_("group '{name}'"), name=name)
        else:
            subject = says(N_("repeat '{name}'"), name=name)
        if relevant:
            condition = self._condition(relevant, row.number, subject)
        if word == "group":
            text = N_(
                "group '{name}'{shown}: its questions are kept, one after another "
                "(Torget has no groups; the group's label is not shown)"
            )
        else:
            text = N_(
                "repeat '{name}'{shown}: its questions are kept and asked once, "
                "not repeated (Torget has no repeats)"
            )
        said = says(text, name=name, shown=shown)
        if condition is not None:
            more = says(N_("its relevant became the show_if of each question in it"))
            said = says(N_("{first}; {rest}"), first=said, rest=more)
        elif relevant:
            more = says(N_("they are always shown, as its relevant could not be carried over"))
            said = says(N_("{first}; {rest}"), first=said, rest=more)
        self.note("survey", row.number, said, lost=word == "repeat")
        handled = {"type", "name", "label", "relevant"}
        self._leftover_columns(row, handled, subject)
        return _Group(word, name, row.number, condition)

    def _question(
        self, row: Row, kind: str, rest: list[str], name: str, groups: list[_Group]
    ) -> dict[str, Any] | None:
        subject: Says | str = f"'{name}'" if name else says(N_("a question"))
        if kind in METADATA_TYPES:
            text = says(
                N_("{subject}: metadata ({kind}) is not collected"), subject=subject, kind=kind
            )
            self.note("survey", row.number, text)
            self.left_out.add(name)
            return None
        if kind in ("calculate", "hidden"):
            calculation = self._value(row.cells, "calculation")
            what = f" ({calculation})" if calculation else ""
            if kind == "calculate":
                why = N_("{subject}: a calculate row{what}; Torget does not calculate, left out")
            else:
                why = N_("{subject}: a hidden row{what}; nothing is asked, left out")
            self.note("survey", row.number, says(why, subject=subject, what=what))
            self.left_out.add(name)
            return None
        torget = TORGET_TYPES.get(kind)
        if torget is None:
            instead = UNSUPPORTED_TYPES.get(kind)
            if instead:
                text = says(
                    N_(
                        "{subject}: type '{kind}' has no counterpart in Torget ({instead}); "
                        "left out"
                    ),
                    subject=subject,
                    kind=kind,
                    instead=says(instead),
                )
            else:
                text = says(
                    N_("{subject}: type '{kind}' has no counterpart in Torget; left out"),
                    subject=subject,
                    kind=kind,
                )
            self.note("survey", row.number, text)
            self.left_out.add(name)
            return None
        if not name:
            text = says(N_("a {kind} question without a name: left out"), kind=kind)
            self.note("survey", row.number, text)
            return None
        qid = unique_id(make_id(name, "q_"), self.question_ids)
        self.question_ids.add(qid)
        if qid != name:
            text = says(
                N_(
                    "the question '{name}' has the id '{id}' "
                    "(Torget ids are lower-case letters, digits and _)"
                ),
                name=name,
                id=qid,
            )
            self.note("survey", row.number, text, lost=False)
        question: dict[str, Any] = {"id": qid, "type": torget}
        handled = set(READ_COLUMNS)
        target = Target(qid, torget)
        if kind in ("select_one", "select_multiple"):
            self._select(row, question, target, rest)
        elif rest:
            text = says(N_("'{words}' after the type is ignored"), words=" ".join(rest))
            self.note("survey", row.number, text)
        if kind in ("integer", "decimal"):
            question["integer"] = kind == "integer"
        if kind == "range":
            self._range(row, question, target)
            handled.add("parameters")
        if kind in ("integer", "decimal", "text", "select_multiple"):
            self._constraint(row, question)
            handled.add("constraint")
        self._label(row, question, qid)
        self._required(row, question, kind)
        self._show_if(row, question, groups)
        self._leftover_columns(row, handled, f"'{name}'")
        self.targets[name] = target
        return question

    def _select(self, row: Row, question: dict[str, Any], target: Target, rest: list[str]) -> None:
        if not rest:
            text = says(N_("'{id}' names no choice list"), id=question["id"])
            self.note("survey", row.number, text)
            question["choices"] = []
            return
        list_name, extra = rest[0], rest[1:]
        if extra == ["or_other"]:
            text = says(
                N_(
                    "'{id}': or_other is not carried over (add an 'other' choice and a text "
                    "question shown for it)"
                ),
                id=question["id"],
            )
            self.note("survey", row.number, text)
        elif extra:
            text = says(N_("'{words}' after the list is ignored"), words=" ".join(extra))
            self.note("survey", row.number, text)
        choices = self.lists.get(list_name)
        if choices is None:
            text = says(
                N_("'{id}': the list '{list}' is not in the choices sheet"),
                id=question["id"],
                list=list_name,
            )
            self.note("survey", row.number, text)
            choices = []
        self.used_lists.add(list_name)
        target.choices = choices
        question["choices"] = [{"id": c.id, "label": c.label} for c in choices]

    def _range(self, row: Row, question: dict[str, Any], target: Target) -> None:
        raw = self._value(row.cells, "parameters")
        params = {"start": "0", "end": "10", "step": "1"}
        for part in re.split(r"[\s,;]+", raw.strip()):
            key, sep, value = part.partition("=")
            if not part:
                continue
            if sep and key.strip().lower() in params:
                params[key.strip().lower()] = value.strip()
            else:
                text = says(
                    N_("'{id}': parameter '{part}' is ignored"), id=question["id"], part=part
                )
                self.note("survey", row.number, text)
        try:
            start, end, step = (float(params[k]) for k in ("start", "end", "step"))
        except ValueError:
            text = says(
                N_("'{id}': parameters '{raw}' are not numbers"), id=question["id"], raw=raw
            )
            self.note("survey", row.number, text)
            start, end, step = 0.0, 10.0, 1.0
        whole = all(v.is_integer() for v in (start, end, step))
        if whole and step == 1 and int(start) in SCALE_STARTS and int(end) in SCALE_ENDS:
            question["min"], question["max"] = int(start), int(end)
            target.kind, target.low, target.high = "scale", int(start), int(end)
            return
        low, high = min(start, end), max(start, end)
        question["type"] = "number"
        question["min"], question["max"] = plain_number(low), plain_number(high)
        question["integer"] = whole
        target.kind = "number"
        text = says(
            N_(
                "'{id}': the range {start} to {end} (step {step}) became a number question "
                "between {low} and {high} (a scale goes from 0 or 1 up to at most 10, in steps "
                "of 1)"
            ),
            id=question["id"],
            start=plain_number(start),
            end=plain_number(end),
            step=plain_number(step),
            low=plain_number(low),
            high=plain_number(high),
        )
        self.note("survey", row.number, text, lost=False)

    def _constraint(self, row: Row, question: dict[str, Any]) -> None:
        raw = self._value(row.cells, "constraint")
        if not raw:
            return
        found = constraint_limits(raw, question["type"], bool(question.get("integer")))
        if found is None:
            text = says(
                N_("'{id}': the constraint '{raw}' is not carried over"),
                id=question["id"],
                raw=raw,
            )
            self.note("survey", row.number, text)
            return
        limits, changes = found
        for key, value in limits.items():
            if key == "max_length" and not 1 <= value <= MAX_TEXT_LIMIT:
                text = says(
                    N_(
                        "'{id}': the constraint '{raw}' is not carried over (a text is at most "
                        "{limit} characters)"
                    ),
                    id=question["id"],
                    raw=raw,
                    limit=MAX_TEXT_LIMIT,
                )
                self.note("survey", row.number, text)
                return
        if question["type"] == "number":
            low = limits.get("min", question.get("min"))
            high = limits.get("max", question.get("max"))
            if low is not None and high is not None and low > high:
                text = says(
                    N_("'{id}': the constraint '{raw}' allows no number; not carried over"),
                    id=question["id"],
                    raw=raw,
                )
                self.note("survey", row.number, text)
                return
        question.update(limits)
        for change in changes:
            text = says(N_("'{id}': {change}"), id=question["id"], change=change)
            self.note("survey", row.number, text, lost=False)

    def _label(self, row: Row, question: dict[str, Any], qid: str) -> None:
        label = self._texts(row.cells, "label")
        if label:
            question["text"] = label
            what = says(N_("question '{id}'"), id=qid)
            self._check_languages(label, "survey", row.number, what)
        else:
            text = says(N_("'{id}' has no label: write its text by hand"), id=qid)
            self.note("survey", row.number, text)
        hint = self._texts(row.cells, "hint")
        if hint:
            question["hint"] = hint
            what = says(N_("the hint of '{id}'"), id=qid)
            self._check_languages(hint, "survey", row.number, what)
        texts = " ".join((*label.values(), *hint.values()))
        if re.search(r"\$\{[^}]*\}", texts):
            text = says(
                N_(
                    "'{id}': the text refers to an answer with ${{...}}, which Torget does not "
                    "fill in"
                ),
                id=qid,
            )
            self.note("survey", row.number, text)
        markup = re.search(r"</?[a-zA-Z][^>]*>|\*\*", texts)
        if markup:
            text = says(
                N_("'{id}': the text has markup ({markup}), which residents would see as written"),
                id=qid,
                markup=markup.group(0),
            )
            self.note("survey", row.number, text)

    def _required(self, row: Row, question: dict[str, Any], kind: str) -> None:
        raw = self._value(row.cells, "required")
        word = raw.strip().lower()
        if kind == "note":
            if word and word not in NO:
                text = says(N_("'{id}': a note needs no answer"), id=question["id"])
                self.note("survey", row.number, text)
            return
        if word in YES:
            return  # Torget's questions are required unless they say otherwise
        question["required"] = False
        if word not in NO:
            text = says(
                N_("'{id}': required '{raw}' is not carried over; the question is optional"),
                id=question["id"],
                raw=raw,
            )
            self.note("survey", row.number, text)

    def _show_if(self, row: Row, question: dict[str, Any], groups: list[_Group]) -> None:
        relevant = self._value(row.cells, "relevant")
        own = self._condition(relevant, row.number, f"'{question['id']}'") if relevant else None
        inherited = [group for group in groups if group.condition is not None]
        conditions = [*(group.condition for group in inherited), own]
        kept = [condition for condition in conditions if condition is not None]
        if not kept:
            return
        question["show_if"] = kept[-1]
        if len(kept) > 1:
            text = says(
                N_(
                    "'{id}': a question has one show_if in Torget; the condition of the group "
                    "around it is not carried over, only the innermost one"
                ),
                id=question["id"],
            )
            self.note("survey", row.number, text)

    def _condition(self, relevant: str, row: int, subject: Says | str) -> dict[str, Any] | None:
        """A relevant expression as a show_if, or None with a note saying why not."""
        parsed = parse_relevant(relevant)
        if parsed is None:
            text = says(
                N_(
                    "{subject}: the relevant '{relevant}' is too complex for show_if (one "
                    "earlier question, equal or not equal to some values); not carried over"
                ),
                subject=subject,
                relevant=relevant,
            )
            self.note("survey", row, text)
            return None
        joiner, atoms = parsed
        name = atoms[0].question
        if name in self.left_out:
            text = says(
                N_(
                    "{subject}: the relevant '{relevant}' depends on '{name}', which was left "
                    "out; not carried over"
                ),
                subject=subject,
                relevant=relevant,
                name=name,
            )
            self.note("survey", row, text)
            return None
        target = self.targets.get(name)
        if target is None:
            text = says(
                N_(
                    "{subject}: the relevant '{relevant}' refers to '{name}', which is not an "
                    "earlier question; not carried over"
                ),
                subject=subject,
                relevant=relevant,
                name=name,
            )
            self.note("survey", row, text)
            return None
        result = resolve(joiner, atoms, target)
        if isinstance(result, Says):
            text = says(
                N_("{subject}: the relevant '{relevant}' {reason}; not carried over"),
                subject=subject,
                relevant=relevant,
                reason=result,
            )
            self.note("survey", row, text)
            return None
        condition, change = result
        if change:
            text = says(N_("{subject}: {change}"), subject=subject, change=change)
            self.note("survey", row, text, lost=False)
        return condition

    def _leftover_columns(self, row: Row, handled: set[str], subject: Says | str) -> None:
        for header, value in row.cells.items():
            column = self.column(header)
            if column.base in handled:
                continue
            if header.lower().startswith(TOOL_PREFIXES):
                # A tool's own columns ($kuid, bind::esri:fieldType) are on most rows: one
                # note for the column says it without a line for every cell.
                self.bookkeeping.setdefault(header, []).append(row.number)
                continue
            if column.language is not None and column.language not in LANGS:
                continue  # noted once for the whole column
            reason = COLUMN_REASONS.get(column.base.removeprefix("media::"))
            if reason:
                template = N_("{subject}: {header} '{value}' is not carried over ({reason})")
            else:
                template = N_("{subject}: {header} '{value}' is not carried over")
            text = says(
                template, subject=subject, header=header, value=value, reason=says(reason or "")
            )
            self.note("survey", row.number, text)
