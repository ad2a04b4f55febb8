"""A lean fake Telegram Bot API on 127.0.0.1 for benchmarks: asyncio, HTTP/1.1 keep-alive.

The test suite's fake (tests/fake_bot_api.py) records everything and runs a thread per
connection; here the fake must stay cheaper than the bot it measures, so it keeps only what
the simulated residents read: the messages sent to each chat, handed to a listener.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {
    "id": 999,
    "is_bot": True,
    "first_name": "Torget",
    "username": "torget_bench_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Decoded from the form fields PTB posts: these hold JSON, the rest are plain strings.
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities"}
_TAGS = re.compile(r"<[^>]+>")


def _photo() -> bytes:
    """The JPEG every resident's photo is, as a download (the bot fetches each photo)."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (1280, 960), (90, 90, 90)).save(out, "JPEG", quality=85)
    return out.getvalue()


PHOTO = _photo()

# (method, chat id, params, sent message or None)
Listener = Callable[[str, int, dict[str, Any], dict[str, Any] | None], None]


class FakeTelegram:
    """The Bot API's side: queues updates for getUpdates and answers every other method."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.calls = 0
        self.methods: Counter[str] = Counter()  # calls by method (bench/startup.py)
        self._pending: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._arrived.set()

    # ---- what residents do ----
    def push(self, payload: dict[str, Any]) -> int:
        update_id = self._next_update
        self._next_update += 1
        self._pending.append({"update_id": update_id, **payload})
        self._arrived.set()
        return update_id

    def message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    # ---- HTTP ----
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                first, _, rest = head.partition(b"\r\n")
                length = 0
                for line in rest.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                if b"/file/bot" in first:  # a photo's download, after getFile
                    self.methods["download"] += 1
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(PHOTO))
                    writer.write(PHOTO)
                    continue
                method = first.split(b" ", 2)[1].rsplit(b"/", 1)[-1].decode()
                result = await self._answer(method, _params(body))
                payload = json.dumps({"ok": True, "result": result}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the bot closed the connection, or the benchmark is over
        finally:
            writer.close()

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        self.calls += 1
        self.methods[method] += 1
        if method == "getUpdates":
            return await self._poll(params)
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            file_id = str(params.get("file_id") or "photo")
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(PHOTO),
                "file_path": f"photos/{file_id}.jpg",
            }
        chat_id = int(params.get("chat_id") or 0)
        if method == "sendMessage":
            message_id = self.message_id()
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                # Telegram returns the text without the HTML tags (as entities we skip).
                "text": _TAGS.sub("", params.get("text", "")),
            }
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self.messages[(chat_id, message_id)] = message
            self.listener(method, chat_id, params, message)
            return message
        if method in ("editMessageText", "editMessageReplyMarkup"):
            key = (chat_id, int(params.get("message_id") or 0))
            edited = self.messages.get(key)
            if edited is None:
                return True
            message = edited
            if "text" in params:
                message["text"] = _TAGS.sub("", params["text"])
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            self.listener(method, chat_id, params, message)
            return message
        return True  # answerCallbackQuery, setMyCommands, deleteWebhook, ...

    async def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        if self._pending and self._pending[0]["update_id"] < offset:
            # Telegram forgets what the bot has confirmed with a higher offset.
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        return self._pending[:limit]


def _params(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if body[:1] == b"{":
        return dict(json.loads(body))
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode()):
        fields[key] = json.loads(value) if key in JSON_FIELDS else value
    return fields
