"""one live renewal opportunity per contract (a unique index backs the job that opens them)

Two web processes each ran the renewal job and opened a second opportunity for every contract
due. The duplicates they left (all but the oldest live one per contract) are archived, so the
index can hold: their history stays, lists and forecasts count each renewal once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_RENEWAL = "type = 'renewal' AND archived_at IS NULL AND contract_id IS NOT NULL"


def upgrade() -> None:
    op.execute(
        sa.text(
            f"""
            UPDATE opportunities SET archived_at = CURRENT_TIMESTAMP, version = version + 1
            WHERE {LIVE_RENEWAL} AND id > (
                SELECT min(o.id) FROM opportunities o
                WHERE o.contract_id = opportunities.contract_id
                  AND o.type = 'renewal' AND o.archived_at IS NULL
            )
            """
        )
    )
    op.create_index(
        "uq_opportunities_live_renewal_contract",
        "opportunities",
        ["contract_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_RENEWAL),
        postgresql_where=sa.text(LIVE_RENEWAL),
    )


def downgrade() -> None:
    op.drop_index("uq_opportunities_live_renewal_contract", table_name="opportunities")
