"""accounts and contacts remember what they were merged into

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("accounts", "contacts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_merged_into_id_{table}"),
                table,
                ["merged_into_id"],
                ["id"],
            )
            batch_op.create_index(
                batch_op.f(f"ix_{table}_merged_into_id"), ["merged_into_id"], unique=False
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_merged_into_id"))
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_merged_into_id_{table}"), type_="foreignkey"
            )
            batch_op.drop_column("merged_into_id")
