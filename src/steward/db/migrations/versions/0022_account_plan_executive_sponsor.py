"""our executive sponsor on an account plan

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_plans") as batch_op:
        batch_op.add_column(sa.Column("executive_sponsor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_account_plans_executive_sponsor_id_users"),
            "users",
            ["executive_sponsor_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("account_plans") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_account_plans_executive_sponsor_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("executive_sponsor_id")
