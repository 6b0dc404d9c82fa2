"""Custom fields: their declarations, and one typed row per value

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from steward.db.base import UTCDateTime

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("default", sa.JSON(), nullable=True),
        sa.Column("help_text", sa.String(length=500), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("entity", "key", name="uq_custom_fields_entity_key"),
    )
    op.create_index(
        op.f("ix_custom_fields_archived_at"), "custom_fields", ["archived_at"], unique=False
    )
    op.create_table(
        "custom_values",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text_value", sa.String(length=2000), nullable=True),
        sa.Column("long_value", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.Column("date_value", sa.Date(), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["custom_fields.id"],
            name=op.f("fk_custom_values_field_id_custom_fields"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("field_id", "record_id", "ordinal", name=op.f("pk_custom_values")),
    )
    op.create_index(
        "ix_custom_values_text", "custom_values", ["field_id", "text_value", "record_id"]
    )
    op.create_index(
        "ix_custom_values_number", "custom_values", ["field_id", "number_value", "record_id"]
    )
    op.create_index(
        "ix_custom_values_date", "custom_values", ["field_id", "date_value", "record_id"]
    )
    op.create_index("ix_custom_values_record", "custom_values", ["record_id", "field_id"])


def downgrade() -> None:
    op.drop_table("custom_values")
    op.drop_table("custom_fields")
