"""Generated updates (hypothesis): whatever Telegram, or someone imitating it, sends, no
handler fails, nothing is stored from groups or channels, and the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from tests.conftest import FakeClock, settings_for, start_bot
from tests.fakebot import BOT_USER

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow

RESIDENTS = [3001, 3002, 3003]  # 3001 and 3002 have agreed and are mid-survey
COMMANDS = [
    "/start",
    "/help",
    "/idea",
    "/tip",
    "/mine",
    "/notify",
    "/cancel",
    "/mydata",
    "/delete",
    "/language",
    "/menu",
    "/stats",
    "/campaigns",
    "/export",
    "/moderate",
    "/reload",
    "/start test-kvall_stationen",
    "/start " + "x" * 70,
    "/nope",
]
PREFIXES = [
    "a:1:0:c:",
    "a:1:1:t:",
    "a:9999:0:y",
    "s:",
    "r:",
    "n:",
    "l:",
    "c:",
    "m",
    "i:",
    "o:r:1:",
    "k:close!:",
    "u:news:",
    "del:",
    "",
]

update_ids = iter(range(10**6, 10**9))  # apart from the residents helpers own ids
message_ids = iter(range(1, 10**9))

users = st.builds(
    lambda user_id, lang, name: {
        "id": user_id,
        "is_bot": False,
        "first_name": name,
        **({"language_code": lang} if lang else {}),
    },
    st.sampled_from(RESIDENTS),
    st.sampled_from([None, "sv", "en", "sv-SE", "de", "zz"]),
    st.text(min_size=1, max_size=64),
)
chats = st.sampled_from(["private", "private", "private", "group", "supergroup"])
texts = st.one_of(
    st.text(max_size=200),
    st.text(min_size=4000, max_size=5000),  # past Telegram's 4096
    st.sampled_from(COMMANDS),
    st.builds(lambda c, t: f"{c} {t}", st.sampled_from(COMMANDS), st.text(max_size=100)),
)
media: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "us",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"voice": {"file_id": "v", "file_unique_id": "uv", "duration": 2}},
        {
            "video": {
                "file_id": "v",
                "file_unique_id": "uv",
                "width": 1,
                "height": 1,
                "duration": 1,
            }
        },
        {"video_note": {"file_id": "n", "file_unique_id": "un", "length": 1, "duration": 1}},
        {
            "animation": {
                "file_id": "g",
                "file_unique_id": "ug",
                "width": 1,
                "height": 1,
                "duration": 1,
            }
        },
        {"audio": {"file_id": "a", "file_unique_id": "ua", "duration": 1}},
        {"document": {"file_id": "d", "file_unique_id": "ud", "mime_type": "application/pdf"}},
        {
            "document": {
                "file_id": "d",
                "file_unique_id": "ud",
                "mime_type": "image/png",
                "file_size": 30 * 1024 * 1024,
            }
        },
        {"contact": {"phone_number": "+46701234567", "first_name": "Bo"}},
        {"dice": {"emoji": "🎲", "value": 3}},
        {"photo": [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}]},
        {"location": {"latitude": 56.04, "longitude": 12.69}},
        {"location": {"latitude": -89.9, "longitude": 179.9}},
        {
            "venue": {
                "location": {"latitude": 56.0, "longitude": 12.7},
                "title": "T" * 300,
                "address": "",
            }
        },
        {"new_chat_members": [BOT_USER]},
    ]
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    user = draw(users)
    kind = draw(chats)
    chat: dict[str, Any] = {
        "id": user["id"] if kind == "private" else -1000 - user["id"],
        "type": kind,
    }
    message: dict[str, Any] = {
        "message_id": next(message_ids),
        "date": 1_790_000_000,
        "chat": chat,
        "from": user,
    }
    if draw(st.booleans()):
        text = draw(texts)
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}
            ]
    else:
        message.update(draw(media))
        if draw(st.booleans()):
            message["caption"] = draw(st.text(max_size=1100))
    if draw(st.integers(0, 5)) == 0:
        message["forward_origin"] = {"type": "hidden_user", "date": 1, "sender_user_name": "X"}
    if draw(st.integers(0, 5)) == 0:
        message["media_group_id"] = draw(st.sampled_from(["g1", "g2"]))
    return message


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    which = draw(st.sampled_from(["message", "message", "callback", "edited", "channel"]))
    update: dict[str, Any] = {"update_id": next(update_ids)}
    if which == "message":
        update["message"] = draw(messages())
    elif which == "edited":
        edited = draw(messages())
        edited["edit_date"] = 1_790_000_100
        update["edited_message"] = edited
    elif which == "channel":
        post = draw(messages())
        post.pop("from")
        post["chat"] = {"id": -100999, "type": "channel", "title": "Torget nyheter"}
        update["channel_post"] = post
    else:
        user = draw(users)
        data = draw(st.sampled_from(PREFIXES)) + draw(st.text(max_size=70))
        query: dict[str, Any] = {
            "id": str(next(update_ids)),
            "from": user,
            "chat_instance": "1",
            "data": data.encode()[:64].decode(errors="ignore") if draw(st.booleans()) else data,
        }
        if draw(st.booleans()):
            query["message"] = {
                "message_id": draw(st.integers(1, 50)),
                "date": 1_790_000_000,
                "chat": {"id": user["id"], "type": "private"},
                "text": "an old message",
            }
        update["callback_query"] = query
    return update


class Failures(logging.Handler):
    """Collects what the error handler reports: every one is an unhandled exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


FUZZED = 0


def test_generated_updates_never_break_the_bot(tmp_path: Path) -> None:
    global FUZZED
    loop = asyncio.new_event_loop()
    clock = FakeClock(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
    bot = loop.run_until_complete(start_bot(settings_for(tmp_path), clock))
    failures = Failures()
    logging.getLogger("handlers").addHandler(failures)
    try:
        for user_id in RESIDENTS[:2]:
            resident = bot.resident(user_id)
            loop.run_until_complete(resident.send("/start"))
            loop.run_until_complete(resident.click("Jag godkänner"))
            loop.run_until_complete(resident.click("Kvällen på Söder"))

        @settings(
            max_examples=400,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            database=None,
        )
        @given(st.lists(updates(), min_size=1, max_size=6))
        def feed(batch: list[dict[str, Any]]) -> None:
            global FUZZED
            failures.seen.clear()
            for data in batch:
                loop.run_until_complete(bot.app.process_update(Update.de_json(data, bot.app.bot)))
                FUZZED += 1
            assert failures.seen == [], failures.seen[:1]

        feed()
        # Nothing was stored about anyone who only wrote in a group or a channel.
        stored = loop.run_until_complete(
            bot.services.store.get_resident(bot.services.pseudonymize(-100999))
        )
        assert stored is None
        # And the bot still answers a resident normally.
        calm = bot.resident(3009)
        loop.run_until_complete(calm.send("/start"))
        assert "Innan vi börjar" in calm.last_text()
    finally:
        logging.getLogger("handlers").removeHandler(failures)
        loop.run_until_complete(bot.stop())
        loop.close()
    print(f"\nfuzz: {FUZZED} generated updates, no handler failed")
