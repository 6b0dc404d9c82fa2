"""chat destinations: a user's Slack and Teams channels for notifications and digests

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("slack_user_id", sa.String(length=40), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_destinations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_destinations")),
    )
    op.create_index(
        op.f("ix_chat_destinations_slack_user_id"),
        "chat_destinations",
        ["slack_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_chat_destinations_user_id"), "chat_destinations", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("chat_destinations")
