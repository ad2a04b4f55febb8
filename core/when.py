"""A campaign's opening or closing time as an organizer writes it, in Stockholm time.

"15 jan 17:00", "15 januari 2027 kl. 17", "2027-01-15 17:00", "15/1 17.00", "i morgon 18:00",
"tomorrow 6pm", "now": Swedish and English month names and words, the usual numeric forms.
A date without a year is the next such date (after `after`, usually now). The wall-clock time
is Europe/Stockholm's, summer or winter: a time the clocks skip in March does not exist and
is refused; one they pass twice in October is the first (summer time). Pure: no clock of its
own, no Telegram, so the same reading serves any front end.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from core.survey import STOCKHOLM

# How far ahead an opening may be set: further is more likely a typo ("2207") than a plan.
FURTHEST_OPENING = timedelta(days=2 * 366)

MONTHS = {
    # Swedish and English, full and short; "maj" and "may", "okt" and "oct" both.
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "maj": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "augusti": 8, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
NOW_WORDS = {"now", "nu", "genast", "direkt"}
NONE_WORDS = {"none", "ingen", "inget", "inget slut", "no", "nej", "never", "aldrig", "-", "–"}
DAY_WORDS = {
    "today": 0,
    "idag": 0,
    "i dag": 0,
    "tomorrow": 1,
    "imorgon": 1,
    "i morgon": 1,
    "imorn": 1,
    "i morn": 1,
    "i övermorgon": 2,
    "iövermorgon": 2,
    "övermorgon": 2,
}
# The written time at the end: "17:00", "17.00", "kl 17", "kl. 17:30", "5pm", "5:30 pm", "at 17".
TIME = re.compile(
    r"(?:(?:kl\.?|klockan|at)\s*(?P<kl>\d{1,2})(?:[:.](?P<kl_min>\d{2}))?"
    r"|(?P<ampm_h>\d{1,2})(?:[:.](?P<ampm_min>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<h>\d{1,2})[:.](?P<min>\d{2}))$"
)
ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
NUMERIC = re.compile(r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})(?:[/.](?P<y>\d{4}))?$")
DAY_MONTH = re.compile(
    r"^(?P<d>\d{1,2})(?:e|:e|st|nd|rd|th)?\.?\s+(?P<month>[a-zåäö]+)\.?(?:\s+(?P<y>\d{4}))?$"
)
MONTH_DAY = re.compile(
    r"^(?P<month>[a-zåäö]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+(?P<y>\d{4}))?$"
)
WEEKDAYS = re.compile(
    r"^(?:måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|mån|tis|ons|tor|tors|fre|lör|sön|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"
    r"\.?,?\s+"
)


class Unreadable(StrEnum):
    """Why a written time could not be read, for the organizer to be told in their words."""

    GARBLED = "garbled"  # not a date and time at all
    NO_TIME = "no_time"  # a date, but no time of day
    NO_SUCH_DATE = "no_such_date"  # 31 februari, 25:00
    SKIPPED = "skipped"  # a time the clocks jump over when summer time begins
    PAST = "past"  # a deadline (read_day) before today
    TOO_FAR = "too_far"  # a deadline more than three years ahead


class Refusal(StrEnum):
    """Why times that were read cannot be a campaign's schedule."""

    CLOSES_BEFORE_OPENING = "closes_before_opening"
    CLOSES_IN_THE_PAST = "closes_in_the_past"
    OPENS_TOO_FAR_AHEAD = "opens_too_far_ahead"


class NotRead(Exception):
    """A written time that could not be read, and why."""

    def __init__(self, why: Unreadable) -> None:
        super().__init__(why.value)
        self.why = why


def means_none(text: str) -> bool:
    """Whether an organizer wrote that there is no closing time ("ingen", "none")."""
    return _flat(text) in NONE_WORDS


def read_when(text: str, now: datetime, after: datetime | None = None) -> datetime:
    """The moment `text` names, in UTC; NotRead says why not.

    `now` is the clock (for "now", "tomorrow"); a date written without a year is the next
    such moment after `after` (default `now`): in December, "15 jan" is next January.
    """
    flat = _flat(text)
    if not flat:
        raise NotRead(Unreadable.GARBLED)
    if flat in NOW_WORDS:
        return now.astimezone(UTC)
    after = after or now
    flat = WEEKDAYS.sub("", flat)
    written_time, rest = _split_time(flat)
    day, year_written = _date(rest, now)
    if written_time is None:
        raise NotRead(Unreadable.NO_TIME if day is not None else Unreadable.GARBLED)
    if day is None:
        raise NotRead(Unreadable.GARBLED)
    moment = _local(day, written_time)
    # "The next such date": a year on (29 February: the next year that has one) until after
    # `after`; a few years at most, as an opening is never more than two years ahead.
    years = 0
    while not year_written and moment <= after and years < 12:
        years += 1
        try:
            moment = _local(day.replace(year=day.year + years), written_time)
        except ValueError:
            continue
    return moment.astimezone(UTC)


