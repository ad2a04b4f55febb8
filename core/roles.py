"""Who may run campaigns: owners (ADMIN_IDS), organizers by invitation, their areas.

The rules only: what an invitation link looks like, which campaigns and contributions an
organizer limited to an area sees, what the audit log names. The store keeps organizers,
invitations and the log (storage/roles.py); handlers ask `handlers.common.access`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.contributions import NewContribution, parse_start_code
from core.survey import Survey

# An invitation link works this long after /invite, then only a new one does.
INVITATION_LIFETIME = timedelta(days=7)
# The start payload: a capital letter first, which no campaign's start code has (they are
# lower-case ids), then 32 URL-safe characters: 37 of the 64 Telegram allows.
INVITE_PREFIX = "Join-"
TOKEN_BYTES = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
AREA_LIMIT = 40
# Letters of any language, digits, spaces and a few joiners: "Söder", "Maria Torg",
# "Helsingborg C", "Norr/Väster".
_AREA = re.compile(r"^[\w][\w .'/&-]*$")


class Role(StrEnum):
    OWNER = "owner"
    ORGANIZER = "organizer"
    NONE = "none"


@dataclass(frozen=True)
class Access:
    """What someone may do: an owner, an organizer (of one area, or of all), or nothing."""

    role: Role
    area: str | None = None  # an organizer's area; None: every campaign

    @property
    def staff(self) -> bool:
        return self.role is not Role.NONE

    @property
    def owner(self) -> bool:
        return self.role is Role.OWNER

    def sees(self, area: str | None) -> bool:
        """Whether a campaign of `area` (None: of no area) is theirs to see and act on."""
        if not self.staff:
            return False
        return self.area is None or (area is not None and same_area(self.area, area))

    def sees_survey(self, survey: Survey) -> bool:
        return self.sees(survey.area_name)


NOBODY = Access(Role.NONE)
OWNER = Access(Role.OWNER)


def area_key(name: str) -> str:
    """An area's name as compared: "maria  torg" is "Maria Torg"."""
    return " ".join(name.split()).casefold()


def same_area(one: str, other: str) -> bool:
    return area_key(one) == area_key(other)


def clean_area(text: str) -> str | None:
    """An area's name as typed after /invite, tidied; None when it cannot be one."""
    name = " ".join(text.split())
    if not name or len(name) > AREA_LIMIT or _AREA.match(name) is None:
        return None
    return name


def area_tag(name: str) -> str:
    """A short stand-in for an area's name in a button (names may be longer than fits)."""
    return hashlib.sha256(area_key(name).encode()).hexdigest()[:8]


def areas_of(surveys: Iterable[Survey]) -> list[str]:
    """The areas the campaigns name, each once, sorted."""
    found: dict[str, str] = {}
    for survey in surveys:
        if survey.area_name:
            found.setdefault(area_key(survey.area_name), survey.area_name)
    return sorted(found.values(), key=area_key)


# ---- invitations ----------------------------------------------------------------------
def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def invitation_payload(token: str) -> str:
    """The /start payload of an invitation link."""
    return INVITE_PREFIX + token


def is_invitation(payload: str) -> bool:
    """Whether a start payload is meant as an invitation (it may still be garbled)."""
    return payload.startswith(INVITE_PREFIX)


def token_of(payload: str) -> str | None:
    """The token of an invitation's payload; None when it is garbled."""
    if not is_invitation(payload):
        return None
    token = payload.removeprefix(INVITE_PREFIX)
    return token if _TOKEN.match(token) else None


def token_digest(token: str) -> str:
    """What the store keeps of a token: a stolen database holds no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Refusal(StrEnum):
    """Why an invitation does not make someone an organizer."""

    UNKNOWN = "unknown"  # forged, garbled, or never made
    USED = "used"
    EXPIRED = "expired"


def refusal(used_at: datetime | None, expires_at: datetime, now: datetime) -> Refusal | None:
    if used_at is not None:
        return Refusal.USED
    if now >= expires_at:
        return Refusal.EXPIRED
    return None


# ---- the audit log --------------------------------------------------------------------
class Action(StrEnum):
    SAVED = "saved"  # an upload saved as a version
    OPENED = "opened"
    CLOSED = "closed"
    SCHEDULED = "scheduled"
    ANNOUNCED = "announced"
    INVITED = "invited"
    JOINED = "joined"
    REMOVED = "removed"
    AREA = "area"  # an organizer's area changed
    MODERATED = "moderated"  # an idea's or tip's status changed in the web view
    WEB_LOGIN = "web_login"  # a browser logged in to the web view with a /web link


# ---- contributions --------------------------------------------------------------------
def contribution_in_area(item: NewContribution, area: str, surveys: Iterable[Survey]) -> bool:
    """Whether an idea or tip belongs to `area`: it came by a link to a campaign of that area,
    or its place lies in the box (`area:` in the file) of a campaign of that area."""
    theirs = [s for s in surveys if s.area_name and same_area(s.area_name, area)]
    code = parse_start_code(item.source) if item.source else None
    if code is not None and any(s.id == code.target for s in theirs):
        return True
    if item.lat is None or item.lon is None:
        return False
    return any(s.area is not None and s.area.contains(item.lat, item.lon) for s in theirs)


# ---- the web view's logins ------------------------------------------------------------
# /web's link works this long, and once: long enough to open on a laptop, too short for a
# forwarded message to be of use later.
WEB_LINK_LIFETIME = timedelta(minutes=5)
# A browser's session lasts a working day; then /web again.
WEB_SESSION_LIFETIME = timedelta(hours=12)


def web_token_ok(token: str) -> bool:
    """Whether a token in a login URL or a cookie can be one of ours (before any lookup)."""
    return _TOKEN.match(token) is not None
