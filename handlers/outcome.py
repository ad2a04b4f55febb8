"""Whether the update being handled was handled: the error handler marks a failure here.

The runtime (runtime/delivery.py) watches each update's outcome and tells Telegram "done"
only when nothing was marked; handlers only mark, so they need nothing from the runtime.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Outcome:
    """How handling one update went; the error handler marks a failure here."""

    failed: bool = False


_current: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar(
    "torget_outcome", default=None
)


def mark_failed() -> Outcome | None:
    """Called by the error handler: the update being handled was not handled.

    Returns the outcome (None when nobody waits for one, as in tests feeding updates
    straight to the Application).
    """
    outcome = _current.get()
    if outcome is not None:
        outcome.failed = True
    return outcome


@contextmanager
def watching() -> Iterator[Outcome]:
    """The outcome of what runs inside, in this task (and the tasks it starts)."""
    outcome = Outcome()
    token = _current.set(outcome)
    try:
        yield outcome
    finally:
        _current.reset(token)
