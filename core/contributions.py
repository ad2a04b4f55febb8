"""Ideas and safety tips: what residents notice on their own, with a place if they want.

An idea or a tip is written through a short form that is itself a Survey, built here and
driven by the same engine as the campaigns: Back, Change, the summary with Send, resuming
after a pause and the hints on bad input work the same way. Only the finish differs: the
answers become one Contribution row, which organizers moderate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.says import N_, SaysError, says
from core.survey import (
    ID_LIMIT,
    IDENTIFIER,
    Area,
    Choice,
    FreeText,
    Location,
    Photo,
    Precision,
    Question,
    SelectOne,
    Strict,
    Survey,
    Text,
)


class Kind(StrEnum):
    IDEA = "idea"
    TIP = "tip"


# Too few categories for a kind's form to offer a choice.
TOO_FEW_CATEGORIES = {
    Kind.IDEA: N_("ideas need at least two categories to choose from"),
    Kind.TIP: N_("tips need at least two categories to choose from"),
}
# The form of each kind has the kind's value as its survey id; campaigns may not use them.
FORM_IDS = frozenset(kind.value for kind in Kind)
ALWAYS = datetime(2000, 1, 1, tzinfo=UTC)


class Status(StrEnum):
    RECEIVED = "received"  # sent, nobody has looked yet
    SEEN = "seen"  # a moderator approved it
    HANDLED = "handled"  # something was done about it
    HIDDEN = "hidden"  # not used, for a reason the resident is told


# What a moderator may do with an idea or tip of each status, as /moderate's buttons and the
# web view's offer it: a new one is approved, handled or hidden; an approved one handled or
# hidden; a handled or hidden one is decided.
MODERATION: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (Status.SEEN, Status.HANDLED, Status.HIDDEN),
    Status.SEEN: (Status.HANDLED, Status.HIDDEN),
    Status.HANDLED: (),
    Status.HIDDEN: (),
}


class TimeOfDay(StrEnum):
    DAY = "day"
    EVENING = "evening"
    NIGHT = "night"
    ALWAYS = "always"


class HideReason(StrEnum):
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    OFFENSIVE = "offensive"
    DUPLICATE = "duplicate"


# The questions of the forms; the ids are what exports and the store read back.
CATEGORY, DESCRIPTION, PLACE, PHOTO, WHEN, CONTACT = (
    "category",
    "description",
    "place",
    "photo",
    "when",
    "contact",
)
CONTACT_YES, CONTACT_NO = "yes", "no"
DESCRIPTION_LIMIT = 1000


class Category(Strict):
    """A category residents choose from; `kinds` limits it to ideas or to tips."""

    id: str = Field(pattern=IDENTIFIER, max_length=ID_LIMIT)
    label: Text
    kinds: list[Kind] = Field(default_factory=lambda: [Kind.IDEA, Kind.TIP], min_length=1)


class CategoriesFile(Strict):
    """surveys/categories.yaml: the organizers' list of categories."""

    categories: list[Category] = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def _usable(self) -> CategoriesFile:
        ids = [category.id for category in self.categories]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise SaysError(says(N_("the category id '{id}' is used twice"), id=twice[0]))
        for kind in Kind:
            if sum(1 for c in self.categories if kind in c.kinds) < 2:
                raise SaysError(says(TOO_FEW_CATEGORIES[kind]))
        return self


