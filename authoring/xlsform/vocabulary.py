"""XLSForm's words (types, columns, yes and no) and what each means in Torget, if anything."""

from __future__ import annotations

from core.says import N_

# Columns read for every question; the type-specific ones are read by their type.
READ_COLUMNS = {"type", "name", "label", "hint", "required", "relevant"}
# Why a column has no counterpart, in the organizer's words (N_: said in their language).
COLUMN_REASONS = {
    "constraint_message": N_("Torget explains a wrong answer in its own words"),
    "required_message": N_("Torget explains a missing answer in its own words"),
    "appearance": N_("Telegram shows each question as a message with buttons"),
    "choice_filter": N_("all choices are shown"),
    "calculation": N_("Torget does not calculate"),
    "default": N_("Torget has no default answers"),
    "image": N_("Torget sends no media with a question"),
    "audio": N_("Torget sends no media with a question"),
    "video": N_("Torget sends no media with a question"),
    "big-image": N_("Torget sends no media with a question"),
}
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-geopoint",
}
# Types with no counterpart, and what the organizer could do instead.
UNSUPPORTED_TYPES = {
    "date": N_("a text question could ask for it"),
    "time": N_("a text question could ask for it"),
    "datetime": N_("a text question could ask for it"),
    "barcode": None,
    "audio": N_("Torget takes photos, not recordings"),
    "video": N_("Torget takes photos, not recordings"),
    "background-audio": N_("Torget takes photos, not recordings"),
    "file": N_("Torget takes photos only"),
    "geotrace": N_("a location question takes a single place"),
    "geoshape": N_("a location question takes a single place"),
    "rank": N_("a select_multiple with max_choices could ask for favourites"),
    "acknowledge": N_("a note, or a select_one, could stand in for it"),
    "select_one_from_file": N_("copy the choices into the choices sheet"),
    "select_multiple_from_file": N_("copy the choices into the choices sheet"),
    "select_one_external": N_("copy the choices into the choices sheet"),
    "select_multiple_external": N_("copy the choices into the choices sheet"),
    "xml-external": None,
    "csv-external": None,
}
TYPE_ALIASES = {
    "begin group": "begin_group",
    "end group": "end_group",
    "begin repeat": "begin_repeat",
    "end repeat": "end_repeat",
    "begin_group": "begin_group",
    "end_group": "end_group",
    "begin_repeat": "begin_repeat",
    "end_repeat": "end_repeat",
    "int": "integer",
    "string": "text",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select_one": "select_one",
    "select_multiple": "select_multiple",
    "datetime": "datetime",
}
YES = {"yes", "true", "1", "true()", "ja"}
NO = {"no", "false", "0", "false()", "nej", ""}
# Columns of KoboToolbox ($kuid, $autoname) and Survey123 (bind::esri:..., body::esri:...).
TOOL_PREFIXES = ("$", "bind::", "body::", "instance::")
# The types Torget has, by their XLSForm name.
TORGET_TYPES = {
    "select_one": "select_one",
    "select_multiple": "select_multiple",
    "integer": "number",
    "decimal": "number",
    "range": "scale",
    "text": "text",
    "geopoint": "location",
    "image": "photo",
    "note": "note",
}
SCALE_STARTS = (0, 1)
SCALE_ENDS = range(2, 11)


def split_type(raw: str) -> tuple[str, list[str]]:
    """'select_one yes_no' -> ('select_one', ['yes_no']); 'begin group' -> ('begin_group', [])."""
    words = raw.split()
    lowered = [word.lower() for word in words]
    for size in (4, 2):
        phrase = " ".join(lowered[:size])
        if phrase in TYPE_ALIASES:
            return TYPE_ALIASES[phrase], words[size:]
    head = lowered[0]
    return TYPE_ALIASES.get(head, head), words[1:]