def refusal(opens: datetime | None, closes: datetime | None, now: datetime) -> Refusal | None:
    """Whether these times can be a campaign's schedule; None when they can."""
    if opens is not None and opens - now > FURTHEST_OPENING:
        return Refusal.OPENS_TOO_FAR_AHEAD
    if closes is not None:
        if closes <= now:
            return Refusal.CLOSES_IN_THE_PAST
        if opens is not None and closes <= opens:
            return Refusal.CLOSES_BEFORE_OPENING
    return None


def _flat(text: str) -> str:
    # One space between words, lower case, and "kl." or a comma before the time as a space.
    lowered = text.strip().lower().replace(",", " ").replace("\u00a0", " ")
    return " ".join(lowered.split())


def _split_time(flat: str) -> tuple[time | None, str]:
    """The time of day at the end of `flat` (None when there is none) and what is before it."""
    if "t" in flat and ISO.match(flat.split("t", 1)[0]):
        flat = flat.replace("t", " ", 1)  # 2027-01-15T17:00
    found = TIME.search(flat)
    if found is None or (found.start() > 0 and flat[found.start() - 1] not in " "):
        return None, flat
    rest = re.sub(r"\s*(?:kl\.?|klockan|at)$", "", flat[: found.start()].strip())
    if found["kl"] is not None:
        hour, minute = int(found["kl"]), int(found["kl_min"] or 0)
    elif found["ampm"] is not None:
        hour, minute = int(found["ampm_h"]), int(found["ampm_min"] or 0)
        if not 1 <= hour <= 12:
            raise NotRead(Unreadable.NO_SUCH_DATE)
        hour = hour % 12 + (12 if found["ampm"].startswith("p") else 0)
    else:
        hour, minute = int(found["h"]), int(found["min"])
    if hour > 23 or minute > 59:
        raise NotRead(Unreadable.NO_SUCH_DATE)
    return time(hour, minute), rest


def _date(rest: str, now: datetime) -> tuple[date | None, bool]:
    """The day `rest` names and whether a year was written; (None, False) if it names none."""
    today = now.astimezone(STOCKHOLM).date()
    if rest in DAY_WORDS:
        return today + timedelta(days=DAY_WORDS[rest]), True
    if rest == "":
        return None, False
    for form in (ISO, NUMERIC, DAY_MONTH, MONTH_DAY):
        found = form.match(rest)
        if found is None:
            continue
        fields = found.groupdict()
        if "month" in fields:
            month = MONTHS.get(fields["month"])
            if month is None:
                return None, False
        else:
            month = int(fields["m"])
        year = int(fields["y"]) if fields.get("y") else today.year
        if not fields.get("y") and (month, int(fields["d"])) == (2, 29):
            year = next(y for y in range(year, year + 8) if _is_leap(y))
        try:
            return date(year, month, int(fields["d"])), bool(fields.get("y"))
        except ValueError:
            raise NotRead(Unreadable.NO_SUCH_DATE) from None
    return None, False


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _local(day: date, written: time) -> datetime:
    """The Stockholm wall-clock time on `day`; NotRead for one the clocks skip."""
    moment = datetime.combine(day, written, tzinfo=STOCKHOLM)  # fold=0: summer time twice
    back = moment.astimezone(UTC).astimezone(STOCKHOLM)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise NotRead(Unreadable.SKIPPED)
    return moment


# How far ahead a deadline may be set: further is more likely a typo than a plan.
FURTHEST_DEADLINE = timedelta(days=3 * 366)


def read_day(text: str, now: datetime) -> date:
    """A day as an organizer writes a deadline: "15 jan", "15 januari 2027", "2027-01-15",
    "15/1", "i morgon", "fredag 15 jan" (a time after it is allowed and ignored). A date
    without a year is the next such day from today (in Stockholm). NotRead says why not;
    a day before today or more than three years ahead is NotRead too (PAST, TOO_FAR)."""
    flat = WEEKDAYS.sub("", _flat(text))
    if not flat:
        raise NotRead(Unreadable.GARBLED)
    _time, rest = _split_time(flat)
    day, year_written = _date(rest, now)
    if day is None:
        raise NotRead(Unreadable.GARBLED)
    today = now.astimezone(STOCKHOLM).date()
    if not year_written and day < today:
        try:
            day = day.replace(year=day.year + 1)
        except ValueError:  # 29 February: the next leap year's
            day = date(next(y for y in range(day.year + 1, day.year + 9) if _is_leap(y)), 2, 29)
    if day < today:
        raise NotRead(Unreadable.PAST)
    if day - today > FURTHEST_DEADLINE:
        raise NotRead(Unreadable.TOO_FAR)
    return day
