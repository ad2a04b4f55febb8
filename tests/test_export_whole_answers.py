"""A point on the map carries the whole response: in QGIS (the GeoPackage, read with fudgeo)
and in GeoJSON, a located answer's point has the description the resident typed before it,
under the codebook's column name, and every other answer; ideas and tips carry their text,
category, time of day, status, time and photo. Anonymous and gridded maps stay as private
as before."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from core.contributions import Kind, NewContribution, TimeOfDay
from core.engine import DONE, Session
from core.export import ANONYMOUS, PSEUDONYMOUS, Cell, Privacy
from exports.run import Request, export
from tests.conftest import TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot

# A safety walk: the resident describes a place, then shows where it is; a second place
# where it feels safe.
WALK = """\
id: test-vandring
title: {sv: "Trygghetsvandring", en: "Safety walk"}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: describe
    type: text
    text: {sv: "Beskriv platsen som känns otrygg", en: "Describe the place that feels unsafe"}
  - id: where
    type: location
    text: {sv: "Var är den?", en: "Where is it?"}
  - id: fixes
    type: select_multiple
    text: {sv: "Vad skulle hjälpa?", en: "What would help?"}
    choices:
      - {id: light, label: {sv: "Belysning", en: "Lighting"}}
      - {id: litter, label: {sv: "Mindre skräp", en: "Less litter"}}
  - id: safe
    type: scale
    min: 1
    max: 5
    required: false
    text: {sv: "Hur trygg känns platsen?", en: "How safe does it feel?"}
  - id: better
    type: location
    required: false
    text: {sv: "Var känns det tryggt?", en: "Where does it feel safe?"}
  - id: photo
    type: photo
    required: false
    text: {sv: "Har du en bild?", en: "Do you have a photo?"}
