"""The forwarding loop: sends queued forwards to the municipality and reads their status back.

Open311 GeoReport v2 (POST requests.json, form-encoded, with the API key) or e-mail (smtplib
in a thread). Forwards are claimed row by row with a hold, as photos are, so replicas never
send one at the same time; a failure waits FORWARD_RETRY_SECONDS, then twice as long each
time, and after MAX_ATTEMPTS the organizer who forwarded it is told.

GeoReport has no idempotency key: a POST whose answer was lost (a timeout, a dropped
connection, a 5xx after the server stored it) may have created the request. So before every
retry the loop asks GET requests.json for the service's requests since the forward was
queued and looks for this case's reference line (core.forwarding.REFERENCE, at the end of
every description); when it is there, that request is adopted instead of posting again.

Every FORWARD_CHECK_SECONDS the status of each open request is read back; a change (closed,
or new notes) is recorded once (storage.forwards.record_request_status) and told to those
who asked to hear back, and a closed request makes the contribution FIXED, which schedules
the "does it feel safer now?" question.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import smtplib
import ssl
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiohttp

from config import Settings
from core.contributions import CLOSED, Status
from core.forwarding import (
    Open311Error,
    Service,
    describe,
    email_message,
    error_text,
    find_reference,
    open311_form,
    parse_posted,
    parse_services,
    parse_status,
    parse_token,
)
from core.loop import ForwardChannel
from handlers import forward
from handlers.context import Services
from storage.forwards import Forward

log = logging.getLogger(__name__)

CHUNK = 10
HOLD_SECONDS = 300.0
LONGEST_PAUSE = timedelta(hours=6)
MAX_ATTEMPTS = 10
TIMEOUT = aiohttp.ClientTimeout(total=30)
SERVICES_FRESH = timedelta(hours=1)
TOKEN = "token:"  # an external id not known yet: the token to ask for it with
# HTTP answers that trying again will not change: a wrong key, an unknown service.
PERMANENT = frozenset({401, 403, 404, 405, 410, 422})


class SendFailed(Exception):
    """A send that did not go through; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def pause_after(first: timedelta, attempts: int) -> timedelta:
    """How long a forward waits after its `attempts`-th failed attempt."""
    return min(LONGEST_PAUSE, first * 2 ** max(attempts - 1, 0))


class Open311:
    """A GeoReport v2 client (JSON), one aiohttp session per call: calls are few."""

    def __init__(self, settings: Settings) -> None:
        assert settings.open311_url is not None
        self.base = settings.open311_url
        self.api_key = (
            settings.open311_api_key.get_secret_value() if settings.open311_api_key else ""
        )
        self.jurisdiction = settings.open311_jurisdiction
        self._services: tuple[datetime, list[Service]] | None = None

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self.jurisdiction:
            params["jurisdiction_id"] = self.jurisdiction
        return params

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base}/{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as session,
                session.request(method, url, **kwargs) as answer,
            ):
                body = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailed(f"no answer: {type(error).__name__}") from error
        try:
            data = _json(body)
        except ValueError:
            data = None
        if status >= 400:
            said = error_text(data)
            reason = f"HTTP {status}" + (f": {said}" if said else "")
            raise SendFailed(reason, permanent=status in PERMANENT)
        if data is None:
            raise SendFailed(f"HTTP {status} without JSON")
        return data

    async def services(self) -> list[Service]:
        """The municipality's services, read at most once an hour."""
        now = datetime.now().astimezone()
        if self._services is not None and now - self._services[0] < SERVICES_FRESH:
            return self._services[1]
        listed = parse_services(await self._call("GET", "services.json", params=self._params()))
        self._services = (now, listed)
        return listed

    async def post(self, form: dict[str, str]) -> str:
        """POST requests.json; the request's id, or TOKEN + the token when it comes later."""
        data = await self._call("POST", "requests.json", data=form)
        try:
            posted = parse_posted(data)
        except Open311Error as error:
            raise SendFailed(str(error)) from error
        if posted.service_request_id:
            return posted.service_request_id
        return TOKEN + (posted.token or "")

    async def find(
        self, service_code: str, since: datetime, reference: str, gettext: Any
    ) -> str | None:
        """A request an earlier attempt made, found by the case's reference line; None when
        there is none or the server does not list requests."""
        params = self._params(
            service_code=service_code,
            start_date=(since - timedelta(minutes=5)).isoformat(timespec="seconds"),
        )
        try:
            data = await self._call("GET", "requests.json", params=params)
        except SendFailed:
            return None
        return find_reference(data, reference, gettext)

    async def request_id(self, token: str) -> str | None:
        return parse_token(await self._call("GET", f"tokens/{token}.json", params=self._params()))

    async def status(self, request_id: str) -> Any:
        data = await self._call("GET", f"requests/{request_id}.json", params=self._params())
        try:
            return parse_status(data)
        except Open311Error as error:
            raise SendFailed(str(error)) from error


