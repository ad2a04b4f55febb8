"""A fake Telegram Bot API server on 127.0.0.1, for running the real bot as a subprocess.

It answers like BotApi in fakebot.py (the same code builds the answers) and serves
getUpdates with long polling from a queue the test fills. In webhook mode the test posts
updates to the bot through `post_update`, which, like Telegram, runs the Bot API call a
200's body may hold as one of the bot's own calls.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tests.fakebot import FILE_FOLDER, BotApi, Call

SURVEYS = Path(__file__).resolve().parent / "surveys"


class FakeBotApi:
    """The Bot API over HTTP: `url` is what TELEGRAM_API_URL points at."""

    def __init__(self) -> None:
        self.api = BotApi()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.polls = 0  # getUpdates requests, which BotApi does not record as calls
        self._changed = threading.Condition()
        self._stopping = False
        # Downloads of these files start and never finish (until released or stopped): a
        # bot killed in the middle of one.
        self.held: set[str] = set()
        self.started_downloads: list[str] = []
        # The calls the bot made in its webhook responses' bodies (also in api.calls).
        self.in_responses: list[Call] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def bot_env(self, data: Path, **overrides: str) -> dict[str, str]:
        """The environment of `bot.py run` against this fake: SQLite and secrets in `data`,
        the test surveys; `overrides` by variable name (DATABASE_URL=..., PSEUDONYM_SECRET=...)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TELEGRAM_BOT_TOKEN": "123:TEST",
            "TELEGRAM_API_URL": self.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'torget.db'}",
            "SURVEYS_DIR": str(SURVEYS),
            "DATA_DIR": str(data),
            "PSEUDONYM_SECRET": "fake-api-test-secret-long-enough",
            **overrides,
        }

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- what residents do ----
    def push(self, payload: dict[str, Any]) -> int:
        with self._changed:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **payload})
            self._changed.notify_all()
        return update_id

    def push_message(self, user_id: int, text: str, language_code: str = "sv") -> int:
        message: dict[str, Any] = {
            "message_id": self.api.new_message_id(),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": _user(user_id, language_code),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self.push({"message": message})

    def push_photo(self, user_id: int, file_id: str, content: bytes) -> int:
        """The resident sends a photo; Telegram holds `content` for the bot to download."""
        with self._changed:
            self.api.files[file_id] = content
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 640,
                "height": 480,
                "file_size": len(content),
            }
        ]
        message: dict[str, Any] = {
            "message_id": self.api.new_message_id(),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": _user(user_id, "sv"),
            "photo": sizes,
        }
        return self.push({"message": message})

    def push_callback(self, user_id: int, message_id: int, data: str) -> int:
        with self._changed:
            message = dict(self.api.messages[(user_id, message_id)])
        query = {
            "id": f"q{message_id}-{data}",
            "from": _user(user_id, "sv"),
            "chat_instance": str(user_id),
            "message": message,
            "data": data,
        }
        return self.push({"callback_query": query})

    def post_update(
        self, url: str, update: dict[str, Any], secret: str | None, timeout: float = 5
    ) -> int:
        """POST an update to a webhook as Telegram does, and return the HTTP status; a 200
        whose body names a method is run as the bot's call, as Telegram runs it."""
        request = urllib.request.Request(
            url,
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json"}
            | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}),
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, body = int(answer.status), answer.read()
        except urllib.error.HTTPError as error:
            return int(error.code)  # Telegram runs nothing from a failed delivery
        if body:
            params = dict(json.loads(body))
            method = str(params.pop("method"))
            with self._changed:
                self.api.handle(method, params)
                self.in_responses.append(self.api.calls[-1])
                self._changed.notify_all()
        return status

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 15) -> Call:
        """Block until the bot has made a matching call, and return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for call in self.api.calls:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.text[:60]) for c in self.api.calls]
                    raise AssertionError(f"the bot never made that call; it made {seen}")
                self._changed.wait(left)

    def wait_for_download_to_start(self, file_id: str, timeout: float = 15) -> None:
        """Block until the bot has begun downloading this file (it may be held: `held`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while file_id not in self.started_downloads:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot never began to download {file_id!r}")
                self._changed.wait(left)

    def wait_for_download(self, file_id: str, timeout: float = 15) -> None:
        """Block until the bot has downloaded this file (a photo someone sent)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while file_id not in self.api.downloads:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot never downloaded {file_id!r}")
                self._changed.wait(left)

    def wait_for_polls(self, count: int = 1, timeout: float = 15) -> None:
        """Block until the bot has asked for updates this many times in all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.polls < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the bot polled {self.polls} time(s), not {count}")
                self._changed.wait(left)

    def button(self, call: Call, label: str) -> str:
        """The callback data of the button with this label on a message the bot sent."""
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} on {call.text[:60]!r}")

    # ---- the HTTP side ----
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                params = _params(self.headers.get("Content-Type", ""), body)
                status, answer = fake._answer(self.path.rsplit("/", 1)[-1], params)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped while its long poll was open

            def do_GET(self) -> None:
                if "/file/bot" not in self.path:
                    self.do_POST()
                    return
                # A download (File.download_as_bytearray): the bytes of a file someone sent.
                file_id = self.path.rsplit(f"/{FILE_FOLDER}/", 1)[-1]
                with fake._changed:
                    fake.started_downloads.append(file_id)
                    fake._changed.notify_all()
                    while file_id in fake.held and not fake._stopping:
                        fake._changed.wait()
                    content = fake.api.files.get(file_id)
                    if content is not None:
                        fake.api.downloads.append(file_id)
                    fake._changed.notify_all()
                status, payload = (200, content) if content is not None else (404, b"")
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return None  # the test output stays readable

        return Handler

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._poll(params)}
        with self._changed:
            status, answer = self.api.handle(method, params)
            self._changed.notify_all()
        return status, answer

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._changed:
            self.polls += 1
            self._changed.notify_all()
            # Telegram forgets updates below the offset: the bot has confirmed them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return self._updates[:limit]


def _user(user_id: int, language_code: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language_code}


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and not part.get_filename():
                fields[str(name)] = part.get_content()
        return fields
    return {key: values[-1] for key, values in parse_qs(body.decode()).items()}
