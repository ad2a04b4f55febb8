"""Reading the opening and closing times organizers write (core/when.py), in Stockholm time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.when import NotRead, Refusal, Unreadable, means_none, read_when, refusal

# Tuesday 1 December 2026, 18:30 in Stockholm (winter time, UTC+1).
NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2027-01-15 17:00", utc(2027, 1, 15, 16, 0)),
        ("2027-01-15T17:00", utc(2027, 1, 15, 16, 0)),
        ("15 jan 2027 17:00", utc(2027, 1, 15, 16, 0)),
        ("15 januari 2027 kl. 17", utc(2027, 1, 15, 16, 0)),
        ("15 January 2027, 5pm", utc(2027, 1, 15, 16, 0)),
        ("January 15 2027 17:00", utc(2027, 1, 15, 16, 0)),
        ("15/1/2027 17.00", utc(2027, 1, 15, 16, 0)),
        ("fredag 4 december kl 9", utc(2026, 12, 4, 8, 0)),
        ("4th Dec at 9:15 am", utc(2026, 12, 4, 8, 15)),
        ("  15   JAN   17:00 ", utc(2027, 1, 15, 16, 0)),
        ("3 maj 12:00", utc(2027, 5, 3, 10, 0)),  # summer time: UTC+2
        ("3 okt 12:00", utc(2027, 10, 3, 10, 0)),
        ("3 oct 12:00", utc(2027, 10, 3, 10, 0)),
    ],
)
def test_swedish_and_english_dates_are_read_in_stockholm_time(
    written: str, meant: datetime
) -> None:
    assert read_when(written, NOW) == meant


def test_now_tomorrow_and_today_are_counted_from_the_clock() -> None:
    assert read_when("nu", NOW) == NOW
    assert read_when("Now", NOW) == NOW
    assert read_when("i morgon 18:00", NOW) == utc(2026, 12, 2, 17, 0)
    assert read_when("imorgon kl 18", NOW) == utc(2026, 12, 2, 17, 0)
    assert read_when("tomorrow 6pm", NOW) == utc(2026, 12, 2, 17, 0)
    assert read_when("idag 20:00", NOW) == utc(2026, 12, 1, 19, 0)
    # Late in the evening in Stockholm it is already tomorrow there, not yet in UTC.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 December in Stockholm
    assert read_when("i morgon 09:00", late) == utc(2026, 12, 3, 8, 0)


def test_a_date_without_a_year_is_the_next_such_date() -> None:
    assert read_when("15 jan 17:00", NOW) == utc(2027, 1, 15, 16, 0)  # over the new year
    assert read_when("20 dec 18:00", NOW) == utc(2026, 12, 20, 17, 0)  # still this year
    # Earlier today has passed: the same date next year.
    assert read_when("1 dec 17:00", NOW) == utc(2027, 12, 1, 16, 0)
    assert read_when("1 dec 19:00", NOW) == utc(2026, 12, 1, 18, 0)
    # A closing time after an opening in March 2027: the next 1 February after it is 2028.
    opens = utc(2027, 3, 1, 7, 0)
    assert read_when("1 feb 12:00", NOW, after=opens) == utc(2028, 2, 1, 11, 0)
    # 29 February without a year: the next year that has one.
    assert read_when("29 feb 12:00", NOW) == utc(2028, 2, 29, 11, 0)


def test_summer_time_begins_and_ends_as_the_clocks_in_stockholm_do() -> None:
    # 28 March 2027: 02:00 becomes 03:00. Before, UTC+1; after, UTC+2.
    assert read_when("2027-03-28 01:30", NOW) == utc(2027, 3, 28, 0, 30)
    assert read_when("2027-03-28 03:30", NOW) == utc(2027, 3, 28, 1, 30)
    with pytest.raises(NotRead) as skipped:
        read_when("28 mars 2027 02:30", NOW)
    assert skipped.value.why is Unreadable.SKIPPED
    # 31 October 2027: 03:00 becomes 02:00, so 02:30 comes twice; the first is taken.
    assert read_when("2027-10-31 02:30", NOW) == utc(2027, 10, 31, 0, 30)
    assert read_when("2027-10-31 03:30", NOW) == utc(2027, 10, 31, 2, 30)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("", Unreadable.GARBLED),
        ("asdf", Unreadable.GARBLED),
        ("nästa vecka", Unreadable.GARBLED),
        ("15 smarch 17:00", Unreadable.GARBLED),
        ("17:00", Unreadable.GARBLED),
        ("15 jan", Unreadable.NO_TIME),
        ("2027-01-15", Unreadable.NO_TIME),
        ("i morgon", Unreadable.NO_TIME),
        ("31 feb 12:00", Unreadable.NO_SUCH_DATE),
        ("2027-13-01 12:00", Unreadable.NO_SUCH_DATE),
        ("15 jan 25:00", Unreadable.NO_SUCH_DATE),
        ("15 jan 17:75", Unreadable.NO_SUCH_DATE),
        ("15 jan 13pm", Unreadable.NO_SUCH_DATE),
    ],
)
def test_what_is_not_a_date_and_time_says_why(written: str, why: Unreadable) -> None:
    with pytest.raises(NotRead) as refused:
        read_when(written, NOW)
    assert refused.value.why is why


def test_no_closing_time_is_written_in_either_language() -> None:
    assert all(means_none(word) for word in ("ingen", "Ingen", " none ", "inget"))
    assert not means_none("15 jan 17:00")


def test_a_schedule_closes_after_it_opens_in_the_future_and_opens_within_two_years() -> None:
    day = timedelta(days=1)
    assert refusal(NOW + day, NOW + 2 * day, NOW) is None
    assert refusal(NOW - day, None, NOW) is None  # open since yesterday, no closing
    assert refusal(NOW + 2 * day, NOW + day, NOW) is Refusal.CLOSES_BEFORE_OPENING
    assert refusal(NOW + day, NOW + day, NOW) is Refusal.CLOSES_BEFORE_OPENING
    assert refusal(NOW - 2 * day, NOW - day, NOW) is Refusal.CLOSES_IN_THE_PAST
    assert refusal(NOW + 800 * day, None, NOW) is Refusal.OPENS_TOO_FAR_AHEAD
    assert refusal(NOW + 700 * day, None, NOW) is None
