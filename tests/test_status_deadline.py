"""A deadline as an organizer writes it in /moderate's triage (core.when.read_day)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.when import NotRead, Unreadable, read_day

# 23:30 in Stockholm on 31 December: "today" is still the 31st there, not UTC's.
NOW = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("15 jan", date(2027, 1, 15)),
        ("15 januari 2027", date(2027, 1, 15)),
        ("2027-03-01", date(2027, 3, 1)),
        ("15/1", date(2027, 1, 15)),
        ("i morgon", date(2027, 1, 1)),
        ("idag", date(2026, 12, 31)),
        ("fredag 15 jan", date(2027, 1, 15)),
        ("15 jan 17:00", date(2027, 1, 15)),  # a time after it is ignored
        ("31 dec", date(2026, 12, 31)),  # today is not the past
        ("29 feb", date(2028, 2, 29)),
    ],
)
def test_a_deadline_is_the_next_such_day(written: str, day: date) -> None:
    assert read_day(written, NOW) == day


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("", Unreadable.GARBLED),
        ("nästa vecka", Unreadable.GARBLED),
        ("15 smarch", Unreadable.GARBLED),
        ("31/2", Unreadable.NO_SUCH_DATE),
        ("1 dec 2026", Unreadable.PAST),
        ("2031-01-01", Unreadable.TOO_FAR),
    ],
)
def test_what_cannot_be_a_deadline_says_why(written: str, why: Unreadable) -> None:
    with pytest.raises(NotRead) as refused:
        read_day(written, NOW)
    assert refused.value.why is why
