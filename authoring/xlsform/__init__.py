"""`bot.py import-xlsform`: an XLSForm (KoboToolbox, ODK, Survey123) to a Torget survey.

`reader.read_workbook` reads the sheets into rows (openpyxl, imported only then),
`converter.convert` maps rows to a survey and a list of notes (pure, no I/O; `conditions`
reads relevant and constraint expressions, `vocabulary` XLSForm's words, `ids` makes ids),
and `writer.to_yaml` writes the survey in the style of the shipped surveys with the notes as
comments on top; `command` is the command line. What cannot be mapped is never dropped
silently: each such thing becomes a Note naming its sheet and row, its text a `core.says.Says`
(`languages` holds the notes and the languages of the texts): str() is the English the
command prints and writes, `render()` says it in an organizer's language for an upload.
"""

from authoring.xlsform.command import add_command, run
from authoring.xlsform.converter import convert
from authoring.xlsform.form import Conversion, Form, NotAnXLSForm, Note, Row
from authoring.xlsform.reader import read_workbook
from authoring.xlsform.writer import schema_reference, to_yaml

__all__ = [
    "Conversion",
    "Form",
    "NotAnXLSForm",
    "Note",
    "Row",
    "add_command",
    "convert",
    "read_workbook",
    "run",
    "schema_reference",
    "to_yaml",
]
