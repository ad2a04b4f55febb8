"""Forwarding a tip or walk finding to the municipality: Open311 GeoReport v2 or e-mail.

What is sent is built here from the contribution alone: its text, category, place, time band
and a link to its photo. Nothing about the resident (no pseudonym, no contact, no e-mail,
device or account) ever goes into a request or a message: GeoReport's optional personal
fields are never filled. Parsing of what an Open311 endpoint answers (its service list, a
POST's answer, a request's status) is here too, defensively: a municipality's server is
input like any other. No I/O: runtime/forwarding.py sends, storage/forwards.py keeps.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from core.contributions import Status
from core.says import N_

# What may be forwarded: not hidden, not done with, not already on its way.
FORWARDABLE = frozenset({Status.RECEIVED, Status.SEEN, Status.PLANNED, Status.IN_PROGRESS})
# GeoReport v2: "free form text limited to 4,000 characters".
DESCRIPTION_LIMIT = 4000
# Service lists and answers from the municipality are cut to sizes the store keeps.
NAME_LIMIT = 120
CODE_LIMIT = 64
NOTES_LIMIT = 1000
# A photo link in a forwarded case works this long: the municipality's case handlers open it
# within weeks, and the link should not outlive the case for ever.
MEDIA_LIFETIME = timedelta(days=90)
MEDIA_PURPOSE = "public photo links"
# GeoReport v2's two statuses.
OPEN, CLOSED = "open", "closed"
# The line every forwarded description ends with: Torget's own reference, so that a retry
# can find a request an earlier attempt created (GeoReport has no idempotency key).
REFERENCE = N_("Reported through Torget, case {reference}.")


class Open311Error(ValueError):
    """An Open311 endpoint answered something that is not GeoReport v2."""


@dataclass(frozen=True)
class Service:
    """One kind of request the municipality takes (GET services.json)."""

    code: str
    name: str
    group: str | None = None


@dataclass(frozen=True)
class Posted:
    """A POST requests.json's answer: the request's id, or a token to ask for it later."""

    service_request_id: str | None
    token: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class RequestStatus:
    """A request's status read back (GET requests/<id>.json)."""

    status: str  # open or closed
    notes: str | None

    @property
    def closed(self) -> bool:
        return self.status == CLOSED


@dataclass(frozen=True)
class Case:
    """What goes to the municipality, in its language: no word about who reported it."""

    contribution_id: int
    category: str  # the category's label
    text: str
    place: str | None  # "nära Furutorpsplatsen", or the position in words
    lat: float | None
    lon: float | None
    time_band: str | None  # Purple Flag's band, "17-20"
    when: str | None  # a tip's "when does it feel that way", as its label
    media_url: str | None
    reported_on: str  # the day it was reported, in words

    @property
    def reference(self) -> str:
        return f"T-{self.contribution_id}"


Gettext = Callable[[str], str]


def describe(case: Case, _: Gettext) -> str:
    """The description a case handler reads: the resident's text, then the facts."""
    lines = [case.text.strip(), ""]
    lines.append(_("Category: {category}").format(category=case.category))
    if case.place:
        lines.append(_("Place: {place}").format(place=case.place))
    if case.lat is not None and case.lon is not None:
        lines.append(
            _("Position: {lat:.5f}, {lon:.5f} (WGS 84)").format(lat=case.lat, lon=case.lon)
        )
    if case.when:
        lines.append(_("When it feels that way: {when}").format(when=case.when))
    if case.time_band:
        band = case.time_band.replace("-", "–")
        lines.append(_("Reported between {band} (Purple Flag time band)").format(band=band))
    if case.media_url:
        lines.append(_("Photo: {url}").format(url=case.media_url))
    lines.append("")
    lines.append(_("Reported on {day}.").format(day=case.reported_on))
    lines.append(_(REFERENCE).format(reference=case.reference))
    text = "\n".join(lines)
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    # Only the resident's text can be long: it gives way, the facts and the reference stay.
    facts = text[len(case.text.strip()) :]
    room = DESCRIPTION_LIMIT - len(facts) - 1
    return case.text.strip()[:room] + "…" + facts


def subject(case: Case, _: Gettext) -> str:
    """The e-mail's subject: "Felanmälan från Torget: Belysning vid Furutorpsplatsen"."""
    if case.place:
        return _("Fault report from Torget: {category} at {place}").format(
            category=case.category, place=_place_name(case.place)
        )
    return _("Fault report from Torget: {category}").format(category=case.category)


def _place_name(place: str) -> str:
    # "nära Furutorpsplatsen" reads "vid Furutorpsplatsen" in a subject; a position stays.
    for near in ("nära ", "near "):
        if place.startswith(near):
            return place[len(near) :]
    return place


