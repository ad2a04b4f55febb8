"""Build docs/examples/trygghetsvandring.xlsx, the example XLSForm for `import-xlsform`.

A safety walk ("trygghetsvandring") as an organizer would make it in KoboToolbox or Excel,
in Swedish and English. It also has two rows Torget cannot take (a date question and a
calculation), so the import report has something to show. Run it again after a change:

    .venv/bin/python docs/examples/make_example_form.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FORM = HERE / "trygghetsvandring.xlsx"

SV, EN = "Svenska (sv)", "English (en)"
SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{SV}",
    f"label::{EN}",
    f"hint::{SV}",
    f"hint::{EN}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{SV}",
    "parameters",
    "calculation",
    "appearance",
]
SURVEY: list[dict[str, str]] = [
    {
        "type": "note",
        "name": "welcome",
        "sv": "Välkommen på trygghetsvandring! Vi går tillsammans genom centrum och "
        "noterar platser som känns trygga eller otrygga.",
        "en": "Welcome to the safety walk! Together we walk through the town centre and "
        "note places that feel safe or unsafe.",
    },
    {
        "type": "date",
        "name": "walk_date",
        "sv": "Vilket datum går du vandringen?",
        "en": "On what date do you take the walk?",
    },
    {
        "type": "select_one tid",
        "name": "time_of_day",
        "sv": "När på dygnet går du vandringen?",
        "en": "At what time of day do you take the walk?",
        "required": "yes",
    },
    {
        "type": "begin_group",
        "name": "platsen",
        "sv": "Platsen",
        "en": "The place",
    },
    {
        "type": "geopoint",
        "name": "place",
        "sv": "Var är du just nu?",
        "en": "Where are you right now?",
        "hint_sv": "Dela din position eller välj platsen på kartan.",
        "hint_en": "Share your location or pick the place on the map.",
        "required": "yes",
    },
    {
        "type": "range",
        "name": "feel_safe",
        "sv": "Hur trygg känner du dig på den här platsen?",
        "en": "How safe do you feel in this place?",
        "hint_sv": "1 = mycket otrygg, 5 = mycket trygg",
        "hint_en": "1 = very unsafe, 5 = very safe",
        "required": "yes",
        "parameters": "start=1 end=5 step=1",
    },
    {
        "type": "select_multiple orsaker",
        "name": "why_unsafe",
        "sv": "Vad gör att platsen känns otrygg?",
        "en": "What makes the place feel unsafe?",
        "required": "yes",
        "relevant": "${feel_safe} = 1 or ${feel_safe} = 2",
    },
    {
        "type": "text",
        "name": "lighting_where",
        "sv": "Var saknas det belysning?",
        "en": "Where is lighting missing?",
        "relevant": "selected(${why_unsafe}, 'dålig_belysning')",
    },
    {
        "type": "image",
        "name": "photo",
        "sv": "Ta gärna en bild av platsen.",
        "en": "Feel free to take a photo of the place.",
        "hint_sv": "Fotografera platsen, inte människor.",
        "hint_en": "Photograph the place, not people.",
        "relevant": "${feel_safe} <= 2",
    },
    {"type": "end_group", "name": ""},
    {
        "type": "integer",
        "name": "group_size",
        "sv": "Hur många är ni i gruppen?",
        "en": "How many are you in the group?",
        "required": "yes",
        "constraint": ". >= 1 and . <= 30",
        "constraint_message": "Skriv ett tal mellan 1 och 30.",
    },
    {
        "type": "calculate",
        "name": "unsafe_flag",
        "calculation": "if(${feel_safe} <= 2, 1, 0)",
    },
    {
        "type": "select_one ja_nej",
        "name": "next_walk",
        "sv": "Vill du vara med på nästa trygghetsvandring?",
        "en": "Would you like to join the next safety walk?",
        "required": "yes",
    },
    {
        "type": "text",
        "name": "anything_else",
        "sv": "Är det något mer du vill berätta?",
        "en": "Is there anything else you want to tell us?",
        "appearance": "multiline",
    },
]
CHOICES_COLUMNS = ["list_name", "name", f"label::{SV}", f"label::{EN}"]
CHOICES = [
    ("tid", "dag", "Dagtid", "Daytime"),
    ("tid", "kvall", "Kväll", "Evening"),
    ("tid", "sen-kvall", "Sen kväll eller natt", "Late evening or night"),
    ("orsaker", "dålig_belysning", "Dålig belysning", "Poor lighting"),
    ("orsaker", "skymd_sikt", "Skymd sikt, buskage", "Blocked view, bushes"),
    ("orsaker", "ode", "Öde, få människor", "Deserted, few people"),
    ("orsaker", "storande", "Människor som stör", "People causing trouble"),
    ("orsaker", "klotter", "Klotter och skräp", "Graffiti and litter"),
    ("orsaker", "trafik", "Trafiken", "The traffic"),
    ("ja_nej", "ja", "Ja", "Yes"),
    ("ja_nej", "nej", "Nej", "No"),
]
SETTINGS_COLUMNS = ["form_id", f"form_title::{SV}", f"form_title::{EN}", "version"]
SETTINGS = [
    (
        "Trygghetsvandring_2026",
        "Trygghetsvandring i centrum",
        "Safety walk in the town centre",
        "2026120101",
    )
]
# The keys of SURVEY above, by column.
SURVEY_KEYS = {
    f"label::{SV}": "sv",
    f"label::{EN}": "en",
    f"hint::{SV}": "hint_sv",
    f"hint::{EN}": "hint_en",
    f"constraint_message::{SV}": "constraint_message",
}


def build_workbook() -> Any:
    """The example form as an openpyxl Workbook."""
    import openpyxl

    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in SURVEY:
        survey.append(
            [row.get(SURVEY_KEYS.get(column, column)) or None for column in SURVEY_COLUMNS]
        )
    choices = workbook.create_sheet("choices")
    choices.append(CHOICES_COLUMNS)
    for choice in CHOICES:
        choices.append(list(choice))
    settings = workbook.create_sheet("settings")
    settings.append(SETTINGS_COLUMNS)
    for values in SETTINGS:
        settings.append(list(values))
    return workbook


def main() -> None:
    build_workbook().save(FORM)
    print(f"wrote {FORM}")


if __name__ == "__main__":
    main()
