"""usage_events keeps only the indexes its writes and the analytics copy need

The group/time and user indexes served no query (rollups read the DuckDB copy, which the sync
reads by id), yet cost eight times the insert itself: durable ingestion spent most of its
time keeping them.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_user_id")
        batch_op.drop_index("ix_usage_events_group_time")


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index("ix_usage_events_group_time", ["group_id", "timestamp"], unique=False)
        batch_op.create_index("ix_usage_events_user_id", ["user_id"], unique=False)
