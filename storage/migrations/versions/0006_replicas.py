"""Replicas lose nothing and split no one: the deployment's pseudonym secret, a response's
version for saving a step only on the state it was computed from, and who holds an outbox
row and whether its message was already tried.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deployment",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("responses") as responses:
        responses.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default="0")
        )
    # The version so far lived only inside the session's JSON.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE responses SET version = (state->>'version')::int")
    else:
        op.execute("UPDATE responses SET version = json_extract(state, '$.version')")
    with op.batch_alter_table("outbox") as outbox:
        outbox.add_column(sa.Column("holder", sa.String(length=64), nullable=True))
        outbox.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_column("attempted_at")
        outbox.drop_column("holder")
    with op.batch_alter_table("responses") as responses:
        responses.drop_column("version")
    op.drop_table("deployment")
