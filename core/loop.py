"""Closing the loop: what happens to an idea, tip or walk finding after it is sent.

Who is responsible and by when, Purple Flag's time bands and themes, "me too" near an
existing tip, the question "does it feel safer now?" some weeks after a fix, and forwarding
to the municipality. Pure rules and records here; the rooms in storage/ keep them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.says import N_

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class TimeBand(StrEnum):
    """Purple Flag's evening and night economy, 17:00 to 05:00 in four bands."""

    EVENING = "17-20"
    LATE_EVENING = "20-23"
    NIGHT = "23-02"
    SMALL_HOURS = "02-05"


def time_band(at: datetime) -> TimeBand | None:
    """The band a moment falls in, in Stockholm time; None in the daytime (05:00–17:00)."""
    hour = at.astimezone(STOCKHOLM).hour
    if 17 <= hour < 20:
        return TimeBand.EVENING
    if 20 <= hour < 23:
        return TimeBand.LATE_EVENING
    if hour >= 23 or hour < 2:
        return TimeBand.NIGHT
    if 2 <= hour < 5:
        return TimeBand.SMALL_HOURS
    return None


class Theme(StrEnum):
    """Purple Flag's five themes, which an organizer tags a tip or finding with."""

    WELLBEING = "wellbeing"  # trygghet och välbefinnande
    MOVEMENT = "movement"  # att ta sig till, runt och hem
    APPEAL = "appeal"  # ett varierat utbud
    PLACE = "place"  # platsens utformning
    POLICY = "policy"  # styrning och samverkan (the policy envelope)


THEME_LABELS: dict[Theme, str] = {
    Theme.WELLBEING: N_("Wellbeing"),
    Theme.MOVEMENT: N_("Movement"),
    Theme.APPEAL: N_("Appeal"),
    Theme.PLACE: N_("The place"),  # "Place" alone is a column's label ("Plats")
    Theme.POLICY: N_("Policy"),
}


class Responsible(StrEnum):
    """Who in the place partnership is to act on it."""

    MUNICIPALITY = "municipality"
    PROPERTY_OWNER = "property_owner"
    POLICE = "police"
    PARTNERSHIP = "partnership"


# How the Telegram card's triage and the web view name them (translated where shown); the
# walk report's sentences use forms of their own ("the municipality").
RESPONSIBLE_LABELS: dict[Responsible, str] = {
    Responsible.MUNICIPALITY: N_("Municipality"),
    Responsible.PROPERTY_OWNER: N_("Property owner"),
    Responsible.POLICE: N_("Police"),
    Responsible.PARTNERSHIP: N_("The partnership"),
}


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Judgement(StrEnum):
    """A walk finding marks a place as unsafe, or as good (worth keeping)."""

    UNSAFE = "unsafe"
    GOOD = "good"


class SaferAnswer(StrEnum):
    """The answers to "Känns det tryggare nu?" after something was marked fixed."""

    YES = "yes"
    SOMEWHAT = "somewhat"
    NO = "no"
    NOT_FIXED = "not_fixed"


# How long after "fixed" the reporter, the walkers and the "me too" residents are asked.
FOLLOW_UP_AFTER = timedelta(weeks=4)
# A tip this close to an unfinished one of the same category is offered as "me too".
NEAR_METRES = 50.0
EARTH_RADIUS_METRES = 6_371_000.0


def near_radius(precision: str | None) -> float:
    """How far apart two stored positions may be to count as "about 50 m". A shared position
    is stored rounded to a grid (core.survey.Precision): on the 100 m grid two places 50 m
    apart may land in neighbouring squares, 100 m apart, so neighbours count (not diagonal
    ones, 141 m). On the 500 m grid a neighbour is 500 m off: only the same square counts."""
    return 100.0 if precision == "100m" else NEAR_METRES


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance along the ground (haversine), good to a metre at a town's scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Triage:
    """What an organizer sets on a tip or finding for the follow-up meeting."""

    responsible: Responsible | None = None
    priority: Priority | None = None
    deadline: date | None = None
    themes: tuple[Theme, ...] = ()


class ForwardChannel(StrEnum):
    OPEN311 = "open311"  # GeoReport v2
    EMAIL = "email"


class ForwardState(StrEnum):
    QUEUED = "queued"  # waiting for the forwarding loop
    SENT = "sent"  # accepted by the municipality (an Open311 id or an e-mail sent)
    FAILED = "failed"  # given up after the retries; an organizer is told


@dataclass(frozen=True)
class FollowUp:
    """One resident's "does it feel safer now?" about one fixed contribution."""

    id: int
    contribution_id: int
    pseudonym: str
    due_at: datetime
    sent_at: datetime | None = None
    answer: SaferAnswer | None = None
    answered_at: datetime | None = None
