"""A lean fake Telegram Bot API on 127.0.0.1 for benchmarks: asyncio, HTTP/1.1 keep-alive.

The test suite's fake (tests/fake_bot_api.py) records everything and runs a thread per
connection; here the fake must stay cheaper than the bot it measures, so it keeps only what
the simulated residents read: the messages sent to each chat, handed to a listener.

Updates reach the bot by long polling (getUpdates), or, after `deliver_to`, as Telegram's
webhook POSTs: at most `max_connections` at once (Telegram's default, 40) over keep-alive
connections, one chat's updates one at a time and in order (the next is posted once the
webhook has answered the one before, as Telegram does), a call in a 200's body run as if
the bot had made it, and a 500 or a dropped connection delivered again. With several
webhook URLs the fake is the load balancer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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
        # Webhook mode (deliver_to): the updates waiting for a connection, and the senders.
        self._outgoing: asyncio.Queue[dict[str, Any]] | None = None
        self._hooks: list[tuple[str, int, bytes]] = []
        self._secret = b""
        self._senders: list[asyncio.Task[None]] = []
        self._turn = 0
        # Senders with an update being posted, each with what waits behind it: Telegram
        # posts a chat's next update only once the webhook has answered the one before.
        self._chats: dict[int, deque[dict[str, Any]]] = {}
        self.in_responses = 0  # calls run from a webhook response's body
        self.redelivered = 0  # webhook deliveries answered 500 or cut off, sent again

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for sender in self._senders:
            sender.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)
        self._senders.clear()
        if self._server is not None:
            self._server.close()
            self._arrived.set()

    def deliver_to(self, urls: list[str], secret: str, max_connections: int = 40) -> None:
        """Webhook mode: updates are POSTed to these URLs instead of waiting for getUpdates.

        Several URLs are replicas behind a balancer, which sends each request to the next in
        turn (round-robin, as nginx's `upstream` does by default, and as the README's
        example configures): every replica gets an even share whatever its residents, so
        two replicas really do share each resident's updates through the database.
        """
        self._hooks = []
        for url in urls:
            parts = urlsplit(url)
            assert parts.hostname is not None and parts.port is not None
            self._hooks.append((parts.hostname, parts.port, (parts.path or "/").encode()))
        self._secret = secret.encode()
        self._outgoing = asyncio.Queue()
        # One task per connection Telegram may keep open: a queue wakes one of them per
        # update, so that waiting senders cost nothing.
        self._senders = [asyncio.create_task(self._send_updates()) for _ in range(max_connections)]

    # ---- what residents do ----
    def push(self, payload: dict[str, Any]) -> int:
        update_id = self._next_update
        self._next_update += 1
        update = {"update_id": update_id, **payload}
        if self._outgoing is not None:
            sender = _sender(update)
            waiting = self._chats.get(sender)
            if waiting is not None:
                waiting.append(update)
            else:
                self._chats[sender] = deque()
                self._outgoing.put_nowait(update)
            return update_id
        self._pending.append(update)
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

    # ---- webhook delivery ----
    async def _send_updates(self) -> None:
        """One of Telegram's webhook connections: post the next update, wait for its answer."""
        assert self._outgoing is not None
        connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        try:
            while True:
                update = await self._outgoing.get()
                target = self._turn % len(self._hooks)
                self._turn += 1
                answer = await self._post(connections, target, update)
                if answer is None or answer[0] >= 500:
                    # Telegram delivers it again a little later.
                    self.redelivered += 1
                    await asyncio.sleep(0.05)
                    self._outgoing.put_nowait(update)
                    continue
                status, body = answer
                waiting = self._chats[_sender(update)]
                if waiting:
                    self._outgoing.put_nowait(waiting.popleft())
                else:
                    del self._chats[_sender(update)]
                if status == 200 and body:
                    params = dict(json.loads(body))
                    self.in_responses += 1
                    await self._answer(str(params.pop("method")), params)
                elif status != 200:
                    raise SystemExit(f"the webhook refused an update with {status}")
        finally:
            for _, writer in connections.values():
                writer.close()

    async def _post(
        self,
        connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]],
        target: int,
        update: dict[str, Any],
    ) -> tuple[int, bytes] | None:
        """(status, body) of one POST on a kept-alive connection, or None when it was cut."""
        host, port, path = self._hooks[target]
        body = json.dumps(update).encode()
        try:
            if target not in connections:
                connections[target] = await asyncio.open_connection(host, port)
            reader, writer = connections[target]
            writer.write(
                b"POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                b"X-Telegram-Bot-Api-Secret-Token: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (path, host.encode(), port, self._secret, len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length, closing = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    closing = True
            answer = await reader.readexactly(length) if length else b""
            if closing:
                connections.pop(target)[1].close()
            return status, answer
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            dropped = connections.pop(target, None)
            if dropped is not None:
                with contextlib.suppress(Exception):
                    dropped[1].close()
            return None


def _sender(update: dict[str, Any]) -> int:
    """Whose update it is: Telegram keeps each one's updates in order."""
    for kind in ("message", "callback_query"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    return 0


def _params(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if body[:1] == b"{":
        return dict(json.loads(body))
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode()):
        fields[key] = json.loads(value) if key in JSON_FIELDS else value
    return fields
