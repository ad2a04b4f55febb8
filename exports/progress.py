"""A progress bar on the terminal for long exports; silent when nobody is watching."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[int], None]


def quiet(_done: int) -> None:
    """No progress to show (Telegram's /export, tests)."""


class TerminalProgress:
    """`label  42%  420 000 / 1 000 000` redrawn in place, at most five times a second."""

    def __init__(self, label: str, total: int, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.shown = stream.isatty()
        self._drawn = 0.0

    def __call__(self, done: int) -> None:
        self.done += done
        now = time.monotonic()
        if self.shown and now - self._drawn >= 0.2:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        self.stream.write(
            f"\r{self.label:<10} [{bar:<30}] {share:4.0%}  {self.done:,} / {self.total:,}"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
