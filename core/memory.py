"""A small forgetful memory of one process, for hints that are not worth a database write.

What it holds is lost on a restart and not shared between replicas, which is why it only
ever holds hints (when a menu was last sent, which language was chosen): losing one costs a
message more, never an answer.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

# Entries held at once; those put longest ago are forgotten first, so memory stays bounded.
LIMIT = 50_000


class Recent(Generic[K, V]):
    """Values that last `keep` after they were put (put again: from then), for at most
    `limit` keys."""

    def __init__(self, keep: timedelta, limit: int = LIMIT) -> None:
        if keep <= timedelta(0) or limit < 1:
            raise ValueError("keep must be positive and the limit at least 1")
        self.keep = keep
        self.limit = limit
        self._entries: OrderedDict[K, tuple[V, datetime]] = OrderedDict()

    def get(self, key: K, now: datetime) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, at = entry
        if now - at >= self.keep:
            del self._entries[key]
            return None
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def put(self, key: K, value: V, now: datetime) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (value, now)
        if len(self._entries) > self.limit:
            self._entries.popitem(last=False)


class Quiet(Generic[K]):
    """Let a key through once, then not again until `period` has passed since then.

    The period runs from the one let through, not from the latest try: someone who keeps
    writing is answered again once every period, not silenced for as long as they write.
    """

    def __init__(self, period: timedelta, limit: int = LIMIT) -> None:
        self._let_through: Recent[K, datetime] = Recent(period, limit)

    def first(self, key: K, now: datetime) -> bool:
        if self._let_through.get(key, now) is not None:
            return False
        self._let_through.put(key, now, now)
        return True

    def forget(self, key: K) -> None:
        """Let the next one through: what the quiet was for has been answered otherwise."""
        self._let_through.forget(key)
