"""trusted devices (login device cookies) and atomic login failure counters

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trusted_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_trusted_devices_token_hash")),
    )
    op.create_index(op.f("ix_trusted_devices_email"), "trusted_devices", ["email"])
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_counters")),
    )


def downgrade() -> None:
    op.drop_table("login_counters")
    op.drop_index(op.f("ix_trusted_devices_email"), table_name="trusted_devices")
    op.drop_table("trusted_devices")
