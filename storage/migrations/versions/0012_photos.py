"""Photos residents sent, downloaded from Telegram, stripped of their metadata and kept in
the database (so every replica finds them and the backup holds them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("unique_id", sa.String(100), nullable=False),
        sa.Column("file_id", sa.String(200), nullable=False),
        sa.Column(
            "pseudonym",
            sa.String(64),
            sa.ForeignKey("residents.pseudonym", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("pseudonym", "unique_id", name="uq_photos_resident"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_photos_unique", "photos", ["unique_id"])
    op.create_index("ix_photos_due", "photos", ["status", "next_try_at"])
    # Photos already named by ideas, tips and answers are queued for download, as new
    # ones are: Telegram keeps a file id working for a long while, so most still arrive.
    photos = sa.table(
        "photos",
        sa.column("unique_id"),
        sa.column("file_id"),
        sa.column("pseudonym"),
        sa.column("status"),
        sa.column("attempts"),
        sa.column("next_try_at"),
        sa.column("created_at"),
    )
    contributions = sa.table(
        "contributions",
        sa.column("pseudonym"),
        sa.column("photo_file_id"),
        sa.column("photo_unique_id"),
        sa.column("created_at"),
    )
    named = (
        sa.select(
            contributions.c.photo_unique_id,
            sa.func.min(contributions.c.photo_file_id),
            contributions.c.pseudonym,
            sa.literal("waiting"),
            sa.literal(0),
            sa.func.min(contributions.c.created_at),
            sa.func.min(contributions.c.created_at),
        )
        .where(
            sa.and_(
                contributions.c.photo_unique_id.is_not(None),
                contributions.c.photo_file_id.is_not(None),
            )
        )
        .group_by(contributions.c.pseudonym, contributions.c.photo_unique_id)
    )
    op.execute(
        photos.insert().from_select(
            [
                "unique_id",
                "file_id",
                "pseudonym",
                "status",
                "attempts",
                "next_try_at",
                "created_at",
            ],
            named,
        )
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_photos_due", table_name="photos")
    op.drop_index("ix_photos_unique", table_name="photos")
    op.drop_table("photos")