def _json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


def send_mail(settings: Settings, message: EmailMessage) -> None:
    """Send one message by SMTP (blocking: run in a thread)."""
    assert settings.smtp_host is not None
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except smtplib.SMTPResponseException as error:
        # 5xx: the server refuses (a wrong address); 4xx: try again later.
        raise SendFailed(f"SMTP {error.smtp_code}", permanent=error.smtp_code >= 500) from error
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailed(f"SMTP: {type(error).__name__}") from error


class Forwarder:
    """Sends the forwards that are due, and reads the open requests' status back."""

    def __init__(self, services: Services, bot: Any, open311: Open311 | None = None) -> None:
        self.services = services
        self.bot = bot
        settings = services.settings
        self.open311 = open311 or (Open311(settings) if settings.open311_on else None)
        self.holder = uuid.uuid4().hex
        self.wake = services.forwards_wake
        self.first_pause = timedelta(seconds=settings.forward_retry_seconds)

    # ---- sending ----
    async def send_due(self) -> int:
        """Send every forward that is due now; return how many the municipality took."""
        store, clock = self.services.store, self.services.clock
        sent = 0
        while True:
            jobs = await store.claim_forwards(clock(), CHUNK, HOLD_SECONDS, self.holder)
            if not jobs:
                return sent
            for job in jobs:
                if await self._send(job):
                    sent += 1

    async def _send(self, job: Forward) -> bool:
        services = self.services
        store, clock = services.store, services.clock
        item = await store.get_contribution(job.contribution_id)
        if item is None:  # deleted meanwhile (/delete, retention): nothing to send
            await store.give_up_forward(job.id, self.holder, "deleted")
            return False
        case = forward.outgoing(services, item, clock())
        gettext = forward.municipality_gettext(services)
        description = describe(case, gettext)
        try:
            if job.channel is ForwardChannel.OPEN311:
                external = await self._post(job, case, description, gettext)
            else:
                external = None
                await self._mail(case, description, gettext)
        except SendFailed as failure:
            await self._failed(job, failure)
            return False
        if not await store.forward_sent(job.id, self.holder, external, clock()):
            log.warning("a forward passed to another sender while it was sent here")
            return False
        log.info("forwarded a contribution by %s", job.channel.value)
        if job.forwarded_by:
            case_id = external if external and not external.startswith(TOKEN) else ""
            await forward.tell_sent(self.bot, services, job.forwarded_by, item.id, case_id)
        return True

    async def _post(self, job: Forward, case: Any, description: str, gettext: Any) -> str:
        settings = self.services.settings
        if self.open311 is None or job.service_code is None:
            raise SendFailed("Open311 is not set up", permanent=True)
        if job.attempts > 0 and job.created_at is not None:
            # An earlier attempt may have reached the server although its answer was lost.
            found = await self.open311.find(
                job.service_code, job.created_at, case.reference, gettext
            )
            if found is not None:
                log.info("an earlier attempt had created the request; not posting it again")
                return found
        form = open311_form(
            case,
            job.service_code,
            description,
            self.open311.api_key,
            settings.open311_jurisdiction,
        )
        return await self.open311.post(form)

    async def _mail(self, case: Any, description: str, gettext: Any) -> None:
        settings = self.services.settings
        if not settings.email_on or not settings.forward_email or not settings.smtp_from:
            raise SendFailed("e-mail is not set up", permanent=True)
        message = email_message(
            case,
            description,
            settings.forward_email,
            settings.smtp_from,
            self.services.clock(),
            gettext,
        )
        await asyncio.to_thread(send_mail, settings, message)

    async def _failed(self, job: Forward, failure: SendFailed) -> None:
        store, clock = self.services.store, self.services.clock
        failures = job.attempts + 1
        if failure.permanent or failures >= MAX_ATTEMPTS:
            log.warning("a forward failed %d times (%s); given up", failures, failure.reason)
            if (
                await store.give_up_forward(job.id, self.holder, failure.reason)
                and job.forwarded_by
            ):
                await forward.tell_failed_forward(
                    self.bot, self.services, job.forwarded_by, job.contribution_id, failure.reason
                )
            return
        pause = pause_after(self.first_pause, failures)
        log.warning("a forward failed (%s); trying again in %d s", failure.reason, pause.seconds)
        await store.retry_forward(job.id, self.holder, clock() + pause, failure.reason)

    # ---- reading the status back ----
    async def check_open(self) -> int:
        """Read back each open request not read for FORWARD_CHECK_SECONDS; return how many
        had news (told to those who asked to hear back)."""
        if self.open311 is None:
            return 0
        services = self.services
        store, clock = services.store, services.clock
        every = timedelta(seconds=services.settings.forward_check_seconds)
        news = 0
        for job in await store.open_requests(clock() - every, 100):
            try:
                if await self._check(job):
                    news += 1
            except SendFailed as failure:
                log.warning("could not read an Open311 request's status (%s)", failure.reason)
        return news

    async def _check(self, job: Forward) -> bool:
        assert self.open311 is not None and job.external_id is not None
        services = self.services
        store, clock = services.store, services.clock
        request_id: str | None = job.external_id
        if job.external_id.startswith(TOKEN):
            request_id = await self.open311.request_id(job.external_id[len(TOKEN) :])
            if request_id is None:  # not made yet on the municipality's side
                return False
        assert request_id is not None
        status = await self.open311.status(request_id)
        item = await store.get_contribution(job.contribution_id)
        if item is None:
            return False
        if status.closed and item.status not in CLOSED:
            # FIXED (which schedules the follow-up question) before the status is recorded:
            # a crash between the two then reads the change again and fixes nothing twice,
            # where the other order would leave a closed case never marked fixed.
            now = clock()
            await store.set_contribution_status(
                None,
                item.id,
                Status.FIXED,
                None,
                now,
                follow_up_at=now + services.settings.follow_up_after,
            )
            item = await store.get_contribution(job.contribution_id) or item
        if not await store.record_request_status(
            job.id, request_id, status.status, status.notes, clock()
        ):
            return False
        if status.closed or status.notes:
            await forward.tell_news(self.bot, services, item, status.closed, status.notes)
            return True
        return False

    async def run(self) -> None:
        """Send when a forward was queued and every FORWARD_RETRY_SECONDS; read the open
        requests back every FORWARD_CHECK_SECONDS."""
        settings = self.services.settings
        loop = asyncio.get_running_loop()
        next_check = loop.time()
        while True:
            self.wake.clear()
            try:
                await self.send_due()
            except Exception:  # the loop must survive a database or network hiccup
                log.exception("the forwarding loop failed; trying again shortly")
            if loop.time() >= next_check:
                next_check = loop.time() + settings.forward_check_seconds
                try:
                    await self.check_open()
                except Exception:
                    log.exception("reading Open311 statuses failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=settings.forward_retry_seconds)
