"""usage events' instants in the one text form SQLite compares

On SQLite, instants are text and compared as text. The batch writer of the ingestion API wrote
a whole-second instant as '2026-08-09 11:00:00' where the ORM writes (and binds in queries)
'2026-08-09 11:00:00.000000'; the shorter sorts first, so a query from that very instant
missed the event. Such rows get the fraction the ORM writes. PostgreSQL stores timestamps, not
text: nothing to do there.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in ("timestamp", "received_at"):
        op.execute(
            f"UPDATE usage_events SET {column} = {column} || '.000000' WHERE length({column}) = 19"
        )


def downgrade() -> None:
    pass  # the longer form is the one every reader expects
