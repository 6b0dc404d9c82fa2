"""QBR packs: the workspace's pack template, and one row per account and quarter a pack was
made for (holding the QBR activity it drafted)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qbr_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("primary_color", sa.String(length=7), nullable=False),
        sa.Column("accent_color", sa.String(length=7), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=True),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_templates")),
    )
    op.create_table(
        "qbr_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("generated_by_id", sa.Integer(), nullable=True),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("generations", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_qbr_packs_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_qbr_packs_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["generated_by_id"], ["users.id"], name=op.f("fk_qbr_packs_generated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbr_packs")),
        sa.UniqueConstraint("account_id", "period", name="uq_qbr_packs_account_id"),
    )


def downgrade() -> None:
    op.drop_table("qbr_packs")
    op.drop_table("qbr_templates")
