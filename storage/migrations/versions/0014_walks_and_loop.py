"""Safety walks and closing the loop: walks, walkers, audits, "me too", follow-ups, forwards,
and the contributions' new statuses, triage and Purple Flag columns.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("time_band", sa.String(5)),
    ("walk_id", sa.Integer()),
    ("stop", sa.Integer()),
    ("judgement", sa.String(8)),
    ("voice_file_id", sa.String(200)),
    ("voice_unique_id", sa.String(100)),
    ("status_reason", sa.Text()),
    ("duplicate_of", sa.Integer()),
    ("forwarded_to", sa.String(200)),
    ("responsible", sa.String(16)),
    ("priority", sa.String(8)),
    ("deadline", sa.Date()),
    ("themes", sa.JSON()),
)


def _resident() -> "sa.Column[str]":
    return sa.Column(
        "pseudonym",
        sa.String(64),
        sa.ForeignKey("residents.pseudonym", ondelete="CASCADE"),
        nullable=False,
    )


def _contribution() -> "sa.Column[int]":
    return sa.Column(
        "contribution_id",
        sa.Integer,
        sa.ForeignKey("contributions.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    """Upgrade schema."""
    # "in_progress" is longer than the old statuses. On SQLite this copies the table, before
    # any table refers to it (nothing cascades); PostgreSQL alters the column in place.
    with op.batch_alter_table("contributions") as batch:
        batch.alter_column(
            "status", type_=sa.String(16), existing_type=sa.String(10), existing_nullable=False
        )
    for name, kind in NEW_COLUMNS:  # a new Column each time: a Column joins one table only
        op.add_column("contributions", sa.Column(name, kind, nullable=True))
    op.create_index("ix_contributions_walk", "contributions", ["walk_id", "id"])
    op.create_table(
        "walks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("route", sa.JSON, nullable=False),
        sa.Column("current_stop", sa.Integer, nullable=True),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_walks_chat", "walks", ["chat_id", "ended_at"])
    op.create_table(
        "walk_members",
        sa.Column(
            "walk_id", sa.Integer, sa.ForeignKey("walks.id", ondelete="CASCADE"), nullable=False
        ),
        _resident(),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("walk_id", "pseudonym"),
    )
    op.create_table(
        "walk_audits",
        sa.Column(
            "walk_id", sa.Integer, sa.ForeignKey("walks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("stop", sa.Integer, nullable=False),
        _resident(),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("walk_id", "stop", "pseudonym"),
    )
    op.create_table(
        "voices",
        _contribution(),
        _resident(),
        sa.Column("hear_back", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contribution_id", "pseudonym"),
    )
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contribution(),
        _resident(),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(10), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("contribution_id", "pseudonym", "due_at", name="uq_followups_once"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_followups_due", "followups", ["sent_at", "due_at"])
    op.create_table(
        "forwards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contribution(),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("external_status", sa.String(32), nullable=True),
        sa.Column("external_notes", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_forwards_due", "forwards", ["state", "next_try_at"])
    op.create_index("ix_forwards_contribution", "forwards", ["contribution_id"])


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("forwards", "followups", "voices", "walk_audits", "walk_members", "walks"):
        op.drop_table(table)
    op.drop_index("ix_contributions_walk", "contributions")
    with op.batch_alter_table("contributions") as batch:
        for name, _ in reversed(NEW_COLUMNS):
            batch.drop_column(name)
