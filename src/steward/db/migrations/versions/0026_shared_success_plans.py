"""shared success plans: personal links for contacts, their comments and metrics, and
milestones owned by the customer's side

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _references(table: str, *columns: tuple[str, str]) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
        )
        for column, target in columns
    ]


def upgrade() -> None:
    with op.batch_alter_table("milestones") as batch_op:
        batch_op.add_column(sa.Column("contact_owner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_milestones_contact_owner_id_contacts"),
            "contacts",
            ["contact_owner_id"],
            ["id"],
        )
    op.create_table(
        "plan_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_opened_at", UTCDateTime(), nullable=True),
        *_references(
            "plan_shares",
            ("plan_id", "success_plans"),
            ("account_id", "accounts"),
            ("contact_id", "contacts"),
            ("created_by_id", "users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_plan_shares_token_hash")),
    )
    for column in ("plan_id", "account_id", "contact_id"):
        op.create_index(op.f(f"ix_plan_shares_{column}"), "plan_shares", [column])
    op.create_table(
        "plan_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_references(
            "plan_comments",
            ("plan_id", "success_plans"),
            ("account_id", "accounts"),
            ("milestone_id", "milestones"),
            ("contact_id", "contacts"),
            ("user_id", "users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_comments")),
    )
    for column in ("plan_id", "account_id"):
        op.create_index(op.f(f"ix_plan_comments_{column}"), "plan_comments", [column])
    op.create_table(
        "plan_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("baseline", sa.Numeric(20, 4), nullable=True),
        sa.Column("current", sa.Numeric(20, 4), nullable=True),
        sa.Column("target", sa.Numeric(20, 4), nullable=True),
        sa.Column("updated_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *_references(
            "plan_metrics",
            ("plan_id", "success_plans"),
            ("account_id", "accounts"),
            ("outcome_id", "plan_outcomes"),
            ("updated_by_contact_id", "contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_metrics")),
    )
    for column in ("plan_id", "account_id"):
        op.create_index(op.f(f"ix_plan_metrics_{column}"), "plan_metrics", [column])


def downgrade() -> None:
    op.drop_table("plan_metrics")
    op.drop_table("plan_comments")
    op.drop_table("plan_shares")
    with op.batch_alter_table("milestones") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_milestones_contact_owner_id_contacts"), type_="foreignkey"
        )
        batch_op.drop_column("contact_owner_id")
