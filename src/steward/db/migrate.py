"""Schema migrations with Alembic, run programmatically (`steward migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from steward.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """All pending migrations in one transaction: a migration killed midway leaves the
    schema as it was, and the next run starts over (nothing to unlock: PostgreSQL rolls the
    transaction back when the connection dies, SQLite when the process does). On SQLite
    this needs the engine that begins transactions itself: pysqlite runs DDL outside any."""
    with db.transactional_engine.begin() as connection:
        upgrade_within(db, connection, revision)


def upgrade_within(db: Database, connection: Connection, revision: str = "head") -> None:
    """Migrates inside the caller's transaction (a restore: schema and rows commit together)."""
    cfg = alembic_config(db)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision(db)
