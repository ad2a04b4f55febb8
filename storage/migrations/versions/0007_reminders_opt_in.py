"""Reminders are opt-in, like news: asked together after consent, off for those who said no.

Residents who never said yes to news (they declined the offer, or never answered it) had the
reminder on by default; it is switched off for them. Those who get news keep their reminder.
The column's default is left as it was (see schema.residents): consent names both values.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        sa.text("UPDATE residents SET reminders = :off WHERE news = :off").bindparams(off=False)
    )


def downgrade() -> None:
    """Downgrade schema: nothing to undo but the switched-off reminders, which stay off."""
