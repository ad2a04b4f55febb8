"""The Store protocol: everything Torget keeps, behind one interface for SQLite and PostgreSQL.

Every method that changes something for a resident takes the Telegram update_id that caused
it and claims it in the same transaction: an update Telegram delivers twice (after a crash,
or to a second replica) is then stored once, and the method returns False the second time
so the handler does not answer twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from core.campaigns import Schedule
from core.contributions import Contribution, HideReason, Kind, NewContribution, TimeOfDay
from core.contributions import Status as ContributionStatus
from core.engine import Session
from core.outbox import MailKind, Progress
from core.privacy import StoredSecret


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


class Store(Protocol):
    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers (for /healthz)."""

    async def claim_update(self, update_id: int) -> bool:
        """Claim an update that changes nothing else; False when it was already claimed."""

    async def forget_updates_before(self, when: datetime) -> int:
        """Drop claims made before `when`; return how many were dropped."""

    async def keep_pseudonym_secret(self, proposed: StoredSecret, now: datetime) -> StoredSecret:
        """The deployment's pseudonym secret (or its fingerprint): `proposed` when there was
        none yet, else the one stored first, so that every replica uses the same."""

    # -- residents --
    async def get_resident(self, pseudonym: str) -> Resident | None: ...

    async def visit(self, pseudonym: str) -> tuple[Resident | None, Response | None]:
        """The resident and their active response (see active_response), in one query."""

    async def consent(
        self, update_id: int, pseudonym: str, chat_id: int, language: str, now: datetime
    ) -> bool:
        """Record the resident's agreement (and language, and where to write back)."""

    async def set_language(self, update_id: int, pseudonym: str, language: str) -> bool: ...

    # -- responses --
    async def active_response(self, pseudonym: str) -> Response | None:
        """The resident's most recently touched response still in progress, if any."""

    async def get_response(self, response_id: int) -> Response | None: ...

    async def latest_response(self, pseudonym: str, survey_id: str) -> Response | None:
        """The resident's newest response to this survey, in progress or complete."""

    async def start_response(
        self,
        update_id: int | None,
        pseudonym: str,
        session: Session,
        replace: int | None = None,
        *,
        once: bool = False,
    ) -> int | None:
        """Store a new response and return its id; None when the update was already claimed.

        `update_id` None: the caller's update was claimed by an earlier write of its own.

        `replace` names an in-progress response of the same resident that this one starts
        over: it is deleted, with its answers, in the same transaction.

        StaleSession (and nothing stored) when the resident already has a response to this
        survey in progress, or any response at all when `once` (one response per resident):
        another replica started it a moment ago.
        """

    async def save_step(
        self,
        update_id: int | None,
        response_id: int,
        session: Session,
        changed: Mapping[str, Any],
        removed: Sequence[str],
        *,
        based_on: int,
    ) -> bool:
        """Save the session, the answers that changed and drop the removed ones, atomically.

        When the session is finished the response becomes complete. `update_id` None means
        the step has no update of its own (it is never the case for a resident's message).
        `based_on` is the session version the step was computed from: when the stored one
        is another, nothing is saved (not even the claim) and StaleSession is raised.
        """

    async def mark_shown(self, response_id: int, version: int) -> None:
        """The question of this session version has reached the resident."""

    async def responses_of(self, pseudonym: str) -> list[Response]:
        """All of a resident's responses, oldest first (for /mydata)."""

    async def forget_resident(self, update_id: int, pseudonym: str) -> bool:
        """Erase the resident: answers, responses, ideas and tips, where to write back."""

    # -- ideas and tips --
    async def submit_contribution(
        self,
        update_id: int,
        response_id: int,
        pseudonym: str,
        contribution: NewContribution,
        now: datetime,
        *,
        based_on: int,
    ) -> int | None:
        """Store a finished idea or tip and delete its draft response, in one transaction.

        Returns the new contribution's id; None when the update was already claimed.
        StaleSession when the draft is not at version `based_on` any more (or is gone).
        """

    async def contributions_of(self, pseudonym: str) -> list[Contribution]:
        """A resident's ideas and tips, newest first (for "My contributions" and /mydata)."""

    async def get_contribution(self, contribution_id: int) -> Contribution | None: ...

    async def next_contribution(
        self, status: ContributionStatus, after_id: int = 0
    ) -> Contribution | None:
        """The oldest contribution with this status and an id above `after_id` (moderation)."""

    async def count_contributions(self, status: ContributionStatus) -> int: ...

    async def set_contribution_status(
        self,
        update_id: int,
        contribution_id: int,
        status: ContributionStatus,
        reason: HideReason | None,
        now: datetime,
    ) -> bool:
        """Moderate: change the status (a reason only with HIDDEN); False if already claimed."""

    async def chat_of(self, pseudonym: str) -> int | None:
        """Where to write to a resident, for the few messages they asked for."""

    async def contribution_counts(
        self,
    ) -> list[tuple[Kind, str, TimeOfDay | None, ContributionStatus, int]]:
        """How many ideas and tips per (kind, category, time of day, status), for /stats."""

    # -- campaigns --
    async def schedules(self) -> dict[str, Schedule]:
        """The dates admins set from Telegram, by campaign."""

    async def set_schedule(
        self, update_id: int, survey_id: str, schedule: Schedule, now: datetime
    ) -> bool:
        """Open or close a campaign from Telegram; False when the update was claimed."""

    async def response_counts(self) -> dict[str, tuple[int, int]]:
        """(started, complete) responses by campaign."""

    # -- news, reminders and the outbox --
    async def set_subscription(
        self,
        update_id: int,
        pseudonym: str,
        *,
        news: bool | None = None,
        reminders: bool | None = None,
    ) -> bool:
        """Subscribe or unsubscribe (None leaves that one as it is)."""

    async def subscriber_count(self) -> int: ...

    async def announce(self, key: str, survey_id: str, now: datetime) -> tuple[int, int] | None:
        """Queue the campaign's announcement for every subscriber not yet told of it.

        Those who already answered it are left out. Returns (mailing id, messages queued);
        None when a mailing with this key exists (another replica, or a restart, made it).
        """

    async def queue_reminders(self, survey_id: str, idle_since: datetime, now: datetime) -> int:
        """Queue one reminder for each response to the campaign left unfinished since
        `idle_since` whose resident allows reminders and has not had one for it."""

    async def claim_outbox(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[OutboxItem]:
        """Take up to `limit` due messages for `hold` seconds as `holder`, oldest first.

        A message whose hold lapsed is due again if it never went to Telegram; if it did
        (attempted_at set), it may have arrived, so it becomes failed instead: at most once.
        """

    # Each of the following changes a message only while `holder` still holds it (claimed
    # by it, still sending, not taken by another since), and says whether it did.
    async def outbox_attempt(self, item_id: int, holder: str, now: datetime, hold: float) -> bool:
        """About to hand the message to Telegram: mark it attempted and hold it `hold` more."""

    async def outbox_refused(self, item_id: int, holder: str) -> bool:
        """Telegram answered with an error (429): it was not delivered, so it may go again."""

    async def outbox_hold(
        self, item_ids: Sequence[int], holder: str, now: datetime, hold: float
    ) -> int:
        """Hold these messages `hold` seconds from now; return how many are still held."""

    async def outbox_release(self, item_ids: Sequence[int], holder: str, now: datetime) -> int:
        """Give back the held messages never attempted: due now, for whoever sends next."""

    async def outbox_sent(self, item_id: int, holder: str, now: datetime) -> bool: ...

    async def outbox_failed(self, item_id: int, holder: str, *, blocked: bool = False) -> bool:
        """Give up on a message; `blocked` also unsubscribes its resident from everything."""

    async def outbox_retry(self, item_id: int, holder: str, due_at: datetime) -> bool:
        """Try a message again later (after a network error), by whoever claims it then."""

    async def set_mailing_messages(
        self, mailing_id: int, messages: Sequence[tuple[int, int]]
    ) -> None:
        """Remember the admins' progress messages (chat, message) of a mailing."""

    async def mailing_progress(self, mailing_id: int) -> Progress | None: ...

    async def unfinished_mailings(self) -> list[Progress]: ...

    async def finish_mailing(self, mailing_id: int, now: datetime) -> None: ...

    async def acquire_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        """Hold `name` for `seconds` (or renew it); False while someone else holds it."""

    def export_contributions(self, batch: int = 1000) -> AsyncIterator[Contribution]:
        """Every idea and tip, oldest first, read in batches."""
        ...

    def export_responses(
        self,
        survey_id: str | None = None,
        batch: int = 1000,
        updated_before: datetime | None = None,
    ) -> AsyncIterator[ExportedResponse]:
        """Every response (complete and in progress), oldest first, read in batches;
        `updated_before`: only those last changed before then (retention)."""
        ...

    # -- retention --
    async def purge_responses(
        self,
        survey_id: str,
        before: datetime,
        up_to_id: int,
        counts: Mapping[tuple[str, str], int] | None = None,
    ) -> int:
        """Delete the campaign's responses last changed before `before` (ids up to
        `up_to_id`, those counted), adding `counts` to what it keeps, in one transaction."""

    async def purge_contributions(self, before: datetime) -> int:
        """Delete ideas and tips sent before `before`."""

    async def purge_outbox(self, before: datetime) -> int:
        """Forget messages sent or given up on before `before`, and finished mailings."""

    async def retained_counts(self, survey_id: str) -> dict[tuple[str, str], int]:
        """What the campaign kept of purged responses (see core.stats.StatsBuilder)."""
