"""A recording fake of the Telegram Bot API, and a resident who talks to the bot through it.

FakeTelegram replaces PTB's HTTP layer (a BaseRequest subclass): every call the bot makes is
recorded and answered as Telegram would. Resident feeds updates to a real Application with
`process_update` and reads back what the bot sent, as a person in the chat would see it.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from PIL import ExifTags, Image
from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 999,
    "is_bot": True,
    "first_name": "Torget",
    "username": "torget_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
FILE_FOLDER = "documents"  # where getFile says a sent file is, as Telegram's own paths
SENDING = {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVoice"}
EDITING = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


# Where the phones' photos were taken (the station's dark passage), as their EXIF says.
PHOTO_TAKEN_AT = ((56.0, 2.0, 37.5), (12.0, 41.0, 41.2))


def phone_photo(width: int = 640, height: int = 480, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, the orientation, a comment and the
    GPS position where it was taken (what Telegram's own compression would not keep, and
    what the bot must never keep)."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((20, 20, 160), (0, 0, width // 2, height // 3))  # something to see
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Orientation] = orientation
    lat, lon = PHOTO_TAKEN_AT
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: lat,
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: lon,
        }
    )
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken behind the station")
    return out.getvalue()


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None  # what Telegram answered, e.g. the sent message with its message_id
    at: Any = None  # the bot's clock when the call was made, when the fake has one

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")


@dataclass
class BotApi:
    """Telegram's side of the conversation: messages it holds and what it answers."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    # The keyboard each message was sent with, before any edit took it away.
    first_markup: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    throttle_next: float | None = None
    throttle_chat: int | None = None  # only a send to this chat is refused (None: any)
    clock: Any = None  # the bot's (fake) clock, so tests can see when each call was made
    # Files people sent, by file_id: getFile names them and a download returns their bytes.
    files: dict[str, bytes] = field(default_factory=dict)
    # Every file the bot downloaded, by file_id, in order.
    downloads: list[str] = field(default_factory=list)
    # Calls Telegram refuses once each: method -> (HTTP status, description), see fail_next.
    failing: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # getFile refuses these files once each: file_id -> (HTTP status, description).
    failing_files: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    next_update_id: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_message_id(self) -> int:
        return next(self._message_ids)

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Record a call and return (HTTP status, Bot API JSON body)."""
        params = {key: _decoded(key, value) for key, value in params.items()}
        call = Call(method, params, at=self.clock() if self.clock is not None else None)
        self.calls.append(call)
        throttled = self.throttle_chat is None or call.chat_id == self.throttle_chat
        if self.throttle_next is not None and method in SENDING and throttled:
            retry_after, self.throttle_next = self.throttle_next, None
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after:g}",
                "parameters": {"retry_after": retry_after},
            }
        refusals = self.failing.get(method)
        if method == "getFile" and self.failing_files.get(str(params.get("file_id"))):
            refusals = self.failing_files[str(params.get("file_id"))]
        if refusals:
            status, description = refusals.pop(0)
            return status, {"ok": False, "error_code": status, "description": description}
        if call.chat_id in self.blocked and method in SENDING:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        call.result = self._result(call)
        return 200, {"ok": True, "result": call.result}

    def _result(self, call: Call) -> Any:
        method, params = call.method, call.params
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return []
        if method == "getChatMember":
            # The bot is a plain member of a group: privacy mode on, no admin.
            return {"status": "member", "user": BOT_USER}
        if method == "getFile":
            file_id = str(params.get("file_id", "file"))
            content = self.files.get(file_id)
            if content is None:
                return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": 10}
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(content),
                "file_path": f"{FILE_FOLDER}/{file_id}",
            }
        if method in SENDING:
            chat_id = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": self.new_message_id(),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": _chat_type(chat_id)},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "caption" in params:
                message["caption"] = params["caption"]
            if method == "sendDocument":
                message["document"] = {"file_id": "doc-1", "file_unique_id": "doc-u1"}
            if method == "sendVoice":
                message["voice"] = {
                    "file_id": "voice-1",
                    "file_unique_id": "voice-u1",
                    "duration": 3,
                }
            markup = params.get("reply_markup")
            # A message carries only an inline keyboard; reply keyboards live in the chat.
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
                self.first_markup[(chat_id, message["message_id"])] = markup
            self.messages[(chat_id, message["message_id"])] = message
            return message
        if method in EDITING:
            key = (int(params["chat_id"]), int(params["message_id"]))
            message = dict(self.messages.get(key, {"message_id": key[1], "date": 0}))
            message["chat"] = {"id": key[0], "type": _chat_type(key[0])}
            if "text" in params:
                message["text"] = params["text"]
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif method != "editMessageCaption":
                message.pop("reply_markup", None)
            self.messages[key] = message
            return message
        return True


def _chat_type(chat_id: int) -> str:
    """A group's chat id is negative, a person's private chat is their user id."""
    return "supergroup" if chat_id < 0 else "private"


JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "commands",
    "scope",
    "allowed_updates",
}


def _decoded(key: str, value: Any) -> Any:
    if key in ("_files", "_filenames"):
        return value
    # Over HTTP, nested objects (reply_markup) arrive as JSON text inside the form.
    if key in JSON_FIELDS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Killed(BaseException):
    """The bot's process ends here, as with kill -9.

    A BaseException, so that neither PTB nor the bot's own error handling catches it: the
    bot runs no further code of its own, only the `finally` blocks it is unwinding.
    """


class FakeTelegram(BaseRequest, BotApi):
    """PTB's HTTP layer replaced by an in-memory Bot API that records every call."""

    def __init__(self) -> None:
        BotApi.__init__(self)
        self.kill_at: int | None = None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if method == "GET" and "/file/bot" in url:
            # A download (File.download_as_bytearray): the bytes of a file someone sent.
            file_id = url.rsplit(f"/{FILE_FOLDER}/", 1)[-1]
            content = self.files.get(file_id)
            if content is None:
                return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
            self.downloads.append(file_id)
            return 200, content
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.multipart_data:
            # Uploaded files (a chart sent as a photo): keep their bytes for the test to open.
            params["_files"] = {
                name: part[1] for name, part in request_data.multipart_data.items()
            }
            params["_filenames"] = {
                name: part[0] for name, part in request_data.multipart_data.items()
            }
        status, body = self.handle(api_method, params)
        killed = self.kill_at is not None and self.calls[-1].chat_id == self.kill_at
        if api_method in SENDING and killed:
            self.kill_at = None
            raise Killed
        return status, json.dumps(body).encode()

    def block(self, chat_id: int) -> None:
        """The resident blocks the bot: sending to them fails with 403 from now on."""
        self.blocked.add(chat_id)

    def throttle_once(self, retry_after: float, chat_id: int | None = None) -> None:
        """The next send (to `chat_id`, if given) is refused with 429 and retry_after, as
        Telegram does under load."""
        self.throttle_next, self.throttle_chat = retry_after, chat_id

    def fail_next(
        self,
        method: str,
        description: str = "Bad Request: wrong file identifier/HTTP URL specified",
        status: int = 400,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` (e.g. sendPhoto) are refused with this error,
        as Telegram refuses an expired photo (400) or fails while busy (500, 502)."""
        self.failing.setdefault(method, []).extend([(status, description)] * times)

    def fail_file(self, file_id: str, description: str, status: int = 500, times: int = 1) -> None:
        """getFile of this file is refused the next `times` times (other files are not)."""
        self.failing_files.setdefault(file_id, []).extend([(status, description)] * times)

    def kill_after_sending(self, chat_id: int) -> None:
        """The bot dies (Killed) once Telegram has delivered its next message to this chat,
        before the answer reaches it: the resident has the message, the bot never knew."""
        self.kill_at = chat_id


class Resident:
    """One Telegram user in a private chat with the bot."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        fake: FakeTelegram,
        user_id: int = 1001,
        first_name: str = "Anna",
        language_code: str | None = "sv",
    ) -> None:
        self.app = app
        self.fake = fake
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        self.chat_id = user_id
        self.chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        self._last_update: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []  # every update this resident sent

    def in_group(self, chat_id: int, title: str = "Trygghetsvandring Söder") -> Resident:
        """The same person writing in a group chat with the bot (a negative chat id)."""
        member = Resident(
            self.app,
            self.fake,
            self.user["id"],
            self.user["first_name"],
            self.user.get("language_code"),
        )
        member.chat_id = chat_id
        member.chat = {"id": chat_id, "type": "supergroup", "title": title}
        return member

    # ---- doing things ----
    async def onboard(self, agree: str = "Jag godkänner", news: str | None = None) -> None:
        """Start the bot and accept the privacy notice; `news`: answer the news offer too."""
        await self.send("/start")
        await self.click(agree)
        if news is not None:
            await self.click_where(news)

    async def send(self, text: str) -> None:
        message = self._message(text=text)
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._feed({"message": message})

    async def share_location(self, lat: float, lon: float) -> None:
        await self._feed({"message": self._message(location={"latitude": lat, "longitude": lon})})

    async def send_venue(self, lat: float, lon: float, title: str, address: str) -> None:
        location = {"latitude": lat, "longitude": lon}
        venue = {"location": location, "title": title, "address": address}
        await self._feed({"message": self._message(location=location, venue=venue)})

    async def send_photo(
        self,
        file_id: str = "photo-1",
        file_size: int = 50_000,
        content: bytes | None = None,
        caption: str | None = None,
    ) -> None:
        """A photo sent as a photo: Telegram holds its bytes (`content`, else a phone's JPEG
        with EXIF and GPS) for the bot to download by file id."""
        self.fake.files.setdefault(file_id, content if content is not None else phone_photo())
        sizes = [
            {"file_id": f"{file_id}-s", "file_unique_id": "u-s", "width": 90, "height": 90},
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": file_size,
            },
        ]
        extra = {"caption": caption} if caption else {}
        await self._feed({"message": self._message(photo=sizes, **extra)})

    async def send_document(
        self,
        file_name: str,
        mime_type: str | None,
        file_size: int | None = None,
        file_id: str = "doc-1",
        content: bytes | None = None,
        unsized: bool = False,
    ) -> None:
        """A file sent with 📎 → File: Telegram passes it on as it is, metadata and all.

        With `content`, Telegram holds the file's bytes, so the bot can download them; its
        size is theirs unless `file_size` says otherwise (2.4 MB without content).
        `unsized`: Telegram does not say how large the file is."""
        if content is not None:
            self.fake.files[file_id] = content
        if file_size is None:
            file_size = len(content) if content is not None else 2_400_000
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": file_name,
        }
        if not unsized:
            document["file_size"] = file_size
        if mime_type is not None:
            document["mime_type"] = mime_type
        await self._feed({"message": self._message(document=document)})

    async def send_image_file(self, file_size: int = 2_400_000, file_id: str = "scan-1") -> None:
        """A phone's photo sent as a file (uncompressed), with its EXIF and GPS position."""
        await self.send_document("IMG_0001.jpg", "image/jpeg", file_size, file_id)

    async def send_album(self, count: int = 3) -> None:
        """Several photos at once: Telegram delivers one message per photo, one group id."""
        for index in range(count):
            photo = [
                {
                    "file_id": f"album-{index}",
                    "file_unique_id": f"ua-{index}",
                    "width": 1280,
                    "height": 960,
                    "file_size": 80_000,
                }
            ]
            await self._feed(
                {"message": self._message(photo=photo, media_group_id="album-group-1")}
            )

    async def forward(self, text: str) -> None:
        """Forward someone else's message into the chat."""
        origin = {"type": "hidden_user", "date": int(time.time()), "sender_user_name": "Bo"}
        await self._feed({"message": self._message(text=text, forward_origin=origin)})

    async def send_sticker(self) -> None:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "us-1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        await self._feed({"message": self._message(sticker=sticker)})

    async def send_voice(self, file_id: str = "voice-1") -> None:
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 3}
        await self._feed({"message": self._message(voice=voice)})

    async def click(self, label: str) -> None:
        """Press a button of the most recent message that has inline buttons."""
        message_id, keyboard = self._latest_keyboard()
        await self._press(message_id, keyboard, label)

    async def click_where(self, label: str) -> None:
        """Press the button with this label on the newest message that has one."""
        mine = sorted(
            (mid, message)
            for (chat, mid), message in self.fake.messages.items()
            if chat == self.chat["id"]
        )
        for message_id, message in reversed(mine):
            markup = message.get("reply_markup") or {}
            labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
            if any(label in text for text in labels):
                await self._press(message_id, markup, label)
                return
        raise AssertionError(f"no message has a button {label!r}")

    async def click_in(self, message_id: int, label: str) -> None:
        """Press a button a message shows now (after any edits of its keyboard)."""
        markup = self.fake.messages[(self.chat_id, message_id)].get("reply_markup") or {}
        await self._press(message_id, markup, label)

    async def click_on(self, message_id: int, label: str) -> None:
        """Press a button on an older message, as a resident scrolling back would."""
        original = self.fake.first_markup.get((self.chat_id, message_id), {})
        await self._press(message_id, original, label)

    async def tap_reply_button(self, label: str) -> None:
        """Tap a button of the reply keyboard, which sends its text."""
        for row in self._reply_keyboard():
            for button in row:
                if button["text"] == label:
                    if button.get("request_location"):
                        raise AssertionError("that button shares a location: use share_location")
                    await self.send(label)
                    return
        raise AssertionError(f"no reply button {label!r} in {self.reply_buttons()}")

    async def press_data(self, data: str) -> None:
        """Press a button with this data under a message of the bot's: one an older version
        sent, or one made by hand."""
        message = {"message_id": self.fake.new_message_id(), "date": 0, "chat": self.chat}
        await self._feed(
            {
                "callback_query": {
                    "id": str(next(self.fake.next_update_id)),
                    "from": self.user,
                    "chat_instance": "1",
                    "message": {**message, "text": "…"},
                    "data": data,
                }
            }
        )

    async def replay_all(self) -> int:
        """Deliver every update again, in order, as Telegram may after a crash; return how many."""
        for data in list(self.history):
            await self.app.process_update(Update.de_json(data, self.app.bot))
        return len(self.history)

    async def replay_last(self) -> None:
        """Deliver the last update again with the same update_id, as Telegram may."""
        assert self._last_update is not None
        await self.app.process_update(Update.de_json(self._last_update, self.app.bot))

    # ---- reading what the bot sent ----
    @property
    def sent(self) -> list[Call]:
        return [call for call in self.fake.calls if call.chat_id == self.chat["id"]]

    def texts(self) -> list[str]:
        return [call.text for call in self.sent if call.method in SENDING | {"editMessageText"}]

    def last_text(self) -> str:
        texts = self.texts()
        return texts[-1] if texts else ""

    def last_message_id(self) -> int:
        return max(mid for chat, mid in self.fake.messages if chat == self.chat["id"])

    def buttons(self) -> list[str]:
        _, keyboard = self._latest_keyboard()
        return [button["text"] for row in keyboard["inline_keyboard"] for button in row]

    def reply_buttons(self) -> list[str]:
        return [button["text"] for row in self._reply_keyboard() for button in row]

    def answered_callbacks(self) -> list[str]:
        return [
            str(call.params.get("text", ""))
            for call in self.fake.calls
            if call.method == "answerCallbackQuery"
        ]

    # ---- plumbing ----
    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": self.fake.new_message_id(),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    async def _feed(self, payload: dict[str, Any]) -> None:
        data = {"update_id": next(self.fake.next_update_id), **payload}
        self._last_update = data
        self.history.append(data)
        await self.app.process_update(Update.de_json(data, self.app.bot))

    def _latest_keyboard(self) -> tuple[int, dict[str, Any]]:
        mine = sorted(
            (mid, message)
            for (chat, mid), message in self.fake.messages.items()
            if chat == self.chat["id"]
        )
        for message_id, message in reversed(mine):
            markup = message.get("reply_markup")
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                return message_id, markup
        raise AssertionError(f"no message with buttons; the bot said: {self.texts()[-3:]}")

    def _reply_keyboard(self) -> list[list[dict[str, Any]]]:
        for call in reversed(self.sent):
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict):
                if markup.get("remove_keyboard"):
                    return []
                if "keyboard" in markup:
                    return list(markup["keyboard"])
        return []

    async def _press(self, message_id: int, keyboard: dict[str, Any], label: str) -> None:
        buttons = [b for row in keyboard.get("inline_keyboard", []) for b in row]
        exact = [b for b in buttons if b["text"] == label]
        partial = [b for b in buttons if label in b["text"]]
        chosen = exact or (partial if len(partial) == 1 else [])
        if not chosen:
            labels = [b["text"] for b in buttons]
            raise AssertionError(f"no single button {label!r}; the buttons are {labels}")
        message = dict(self.fake.messages[(self.chat_id, message_id)])
        message.setdefault("chat", self.chat)
        query = {
            "id": str(next(self.fake.next_update_id) * 7),
            "from": self.user,
            "chat_instance": str(self.chat["id"]),
            "message": message,
            "data": chosen[0]["callback_data"],
        }
        await self._feed({"callback_query": query})
