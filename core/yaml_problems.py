"""What a YAML syntax error means to someone who writes a survey file by hand.

PyYAML says where it stopped reading and why, in its own words; this says what is most
likely wrong there and how to write it instead. core.problems explains the rest.
"""

from __future__ import annotations

import re

import yaml

from core.says import N_, Says, raw, says

# The loader's refusal of a list or a mapping where a field name belongs.
KEY_NOT_A_NAME = N_(
    "a field name here is a list or a mapping ('{{' or '[' where a name belongs); a text that "
    "starts with {{ or [ needs quotes"
)
SAME_COLUMN = N_(
    "the indentation here does not match the lines above: the fields of one question start "
    "at the same column"
)
SAME_COLUMN_ITEMS = N_(
    "the indentation here does not match the lines above: the fields of one question and "
    "the '-' of every item of a list start at the same column"
)
OPENED = {
    "quote": N_('a quote (")'),
    "mapping": N_("a '{{'"),
    "list": N_("a '['"),
}


def explain_yaml(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, Says]:
    """What a YAML syntax error means to someone who writes the file by hand, and its line."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or ""
    lines = text.splitlines()
    source = lines[mark.line] if mark and mark.line < len(lines) else ""
    context = exc.context or ""
    if "'\\t'" in problem:
        return line, says(
            N_(
                "a tab is used to indent this line; YAML needs spaces (set the editor to "
                "indent with spaces)"
            )
        )
    if problem == str(says(KEY_NOT_A_NAME)):
        return line, says(KEY_NOT_A_NAME)
    if problem.startswith("expected '<document start>'"):
        return line, says(
            N_(
                "the indentation here does not match the lines above: the survey's own "
                "fields (id, title, questions ...) start at the first column, with no spaces "
                "before them"
            )
        )
    twice = re.fullmatch(r"the key '(.*)' appears twice", problem)
    if twice:
        # From _construct_mapping.
        return line, says(
            N_("'{key}' appears twice in the same place; keep one of them"), key=twice.group(1)
        )
    if context.startswith(("while parsing a flow", "while scanning a quoted")) and (
        exc.context_mark is not None
    ):
        opened = OPENED[
            "quote" if "quoted" in context else ("mapping" if "mapping" in context else "list")
        ]
        return exc.context_mark.line + 1, says(
            N_(
                '{opened} on this line is not closed, or a quote inside it is not; every ", '
                "{{ and [ needs its partner"
            ),
            opened=says(opened),
        )
    if problem == "mapping values are not allowed here" and mark is not None:
        before = source[: mark.column]
        if ": " in before.strip():
            return line, says(
                N_(
                    "this text contains ': ', which YAML reads as a new field; put the whole "
                    'text in quotes, like sv: "Obs: ..."'
                )
            )
        return line, says(
            N_(
                "the indentation of this line is deeper than the line above it; fields that "
                "belong together (the survey's, or one question's) start at the same column"
            )
        )
    if problem.startswith("expected <block end>"):
        return line, says(SAME_COLUMN_ITEMS if "'-'" in problem else SAME_COLUMN)
    if problem.startswith("could not find expected ':'"):
        return line, says(
            N_(
                "a line here has no ':' after its field name, or a text runs over several "
                "lines without quotes; check the indentation and put long texts in quotes"
            )
        )
    # Characters YAML keeps for itself at the start of a text: @ ` % | > * & !
    special = re.match(r"found character '(.)' that cannot start any token", problem)
    scanning = {
        "while scanning an alias": "*",
        "while scanning an anchor": "&",
        "while scanning a tag": "!",
    }
    sign = special.group(1) if special else scanning.get(context)
    if problem.startswith(("found undefined alias", "could not determine a constructor")):
        sign = "*" if "alias" in problem else "!"
    if sign:
        return line, says(
            N_(
                "a text here starts with '{sign}', which YAML keeps for itself; put the text "
                'in quotes, like "..."'
            ),
            sign=sign,
        )
    if problem.startswith(("expected chomping or indentation", "expected a comment or a line")):
        return line, says(
            N_(
                "a '|' or '>' here starts a block of text, whose lines begin on the next "
                "line; put a one-line text in quotes instead"
            )
        )
    if not problem:
        return line, says(
            N_(
                "this is not valid YAML (the file is not valid YAML here: check the "
                "indentation and quotes)"
            )
        )
    # PyYAML's own words, in English: shown as they are, after ours.
    return line, says(
        N_("{reason} (the file is not valid YAML here: check the indentation and quotes)"),
        reason=raw(problem),
    )


def key_on_line(text: str, line: int | None) -> str | None:
    """The field a line starts with (`  - id: where` gives id), to name it in a YAML error."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return None
    found = re.match(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*:", lines[line - 1])
    return found.group(1) if found else None
