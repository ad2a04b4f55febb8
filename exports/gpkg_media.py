"""Photos inside a GeoPackage: the OGC Related Tables Extension (18-000), media requirement.

fudgeo has no support for the extension, so its tables are written here with SQL on
fudgeo's connection: a media table `photos` (id, data BLOB, content_type, and the photo's
name in the zip), one mapping table per layer (`photos_of_<layer>`: base_id, the point's fid;
related_id, the photo's id), each named in `gpkgext_relations` and `gpkg_extensions`. GDAL
(and so QGIS) reads these as the layer's relationship to its photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.export import photo_file

MEDIA_TABLE = "photos"
EXTENSION = "gpkg_related_tables"
DEFINITION = "http://docs.opengeospatial.org/is/18-000/18-000.html"
MAPPING_COLUMNS = "(base_id INTEGER NOT NULL, related_id INTEGER NOT NULL)"
RELATIONS = """
CREATE TABLE gpkgext_relations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    base_table_name TEXT NOT NULL,
    base_primary_column TEXT NOT NULL DEFAULT 'id',
    related_table_name TEXT NOT NULL,
    related_primary_column TEXT NOT NULL DEFAULT 'id',
    relation_name TEXT NOT NULL,
    mapping_table_name TEXT NOT NULL UNIQUE
)
"""


def mapping_table(layer: str) -> str:
    # Never a layer's name: those begin with answers_, ideas or tips.
    return f"{MEDIA_TABLE}_of_{layer}"


class Media:
    """The package's photos, each stored once, and which point shows which."""

    def __init__(self, package: Any) -> None:
        from fudgeo.enumeration import FieldType
        from fudgeo.geopkg import Field

        # An attributes table in gpkg_contents, as the extension asks of a media table.
        package.create_table(
            MEDIA_TABLE,
            fields=[
                Field("data", FieldType.blob, is_nullable=False),
                Field("content_type", FieldType.text, is_nullable=False),
                Field("name", FieldType.text),
            ],
            pk_name="id",
        )
        self._connection = package.connection
        self._ids: dict[str, int] = {}  # unique id -> row: a few bytes a photo, never the data
        self._pairs: dict[str, list[tuple[int, int]]] = {}
        self._connection.execute(RELATIONS)
        self._extension("gpkgext_relations")

    def add_layer(self, layer: str) -> None:
        """Relate a layer's points to the photos, through its own mapping table."""
        mapping = mapping_table(layer)
        self._connection.execute(f'CREATE TABLE "{mapping}" {MAPPING_COLUMNS}')
        self._connection.execute(
            "INSERT INTO gpkgext_relations (base_table_name, base_primary_column, "
            "related_table_name, related_primary_column, relation_name, "
            "mapping_table_name) VALUES (?, 'fid', ?, 'id', 'media', ?)",
            (layer, MEDIA_TABLE, mapping),
        )
        self._extension(mapping)
        self._pairs[layer] = []

    def _extension(self, table: str) -> None:
        self._connection.execute(
            "INSERT INTO gpkg_extensions "
            "(table_name, column_name, extension_name, definition, scope) "
            "VALUES (?, NULL, ?, ?, 'read-write')",
            (table, EXTENSION, DEFINITION),
        )

    def keep(self, unique_id: str, data: bytes) -> None:
        """Store a photo (once), as it goes into the zip."""
        if unique_id in self._ids:
            return
        cursor = self._connection.execute(
            f"INSERT INTO {MEDIA_TABLE} (data, content_type, name) VALUES (?, ?, ?)",
            (data, "image/jpeg", photo_file(unique_id)),
        )
        self._ids[unique_id] = int(cursor.lastrowid)

    def relate(self, layer: str, fid: int, photos: Sequence[str]) -> None:
        """The point `fid` of `layer` shows these photos (those stored; the rest are not)."""
        for unique_id in photos:
            media_id = self._ids.get(unique_id)
            if media_id is not None:
                self._pairs[layer].append((fid, media_id))

    def flush(self) -> None:
        for layer, pairs in self._pairs.items():
            if pairs:
                self._connection.executemany(
                    f'INSERT INTO "{mapping_table(layer)}" (base_id, related_id) VALUES (?, ?)',
                    pairs,
                )
                pairs.clear()
