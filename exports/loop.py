"""The contributions of an export with their "feels safer" answers, asked a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.contributions import Contribution
from core.loop import SaferAnswer
from storage.export_reads import ExportSource

# Contributions whose answers are asked in one query.
PAGE = 500


async def with_safer(
    store: ExportSource, page: int = PAGE
) -> AsyncIterator[tuple[Contribution, dict[SaferAnswer, int]]]:
    """Every idea, tip and walk finding, oldest first, each with its answers to "Känns det
    tryggare nu?" (how many of each; empty when nobody answered): one query per page, not
    one per contribution."""
    waiting: list[Contribution] = []

    async def answered() -> AsyncIterator[tuple[Contribution, dict[SaferAnswer, int]]]:
        counts = await store.safer_counts([item.id for item in waiting])
        for item in waiting:
            yield item, counts.get(item.id, {})
        waiting.clear()

    async for item in store.export_contributions():
        waiting.append(item)
        if len(waiting) >= page:
            async for pair in answered():
                yield pair
    if waiting:
        async for pair in answered():
            yield pair
