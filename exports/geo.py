"""Maps: GeoJSON (RFC 7946) and GeoPackage (the default format of QGIS), both streamed.

Every located answer, idea and tip is a point in WGS 84, longitude before latitude, at the
coarsened position it was stored with. A located answer's point carries the whole response:
its metadata and every answer under the codebook's column names (as KoboToolbox's GeoJSON
does), so that in QGIS the dot comes with the description typed before it; a response with
two locations is two points, each with every answer. Hidden ideas and tips are left out:
maps are made to be shown. With a grid, points become counts per cell and cells with fewer
than five are left out, for maps that are published: no answer, no photo, no exact place.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from core.contributions import Status
from core.export import (
    ANSWER_PROPERTIES,
    CONTRIBUTION_PROPERTIES,
    GRID_PROPERTIES,
    LAYERS,
    SAFER_COLUMNS,
    Feature,
    Grid,
    Privacy,
    answer_features,
    answer_name,
    contribution_feature,
)
from core.survey import Location, Number, Scale
from core.versions import History
from exports.loop import with_safer
from exports.photos import PhotoFiles, names_only
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource

INTEGERS = (
    "count",
    "contribution",
    "version",
    "response",
    "duplicate_of",
    "voices",
    *SAFER_COLUMNS.values(),
    "walk",
    "stop",
)
# Six decimals are about 10 cm: more would pretend a precision the points do not have.
DECIMALS = 6
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)


async def features(
    store: ExportSource,
    histories: Sequence[History],
    privacy: Privacy,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> AsyncIterator[Feature]:
    """Every point, campaign by campaign, then the ideas and tips."""
    photos = photos or names_only()
    for history in histories:
        names = [column.name for column in history.columns()]
        # Per version, its location questions: most responses have no place to show.
        places: dict[int, list[str]] = {}
        async for response in store.export_responses(history.survey_id):
            progress(1)
            version = response.survey_version
            survey = history.survey(version)
            asked = places.get(version)
            if asked is None:
                asked = places[version] = [
                    q.id for q in survey.questions if isinstance(q, Location)
                ]
            if not any(isinstance(response.answers.get(q), Mapping) for q in asked):
                continue  # no point: its row (and its photos) are not on the map
            row = history.row(version, response.answers)
            await photos.fill(history, version, response.answers, row)
            answers = dict(zip(names, row, strict=True))
            for feature in answer_features(survey, response, privacy, version, answers):
                yield feature
    async for item, safer in with_safer(store):
        progress(1)
        if item.status is Status.HIDDEN:
            continue
        located = contribution_feature(item, privacy, safer)
        if located is not None:
            located.properties["photo"] = await photos.cell(item.photo_unique_id)
            yield located


async def _points_or_cells(
    store: ExportSource, request: Request, progress: Progress, photos: PhotoFiles | None
) -> AsyncIterator[Feature]:
    points = features(store, request.histories(), request.privacy, progress, photos)
    if request.grid is None:
        async for feature in points:
            yield feature
        return
    cells = Grid(request.grid)
    async for feature in points:
        cells.add(feature)
    for cell in cells.features():
        yield cell


def _geojson(feature: Feature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(feature.lon, DECIMALS), round(feature.lat, DECIMALS)],
        },
        "properties": {"layer": feature.layer, **feature.properties},
    }


async def write_geojson(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> int:
    """One FeatureCollection, written feature by feature; return how many features."""
    out = request.out
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        handle.write('{"type": "FeatureCollection", "features": [\n')
        async for feature in _points_or_cells(store, request, progress, photos):
            if written:
                handle.write(",\n")
            handle.write(json.dumps(_geojson(feature), ensure_ascii=False))
            written += 1
        handle.write("\n]}\n")
    return written


def answers_layer(survey_id: str) -> str:
    """A campaign's layer of located answers: its columns are its own questions."""
    return "answers_" + survey_id.replace("-", "_")


def _answer_fields(history: History) -> list[tuple[str, str]]:
    """(column, SQL type) of a campaign's answers layer: the metadata, then every answer.

    A number's, a scale's or a location's column holds numbers only, so that QGIS can style
    by it: a skipped answer there is empty (the other formats say "(skipped)")."""
    fields = [(name, "integer" if name in INTEGERS else "text") for name in ANSWER_PROPERTIES]
    for column in history.columns():
        question = history.question(column.question_id)
        kind = "text"
        # A column is numeric only when every version asked it so: an older version's
        # text answer to what is a scale now stays, as text.
        if history.same_type(question.id) == history.had(question.id):
            if isinstance(question, Scale):
                kind = "integer"
            elif isinstance(question, Location | Number):
                kind = "real"
        fields.append((answer_name(column.name), kind))
    return fields