def open311_form(
    case: Case,
    service_code: str,
    description: str,
    api_key: str,
    jurisdiction: str | None = None,
) -> dict[str, str]:
    """POST requests.json's form fields: the service, the place, the description and the
    photo; never email, first_name, last_name, phone, device_id or account_id."""
    form = {"api_key": api_key, "service_code": service_code, "description": description}
    if jurisdiction:
        form["jurisdiction_id"] = jurisdiction
    if case.lat is not None and case.lon is not None:
        form["lat"] = f"{case.lat:.6f}"
        form["long"] = f"{case.lon:.6f}"
    elif case.place:
        form["address_string"] = case.place  # GeoReport asks for one location parameter
    if case.media_url:
        form["media_url"] = case.media_url
    return form


def email_message(
    case: Case, description: str, to: str, sender: str, now: datetime, _: Gettext
) -> EmailMessage:
    """The fault report as an e-mail to the municipality's address."""
    message = EmailMessage()
    message["Subject"] = subject(case, _)
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "torget.invalid"
    message["Message-ID"] = make_msgid(f"torget-{case.reference}", domain=domain)
    message.set_content(description)
    return message


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _first(data: Any) -> Any:
    """GeoReport answers with a list of one: the request; some servers send the object."""
    if isinstance(data, list):
        return data[0] if data else None
    if isinstance(data, dict) and isinstance(data.get("service_requests"), list):
        return _first(data["service_requests"])
    return data


def parse_services(data: Any) -> list[Service]:
    """GET services.json's list; entries without a code or a name are left out."""
    if not isinstance(data, list):
        raise Open311Error("the service list is not a list")
    services: list[Service] = []
    for entry in data:
        if not isinstance(entry, dict):
            continue
        code = _text(entry.get("service_code"), CODE_LIMIT)
        name = _text(entry.get("service_name"), NAME_LIMIT)
        if code and name:
            services.append(Service(code, name, _text(entry.get("group"), NAME_LIMIT)))
    return services


def parse_posted(data: Any) -> Posted:
    """A POST's answer: service_request_id, or (for a server that makes them later) token."""
    entry = _first(data)
    if not isinstance(entry, dict):
        raise Open311Error("the answer to a new request is not a request")
    request_id = _text(entry.get("service_request_id"), CODE_LIMIT)
    token = _text(entry.get("token"), CODE_LIMIT)
    if request_id is None and token is None:
        raise Open311Error("the answer has neither a service_request_id nor a token")
    return Posted(
        request_id, None if request_id else token, _text(entry.get("service_notice"), NOTES_LIMIT)
    )


def parse_token(data: Any) -> str | None:
    """GET tokens/<token>.json: the request's id once the server has made it, else None."""
    entry = _first(data)
    if not isinstance(entry, dict):
        return None
    return _text(entry.get("service_request_id"), CODE_LIMIT)


def parse_status(data: Any) -> RequestStatus:
    """GET requests/<id>.json: open or closed, with the municipality's notes."""
    entry = _first(data)
    if not isinstance(entry, dict):
        raise Open311Error("the request's status is not a request")
    status = (_text(entry.get("status"), 32) or "").lower()
    if status not in (OPEN, CLOSED):
        raise Open311Error("a request's status is neither open nor closed")
    return RequestStatus(status, _text(entry.get("status_notes"), NOTES_LIMIT))


def find_reference(data: Any, case_reference: str, _: Gettext) -> str | None:
    """In GET requests.json's list, the id of a request whose description carries this case's
    reference line: an earlier attempt that reached the server although it seemed to fail."""
    if not isinstance(data, list):
        return None
    line = _(REFERENCE).format(reference=case_reference)
    for entry in data:
        if isinstance(entry, dict) and line in str(entry.get("description") or ""):
            found = _text(entry.get("service_request_id"), CODE_LIMIT)
            if found:
                return found
    return None


def error_text(data: Any) -> str | None:
    """GeoReport's error list, [{"code": 403, "description": "..."}], as one short line."""
    entry = _first(data)
    if isinstance(entry, dict):
        return _text(entry.get("description"), 200)
    return None


# ---- the photo's public link: /media/<unique id>.<expires>.<signature>.jpg ----
def media_token(key: bytes, unique_id: str, expires: datetime) -> str:
    """A signed, unguessable name for one stored photo, valid until `expires`."""
    stamp = str(int(expires.timestamp()))
    return f"{unique_id}.{stamp}.{_signature(key, unique_id, stamp)}"


def media_photo(key: bytes, token: str, now: datetime) -> str | None:
    """The photo's unique id when the token is genuine and not expired, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    unique_id, stamp, signature = parts
    if not hmac.compare_digest(signature, _signature(key, unique_id, stamp)):
        return None
    if int(stamp) < now.timestamp():
        return None
    return unique_id


def _signature(key: bytes, unique_id: str, stamp: str) -> str:
    message = f"{unique_id}.{stamp}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
