"""How many messages one person may send: a sustained rate with room for a burst.

A token bucket per sender. Over the limit, updates are dropped; the first dropped one of a
flood gets a polite notice, the rest nothing, so a flood cannot make the bot flood back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

# Senders remembered at once; the longest idle are forgotten first (their bucket is full).
MAX_SENDERS = 50_000


class Verdict(Enum):
    ALLOW = "allow"
    DROP_AND_NOTIFY = "notify"  # the first one over the limit: say why, once
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    notified: bool = False


class FloodGuard:
    def __init__(self, rate: float, burst: int, clock: Callable[[], datetime]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def check(self, sender: int) -> Verdict:
        now = self._clock()
        bucket = self._buckets.pop(sender, None) or _Bucket(float(self.burst), now)
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.at = now
        self._buckets[sender] = bucket
        if len(self._buckets) > MAX_SENDERS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.tokens >= 1.0:
                bucket.notified = False  # calm again: a later flood gets its own notice
            return Verdict.ALLOW
        if bucket.notified:
            return Verdict.DROP
        bucket.notified = True
        return Verdict.DROP_AND_NOTIFY
