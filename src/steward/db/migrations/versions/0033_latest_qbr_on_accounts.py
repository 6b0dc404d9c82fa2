"""accounts keep their latest QBR or EBR (held or booked)

Whether an account is due a QBR read two correlated sub-queries per account (the last one
held, any one booked); an AM of 14,000 accounts waited on them on every My Day. The account
now keeps the latest one, as it keeps its last touch.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import steward.db.base

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("latest_qbr_at", steward.db.base.UTCDateTime(), nullable=True)
        )
    op.execute(
        "UPDATE accounts SET latest_qbr_at = ("
        " SELECT max(occurred_at) FROM activities"
        " WHERE activities.account_id = accounts.id"
        " AND activities.type IN ('qbr', 'ebr') AND activities.archived_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("latest_qbr_at")
