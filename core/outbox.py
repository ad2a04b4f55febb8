"""Messages to many residents at once: what they are, and how fast they may go out.

Telegram allows about 30 messages a second from one bot to different chats; above that it
answers 429 with a retry_after. Torget paces itself below the limit instead of leaning on it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class MailKind(StrEnum):
    ANNOUNCE = "announce"  # a campaign has opened: one message per subscriber
    REMIND = "remind"  # a survey started and not finished: one message per response


class Delivery(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until due_at; after that anyone may retry it
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the resident blocked the bot: also unsubscribed


def announce_topic(survey_id: str) -> str:
    return f"{MailKind.ANNOUNCE}:{survey_id}"


# A message that fails for a passing reason (the network) is tried this many times in all.
MAX_ATTEMPTS = 5


def backoff(attempts: int) -> timedelta:
    """How long to wait before trying a message again after `attempts` failures."""
    return timedelta(seconds=min(300, 5 * 2 ** max(attempts - 1, 0)))


class Pacer:
    """At most `rate` sends in any one-second window, on the clock it is given.

    A sliding window rather than a token bucket: it never lets a burst above the rate
    through, which is what Telegram's limit counts.
    """

    def __init__(self, rate: float, clock: Callable[[], datetime]) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.capacity = max(1, math.floor(rate))
        self.window = timedelta(seconds=self.capacity / rate)
        self._clock = clock
        self._sent: deque[datetime] = deque()

    def delay(self) -> float:
        """Seconds to wait before the next send may go (0 when it may go now)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        if len(self._sent) < self.capacity:
            return 0.0
        return (self._sent[0] + self.window - now).total_seconds()

    def sent(self) -> None:
        self._sent.append(self._clock())


@dataclass(frozen=True)
class Progress:
    """How far one mailing has come, for the admin's progress message."""

    mailing_id: int
    kind: MailKind
    survey_id: str
    sent: int
    failed: int
    left: int
    started_at: datetime
    finished_at: datetime | None
    messages: tuple[tuple[int, int], ...]  # the admins' progress messages (chat, message)

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.left

    def seconds_left(self, rate: float) -> float:
        """At the pace the sender keeps, how long the rest will take."""
        return self.left / rate if rate > 0 else 0.0


def opening_key(survey_id: str, opens: datetime | None) -> str:
    """The announcement key of a campaign's opening: the scheduler's on the date, and an
    admin's "open" button, announce under the same key, so an opening is announced once."""
    return f"auto:{survey_id}:{opens.isoformat() if opens else ''}"
