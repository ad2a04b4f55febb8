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
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.loop import Judgement, Priority, Responsible, Theme, TimeBand
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
    FINDING = "finding"  # found on a safety walk (core.walks), never through a form


# Too few categories for a kind's form to offer a choice.
TOO_FEW_CATEGORIES: dict[Kind, str] = {
    Kind.IDEA: N_("ideas need at least two categories to choose from"),
    Kind.TIP: N_("tips need at least two categories to choose from"),
}


class FormKind(StrEnum):
    """The kinds residents send through a form (a walk finding comes from a walk) and that
    categories.yaml's `kinds` may name; equal to the Kind of the same value."""

    IDEA = "idea"
    TIP = "tip"


FORM_KINDS = (Kind.IDEA, Kind.TIP)
# The form of each kind has the kind's value as its survey id; campaigns may not use them.
FORM_IDS = frozenset({Kind.IDEA.value, Kind.TIP.value, Kind.FINDING.value})
ALWAYS = datetime(2000, 1, 1, tzinfo=UTC)


class Status(StrEnum):
    """Where an idea, tip or walk finding stands: moderation, then the loop closing."""

    RECEIVED = "received"  # sent, nobody has looked yet
    SEEN = "seen"  # a moderator approved it
    HANDLED = "handled"  # done, before the loop's statuses existed (kept for old rows)
    HIDDEN = "hidden"  # not used, for a reason the resident is told
    FORWARDED = "forwarded"  # sent on to whoever can fix it (forwarded_to says who)
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"  # residents who reported it are asked later whether it feels safer
    WONT_FIX = "wont_fix"  # with the reason, as the method asks (status_reason)
    DUPLICATE = "duplicate"  # the same as another one (duplicate_of)


# What a moderator may do with an idea, tip or finding of each status, as the Telegram card's
# buttons and the web view's offer it. FORWARDED is reached by forwarding (core.forwarding),
# not by a button; FIXED can be reopened (a resident answered that it is not fixed).
MODERATION: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (
        Status.SEEN,
        Status.PLANNED,
        Status.IN_PROGRESS,
        Status.FIXED,
        Status.WONT_FIX,
        Status.DUPLICATE,
        Status.HIDDEN,
    ),
    Status.SEEN: (
        Status.PLANNED,
        Status.IN_PROGRESS,
        Status.FIXED,
        Status.WONT_FIX,
        Status.DUPLICATE,
        Status.HIDDEN,
    ),
    Status.FORWARDED: (Status.PLANNED, Status.IN_PROGRESS, Status.FIXED, Status.WONT_FIX),
    Status.PLANNED: (Status.IN_PROGRESS, Status.FIXED, Status.WONT_FIX),
    Status.IN_PROGRESS: (Status.FIXED, Status.WONT_FIX),
    Status.FIXED: (Status.IN_PROGRESS,),
    Status.HANDLED: (),
    Status.HIDDEN: (),
    Status.WONT_FIX: (),
    Status.DUPLICATE: (),
}
# Each status as the bot and the web view name it (translated where shown), and the button
# that gives it, as /moderate and the web view label it.
STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: N_("received"),
    Status.SEEN: N_("seen by the partnership"),
    Status.HANDLED: N_("handled"),
    Status.HIDDEN: N_("not published"),
    Status.FORWARDED: N_("forwarded"),
    Status.PLANNED: N_("planned"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.FIXED: N_("fixed"),
    Status.WONT_FIX: N_("will not be fixed"),
    Status.DUPLICATE: N_("already reported"),
}
ACTION_LABELS: dict[Status, str] = {
    Status.RECEIVED: N_("received"),
    Status.SEEN: N_("✅ Approve"),
    Status.HANDLED: N_("✔️ Handled"),
    Status.HIDDEN: N_("🙈 Hide"),
    Status.FORWARDED: N_("📨 Forwarded"),
    Status.PLANNED: N_("🗓 Planned"),
    Status.IN_PROGRESS: N_("🔧 In progress"),
    Status.FIXED: N_("✔️ Fixed"),
    Status.WONT_FIX: N_("🚫 Won't fix"),
    Status.DUPLICATE: N_("🔁 Duplicate"),
}
# Statuses a resident who asked to hear back is told of (hiding has its own message).
TOLD = frozenset(MODERATION) - {Status.RECEIVED, Status.HIDDEN}
# Statuses that say something is done with: no more changes expected.
CLOSED = frozenset({Status.HANDLED, Status.FIXED, Status.WONT_FIX, Status.DUPLICATE})
STATUS_REASON_LIMIT = 500


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
    kinds: list[FormKind] = Field(
        default_factory=lambda: [FormKind.IDEA, FormKind.TIP], min_length=1
    )


class CategoriesFile(Strict):
    """surveys/categories.yaml: the organizers' list of categories."""

    categories: list[Category] = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def _usable(self) -> CategoriesFile:
        ids = [category.id for category in self.categories]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise SaysError(says(N_("the category id '{id}' is used twice"), id=twice[0]))
        for kind in FORM_KINDS:
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
        kinds=[FormKind.TIP],
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
    # Purple Flag's evening and night band when it was sent (core.loop.time_band), or None.
    time_band: TimeBand | None = None
    # A walk finding's walk, the stop it was found at (its index in the route, or None made
    # as the walk went), unsafe or good, and a voice note.
    walk_id: int | None = None
    stop: int | None = None
    judgement: Judgement | None = None
    voice_file_id: str | None = None
    voice_unique_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Contribution(NewContribution):
    """A stored contribution, as moderation, "My contributions" and exports see it."""

    id: int
    pseudonym: str
    status: Status
    hidden_reason: HideReason | None = None
    created_at: datetime
    status_changed_at: datetime
    # Closing the loop (core.loop): why it will not be fixed, what it duplicates, who it was
    # forwarded to, who is responsible, how urgent, by when, Purple Flag's themes.
    status_reason: str | None = None
    duplicate_of: int | None = None
    forwarded_to: str | None = None
    responsible: Responsible | None = None
    priority: Priority | None = None
    deadline: date | None = None
    themes: tuple[Theme, ...] = ()
    voices: int = 0  # residents who said "me too" (not counting the reporter)


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
