"""teams.lead_id references users on every database

The initial schema declared this foreign key `use_alter=True` (teams and users reference each
other); Alembic's create_table leaves such a key out of CREATE TABLE and never adds it, so on
PostgreSQL a team's lead could name a user that does not exist. SQLite got it inline.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_teams_lead_id_users"


def _has_key() -> bool:
    keys = sa.inspect(op.get_bind()).get_foreign_keys("teams")
    return any(key["constrained_columns"] == ["lead_id"] for key in keys)


def upgrade() -> None:
    if _has_key():
        return
    # A lead that names no user was never a lead: the key could not be added over it.
    op.execute("UPDATE teams SET lead_id = NULL WHERE lead_id NOT IN (SELECT id FROM users)")
    with op.batch_alter_table("teams") as batch_op:
        batch_op.create_foreign_key(NAME, "users", ["lead_id"], ["id"])


def downgrade() -> None:
    # The key is part of the schema 0001 meant; downgrading leaves it.
    pass
