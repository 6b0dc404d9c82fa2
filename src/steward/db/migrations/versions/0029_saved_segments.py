"""Saved segments: named account filters, private or shared with a team

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_saved_segments_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_saved_segments_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_segments")),
    )
    op.create_index(
        op.f("ix_saved_segments_owner_id"), "saved_segments", ["owner_id"], unique=False
    )
    op.create_index(op.f("ix_saved_segments_team_id"), "saved_segments", ["team_id"], unique=False)
    op.create_index(
        op.f("ix_saved_segments_archived_at"), "saved_segments", ["archived_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("saved_segments")
