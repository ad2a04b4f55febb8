"""The Store protocol: everything Torget keeps, behind one interface for SQLite and PostgreSQL.

Every method that changes something for a resident takes the Telegram update_id that caused
it and claims it in the same transaction: an update Telegram delivers twice (after a crash,
or to a second replica) is then stored once, and the method returns False the second time
so the handler does not answer twice.
"""

from __future__ import annotations

from typing import Protocol

from storage.contributions import Contributions
from storage.definitions import Definitions
from storage.engine import Database
from storage.export_reads import ExportSource
from storage.leases import Leases
from storage.loop import Loop
from storage.mailings import Mailings
from storage.photos import PhotoStore
from storage.prompts import Prompts
from storage.purges import Purges
from storage.residents import Residents
from storage.responses import Responses
from storage.roles import Roles
from storage.schedules import Schedules
from storage.walk_reads import WalkReads
from storage.web import WebLogins


class Store(
    Database,
    Residents,
    Responses,
    Contributions,
    Schedules,
    Definitions,
    Prompts,
    Roles,
    Mailings,
    Leases,
    Purges,
    WebLogins,
    PhotoStore,
    ExportSource,
    WalkReads,
    Loop,
    Protocol,
):
    """Everything, for the handlers and the bot; a caller that needs only a part names that
    part (exports take an ExportSource, retention a storage.retention.RetentionStore)."""