class Place(Strict):
    """A named place that a QR code or link can tag a tip or an answer with."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=30)
    name: Text
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PlacesFile(Strict):
    """surveys/places.yaml: places that deep links and QR codes can point at."""

    places: list[Place] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> PlacesFile:
        ids = [place.id for place in self.places]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise SaysError(says(N_("the place id '{id}' is used twice"), id=twice[0]))
        return self


def _t(sv: str, en: str) -> Text:
    return Text(sv=sv, en=en)


# The partnership's usual focus; surveys/categories.yaml replaces the list.
DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(id="lighting", label=_t("Belysning", "Lighting")),
    Category(id="litter", label=_t("Skräp och städning", "Litter and cleanliness")),
    Category(id="traffic", label=_t("Trafik", "Traffic")),
    Category(id="greenery", label=_t("Grönska", "Greenery")),
    Category(
        id="meeting_places",
        label=_t("Aktiviteter och mötesplatser", "Activities and meeting places"),
    ),
    Category(
        id="unsafe_place",
        label=_t("En plats som känns otrygg", "A place that feels unsafe"),
        kinds=[Kind.TIP],
    ),
    Category(id="other", label=_t("Annat", "Other")),
)


Translate = Callable[[str, str], str]  # (language, English text) -> text in that language


def build_form(
    kind: Kind,
    categories: Sequence[Category],
    translate: Translate,
    precision: Precision = "100m",
    area: Area | None = None,
) -> Survey:
    """The form a resident fills in to send an idea or a safety tip."""

    def both(text: str) -> Text:
        return Text(sv=translate("sv", text), en=translate("en", text))

    tip = kind is Kind.TIP
    questions: list[Question] = [
        SelectOne(
            type="select_one",
            id=CATEGORY,
            text=both(N_("What is it about?") if tip else N_("What is your idea about?")),
            choices=[Choice(id=c.id, label=c.label) for c in categories if kind in c.kinds],
        ),
        FreeText(
            type="text",
            id=DESCRIPTION,
            text=both(
                N_("What have you noticed? Describe the place and what makes it feel unsafe.")
                if tip
                else N_("Tell us your idea. What would make the area better?")
            ),
            max_length=DESCRIPTION_LIMIT,
        ),
        Location(
            type="location",
            id=PLACE,
            required=False,
            text=both(N_("Where is it? Share the place, or skip if it is not about one place.")),
            hint=both(
                N_("The position is rounded before it is saved, so it never points at a home.")
            ),
        ),
    ]
    if tip:
        questions.append(
            SelectOne(
                type="select_one",
                id=WHEN,
                text=both(N_("When does it feel that way?")),
                choices=[
                    Choice(id=TimeOfDay.DAY, label=both(N_("In the daytime"))),
                    Choice(id=TimeOfDay.EVENING, label=both(N_("In the evening"))),
                    Choice(id=TimeOfDay.NIGHT, label=both(N_("At night"))),
                    Choice(id=TimeOfDay.ALWAYS, label=both(N_("Always"))),
                ],
            )
        )
    questions.append(
        Photo(
            type="photo",
            id=PHOTO,
            required=False,
            text=both(N_("Do you have a photo? Send it, or skip.")),
            hint=both(N_("Avoid faces and number plates: others should not be recognisable.")),
        )
    )
    if tip:
        questions.append(
            SelectOne(
                type="select_one",
                id=CONTACT,
                text=both(N_("May the partnership write to you here if they have a question?")),
                hint=both(
                    N_(
                        "Tips are anonymous unless you say yes. Either way, nobody sees "
                        "who you are."
                    )
                ),
                choices=[
                    Choice(id=CONTACT_NO, label=both(N_("No, keep me anonymous"))),
                    Choice(id=CONTACT_YES, label=both(N_("Yes, you may write to me"))),
                ],
            )
        )
    return Survey(
        id=kind.value,
        # The forms are always open: an idea or a tip is welcome whatever campaign runs.
        opens=ALWAYS,
        title=both(N_("Report a safety concern") if tip else N_("Share an idea")),
        thanks=both(
            N_(
                "Thank you! Your tip has been received. The partnership goes through new tips "
                "every week; you can follow yours under “My contributions”."
            )
            if tip
            else N_(
                "Thank you for your idea! The partnership goes through new ideas every week; "
                "you can follow yours under “My contributions”."
            )
        ),
        allow_multiple=True,
        location_precision=precision,
        area=area,
        questions=questions,
    )


@dataclass(frozen=True)
class NewContribution:
    """What a finished form becomes; the store adds the id, status and times."""

    kind: Kind
    category: str
    text: str
    lat: float | None = None
    lon: float | None = None
    place_name: str | None = None
    place_tag: str | None = None
    photo_file_id: str | None = None
    photo_unique_id: str | None = None
    time_of_day: TimeOfDay | None = None
    contactable: bool = False
    source: str | None = None  # the deep-link code the resident came through


@dataclass(frozen=True, kw_only=True)
class Contribution(NewContribution):
    """A stored contribution, as moderation, "My contributions" and exports see it."""

    id: int
    pseudonym: str
    status: Status
    hidden_reason: HideReason | None = None
    created_at: datetime
    status_changed_at: datetime


def from_answers(
    kind: Kind, answers: Mapping[str, Any], source: str | None = None
) -> NewContribution:
    """Turn a finished form's answers into the contribution to store."""
    place = answers.get(PLACE) or {}
    photo = answers.get(PHOTO) or {}
    when = answers.get(WHEN)
    return NewContribution(
        kind=kind,
        category=str(answers[CATEGORY]),
        text=str(answers[DESCRIPTION]),
        lat=place.get("lat"),
        lon=place.get("lon"),
        place_name=place.get("name"),
        place_tag=place.get("tag"),
        photo_file_id=photo.get("file_id"),
        photo_unique_id=photo.get("file_unique_id"),
        time_of_day=TimeOfDay(when) if when else None,
        contactable=answers.get(CONTACT) == CONTACT_YES,
        source=source,
    )


# ---- deep links ---------------------------------------------------------------------------
# t.me/<bot>?start=<code>: Telegram allows A-Z, a-z, 0-9, _ and - in at most 64 characters.
# A code is a target (idea, tip or a campaign id) and optionally '_' and a place id; neither
# ids contain '_', so the split is never ambiguous.
START_CODE = re.compile(r"^(?P<target>[a-z0-9][a-z0-9-]*)(?:_(?P<place>[a-z0-9][a-z0-9-]*))?$")
MAX_START_CODE = 64


@dataclass(frozen=True)
class StartCode:
    target: str  # "idea", "tip" or a campaign id
    place: str | None = None

    def __str__(self) -> str:
        return f"{self.target}_{self.place}" if self.place else self.target


def parse_start_code(code: str) -> StartCode | None:
    """Read a deep-link code, or None when it is not of the form; whether it exists is later."""
    if len(code) > MAX_START_CODE:
        return None
    match = START_CODE.match(code)
    if match is None:
        return None
    return StartCode(match["target"], match["place"])


def tagged_place(place: Place, lang: str) -> dict[str, Any]:
    """A tagged place as a location answer: an organizer's public spot, never coarsened."""
    return {"lat": place.lat, "lon": place.lon, "name": place.name.get(lang), "tag": place.id}
