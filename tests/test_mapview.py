"""The web view's map without a browser or a database: what a point carries, what a filter
keeps, and how a wrong filter value is named instead of breaking the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.contributions import Contribution, Kind, Status, TimeOfDay
from core.loader import parse_survey
from core.mapview import (
    IDEAS_AND_TIPS,
    Field,
    MapFilter,
    PointKind,
    answer_points,
    contribution_point,
    read_filter,
)

EVENING = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)  # 19:30 in Stockholm

SURVEY = parse_survey(
    """
id: soder-kvall
title: {sv: "Kvällen", en: "The evening"}
questions:
  - id: safe
    type: scale
    min: 1
    max: 5
    text: {sv: "Hur trygg?", en: "How safe?"}
  - id: why
    type: text
    text: {sv: "Varför?", en: "Why?"}
  - id: fixes
    type: select_multiple
    text: {sv: "Vad hjälper?", en: "What helps?"}
    choices:
      - {id: light, label: {sv: Belysning, en: Lighting}}
      - {id: guards, label: {sv: Vakter, en: Guards}}
  - id: where
    type: location
    text: {sv: "Var?", en: "Where?"}
  - id: photo
    type: photo
    required: false
    text: {sv: "En bild?", en: "A picture?"}
""",
    "soder-kvall.yaml",
)


def tip(**changes: object) -> Contribution:
    values: dict[str, object] = {
        "id": 7,
        "pseudonym": "p" * 32,
        "kind": Kind.TIP,
        "category": "lighting",
        "text": "Mörk gång",
        "lat": 59.31,
        "lon": 18.05,
        "time_of_day": TimeOfDay.EVENING,
        "status": Status.RECEIVED,
        "created_at": EVENING,
        "status_changed_at": EVENING,
        "photo_unique_id": "AgADtip",
        "source": "soder-kvall",
    }
    values.update(changes)
    return Contribution(**values)  # type: ignore[arg-type]


def test_a_located_answer_carries_the_whole_response_in_the_readers_language() -> None:
    answers = {
        "safe": 2,
        "why": "Ingen belysning vid tunneln",
        "fixes": ["light", "guards"],
        "where": {"lat": 59.3105, "lon": 18.0712, "name": "Tunneln"},
        "photo": {"file_id": "f", "file_unique_id": "AgADans"},
    }
    [point] = answer_points(SURVEY, 40, answers, EVENING, "sv")
    assert point.kind is PointKind.ANSWER
    assert (point.lat, point.lon, point.place) == (59.3105, 18.0712, "Tunneln")
    assert point.text == "Var?"
    assert point.photo == "AgADans"
    assert point.answers == (
        ("Hur trygg?", "2"),
        ("Varför?", "Ingen belysning vid tunneln"),
        ("Vad hjälper?", "Belysning, Vakter"),
    )
    [english] = answer_points(SURVEY, 40, answers, EVENING, "en")
    assert english.answers[2] == ("What helps?", "Lighting, Guards")


def test_an_answer_without_a_place_is_no_point() -> None:
    assert answer_points(SURVEY, 41, {"safe": 4, "where": None}, EVENING, "sv") == []


def test_an_idea_or_tip_is_a_point_with_its_campaign_photo_and_status() -> None:
    point = contribution_point(tip())
    assert point is not None
    assert (point.kind, point.campaign, point.photo) == (PointKind.TIP, "soder-kvall", "AgADtip")
    assert contribution_point(tip(lat=None, lon=None)) is None
    # Sent from the menu's Idea button: a kind, not a campaign.
    came_by_menu = contribution_point(tip(source="tip"))
    assert came_by_menu is not None and came_by_menu.campaign is None


def test_filters_keep_what_they_name_and_leave_answers_out_of_tip_only_filters() -> None:
    evening_tip = contribution_point(tip())
    day_tip = contribution_point(tip(id=8, time_of_day=TimeOfDay.DAY, status=Status.SEEN))
    [answer] = answer_points(SURVEY, 40, {"where": {"lat": 59.3, "lon": 18.0}}, EVENING, "sv")
    assert evening_tip is not None and day_tip is not None
    points = [evening_tip, day_tip, answer]

    def kept(wanted: MapFilter) -> list[str]:
        return [point.key for point in points if wanted.keeps(point)]

    assert kept(MapFilter()) == ["tip-7", "tip-8", "answer-40-where"]
    assert kept(MapFilter(time=TimeOfDay.EVENING)) == ["tip-7"]
    assert kept(MapFilter(status=Status.SEEN)) == ["tip-8"]
    assert kept(MapFilter(campaign=IDEAS_AND_TIPS)) == ["tip-7", "tip-8"]
    assert kept(MapFilter(campaign="soder-kvall")) == ["tip-7", "tip-8", "answer-40-where"]
    assert kept(MapFilter(campaign="torg-dag")) == []
    # Dates are Stockholm's: 1 December's evening is 1 December, both ends included.
    assert kept(MapFilter(start=date(2026, 12, 1), end=date(2026, 12, 1))) == kept(MapFilter())
    assert kept(MapFilter(start=date(2026, 12, 2))) == []


def test_a_wrong_filter_value_is_named_and_left_out() -> None:
    wanted, wrong = read_filter(
        {"time": "midnight", "status": "seen", "from": "igår", "to": "2026-12-31"}
    )
    assert wrong == [Field.TIME, Field.FROM]
    assert wanted == MapFilter(status=Status.SEEN, end=date(2026, 12, 31))
    assert read_filter({})[0] == MapFilter()
