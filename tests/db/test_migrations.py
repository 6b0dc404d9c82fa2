"""Upgrades (issue 7 §8): a database made by the first released schema, with data in it,
upgrades to head; a migration killed midway leaves the schema as it was and simply runs
again (no stale lock), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select, text

from steward.db import Database
from steward.db.migrate import current_revision, head_revision, upgrade
from steward.usage.models import UsageEvent
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


def test_usage_instants_written_without_a_fraction_are_given_the_orms_form(
    blank_db: Database,
) -> None:
    """Events the batch writer stored on SQLite as '… 11:00:00' (before 0035) are found by a
    query from that very instant once migrated."""
    upgrade(blank_db, "0034")
    with blank_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO usage_sources (id, name, write_key_hash, key_prefix, created_at) "
                "VALUES (1, 'web', 'h', 'p', '2026-08-01 00:00:00.000000')"
            )
        )
        for message_id, moment in [("whole", "2026-08-09 11:00:00"), ("later", LATER)]:
            conn.execute(
                text(
                    "INSERT INTO usage_events (source_id, message_id, type, event, user_id, "
                    "timestamp, received_at, payload) "
                    "VALUES (1, :id, 'track', 'Login', 'u-1', :at, :at, '{}')"
                ),
                {"id": message_id, "at": moment},
            )
    upgrade(blank_db)
    whole = datetime(2026, 8, 9, 11, 0, tzinfo=UTC)
    with blank_db.session() as session:
        found = session.scalars(
            select(UsageEvent.message_id)
            .where(UsageEvent.timestamp >= whole, UsageEvent.received_at >= whole)
            .order_by(UsageEvent.message_id)
        ).all()
        later = session.scalar(select(UsageEvent.timestamp).where(UsageEvent.message_id == "later"))
    assert found == ["later", "whole"]
    assert later == datetime(2026, 8, 9, 11, 0, 0, 123000, tzinfo=UTC)


LATER = "2026-08-09 11:00:00.123000"
