"""The benchmark's residents: each answers what the bot last asked, as a person would.

A resident reads the bot's messages and buttons (the fake Bot API hands them over) and makes
the update a person would send next: a press, a place, a photo, a few words. The echo
bot's residents only write a line and wait for it to come back.
"""

from __future__ import annotations

import html
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.survey import FreeText, Photo, Survey

WORDS = [
    "bättre",
    "belysning",
    "vid",
    "stationen",
    "mer",
    "folk",
    "på",
    "kvällen",
    "färre",
    "bilar",
    "på",
    "Södergatan",
    "fler",
    "bänkar",
    "städa",
    "oftare",
    "i",
    "parken",
    "trasig",
    "lampa",
    "vid",
    "busshållplatsen",
]


@dataclass
class Resident:
    """Answers whatever the bot last asked, reading its messages and buttons."""

    user_id: int
    survey: Survey
    rng: random.Random
    stop_before: str | None = None  # a question to stop at: "in the middle of the survey"
    done: bool = False
    parked: bool = False
    sent_at: float | None = None  # when the update now waiting for its reply was offered
    next_update: dict[str, Any] | None = None
    ticks: int = 0  # boxes still to tick on a select_multiple
    ticked: set[str] = field(default_factory=set)
    message_ids: int = 0
    # For bench/kill.py: the question the update now waiting for its reply answers, and the
    # questions whose answer the bot acknowledged (its next question or the thanks came).
    answering: str | None = None
    acknowledged: list[str] = field(default_factory=list)
    sent_all: bool = False  # the summary's Send was pressed and the thanks came

    def first(self) -> dict[str, Any]:
        return self._text("/start")

    def read(self, params: dict[str, Any], message: dict[str, Any] | None) -> bool:
        """Take in a message from the bot; True when it asks something (what to do is set)."""
        answered, self.answering = self.answering, None
        asks = self._read(params, message)
        if not asks:
            self.answering = answered  # not the reply yet
        elif answered == "submit":
            self.sent_all = self.done
        elif answered is not None:
            # The bot moved on: what the last update answered is acknowledged.
            self.acknowledged.append(answered)
        return asks

    def _read(self, params: dict[str, Any], message: dict[str, Any] | None) -> bool:
        markup = params.get("reply_markup")
        text = html.unescape(message.get("text", "") if message else "")
        buttons = [
            button["callback_data"]
            for row in (markup or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]
        if self.survey.thanks and self.survey.thanks.sv[:40] in text:
            self.done = True
            return True
        if isinstance(markup, dict) and "keyboard" in markup:  # the location question
            if self._stopping_at("where_unsafe"):
                return True
            lat, lon = 56.0405 + self.rng.uniform(-0.004, 0.004), 12.6990
            self.next_update = {
                "message": self._message(location={"latitude": lat, "longitude": lon})
            }
            self.answering = "where_unsafe"
            return True
        if not buttons or message is None:
            return False  # "Tack, noterat.", the intro, the welcome: the question follows
        press = self._pressing(message)
        if buttons[0].startswith("c:"):
            self.next_update = press(buttons[0])
            return True
        menu = f"s:{self.survey.id}"
        if menu in buttons:
            self.next_update = press(menu)
            return True
        resume = next((data for data in buttons if data.startswith("r:")), None)
        if resume is not None:  # "continue where you were?"
            self.next_update = press(resume)
            return True
        answers = [data for data in buttons if data.startswith("a:")]
        if not answers:
            return False  # the news offer: residents let it be and answer the survey
        actions = {data.split(":")[3]: data for data in answers}
        question = next((q for q in self.survey.questions if q.text.sv in text), None)
        if question is not None and self._stopping_at(question.id):
            return True
        answering = question.id if question is not None else None
        if "y" in actions:  # the summary: send the answers
            self.next_update = press(actions["y"])
            answering = "submit"
        elif "+" in actions:  # tick one to three boxes (▫️, "+"), then Done
            if not self.ticked and self.ticks == 0:
                self.ticks = self.rng.randint(1, 3)
            if len(self.ticked) < self.ticks:
                # By choice id: the data also holds the version, which every tick changes.
                boxes = {d.split(":")[4]: d for d in answers if d.split(":")[3] == "+"}
                choice = self.rng.choice(sorted(set(boxes) - self.ticked))
                self.ticked.add(choice)
                self.next_update = press(boxes[choice])
                answering = None  # a tick answers nothing yet: Done does
            else:
                self.next_update = press(actions["d"])
                self.ticked, self.ticks = set(), 0
        elif "c" in actions:  # a choice or a scale
            self.next_update = press(
                self.rng.choice([d for d in answers if d.split(":")[3] == "c"])
            )
        elif isinstance(question, Photo):
            self.next_update = {"message": self._message(photo=_photo(self.user_id))}
        elif isinstance(question, FreeText):
            words = self.rng.sample(WORDS, self.rng.randint(3, 12))
            self.next_update = self._text(" ".join(words).capitalize() + ".")
        elif "n" in actions:  # a note: continue
            self.next_update = press(actions["n"])
            answering = None  # a note asks nothing
        else:
            return False
        self.answering = answering
        return True

    def _stopping_at(self, question_id: str) -> bool:
        if self.stop_before == question_id:
            self.parked = True
            self.next_update = None
        return self.parked

    def _pressing(self, message: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
        def press(data: str) -> dict[str, Any]:
            query = {
                "id": f"{self.user_id}-{message['message_id']}-{data}",
                "from": self._user(),
                "chat_instance": str(self.user_id),
                "message": message,
                "data": data,
            }
            return {"callback_query": query}

        return press

    def _text(self, text: str) -> dict[str, Any]:
        message = self._message(text=text)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"message": message}

    def _message(self, **content: Any) -> dict[str, Any]:
        self.message_ids += 1
        return {
            "message_id": self.message_ids,
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private"},
            "from": self._user(),
            **content,
        }

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Bo", "language_code": "sv"}


@dataclass
class EchoResident(Resident):
    """For the echo bot: writes a line, waits for it to come back, as often as told."""

    lines_left: int = 0

    def first(self) -> dict[str, Any]:
        return self._text("Hej!")

    def read(self, params: dict[str, Any], message: dict[str, Any] | None) -> bool:
        self.lines_left -= 1
        if self.lines_left <= 0:
            self.done = True
            return True
        self.next_update = self._text(" ".join(self.rng.sample(WORDS, 4)))
        return True


def _photo(user_id: int) -> list[dict[str, Any]]:
    return [
        {"file_id": f"p{user_id}-s", "file_unique_id": f"u{user_id}s", "width": 90, "height": 90},
        {
            "file_id": f"p{user_id}",
            "file_unique_id": f"u{user_id}",
            "width": 1280,
            "height": 960,
            "file_size": 180_000,
        },
    ]
