"""the revision at which each table last changed

Figures kept per workspace revision were thrown away by every write: a logged call started a
new revision, and the VP's next Forecast re-ran its Monte Carlo (21 s at 100,000 accounts)
though nothing it reads had changed. Each committed write now also records, per table it
changed, the revision it made; figures are kept per the latest revision of the tables they
read. What changed before this migration is not known table by table: the row '*' (every
table) starts at the current revision.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "table_revisions",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_table_revisions")),
    )
    op.execute(
        "INSERT INTO table_revisions (name, revision) "
        "SELECT '*', COALESCE(MAX(revision), 0) FROM workspace_state"
    )


def downgrade() -> None:
    op.drop_table("table_revisions")
