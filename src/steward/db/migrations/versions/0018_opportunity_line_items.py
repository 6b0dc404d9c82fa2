"""opportunity line items and the term of the contract a won deal becomes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("opportunities") as batch_op:
        batch_op.add_column(
            sa.Column("term_months", sa.Integer(), server_default="12", nullable=False)
        )
    op.create_table(
        "opportunity_line_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("billing_period", sa.String(length=20), nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_line_items_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_opportunity_line_items_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_line_items")),
    )
    op.create_index(
        op.f("ix_opportunity_line_items_opportunity_id"),
        "opportunity_line_items",
        ["opportunity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opportunity_line_items_product_id"),
        "opportunity_line_items",
        ["product_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_opportunity_line_items_product_id"), table_name="opportunity_line_items")
    op.drop_index(
        op.f("ix_opportunity_line_items_opportunity_id"), table_name="opportunity_line_items"
    )
    op.drop_table("opportunity_line_items")
    with op.batch_alter_table("opportunities") as batch_op:
        batch_op.drop_column("term_months")
