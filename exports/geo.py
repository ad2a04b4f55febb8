"""Maps: GeoJSON (RFC 7946) and GeoPackage (the default format of QGIS), both streamed.

Every located answer, idea and tip is a point in WGS 84, longitude before latitude, at the
coarsened position it was stored with. Hidden ideas and tips are left out: maps are made to
be shown. With a grid, points become counts per cell and cells with fewer than five are
left out, for maps that are published.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from core.contributions import Status
from core.export import (
    ANSWER_PROPERTIES,
    CONTRIBUTION_PROPERTIES,
    GRID_PROPERTIES,
    LAYERS,
    Feature,
    Grid,
    Privacy,
    answer_features,
    contribution_feature,
)
from core.versions import History
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource

INTEGERS = ("count", "contribution", "version")
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
) -> AsyncIterator[Feature]:
    """Every point, campaign by campaign, then the ideas and tips."""
    for history in histories:
        async for response in store.export_responses(history.survey_id):
            progress(1)
            version = response.survey_version
            for feature in answer_features(history.survey(version), response, privacy, version):
                yield feature
    async for item in store.export_contributions():
        progress(1)
        if item.status is Status.HIDDEN:
            continue
        located = contribution_feature(item, privacy)
        if located is not None:
            yield located


async def _points_or_cells(
    store: ExportSource, request: Request, progress: Progress
) -> AsyncIterator[Feature]:
    points = features(store, request.histories(), request.privacy, progress)
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


async def write_geojson(store: ExportSource, request: Request, progress: Progress = quiet) -> int:
    """One FeatureCollection, written feature by feature; return how many features."""
    out = request.out
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        handle.write('{"type": "FeatureCollection", "features": [\n')
        async for feature in _points_or_cells(store, request, progress):
            if written:
                handle.write(",\n")
            handle.write(json.dumps(_geojson(feature), ensure_ascii=False))
            written += 1
        handle.write("\n]}\n")
    return written


async def write_gpkg(store: ExportSource, request: Request, progress: Progress = quiet) -> int:
    """A GeoPackage with one point layer per kind (answers, ideas, tips); return the points."""
    from fudgeo.enumeration import FieldType, GeometryType
    from fudgeo.geometry import Point
    from fudgeo.geopkg import Field, GeoPackage, SpatialReferenceSystem

    out = request.out
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_suffix(".gpkg")
    path.unlink(missing_ok=True)
    package = GeoPackage.create(path)
    srs = SpatialReferenceSystem("WGS 84", "EPSG", 4326, WGS84_WKT)
    names = GRID_PROPERTIES if request.grid is not None else None
    layers: dict[str, tuple[str, list[str]]] = {}
    for layer in LAYERS:
        properties = names or (
            ANSWER_PROPERTIES if layer == "answers" else CONTRIBUTION_PROPERTIES
        )
        fields = [
            Field(name, FieldType.integer if name in INTEGERS else FieldType.text)
            for name in properties
        ]
        table = package.create_feature_class(
            layer, srs=srs, shape_type=GeometryType.point, fields=fields
        )
        columns = ", ".join(f'"{name}"' for name in ["SHAPE", *properties])
        marks = ", ".join("?" * (len(properties) + 1))
        layers[layer] = (
            f"INSERT INTO {table.escaped_name} ({columns}) VALUES ({marks})",
            properties,
        )
    written = 0
    batch: dict[str, list[tuple[Any, ...]]] = {layer: [] for layer in LAYERS}
    connection = package.connection

    def flush(layer: str) -> None:
        if batch[layer]:
            connection.executemany(layers[layer][0], batch[layer])
            batch[layer].clear()

    try:
        async for feature in _points_or_cells(store, request, progress):
            properties = layers[feature.layer][1]
            point = Point(
                x=round(feature.lon, DECIMALS), y=round(feature.lat, DECIMALS), srs_id=4326
            )
            batch[feature.layer].append((point, *(feature.properties.get(p) for p in properties)))
            written += 1
            if len(batch[feature.layer]) >= 1000:
                flush(feature.layer)
        for layer in LAYERS:
            flush(layer)
        connection.commit()
    finally:
        connection.close()
    return written