"""
T0 = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 18:30 in Stockholm
PASSAGE = (56.0437, 12.6946)
SQUARE = (56.0465, 12.6945)
DESCRIBED = "Gångtunneln under spåren, ingen belysning efter sex"
updates = count(70_000)


@pytest.fixture
async def walk(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "vandring.yaml").write_text(WALK, encoding="utf-8")
    (surveys / "places.yaml").write_bytes((TEST_SURVEYS / "places.yaml").read_bytes())
    bot = await start_bot(settings_for(tmp_path, surveys), clock)
    yield bot
    await bot.stop()


async def answered(bot: Bot, user_id: int, answers: dict[str, Any], at: datetime = T0) -> None:
    """A resident who answered the walk, stored as the bot stores it."""
    store = bot.services.store
    pseudonym = bot.services.pseudonymize(user_id)
    assert await store.consent(next(updates), pseudonym, user_id, "sv", T0)
    start = Session("test-vandring", "describe", {}, at, at)
    response = await store.start_response(next(updates), pseudonym, start)
    assert response is not None
    done = Session("test-vandring", DONE, answers, at, at + timedelta(minutes=4), 6)
    assert await store.save_step(next(updates), response, done, answers, [], based_on=0)


def place(at: tuple[float, float]) -> dict[str, float]:
    return {"lat": at[0], "lon": at[1]}


async def geojson(bot: Bot, out: Path, privacy: Privacy = PSEUDONYMOUS, **kw: Any) -> list[Any]:
    request = Request("geojson", bot.services.campaigns.all(), out, privacy, **kw)
    assert request.problem() is None
    await export(bot.services.store, request)
    return features_in(out)


def features_in(out: Path) -> list[Any]:
    features: list[Any] = json.loads(out.read_text(encoding="utf-8"))["features"]
    return features


async def test_a_point_carries_the_description_typed_before_it_and_every_answer(
    walk: Bot, tmp_path: Path
) -> None:
    await answered(
        walk,
        9001,
        {
            "describe": DESCRIBED,
            "where": place(PASSAGE),
            "fixes": ["light", "litter"],
            "safe": None,  # skipped
            "better": place(SQUARE),
        },
    )
    features = await geojson(walk, tmp_path / "walk.geojson")
    # Two locations: two points, each with the whole response.
    points = [f["properties"] for f in features if f["properties"]["layer"] == "answers"]
    assert sorted(p["question"] for p in points) == ["better", "where"]
    for shown in points:
        assert shown["describe"] == DESCRIBED
        assert shown["fixes"] == "light litter"  # as the xlsx and CSV write a multiple choice
        assert shown["safe"] == "(skipped)"
        assert shown["where_lat"] == pytest.approx(PASSAGE[0])
        assert shown["campaign"] == "test-vandring" and shown["version"] == 1
        assert shown["status"] == "complete"
        assert shown["respondent"] == walk.services.pseudonymize(9001)
        assert (shown["started"], shown["completed"]) == (
            "2026-12-01 18:30:00",
            "2026-12-01 18:34:00",
        )
    where = next(f for f in features if f["properties"].get("question") == "where")
    lon, lat = where["geometry"]["coordinates"]
    assert (round(lat, 4), round(lon, 4)) == PASSAGE


async def test_qgis_sees_the_description_in_the_campaigns_layer(walk: Bot, tmp_path: Path) -> None:
    from fudgeo.geopkg import GeoPackage

    await answered(walk, 9001, {"describe": DESCRIBED, "where": place(PASSAGE), "safe": 2})
    out = tmp_path / "walk.gpkg"
    request = Request("gpkg", walk.services.campaigns.all(), out)
    await export(walk.services.store, request)
    package = GeoPackage(out)
    try:
        layer = package.feature_classes["answers_test_vandring"]
        names = [field.name for field in layer.fields]
        # The codebook's columns, in its order, after the response's metadata.
        assert names[names.index("describe") :] == [
            "describe",
            "where_lat",
            "where_lon",
            "fixes",
            "safe",
            "better_lat",
            "better_lon",
            "photo",
        ]
        [(shape, describe, safe, fixes)] = layer.select(["describe", "safe", "fixes"]).fetchall()
        assert describe == DESCRIBED
        assert safe == 2  # a number QGIS can style by
        assert fixes is None  # not shown: empty, as in the xlsx
        assert (round(shape.y, 4), round(shape.x, 4)) == PASSAGE
    finally:
        package.connection.close()


async def test_an_anonymous_map_has_answers_but_no_pseudonym_and_only_days(
    walk: Bot, tmp_path: Path
) -> None:
    await answered(walk, 9001, {"describe": DESCRIBED, "where": place(PASSAGE)})
    [point] = await geojson(walk, tmp_path / "anonymous.geojson", ANONYMOUS)
    shown = point["properties"]
    assert shown["describe"] == DESCRIBED
    assert shown["respondent"] is None
    assert (shown["started"], shown["date"]) == ("2026-12-01", "2026-12-01")
    assert walk.services.pseudonymize(9001) not in json.dumps(point)


async def test_a_published_grid_carries_counts_not_answers_or_exact_places(
    walk: Bot, tmp_path: Path
) -> None:
    for user_id in range(9100, 9105):
        offset = (user_id - 9100) * 1e-5
        at = (PASSAGE[0] + offset, PASSAGE[1])
        await answered(walk, user_id, {"describe": f"Mörkt {user_id}", "where": place(at)})
    out = tmp_path / "grid.geojson"
    [cell] = await geojson(walk, out, ANONYMOUS, grid=250)
    assert cell["properties"] == {"layer": "answers", "group": "test-vandring/where", "count": 5}
    text = out.read_text(encoding="utf-8")
    assert "Mörkt" not in text and str(PASSAGE[0]) not in text


async def test_a_tip_on_the_map_has_its_text_time_of_day_status_time_and_photo(
    walk: Bot, tmp_path: Path
) -> None:
    store = walk.services.store
    pseudonym = walk.services.pseudonymize(9200)
    assert await store.consent(next(updates), pseudonym, 9200, "sv", T0)
    draft = await store.start_response(
        next(updates), pseudonym, Session("tip", "text", {}, T0, T0)
    )
    assert draft is not None
    tip = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörk gångtunnel",
        lat=PASSAGE[0],
        lon=PASSAGE[1],
        time_of_day=TimeOfDay.NIGHT,
        photo_file_id="file-tunnel",
        photo_unique_id="AgADtunnel",
    )
    assert await store.submit_contribution(next(updates), draft, pseudonym, tip, T0, based_on=0)
    out = tmp_path / "tips.geojson"
    [point] = await geojson(walk, out)
    assert {k: point["properties"][k] for k in ("text", "category", "time_of_day", "status")} == {
        "text": "Mörk gångtunnel",
        "category": "lighting",
        "time_of_day": "night",
        "status": "received",
    }
    assert point["properties"]["date"] == "2026-12-01 18:30:00"
    # The photo's name in an export with --photos; Telegram's file id, which nobody else
    # can open, is nowhere.
    assert point["properties"]["photo"] == "photos/AgADtunnel.jpg"
    assert "file-tunnel" not in out.read_text(encoding="utf-8")


def test_a_question_named_like_the_metadata_keeps_its_answer_on_the_point() -> None:
    from core.export import answer_features
    from core.survey import Survey
    from storage.records import ExportedResponse, ResponseStatus

    survey = Survey.model_validate(
        {
            "id": "namn",
            "title": {"sv": "Namn", "en": "Names"},
            "questions": [
                {"id": "status", "type": "text", "text": {"sv": "Status?", "en": "Status?"}},
                {"id": "where", "type": "location", "text": {"sv": "Var?", "en": "Where?"}},
            ],
        }
    )
    answers = {"status": "Boende", "where": place(PASSAGE)}
    response = ExportedResponse(1, "p" * 64, "namn", ResponseStatus.COMPLETE, T0, T0, answers)
    cells: dict[str, Cell] = {"status": "Boende", "where_lat": PASSAGE[0], "where_lon": PASSAGE[1]}
    [point] = answer_features(survey, response, PSEUDONYMOUS, 1, cells)
    # The response's own status stays under its name; the answer is beside it.
    assert (point.properties["status"], point.properties["status_answer"]) == (
        "complete",
        "Boende",
    )
