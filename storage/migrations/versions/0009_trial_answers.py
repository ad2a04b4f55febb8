"""Trial answers: an organizer answers a campaign (a draft too) as a resident would, and those
responses are marked so that nothing counts or exports them. Every response stored before is
a resident's (not a trial).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # A plain ADD COLUMN, not batch mode: on SQLite batch mode would copy the table and
    # lose its AUTOINCREMENT (ids of deleted responses must never come back).
    op.add_column(
        "responses", sa.Column("trial", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    """Downgrade schema: the trial answers go, since nothing could tell them apart."""
    op.execute(
        sa.text("DELETE FROM answers WHERE response_id IN (SELECT id FROM responses WHERE trial)")
    )
    op.execute(sa.text("DELETE FROM responses WHERE trial"))
    op.drop_column("responses", "trial")
