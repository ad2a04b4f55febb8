"""The bot's HTTP layer (aiohttp) and its update processor, on their own.

The bot tests feed updates to the Application directly; these check the two pieces that
`bot.py run` puts between Telegram and the handlers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.error import BadRequest, NetworkError, TimedOut

from runtime.concurrency import PerResidentUpdateProcessor
from runtime.transport import AiohttpRequest

TOKEN = "123:TRANSPORT"
ME = {"id": 1, "is_bot": True, "first_name": "Torget", "username": "torget_test_bot"}


class Recorder:
    """A Bot API that keeps each request's form fields and uploaded files."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], dict[str, tuple[str, bytes]]]] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                assert isinstance(part, BodyPartReader)
                content = await part.read()
                if part.filename:
                    files[str(part.name)] = (part.filename, bytes(content))
                else:
                    fields[str(part.name)] = content.decode()
        elif request.content_type == "application/json":
            fields = await request.json()
        else:
            fields = dict(await request.post())
        self.calls.append((method, fields, files))
        await asyncio.sleep(self.delay)
        if method == "getMe":
            return web.json_response({"ok": True, "result": ME})
        if method == "sendMessage" and fields.get("text") == "":
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                },
                status=400,
            )
        message = {
            "message_id": len(self.calls),
            "date": 0,
            "chat": {"id": int(fields["chat_id"]), "type": "private"},
            "text": fields.get("text", ""),
        }
        return web.json_response({"ok": True, "result": message})


@pytest.fixture
async def api() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield recorder, f"http://127.0.0.1:{port}/bot"
    await runner.cleanup()


async def test_messages_keyboards_and_files_reach_telegram_intact(
    api: tuple[Recorder, str],
) -> None:
    recorder, url = api
    bot = Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest())
    async with bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Svenska", callback_data="l:sv")]])
        sent = await bot.send_message(42, "Hej på dig, Söder! 🌙", reply_markup=keyboard)
        payload = json.dumps({"answers": ["trygg"]}, ensure_ascii=False).encode()
        await bot.send_document(42, payload, filename="mina-svar.json", caption="Dina svar")
    assert sent.text == "Hej på dig, Söder! 🌙"
    methods = [method for method, _, _ in recorder.calls]
    assert methods == ["getMe", "sendMessage", "sendDocument"]
    _, message, _ = recorder.calls[1]
    assert message["chat_id"] == 42
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Svenska", "callback_data": "l:sv"}]]
    }
    _, fields, files = recorder.calls[2]
    assert fields["caption"] == "Dina svar"
    [(filename, content)] = files.values()
    assert filename == "mina-svar.json" and json.loads(content) == {"answers": ["trygg"]}


async def test_telegram_errors_timeouts_and_a_dead_server_are_ptb_errors(
    api: tuple[Recorder, str],
) -> None:
    recorder, url = api
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(BadRequest, match="ext is empty"):
            await bot.send_message(42, "")
        recorder.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(42, "hinner inte fram")
    nobody = AiohttpRequest()
    await nobody.initialize()
    try:
        with pytest.raises(NetworkError):
            await nobody.post("http://127.0.0.1:9/bot123:X/getMe")
    finally:
        await nobody.shutdown()


def update_from(user_id: int, update_id: int) -> Update:
    user = User(user_id, "Anna", is_bot=False)
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": user.to_dict(),
                "text": str(update_id),
            },
        },
        None,
    )


async def test_one_residents_updates_run_in_order_while_others_go_ahead() -> None:
    processor = PerResidentUpdateProcessor(running=8)
    await processor.initialize()
    finished: list[tuple[int, int]] = []
    first_may_end = asyncio.Event()

    async def handle(user_id: int, update_id: int) -> None:
        if update_id == 1:
            await first_may_end.wait()  # Anna's first answer is slow (the database, say)
        finished.append((user_id, update_id))

    work = [
        asyncio.create_task(processor.process_update(update_from(7, 1), handle(7, 1))),
        asyncio.create_task(processor.process_update(update_from(7, 2), handle(7, 2))),
        asyncio.create_task(processor.process_update(update_from(8, 3), handle(8, 3))),
    ]
    for _ in range(20):
        await asyncio.sleep(0)
    # Bo was not held up by Anna, and Anna's second update did not overtake her first.
    assert finished == [(8, 3)]
    first_may_end.set()
    await asyncio.gather(*work)
    assert finished == [(8, 3), (7, 1), (7, 2)]
    # No lock is kept for residents with nothing in hand.
    assert processor._turns == {}
    await processor.shutdown()


async def test_a_flood_from_one_resident_takes_one_running_slot() -> None:
    processor = PerResidentUpdateProcessor(running=2)
    await processor.initialize()
    release = asyncio.Event()
    done: list[int] = []

    async def slow(user_id: int) -> None:
        await release.wait()
        done.append(user_id)

    async def quick(user_id: int) -> None:
        done.append(user_id)

    flood = [
        asyncio.create_task(processor.process_update(update_from(7, n), slow(7)))
        for n in range(1, 50)
    ]
    other = asyncio.create_task(processor.process_update(update_from(8, 100), quick(8)))
    await asyncio.wait_for(other, 1)
    assert done == [8]
    release.set()
    await asyncio.gather(*flood)
    assert done.count(7) == 49
    await processor.shutdown()
