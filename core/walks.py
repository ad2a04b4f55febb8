"""Safety walks (trygghetsvandringar) in a group chat: the walk, its walkers, its audits.

A walk's findings are contributions of kind FINDING (core.contributions), so that statuses,
"does it feel safer now?", forwarding and the exports treat them as they treat tips. What is
only a walk's lives here: the route of stops, who joined (only walkers who agreed are
stored), and Safetipin's nine-parameter audit at a stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.says import N_

# The method's group size: a walk with more people becomes a crowd, not a conversation.
MAX_WALKERS = 20
TITLE_LIMIT = 80
# A walker's next message (a position after a photo, say) joins their last finding when it
# arrives within this many seconds and that finding lacks what it brings.
JOIN_SECONDS = 180


class WalkCategory(StrEnum):
    """What a walk finding is about (the method's usual list)."""

    LIGHTING = "lighting"
    VEGETATION = "vegetation"
    GRAFFITI = "graffiti"
    LITTER = "litter"
    TRAFFIC = "traffic"
    MAINTENANCE = "maintenance"
    PEOPLE = "people"  # people and presence
    OTHER = "other"


WALK_CATEGORY_LABELS: dict[WalkCategory, str] = {
    WalkCategory.LIGHTING: N_("Lighting"),
    WalkCategory.VEGETATION: N_("Vegetation"),
    WalkCategory.GRAFFITI: N_("Graffiti"),
    WalkCategory.LITTER: N_("Litter"),
    WalkCategory.TRAFFIC: N_("Traffic"),
    WalkCategory.MAINTENANCE: N_("Maintenance"),
    WalkCategory.PEOPLE: N_("People and presence"),
    WalkCategory.OTHER: N_("Other"),
}


class AuditParameter(StrEnum):
    """Safetipin's nine parameters, each scored 0–3 at a stop."""

    LIGHTING = "lighting"
    OPENNESS = "openness"
    VISIBILITY = "visibility"
    PEOPLE = "people"
    SECURITY = "security"
    WALK_PATH = "walk_path"
    PUBLIC_TRANSPORT = "public_transport"
    GENDER_USAGE = "gender_usage"
    FEELING = "feeling"


AUDIT_LABELS: dict[AuditParameter, str] = {
    AuditParameter.LIGHTING: N_("Lighting"),
    AuditParameter.OPENNESS: N_("Openness"),
    AuditParameter.VISIBILITY: N_("Visibility"),
    AuditParameter.PEOPLE: N_("People"),
    AuditParameter.SECURITY: N_("Security"),
    AuditParameter.WALK_PATH: N_("Walk path"),
    AuditParameter.PUBLIC_TRANSPORT: N_("Public transport"),
    AuditParameter.GENDER_USAGE: N_("Gender usage"),
    AuditParameter.FEELING: N_("Feeling"),
}
AUDIT_SCORES = range(4)  # 0 (none, poor) to 3 (good)


@dataclass(frozen=True)
class Stop:
    """A stop on a walk's route: from places.yaml (tag) or made as the walk went."""

    name: str
    lat: float | None = None
    lon: float | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Walk:
    id: int
    chat_id: int  # the group's chat; never a person's
    title: str  # as the organizer named it: "Söder kväll"
    route: tuple[Stop, ...]
    started_by: str  # the organizer's pseudonym
    started_at: datetime
    lang: str  # the group's language, the starter's
    current_stop: int | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Walker:
    walk_id: int
    pseudonym: str
    joined_at: datetime


@dataclass(frozen=True)
class Audit:
    """One walker's scores at one stop; a parameter not scored is left out."""

    walk_id: int
    stop: int
    pseudonym: str
    scores: dict[AuditParameter, int] = field(default_factory=dict)
    created_at: datetime | None = None


def audit_means(audits: list[Audit]) -> dict[AuditParameter, float]:
    """Each parameter's mean over the walkers who scored it (the report's row for a stop)."""
    sums: dict[AuditParameter, list[int]] = {}
    for audit in audits:
        for parameter, score in audit.scores.items():
            sums.setdefault(parameter, []).append(score)
    return {p: sum(v) / len(v) for p, v in sums.items() if v}
