"""The campaigns a replica serves, from the definitions room: the organizers' folder imported
as new versions, and the Campaigns rebuilt whenever any replica has stored a version.

The folder is one way in (Telegram is the other): a file whose text some version already had
imports nothing, a changed file becomes the next version, and a file that disappears changes
nothing. What is served comes from the store alone, so every replica serves the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from core.campaigns import Campaigns, Shelf
from core.loader import KIND_SURVEY, FolderFile, SurveyFileError, read_folder
from core.problems import FileProblem
from storage.definitions import Definition, DefinitionKind, Definitions
from storage.schedules import Schedules

log = logging.getLogger(__name__)

FILE_ORIGIN = "file:"


class LibraryStore(Definitions, Schedules, Protocol):
    """What the library needs: the definitions, and the dates admins set."""


@dataclass
class Imported:
    """What reading the folder changed (ids of campaigns; "categories", "places")."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # a file changed: its next version
    # Campaigns once read from a file that is no longer in the folder: still served.
    absent: list[str] = field(default_factory=list)
    # Files with problems whose campaign (or list) is served as stored (at start-up).
    kept: list[str] = field(default_factory=list)
    # /reload: the folder's problems; then nothing was imported.
    problems: list[FileProblem] = field(default_factory=list)


def origin_of(path: Path) -> str:
    return f"{FILE_ORIGIN}{path.name}"


class Library:
    """Imports the folder into the store, and builds the Campaigns the store holds."""

    def __init__(self, store: LibraryStore, folder: Path, shelf: Shelf) -> None:
        self.store = store
        self.folder = folder
        self.shelf = shelf
        # How the folder is read (in a thread: residents are answered meanwhile).
        self.read: Callable[[Path], list[FolderFile]] = read_folder
        self._stamp: int | None = None
        # One rebuild at a time: a slow one that read less must not finish last and win.
        self._building = asyncio.Lock()

    async def import_folder(self, now: datetime, *, strict: bool) -> Imported:
        """Store each changed or new file of the folder as the next version of what it defines.

        `strict` (/reload): a folder with problems imports nothing and says why. Otherwise
        (start-up) a broken file is logged and left out, and what it defined is served as
        stored; SurveyFileError only when nothing at all is stored yet (a first start).
        """
        files = await asyncio.to_thread(self.read, self.folder)
        stored = await self.store.every_definition()
        imported = Imported()
        broken = [file for file in files if file.problems]
        if broken and strict:
            imported.problems = [problem for file in broken for problem in file.problems]
            return imported
        if broken and not stored:
            # A first start with a broken folder: nothing to serve instead, say why and stop.
            raise SurveyFileError([problem for file in broken for problem in file.problems])
        origins = {definition.origin for definition in stored}
        for file in broken:
            # A running deployment keeps running for its residents: a broken file is left
            # out (what it defined stays as stored) and the operator reads why in the log;
            # /reload and `validate` show the same problems.
            log.error(
                "%s has problems and is left out%s: %s",
                file.path.name,
                "; its campaign is served as stored" if origin_of(file.path) in origins else "",
                file.problems[0],
            )
            imported.kept.append(file.path.name)
        known = {(definition.kind, definition.name) for definition in stored}
        for file in files:
            if file.problems or file.model is None:
                continue
            self.shelf.remember(file.kind, file.text, file.model)
            saved = await self.store.import_definition(
                DefinitionKind(file.kind), file.name, file.text, now, origin=origin_of(file.path)
            )
            if saved is not None:
                (imported.changed if (file.kind, file.name) in known else imported.new).append(
                    file.name
                )
        imported.absent = _absent(stored, files)
        return imported

    async def campaigns(self, served: Campaigns | None = None) -> Campaigns:
        """The campaigns as stored now, with the dates admins set: `served` itself while no
        version was stored since it was built (cheap: one small query each)."""
        async with self._building:
            # The stamp is read before the definitions: a version stored in between is in
            # what is read, and is read once more next time, never missed.
            stamp = await self.store.definitions_stamp()
            if served is None or stamp != self._stamp:
                served = self.shelf.build(await self.store.every_definition())
                self._stamp = stamp
            served.apply(await self.store.schedules())
            return served


def _absent(stored: list[Definition], files: list[FolderFile]) -> list[str]:
    """Campaigns read from files once, none of which is in the folder now."""
    present = {file.path.name for file in files}
    defined = {file.name for file in files if file.kind == KIND_SURVEY}
    from_files: dict[str, set[str]] = {}
    for definition in stored:
        if definition.kind == DefinitionKind.SURVEY and definition.origin.startswith(FILE_ORIGIN):
            names = from_files.setdefault(definition.name, set())
            names.add(definition.origin.removeprefix(FILE_ORIGIN))
    return sorted(
        name for name, names in from_files.items() if name not in defined and not names & present
    )
