"""Upgrades (issue 7 §8): a database made by the first released schema, with data in it,
upgrades to head; a migration killed midway leaves the schema as it was and simply runs
again (no stale lock), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from steward.db import Database
from steward.db.migrate import current_revision, head_revision, upgrade
from tests.support.killed import run_killed_at

FIRST_RELEASE = "0001"

UPGRADE = """
from steward.db import Database
from steward.db.migrate import upgrade

upgrade(Database(sys.argv[2]))
"""


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_a_database_of_the_first_release_upgrades_to_head_with_its_data(
    blank_db: Database,
) -> None:
    upgrade(blank_db, FIRST_RELEASE)
    assert current_revision(blank_db) == FIRST_RELEASE
    with blank_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, full_name, role, is_active, created_at, "
                "updated_at) VALUES (1, 'am@old.example', 'Old AM', 'am', :yes, :at, :at)"
            ),
            {"yes": True, "at": "2024-01-02 03:04:05"},
        )
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, segment, tier, lifecycle_stage, owner_am_id, "
                "arr_minor, version, created_at, updated_at) VALUES (1, 'Old Co', 'smb', "
                "'standard', 'mature', 1, 1200000, 1, :at, :at)"
            ),
            {"at": "2024-01-02 03:04:05"},
        )
    upgrade(blank_db)
    assert current_revision(blank_db) == head_revision(blank_db)
    with blank_db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, owner_am_id, arr_minor FROM accounts")).one()
    assert tuple(row) == ("Old Co", 1, 1200000)


@pytest.mark.parametrize(
    "killed_at", [3, 30, 60]
)  # of about 110 statements on SQLite, 70 on PostgreSQL
def test_a_migration_killed_midway_runs_again_from_where_it_was(
    blank_db: Database, killed_at: int
) -> None:
    upgrade(blank_db, FIRST_RELEASE)
    before = _tables(blank_db)
    child = run_killed_at(killed_at, UPGRADE, blank_db.url)
    assert child.returncode == 9, child.stderr
    # Nothing of the interrupted run stayed: same tables, same revision.
    blank_db.engine.dispose()
    assert _tables(blank_db) == before
    assert current_revision(blank_db) == FIRST_RELEASE
    upgrade(blank_db)  # and nothing is left locked
    assert current_revision(blank_db) == head_revision(blank_db)
    assert "churn_models" in _tables(blank_db)


def test_the_migrations_build_exactly_the_schema_the_models_declare(blank_url: str) -> None:
    """What `load_models()` gives Alembic (its env and autogenerate) is every table, and the
    migrations at head build exactly it: a model changed without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from steward.app import load_models

    metadata = load_models().metadata
    db = Database(blank_url)
    try:
        upgrade(db)
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        db.dispose()
    assert diff == []
