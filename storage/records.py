"""What the store hands back: plain records of residents, responses and messages, and the
error of a step computed from a response that changed meanwhile. No database here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.engine import Session
from core.outbox import MailKind


class StaleSession(Exception):
    """A step was computed from a version of the response that is no longer the stored one:
    another replica saved a step of the same resident meanwhile. Nothing was stored."""

    def __init__(self, response_id: int) -> None:
        super().__init__(f"response {response_id} changed since it was read")
        self.response_id = response_id


class ResponseStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Resident:
    pseudonym: str
    language: str
    consented_at: datetime
    # Both off until the resident says yes: nothing is sent unasked to someone who said no.
    news: bool = False  # wants to hear about new campaigns
    reminders: bool = False  # may get one reminder to finish a survey


@dataclass(frozen=True)
class OutboxItem:
    """One message of a mailing, claimed for sending, with where and how to write it."""

    id: int
    mailing_id: int
    kind: MailKind
    survey_id: str
    response_id: int | None
    pseudonym: str
    chat_id: int | None
    language: str
    attempts: int


@dataclass(frozen=True)
class Response:
    id: int
    pseudonym: str
    survey_id: str
    status: ResponseStatus
    session: Session
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    shown_version: int | None = None  # see storage.schema.responses
    trial: bool = False  # an organizer trying the campaign: never counted (schema.responses)


@dataclass(frozen=True)
class ExportedResponse:
    """One response as exports see it: the pseudonym, never a chat id."""

    id: int
    pseudonym: str
    survey_id: str
    status: ResponseStatus
    started_at: datetime
    completed_at: datetime | None
    answers: Mapping[str, Any]
    source: str | None = None  # the deep-link code (a QR poster) it came through
    # The version it was answered on; stored before versions existed: the first.
    survey_version: int = 1
    # Where the resident is: the question last shown to them, "review" or "done" (the
    # session's `current`), for the results' funnel: where those who stopped stopped.
    current: str | None = None


class PhotoStatus(StrEnum):
    WAITING = "waiting"  # to be downloaded, at next_try_at
    STORED = "stored"  # the bytes are here
    FAILED = "failed"  # given up on: not an image, too large, or Telegram never gave it


@dataclass(frozen=True)
class PhotoJob:
    """A waiting photo a fetcher has claimed: what it needs to download it."""

    id: int
    file_id: str
    attempts: int  # the attempts before this one


@dataclass(frozen=True)
class PhotoState:
    status: PhotoStatus
    attempts: int
    bytes: int | None
