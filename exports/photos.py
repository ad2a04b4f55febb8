"""Photos in exports: what a row's photo cell says, and with --photos the photo itself.

Every export names a photo `photos/<unique_id>.jpg` (core.export.photo_file), never by
Telegram's file id, which only this bot could open. With --photos the export becomes a zip:
each photo a row names is read from the store when its row is written and goes straight
into the zip's photos/ folder, one photo in memory at a time; a photo the bot has not
downloaded (yet) is said in its cell, and the export goes on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping, MutableSequence
from typing import Any, Protocol

from core.export import PHOTO_MISSING_CELL, Cell, photo_file, photo_id
from core.survey import Photo
from core.versions import History


class PhotoSource(Protocol):
    """The one read a zip of photos needs (storage.export_reads.ExportSource has it)."""

    async def photo_bytes(self, unique_id: str) -> bytes | None: ...


# A photo kept elsewhere too (the GeoPackage's attachments): told its unique id and bytes.
Keeper = Callable[[str, bytes], None]


class PhotoFiles:
    """The photo cells of one export. Without an archive it only names the files."""

    def __init__(
        self, store: PhotoSource | None = None, archive: zipfile.ZipFile | None = None
    ) -> None:
        self._store = store
        self._archive = archive
        self._written: set[str] = set()
        self._missing: set[str] = set()
        self._columns: dict[tuple[str, int], list[tuple[int, str]]] = {}
        self.keepers: list[Keeper] = []

    @property
    def carried(self) -> bool:
        """Whether the photos themselves go into the export (--photos)."""
        return self._archive is not None

    @property
    def written(self) -> int:
        return len(self._written)

    def stored(self, unique_id: str) -> bool:
        """Whether the photo is in the export (after its cell was made)."""
        return unique_id in self._written

    async def cell(self, unique_id: str | None) -> Cell:
        """The photo's file name; with --photos only once the photo is in the zip."""
        if not unique_id:
            return None
        name = photo_file(unique_id)
        if self._archive is None or self._store is None or unique_id in self._written:
            return name
        if unique_id in self._missing:
            return PHOTO_MISSING_CELL
        data = await self._store.photo_bytes(unique_id)
        if data is None:
            self._missing.add(unique_id)
            return PHOTO_MISSING_CELL
        # JPEG is compressed already: stored, not deflated again.
        self._archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        for keep in self.keepers:
            keep(unique_id, data)
        self._written.add(unique_id)
        return name

    async def fill(
        self,
        history: History,
        version: int | None,
        answers: Mapping[str, Any],
        cells: MutableSequence[Cell],
    ) -> None:
        """Make the photo cells of a response's row (`history.row`) say what `cell` says."""
        if self._archive is None:
            return  # the row already names the files
        for index, question_id in self._photo_columns(history, version):
            unique_id = photo_id(answers.get(question_id))
            if unique_id is not None:
                cells[index] = await self.cell(unique_id)

    def _photo_columns(self, history: History, version: int | None) -> list[tuple[int, str]]:
        """(index, question id) of the row's columns that are photos in this version."""
        key = (history.survey_id, version or 0)
        found = self._columns.get(key)
        if found is None:
            asked = history.survey(version).questions_by_id
            found = self._columns[key] = [
                (index, column.question_id)
                for index, column in enumerate(history.columns())
                if isinstance(asked.get(column.question_id), Photo)
            ]
        return found


# Only the names: an export without --photos.
def names_only() -> PhotoFiles:
    return PhotoFiles()
