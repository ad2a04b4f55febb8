"""The webhook tells Telegram an update was received only once it is handled and stored.

These run the webhook's own HTTP routes in the test's event loop, over real HTTP, on the
bot of tests/conftest.py; tests/test_webhook.py runs `bot.py run` as a process and kills it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError
from tornado.httpserver import HTTPServer

from runtime.webhook import SECRET_HEADER, Running, routes
from tests.conftest import Bot

SECRET = "a-secret_0123456789"


class Hook:
    """The webhook of a running bot: post an update, get the HTTP status Telegram would."""

    def __init__(self, bot: Bot, session: aiohttp.ClientSession, port: int) -> None:
        self.bot, self.session, self.port = bot, session, port

    async def post(self, body: Any, raw: bytes | None = None) -> int:
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.session.post(
            f"http://127.0.0.1:{self.port}/telegram",
            data=data,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        ) as answer:
            return answer.status


@pytest.fixture
async def hook(bot: Bot) -> AsyncIterator[Hook]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = HTTPServer(routes(bot.app, SECRET, Running()))
    server.listen(port, address="127.0.0.1")
    async with aiohttp.ClientSession() as session:
        yield Hook(bot, session, port)
    server.stop()


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
