"""Places in ideas, tips and answers: coarsening, the area, deep links, and the forms."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from core import engine
from core.contributions import (
    CATEGORY,
    CONTACT,
    DEFAULT_CATEGORIES,
    DESCRIPTION,
    PLACE,
    WHEN,
    Kind,
    Place,
    TimeOfDay,
    build_form,
    from_answers,
    parse_start_code,
    tagged_place,
)
from core.engine import (
    Action,
    LocationInput,
    OtherInput,
    PhotoInput,
    Press,
    Problem,
    QuestionPrompt,
    ReviewPrompt,
    TextInput,
)
from core.privacy import coarsen
from core.survey import Area

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
HELSINGBORG = Area(west=12.6, south=55.95, east=12.85, north=56.15)
# The walk from Helsingborg C to Furutorpsplatsen, in points a few metres apart.
WALK = [(56.0437 + i * 0.00011, 12.6946 + i * 0.00023) for i in range(40)]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(lat)
    return math.hypot(dx, dy)


def english(lang: str, text: str) -> str:
    return text if lang == "en" else f"sv:{text}"


@pytest.mark.parametrize(("precision", "cell"), [("100m", 100), ("500m", 500)])
def test_coarsened_points_stay_near_but_never_exact(precision: str, cell: int) -> None:
    stored = {coarsen(lat, lon, precision) for lat, lon in WALK}
    for point in WALK:
        snapped = coarsen(*point, precision)
        # Within half a cell's diagonal of the truth, and never the truth itself.
        assert metres(point, snapped) <= cell * 0.75
        assert snapped != (round(point[0], 6), round(point[1], 6))
    # A walk of about 650 m crosses only a handful of cells: points share stored values.
    assert len(stored) < len(WALK) / 3
    assert coarsen(*coarsen(*WALK[0], precision), precision) == coarsen(*WALK[0], precision)


def test_exact_precision_keeps_the_point() -> None:
    assert coarsen(56.04371234, 12.69461234, "exact") == (56.043712, 12.694612)


def form(kind: Kind, area: Area | None = None, precision: str = "100m") -> engine.Survey:
    return build_form(kind, DEFAULT_CATEGORIES, english, precision, area)  # type: ignore[arg-type]


def test_a_tip_asks_when_and_whether_to_be_contacted_an_idea_does_not() -> None:
    tip, idea = form(Kind.TIP), form(Kind.IDEA)
    assert [q.id for q in tip.questions] == [CATEGORY, DESCRIPTION, PLACE, WHEN, "photo", CONTACT]
    assert [q.id for q in idea.questions] == [CATEGORY, DESCRIPTION, PLACE, "photo"]
    # "A place that feels unsafe" is a tip's category, not an idea's.
    assert "unsafe_place" in [c.id for c in tip.questions[0].choices]  # type: ignore[union-attr]
    assert "unsafe_place" not in [c.id for c in idea.questions[0].choices]  # type: ignore[union-attr]
    assert tip.title.sv == "sv:Report a safety concern"


def run(survey: engine.Survey, *inputs: engine.Input, prefill: dict | None = None) -> engine.Step:
    step = engine.start(survey, NOW, prefill=prefill)
    for given in inputs:
        if isinstance(given, Press):
            given = Press(given.action, step.session.version, given.value)
        step = engine.apply(survey, step.session, given, NOW)
    return step


def test_a_tip_from_home_is_stored_coarsened_and_becomes_a_contribution() -> None:
    home = (56.04412, 12.69733)
    step = run(
        form(Kind.TIP),
        Press(Action.CHOOSE, 0, "lighting"),
        TextInput("Mörkt i passagen bakom stationen efter tio."),
        LocationInput(*home),
        Press(Action.CHOOSE, 0, "night"),
        Press(Action.SKIP, 0),
        Press(Action.CHOOSE, 0, "no"),
        Press(Action.CONFIRM, 0),
    )
    assert step.session.finished
    tip = from_answers(Kind.TIP, step.session.answers, source="tip_stationen")
    assert tip.category == "lighting" and tip.time_of_day is TimeOfDay.NIGHT
    assert tip.lat is not None and tip.lon is not None
    assert 0 < metres(home, (tip.lat, tip.lon)) <= 75
    assert tip.contactable is False and tip.photo_file_id is None
    assert tip.source == "tip_stationen"


def test_a_place_far_outside_the_area_is_refused_and_nothing_changes() -> None:
    survey = form(Kind.IDEA, area=HELSINGBORG)
    step = run(survey, Press(Action.CHOOSE, 0, "greenery"), TextInput("Fler träd"))
    stockholm = engine.apply(survey, step.session, LocationInput(59.3293, 18.0686), NOW)
    assert stockholm.problem is Problem.OUTSIDE_AREA
    assert stockholm.session == step.session
    inside = engine.apply(survey, step.session, LocationInput(56.0465, 12.6945), NOW)
    assert inside.problem is None and PLACE in inside.session.answers


def test_a_venue_keeps_its_name_and_point() -> None:
    step = run(
        form(Kind.IDEA, precision="500m"),
        Press(Action.CHOOSE, 0, "meeting_places"),
        TextInput("En bänk och skugga"),
        LocationInput(56.0395, 12.7001, "Furutorpsplatsen"),
    )
    assert step.session.answers[PLACE] == {
        "lat": 56.0395,
        "lon": 12.7001,
        "name": "Furutorpsplatsen",
    }


def test_a_tagged_place_is_prefilled_and_can_be_changed_from_the_summary() -> None:
    station = Place(
        id="stationen", name={"sv": "Stationen", "en": "The station"}, lat=56.0437, lon=12.6946
    )
    survey = form(Kind.TIP)
    step = run(
        survey,
        Press(Action.CHOOSE, 0, "unsafe_place"),
        TextInput("Mörkt"),
        prefill={PLACE: tagged_place(station, "sv")},
    )
    # The place question is passed over: it already has the tagged answer.
    assert isinstance(step.prompt, QuestionPrompt) and step.prompt.question.id == WHEN
    assert step.session.answers[PLACE]["tag"] == "stationen"
    step = run(
        survey,
        Press(Action.CHOOSE, 0, "unsafe_place"),
        TextInput("Mörkt"),
        Press(Action.CHOOSE, 0, "evening"),
        Press(Action.SKIP, 0),
        Press(Action.CHOOSE, 0, "yes"),
        prefill={PLACE: tagged_place(station, "en")},
    )
    assert isinstance(step.prompt, ReviewPrompt)
    assert from_answers(Kind.TIP, step.session.answers).place_tag == "stationen"
    assert from_answers(Kind.TIP, step.session.answers).contactable is True


def test_too_large_photos_forwards_and_albums_get_their_own_hints() -> None:
    survey = form(Kind.IDEA)
    step = run(
        survey,
        Press(Action.CHOOSE, 0, "greenery"),
        TextInput("Plantera fler träd"),
        Press(Action.SKIP, 0),
    )
    huge = engine.apply(survey, step.session, PhotoInput("f", "u", 25 * 2**20), NOW)
    assert huge.problem is Problem.PHOTO_TOO_LARGE and huge.session == step.session
    forwarded = engine.apply(survey, step.session, OtherInput("forwarded"), NOW)
    assert forwarded.problem is Problem.FORWARDED
    album = engine.apply(survey, step.session, OtherInput("album"), NOW)
    assert album.problem is Problem.ALBUM
    fine = engine.apply(survey, step.session, PhotoInput("f", "u", 2 * 2**20), NOW)
    assert fine.problem is None and isinstance(fine.prompt, ReviewPrompt)


@pytest.mark.parametrize(
    ("code", "target", "place"),
    [
        ("tip", "tip", None),
        ("tip_stationen", "tip", "stationen"),
        ("soder-kvall_furutorpsplatsen", "soder-kvall", "furutorpsplatsen"),
    ],
)
def test_deep_link_codes_are_read(code: str, target: str, place: str | None) -> None:
    parsed = parse_start_code(code)
    assert parsed is not None and (parsed.target, parsed.place) == (target, place)
    assert str(parsed) == code


@pytest.mark.parametrize("code", ["", "Tip", "tip_", "tip__x", "a" * 65, "tip_stat ion"])
def test_malformed_deep_link_codes_are_not_read(code: str) -> None:
    assert parse_start_code(code) is None


def test_the_shipped_categories_are_the_defaults_and_the_places_load() -> None:
    from pathlib import Path

    from core.loader import load_folder

    folder = load_folder(Path(__file__).resolve().parent.parent / "surveys")
    # The file organizers edit starts as the built-in list, so deleting it changes nothing.
    assert folder.categories == DEFAULT_CATEGORIES
    assert "furutorpsplatsen" in [place.id for place in folder.places]


def test_the_shipped_campaigns_cover_their_places_and_nothing_far_away() -> None:
    from pathlib import Path

    from core.campaigns import deployment_area
    from core.loader import load_folder

    folder = load_folder(Path(__file__).resolve().parent.parent / "surveys")
    areas = {survey.id: survey.area for survey in folder.surveys}
    soder, hassleholm = areas["soder-kvall"], areas["centrum-utveckling"]
    assert soder is not None and hassleholm is not None
    for place in folder.places:
        home = hassleholm if "Hässleholm" in place.name.sv else soder
        assert home.contains(place.lat, place.lon), place.id
    assert not soder.contains(56.1588, 13.7663) and not hassleholm.contains(56.0437, 12.6946)
    # Ideas and tips (no AREA_BBOX): either town, not Paris, New York or Stockholm.
    area = deployment_area(folder.surveys, folder.places)
    assert area is not None
    assert area.contains(56.0405, 12.7021) and area.contains(56.1590, 13.7660)
    for far in [(48.8584, 2.2945), (40.7580, -73.9855), (59.3293, 18.0686)]:
        assert not area.contains(*far)


def test_ideas_and_tips_may_be_about_the_places_around_an_organizers_spot() -> None:
    from core.campaigns import deployment_area

    square = Place(id="torget", name={"sv": "Torget", "en": "Torget"}, lat=56.0396, lon=12.7038)
    area = deployment_area([], [square])
    assert area is not None
    assert area.contains(56.0396 + 0.015, 12.7038)  # 1.7 km north: the next streets
    assert not area.contains(56.0396 + 0.03, 12.7038)  # 3.3 km: another part of town
    assert area.contains(56.0396, 12.7038 - 0.03)  # 1.9 km west (degrees are shorter there)
    # Nothing says where: a place anywhere is taken, as before.
    assert deployment_area([], []) is None


SPOTS = [
    Place(
        id="furutorp",
        name={"sv": "Furutorpsplatsen", "en": "Furutorpsplatsen"},
        lat=56.0396,
        lon=12.7038,
    ),
    Place(
        id="station",
        name={"sv": "Knutpunkten", "en": "Knutpunkten (the station)"},
        lat=56.0437,
        lon=12.6946,
    ),
]


@pytest.mark.parametrize(
    ("lang", "near", "far", "paris", "south_west"),
    [
        (
            "sv",
            "nära Furutorpsplatsen",
            "56,0500° N, 12,7200° Ö",
            "48,8590° N, 2,2950° Ö",
            "33,8568° S, 70,6483° V",
        ),
        (
            "en",
            "near Furutorpsplatsen",
            "56.0500° N, 12.7200° E",
            "48.8590° N, 2.2950° E",
            "33.8568° S, 70.6483° W",
        ),
    ],
)
def test_a_place_reads_as_the_nearest_named_place_or_unambiguous_coordinates(
    lang: str, near: str, far: str, paris: str, south_west: str
) -> None:
    from core.i18n import Catalogs
    from core.places import describe

    translations = Catalogs().get(lang)

    def read(lat: float, lon: float, name: str | None = None) -> str:
        return describe(lat, lon, lang, translations, SPOTS, name)

    # 90 m from Furutorpsplatsen (a position snapped to its 100 m cell): named.
    assert read(56.0404, 12.7038) == near
    # Nearer to the station than to the square: the nearer one is named.
    assert read(56.0431, 12.6950) == translations.gettext("near {place}").format(
        place=SPOTS[1].name.get(lang)
    )
    # 600 m from either: coordinates, with the hemispheres so no comma is ambiguous.
    assert read(56.05, 12.72) == far
    assert read(48.859, 2.295) == paris  # not "48,859, 2,295"
    assert read(-33.8568, -70.6483) == south_west
    # A venue's or a QR code's own name is what the resident chose: kept.
    assert read(56.05, 12.72, "Söderpunkten") == "Söderpunkten"
