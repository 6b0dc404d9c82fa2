"""Usage behind the latest health score kept on accounts; custom fields as churn features

- accounts: active users (30 days), utilisation, adoption and usage trend of the latest score,
  for segment and My Book filters (filled by the next `steward score`; empty until then);
- custom_fields.churn_feature: an account field the churn model learns from (history | fixed);
- churn_models.features: the custom features a model learned from (null: none).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 18:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_users_30d", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("utilisation", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("adoption", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("usage_trend", sa.Float(), nullable=True))
    with op.batch_alter_table("churn_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("features", sa.Text(), nullable=True))
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("churn_feature", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_column("churn_feature")
    with op.batch_alter_table("churn_models", schema=None) as batch_op:
        batch_op.drop_column("features")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("usage_trend")
        batch_op.drop_column("adoption")
        batch_op.drop_column("utilisation")
        batch_op.drop_column("active_users_30d")
