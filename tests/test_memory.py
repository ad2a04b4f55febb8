"""The process's forgetful memory of hints: bounded, and each hint lasts only so long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.memory import Quiet, Recent

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def test_a_hint_lasts_its_while_and_the_longest_unused_go_first() -> None:
    languages: Recent[int, str] = Recent(timedelta(days=1), limit=2)
    languages.put(1, "en", NOW)
    assert languages.get(1, NOW + timedelta(hours=23)) == "en"
    assert languages.get(1, NOW + timedelta(days=1)) is None
    languages.put(1, "en", NOW)
    languages.put(2, "sv", NOW)
    languages.put(3, "sv", NOW)  # over the limit: 1 was put longest ago
    assert [languages.get(key, NOW) for key in (1, 2, 3)] == [None, "sv", "sv"]


def test_quiet_lets_one_through_per_period_counted_from_the_one_let_through() -> None:
    quiet: Quiet[int] = Quiet(timedelta(minutes=5))
    assert quiet.first(1, NOW)
    assert not quiet.first(1, NOW + timedelta(minutes=4))
    assert quiet.first(2, NOW + timedelta(minutes=4))  # someone else
    assert quiet.first(1, NOW + timedelta(minutes=5))
    quiet.forget(1)
    assert quiet.first(1, NOW + timedelta(minutes=6))
