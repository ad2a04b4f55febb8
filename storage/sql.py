"""The Store on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through asyncpg.

The same statements serve both; only the upsert comes from the dialect's own `insert`.
Every method that changes something claims the update in the same transaction, so a
redelivered update is stored once. Each concern is a room of its own (storage.residents,
storage.responses, ...); SqlStore is all of them on one engine (storage.engine.Room).
"""

from __future__ import annotations

from storage.contributions import ContributionsRoom
from storage.definitions import DefinitionsRoom
from storage.export_reads import ExportReadsRoom
from storage.leases import LeasesRoom
from storage.loop import LoopRoom
from storage.mailings import MailingsRoom
from storage.photos import PhotosRoom
from storage.prompts import PromptsRoom
from storage.purges import PurgesRoom
from storage.residents import ResidentsRoom
from storage.responses import ResponsesRoom
from storage.roles import RolesRoom
from storage.schedules import SchedulesRoom
from storage.walk_reads import WalkReadsRoom
from storage.web import WebRoom


class SqlStore(
    ResidentsRoom,
    ResponsesRoom,
    ContributionsRoom,
    SchedulesRoom,
    DefinitionsRoom,
    PromptsRoom,
    RolesRoom,
    MailingsRoom,
    LeasesRoom,
    PurgesRoom,
    WebRoom,
    PhotosRoom,
    ExportReadsRoom,
    WalkReadsRoom,
    LoopRoom,
):
    """One class for both databases; the URL decides which one."""