class _Layer:
    """One table of the GeoPackage being filled: its INSERT and its numeric columns."""

    def __init__(self, table: Any, fields: Sequence[tuple[str, str]]) -> None:
        self.table = table
        self.names = [name for name, _kind in fields]
        self.numeric = {name for name, kind in fields if kind != "text"}
        columns = ", ".join(f'"{name}"' for name in ["fid", "SHAPE", *self.names])
        marks = ", ".join("?" * (len(self.names) + 2))
        self.insert = f"INSERT INTO {table.escaped_name} ({columns}) VALUES ({marks})"
        self.rows: list[tuple[Any, ...]] = []
        self.fid = 0

    def values(self, feature: Feature) -> list[Any]:
        shown = []
        for name in self.names:
            value = feature.properties.get(name)
            if name in self.numeric and not isinstance(value, int | float):
                value = None  # "(skipped)" or a photo's note: no number
            shown.append(value)
        return shown


async def write_gpkg(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> int:
    """A GeoPackage with a point layer of located answers per campaign, one of ideas, one of
    tips and, when there are some, one of walk findings (with a grid: one layer of cells per
    kind); return the points.

    With the photos carried, each photo is also in the package, as the Related Tables
    Extension's media (exports/gpkg_media.py), related to every point whose row names it."""
    from fudgeo.enumeration import FieldType, GeometryType
    from fudgeo.geometry import Point
    from fudgeo.geopkg import Field, GeoPackage, SpatialReferenceSystem

    from exports.gpkg_media import Media

    out = request.out
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_suffix(".gpkg")
    path.unlink(missing_ok=True)
    package = GeoPackage.create(path)
    srs = SpatialReferenceSystem("WGS 84", "EPSG", 4326, WGS84_WKT)
    types = {"integer": FieldType.integer, "real": FieldType.real, "text": FieldType.text}
    wanted: dict[str, list[tuple[str, str]]] = {}
    if request.grid is not None:
        grid = [(name, "integer" if name in INTEGERS else "text") for name in GRID_PROPERTIES]
        wanted = {kind: grid for kind in LAYERS}
    else:
        for history in request.histories():
            wanted[answers_layer(history.survey_id)] = _answer_fields(history)
        for kind in ("ideas", "tips", "findings"):
            wanted[kind] = [
                (name, "integer" if name in INTEGERS else "text")
                for name in CONTRIBUTION_PROPERTIES
            ]
    media = None
    if photos is not None and photos.carried:
        media = Media(package)
        photos.keepers.append(media.keep)
    layers: dict[str, _Layer] = {}

    def layer_of(name: str) -> _Layer:
        """The layer, made when its first point comes: a campaign without located answers
        adds no empty layer to the map."""
        layer = layers.get(name)
        if layer is None:
            fields = wanted[name]
            made = package.create_feature_class(
                name,
                srs=srs,
                shape_type=GeometryType.point,
                fields=[Field(column, types[kind]) for column, kind in fields],
            )
            layer = layers[name] = _Layer(made, fields)
            if media is not None:
                media.add_layer(name)
        return layer

    # Ideas and tips are always there, as in every export before; walk findings (and their
    # grid) when there are some.
    for kind in wanted if request.grid is not None else ("ideas", "tips"):
        if kind == "findings":
            continue
        layer_of(kind)
    connection = package.connection
    written = 0

    def flush(layer: _Layer) -> None:
        if layer.rows:
            connection.executemany(layer.insert, layer.rows)
            layer.rows.clear()
        if media is not None:
            media.flush()

    try:
        async for feature in _points_or_cells(store, request, progress, photos):
            into = feature.layer
            if into == "answers" and request.grid is None:
                into = answers_layer(str(feature.properties["campaign"]))
            layer = layer_of(into)
            layer.fid += 1
            point = Point(
                x=round(feature.lon, DECIMALS), y=round(feature.lat, DECIMALS), srs_id=4326
            )
            layer.rows.append((layer.fid, point, *layer.values(feature)))
            if media is not None:
                media.relate(into, layer.fid, feature.photos)
            written += 1
            if len(layer.rows) >= 1000:
                flush(layer)
        for each in layers.values():
            flush(each)
        connection.commit()
    finally:
        connection.close()
    return written
