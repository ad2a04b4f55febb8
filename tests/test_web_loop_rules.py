"""The loop's rules of the web view without a browser or a database: the map's time band,
theme and walk filters, walk findings as points, before and after per place, the bar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.beforeafter import before_after, place_of
from core.contributions import Contribution, Kind, Place, Status, TimeOfDay
from core.loop import Judgement, SaferAnswer, Theme, TimeBand
from core.mapview import (
    DAY,
    Field,
    MapFilter,
    MapPoint,
    PointKind,
    contribution_point,
    read_filter,
)
from core.survey import Text
from web.charts import stacked_bar

EVENING = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)  # 19:30 in Stockholm


def item(number: int = 7, **changes: object) -> Contribution:
    values: dict[str, object] = {
        "id": number,
        "pseudonym": "p" * 32,
        "kind": Kind.TIP,
        "category": "lighting",
        "text": "Mörk gång",
        "lat": 56.0437,
        "lon": 12.6946,
        "time_of_day": TimeOfDay.EVENING,
        "status": Status.RECEIVED,
        "created_at": EVENING,
        "status_changed_at": EVENING,
    }
    values.update(changes)
    return Contribution(**values)  # type: ignore[arg-type]


def point(**changes: Any) -> MapPoint:
    found = contribution_point(item(**changes))
    assert found is not None
    return found


def test_a_walk_finding_is_a_point_of_its_own_kind_with_its_walk_and_judgement() -> None:
    finding = point(
        kind=Kind.FINDING,
        category="lighting",
        walk_id=3,
        stop=1,
        judgement=Judgement.UNSAFE,
        time_band=TimeBand.LATE_EVENING,
        voices=2,
        themes=(Theme.PLACE,),
    )
    assert finding.kind is PointKind.FINDING
    assert (finding.walk, finding.judgement, finding.voices) == (3, Judgement.UNSAFE, 2)
    assert finding.key == "finding-7"
    assert MapFilter(walk=3).keeps(finding) and not MapFilter(walk=4).keeps(finding)
    assert MapFilter(campaign="-").keeps(finding)  # "ideas and tips only": not an answer


def test_the_time_band_filter_keeps_its_band_and_day_keeps_those_without_one() -> None:
    night = point(time_band=TimeBand.NIGHT)
    daytime = point(time_band=None)
    assert MapFilter(band=TimeBand.NIGHT).keeps(night)
    assert not MapFilter(band=TimeBand.NIGHT).keeps(daytime)
    assert MapFilter(band=DAY).keeps(daytime) and not MapFilter(band=DAY).keeps(night)
    assert not MapFilter(band=TimeBand.EVENING).keeps(night)


def test_the_theme_filter_keeps_what_was_tagged_with_it() -> None:
    tagged = point(themes=(Theme.WELLBEING, Theme.MOVEMENT))
    assert MapFilter(theme=Theme.MOVEMENT).keeps(tagged)
    assert not MapFilter(theme=Theme.POLICY).keeps(tagged)
    assert not MapFilter(theme=Theme.WELLBEING).keeps(point())


def test_the_new_filters_are_read_from_the_url_and_a_wrong_value_is_named() -> None:
    wanted, wrong = read_filter({"band": "23-02", "theme": "appeal", "walk": "12"})
    assert (wanted.band, wanted.theme, wanted.walk, wrong) == (
        TimeBand.NIGHT,
        Theme.APPEAL,
        12,
        [],
    )
    assert wanted.values()[Field.BAND] == "23-02" and wanted.values()[Field.WALK] == "12"
    assert read_filter({"band": "day"})[0].band == DAY
    wanted, wrong = read_filter({"band": "natt", "theme": "fun", "walk": "١٢"})
    assert (wanted.band, wanted.theme, wanted.walk) == (None, None, None)
    assert wrong == [Field.BAND, Field.THEME, Field.WALK]


def test_before_and_after_groups_by_named_place_then_by_a_square_of_50_m() -> None:
    station = {"place_tag": "jarnvagsgatan", "place_name": "Järnvägsgatan"}
    items = [
        item(1, status=Status.FIXED, **station),
        item(2, **station),
        item(3, status=Status.HIDDEN, **station),  # not counted
        item(4, status=Status.DUPLICATE, **station),  # the original is
        item(5, kind=Kind.IDEA, **station),  # an idea is not a safety report
        item(6, kind=Kind.FINDING, status=Status.FIXED, place_name="Stortorget"),
        item(7, lat=56.04371, lon=12.69461),  # a few metres from the next: the same square
        item(8, lat=56.04372, lon=12.69462, status=Status.FIXED),
        item(9, lat=None, lon=None),  # no place at all
    ]
    answers = {
        1: {SaferAnswer.YES: 2, SaferAnswer.NO: 1},
        3: {SaferAnswer.YES: 5},  # hidden: its answers are not counted either
        8: {SaferAnswer.NOT_FIXED: 1},
    }
    rows = before_after(items, answers)
    assert [(r.name, r.reported, r.fixed) for r in rows] == [
        ("Järnvägsgatan", 2, 1),
        (None, 2, 1),
        ("Stortorget", 1, 1),
    ]
    station_row, square, _torget = rows
    assert station_row.answers == {SaferAnswer.YES: 2, SaferAnswer.NO: 1}
    assert station_row.answered == 3 and round(station_row.share(SaferAnswer.YES), 2) == 0.67
    assert square.key.startswith("square:") and square.answers == {SaferAnswer.NOT_FIXED: 1}
    assert place_of(item(9, lat=None, lon=None)) is None


def test_a_shared_position_near_a_known_place_counts_at_that_place() -> None:
    """60 m from Furutorpsplatsen a shared position is "near Furutorpsplatsen", as the card
    says: it counts with the tips tagged there, not as a square of coordinates."""
    furutorp = Place(
        id="furutorpsplatsen",
        name=Text(sv="Furutorpsplatsen", en="Furutorpsplatsen"),
        lat=56.0437,
        lon=12.6946,
    )
    items = [
        item(1, place_tag="furutorpsplatsen", place_name="Furutorpsplatsen", status=Status.FIXED),
        item(2, lat=56.0437 + 60 / 111_320, lon=12.6946),  # 60 m north, shared
        item(3, lat=56.0600, lon=12.7100),  # two kilometres off: a square of its own
    ]
    rows = before_after(items, {1: {SaferAnswer.YES: 1}}, known=[furutorp], lang="sv")
    assert [(r.name, r.reported, r.fixed) for r in rows] == [
        ("Furutorpsplatsen", 2, 1),
        (None, 1, 0),
    ]


def test_the_stacked_bar_splits_the_width_by_the_answers() -> None:
    parts = stacked_bar([("yes", 3), ("somewhat", 0), ("no", 1)])
    assert [(p.key, p.x, p.width) for p in parts] == [("yes", 0.0, 75.0), ("no", 75.0, 25.0)]
    assert stacked_bar([("yes", 0)]) == ()
