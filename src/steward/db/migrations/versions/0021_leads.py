"""leads and lead routing rules

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_lead_routing_rules_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_routing_rules")),
        sa.UniqueConstraint("position", name=op.f("uq_lead_routing_rules_position")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("budget_confirmed", sa.Boolean(), nullable=False),
        sa.Column("authority_confirmed", sa.Boolean(), nullable=False),
        sa.Column("need", sa.String(length=1000), nullable=True),
        sa.Column("timeline", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("routed_by_rule_id", sa.Integer(), nullable=True),
        sa.Column("disqualified_reason", sa.String(length=500), nullable=True),
        sa.Column("converted_account_id", sa.Integer(), nullable=True),
        sa.Column("converted_contact_id", sa.Integer(), nullable=True),
        sa.Column("converted_opportunity_id", sa.Integer(), nullable=True),
        sa.Column("converted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["converted_account_id"],
            ["accounts.id"],
            name=op.f("fk_leads_converted_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["converted_contact_id"],
            ["contacts.id"],
            name=op.f("fk_leads_converted_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["converted_opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_leads_converted_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["routed_by_rule_id"],
            ["lead_routing_rules.id"],
            name=op.f("fk_leads_routed_by_rule_id_lead_routing_rules"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_leads_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    for column in ("archived_at", "email", "owner_id", "score", "status", "team_id"):
        op.create_index(op.f(f"ix_leads_{column}"), "leads", [column], unique=False)


def downgrade() -> None:
    for column in ("archived_at", "email", "owner_id", "score", "status", "team_id"):
        op.drop_index(op.f(f"ix_leads_{column}"), table_name="leads")
    op.drop_table("leads")
    op.drop_table("lead_routing_rules")
