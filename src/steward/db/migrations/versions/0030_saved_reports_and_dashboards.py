"""Saved reports and dashboards (with their tiles), private or shared with a team

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 13:53:03.408112
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_dashboards_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_dashboards_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
    )
    with op.batch_alter_table("dashboards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboards_archived_at"), ["archived_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dashboards_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboards_team_id"), ["team_id"], unique=False)

    op.create_table(
        "saved_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("chart", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_saved_reports_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_saved_reports_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reports")),
    )
    with op.batch_alter_table("saved_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_reports_archived_at"), ["archived_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_saved_reports_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_reports_team_id"), ["team_id"], unique=False)

    op.create_table(
        "dashboard_tiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dashboard_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["dashboards.id"],
            name=op.f("fk_dashboard_tiles_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["saved_reports.id"],
            name=op.f("fk_dashboard_tiles_report_id_saved_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_tiles")),
        sa.UniqueConstraint(
            "dashboard_id", "report_id", name=op.f("uq_dashboard_tiles_dashboard_id")
        ),
    )
    with op.batch_alter_table("dashboard_tiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_tiles_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("dashboard_tiles")
    op.drop_table("saved_reports")
    op.drop_table("dashboards")
