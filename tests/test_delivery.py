"""The webhook tells Telegram an update was received only once it is handled and stored.

These run the webhook's own HTTP routes in the test's event loop, over real HTTP, on the
bot of tests/conftest.py; tests/test_webhook.py runs `bot.py run` as a process and kills it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from sqlalchemy.exc import OperationalError
from tornado.httpserver import HTTPServer

from runtime import webhook_reply
from runtime.webhook import SECRET_HEADER, Running, routes
from runtime.webhook_reply import WebhookReplies, replying
from tests.conftest import Bot, FakeClock, settings_for, start_bot
from tests.fakebot import FakeTelegram, Resident

SECRET = "a-secret_0123456789"


class Hook:
    """The webhook of a running bot: post an update, get the HTTP status Telegram would."""

    def __init__(self, bot: Bot, session: aiohttp.ClientSession, port: int) -> None:
        self.bot, self.session, self.port = bot, session, port

    async def post(self, body: Any, raw: bytes | None = None) -> int:
        status, _ = await self.exchange(body, raw)
        return status

    async def exchange(self, body: Any, raw: bytes | None = None) -> tuple[int, bytes]:
        """The HTTP status and the response body (a Bot API call Telegram would make)."""
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.session.post(
            f"http://127.0.0.1:{self.port}/telegram",
            data=data,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        ) as answer:
            return answer.status, await answer.read()


async def serving(bot: Bot) -> AsyncIterator[Hook]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = HTTPServer(routes(bot.app, SECRET, Running()))
    server.listen(port, address="127.0.0.1")
    async with aiohttp.ClientSession() as session:
        yield Hook(bot, session, port)
    server.stop()


@pytest.fixture
async def hook(bot: Bot) -> AsyncIterator[Hook]:
    async for served in serving(bot):
        yield served


@pytest.fixture
async def webhook_bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    """The bot as `bot.py run` builds it in webhook mode (WEBHOOK_URL and WEBHOOK_SECRET)."""
    settings = settings_for(
        tmp_path, webhook_url="https://torget.example.org/bot", webhook_secret=SECRET
    )
    running = await start_bot(settings, clock)
    yield running
    await running.stop()


@pytest.fixture
async def webhook(webhook_bot: Bot) -> AsyncIterator[Hook]:
    async for served in serving(webhook_bot):
        yield served


def start_from(user_id: int, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": "sv"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def said_to(bot: Bot, user_id: int) -> list[str]:
    return [call.text for call in bot.fake.calls if call.chat_id == user_id and call.text]


async def test_a_webhook_update_is_answered_200_only_after_it_is_handled(
    hook: Hook, bot: Bot
) -> None:
    assert await hook.post(start_from(7001, 501)) == 200
    # By the time Telegram hears 200, the reply has gone and the claim is stored.
    assert any("Innan vi börjar" in text for text in said_to(bot, 7001))
    assert not await bot.services.store.claim_update(501)


async def test_when_the_database_fails_telegram_is_told_to_send_the_update_again(
    hook: Hook, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bot.services.store

    async def unreachable(*_: object, **__: object) -> None:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(store, "visit", unreachable)
    assert await hook.post(start_from(7002, 502)) == 500
    # No apology: Telegram delivers it again, and then the resident gets the real answer.
    assert said_to(bot, 7002) == []

    monkeypatch.undo()
    assert await hook.post(start_from(7002, 502)) == 200
    assert await hook.post(start_from(7002, 502)) == 200  # a third delivery does nothing
    welcomes = [text for text in said_to(bot, 7002) if "Innan vi börjar" in text]
    assert len(welcomes) == 1


async def test_a_handler_that_breaks_gets_500_and_one_apology_however_often_it_comes(
    hook: Hook, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(bot.services.store, "visit", broken)
    assert await hook.post(start_from(7003, 503)) == 500
    assert await hook.post(start_from(7003, 503)) == 500
    apologies = [text for text in said_to(bot, 7003) if "något gick fel" in text]
    assert len(apologies) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"x"',
        b"null",
        b"42",
        b'{"update_id": 5, "message": "x"}',
        b'{"update_id": "5"}',
        b'{"message": {"text": "no id"}}',
        b"{not json",
        b"\xff\xfe",
    ],
)
async def test_a_body_that_is_not_an_update_gets_400_and_the_bot_carries_on(
    hook: Hook, bot: Bot, body: bytes
) -> None:
    assert await hook.post(None, raw=body) == 400
    assert await hook.post(start_from(7004, 504)) == 200
    assert any("Innan vi börjar" in text for text in said_to(bot, 7004))


class WebhookResident(Resident):
    """A resident whose updates reach the bot as Telegram's POSTs to the webhook; each
    response's body is what Telegram would run as a call of the bot's."""

    def __init__(self, bot: Bot, hook: Hook, user_id: int) -> None:
        super().__init__(bot.app, bot.fake, user_id=user_id)
        self.bot, self.hook = bot, hook
        self.statuses: list[int] = []
        self.replies: list[dict[str, Any] | None] = []
        # Whether each update's claim was stored by the time its response came.
        self.stored_first: list[bool] = []

    async def _feed(self, payload: dict[str, Any]) -> None:
        data = {"update_id": next(self.fake.next_update_id), **payload}
        self._last_update = data
        self.history.append(data)
        status, body = await self.hook.exchange(data)
        self.statuses.append(status)
        self.replies.append(json.loads(body) if body else None)
        claimed_before = not await self.bot.services.store.claim_update(data["update_id"])
        self.stored_first.append(claimed_before)


def spinner_calls(bot: Bot, query_id: str) -> int:
    return sum(
        1
        for call in bot.fake.calls
        if call.method == "answerCallbackQuery" and call.params["callback_query_id"] == query_id
    )


async def test_a_press_over_the_webhook_stops_its_spinner_in_the_response_once_stored(
    webhook: Hook, webhook_bot: Bot
) -> None:
    resident = WebhookResident(webhook_bot, webhook, 7101)
    await resident.send("/start")
    await resident.click("Jag godkänner")
    await resident.click("Snabbfråga")
    assert "Hur var kvällen?" in resident.last_text()
    await resident.click("Bra")
    assert resident.statuses == [200, 200, 200, 200]
    assert resident.replies[0] is None  # a message has no spinner: the response is empty
    presses = [update["callback_query"]["id"] for update in resident.history[1:]]
    for query_id, reply in zip(presses, resident.replies[1:], strict=True):
        # Telegram is asked to stop the spinner in the response, and nowhere else.
        assert reply == {"method": "answerCallbackQuery", "callback_query_id": query_id}
        assert spinner_calls(webhook_bot, query_id) == 0
    # The response came after the press was handled: stored, and the next message sent.
    assert all(resident.stored_first)
    assert "Dina svar" in resident.last_text()


async def test_a_press_whose_handling_fails_gets_500_without_an_answer_and_the_retry_answers(
    webhook: Hook, webhook_bot: Bot
) -> None:
    resident = WebhookResident(webhook_bot, webhook, 7102)
    await resident.send("/start")
    # Telegram fails while the pressed message is edited: the press is not handled.
    webhook_bot.fake.fail_next("editMessageText", "Internal Server Error", status=500)
    webhook_bot.fake.fail_next("editMessageReplyMarkup", "Internal Server Error", status=500)
    await resident.click("Jag godkänner")
    assert resident.statuses[-1] == 500
    assert resident.replies[-1] is None  # the kept answer is dropped, not sent
    press = resident.history[-1]
    query_id = press["callback_query"]["id"]
    assert spinner_calls(webhook_bot, query_id) == 0

    # Telegram delivers the press again: now its answer comes in the response.
    status, body = await webhook.exchange(press)
    assert status == 200
    assert json.loads(body) == {"method": "answerCallbackQuery", "callback_query_id": query_id}
    assert spinner_calls(webhook_bot, query_id) == 0


async def test_without_a_webhook_the_spinner_is_stopped_by_a_call_of_its_own(
    resident: Resident, bot: Bot
) -> None:
    """Polling has no response to carry the answer: every press is answered over HTTP."""
    await resident.send("/start")
    await resident.click("Jag godkänner")
    query_id = resident.history[-1]["callback_query"]["id"]
    assert spinner_calls(bot, query_id) == 1


@pytest.fixture
async def answering() -> AsyncIterator[tuple[telegram.Bot, FakeTelegram]]:
    """A bot whose request keeps a press's answer while the press is handled (webhook mode),
    on the fake Bot API."""
    fake = FakeTelegram()
    bot = telegram.Bot("123:TEST", request=WebhookReplies(fake), get_updates_request=fake)
    await bot.initialize()
    yield bot, fake
    await bot.shutdown()


def press_by(bot: telegram.Bot, query_id: str, user_id: int) -> telegram.Update:
    press = telegram.Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": query_id,
                "from": {"id": user_id, "is_bot": False, "first_name": "Anna"},
                "chat_instance": "1",
                "data": "x",
            },
        },
        bot,
    )
    assert press is not None
    return press


async def test_an_answer_made_after_the_update_was_handled_goes_over_http(
    answering: tuple[telegram.Bot, FakeTelegram],
) -> None:
    """A task the handling started inherits the slot; once the response is on its way, its
    answer to the same press is sent, not kept for a response that has already gone."""
    bot, fake = answering
    press = press_by(bot, "q1", 7201)
    handled = asyncio.Event()

    async def later() -> None:
        await handled.wait()
        await bot.answer_callback_query("q1", text="late")

    with replying(press) as reply:
        straggler = asyncio.create_task(later())
    handled.set()
    await straggler
    assert reply is not None and reply.body() is None  # the response carried nothing
    sent = [call.params for call in fake.calls if call.method == "answerCallbackQuery"]
    assert sent == [{"callback_query_id": "q1", "text": "late"}]

    # While the update is handled, its press's first answer is kept and called done.
    with replying(press) as reply:
        assert await bot.answer_callback_query("q1", text="kept") is True
    assert reply is not None and reply.params == {"callback_query_id": "q1", "text": "kept"}
    assert len([call for call in fake.calls if call.method == "answerCallbackQuery"]) == 1


async def test_a_spinner_kept_longer_than_a_second_is_stopped_over_http(
    monkeypatch: pytest.MonkeyPatch, answering: tuple[telegram.Bot, FakeTelegram]
) -> None:
    """A handler that goes on after answering (a chart, a busy bot) does not keep the
    resident's spinner turning until it is done: after LONGEST the kept answer is sent, and
    the webhook's response carries none (Telegram would refuse a query too old anyway)."""
    monkeypatch.setattr(webhook_reply, "LONGEST", 0.05)
    bot, fake = answering
    press = press_by(bot, "q2", 7202)

    def spinners() -> list[dict[str, Any]]:
        return [call.params for call in fake.calls if call.method == "answerCallbackQuery"]

    with replying(press) as reply:
        assert await bot.answer_callback_query("q2") is True
        assert spinners() == []  # kept for the response, at first
        await asyncio.sleep(0.2)  # the handler is still busy
        assert spinners() == [{"callback_query_id": "q2"}]
    assert reply is not None and reply.body() is None
