"""The workspace revision: bumped once by every committed transaction that changed business
data, whatever savepoints it held (cached pages are keyed by it)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from steward.accounts.models import Account
from steward.db import Database
from steward.db.revision import ANY_TABLE, current_revision, table_revisions, tables_state
from tests.factories import Factory


def _revision(db: Database) -> int:
    with db.session_factory() as session:
        return current_revision(session)


def test_savepoints_bump_the_revision_once_when_the_transaction_commits(
    db: Database, factory: Factory
) -> None:
    """A rule run fires each event in a savepoint: thousands of savepoints, one transaction,
    one bump (each savepoint's own bump was an UPDATE per firing, and a revision that moved
    thousands of times for one change)."""
    ids = [factory.account().id for _ in range(3)]
    before = _revision(db)
    session = db.session_factory()
    try:
        for n, account_id in enumerate(ids):
            with session.begin_nested():
                session.get_one(Account, account_id).name = f"renamed {n}"
        session.commit()
    finally:
        session.close()
    assert _revision(db) == before + 1


def test_a_rolled_back_savepoint_keeps_the_changes_made_before_it_counted(
    db: Database, factory: Factory
) -> None:
    """Written, then a savepoint that fails and rolls back (a firing another worker made
    first), then committed: the write before it is committed, so the revision must move, or
    every cached page keeps showing the old data."""
    account_id = factory.account().id
    other = factory.account().id
    before = _revision(db)
    session = db.session_factory()
    try:
        session.get_one(Account, account_id).name = "written before the savepoint"
        session.flush()
        nested = session.begin_nested()
        session.get_one(Account, other).name = "undone"
        session.flush()
        nested.rollback()
        session.commit()
    finally:
        session.close()
    assert _revision(db) == before + 1
    with db.session_factory() as session:
        names = dict(session.execute(select(Account.id, Account.name)).tuples().all())
    assert names[account_id] == "written before the savepoint"
    assert names[other] != "undone"


def test_a_transaction_that_wrote_nothing_or_rolled_back_leaves_the_revision(
    db: Database, factory: Factory
) -> None:
    account_id = factory.account().id
    before = _revision(db)
    with db.session() as session:
        session.get_one(Account, account_id)
    session = db.session_factory()
    try:
        with session.begin_nested():
            session.get_one(Account, account_id).name = "never committed"
        session.rollback()
    finally:
        session.close()
    assert _revision(db) == before


def test_committing_with_a_savepoint_still_open_bumps_the_revision(
    db: Database, factory: Factory
) -> None:
    """Session.commit() inside a savepoint commits it and the transaction: one bump."""
    account_id = factory.account().id
    before = _revision(db)
    session = db.session_factory()
    try:
        session.begin_nested()
        session.get_one(Account, account_id).name = "committed from inside a savepoint"
        session.commit()
    finally:
        session.close()
    assert _revision(db) == before + 1


def _state(db: Database, *tables: str) -> int:
    with db.session_factory() as session:
        return tables_state(session, frozenset(tables))[1]


def test_each_table_keeps_the_revision_of_its_last_change(db: Database, factory: Factory) -> None:
    """A write moves the state of the tables it wrote, and of no other: a figure that reads
    contracts is still current after an account is renamed."""
    account = factory.account()
    factory.contract(account)
    contracts, accounts = _state(db, "contracts"), _state(db, "accounts")
    with db.session() as session:
        session.get_one(Account, account.id).name = "renamed"
    assert _state(db, "contracts") == contracts
    assert _state(db, "accounts") == _revision(db) > accounts
    assert _state(db, "contracts", "accounts") == _revision(db)


def test_a_bulk_statement_marks_the_table_it_writes(db: Database, factory: Factory) -> None:
    account = factory.account()
    contracts = _state(db, "contracts")
    with db.session() as session:
        session.execute(update(Account).where(Account.id == account.id).values(name="bulk"))
    assert _state(db, "accounts") == _revision(db)
    assert _state(db, "contracts") == contracts


def test_a_logged_activity_changes_activities_not_the_account(
    db: Database, factory: Factory
) -> None:
    """The account's last touch is kept from its activities: writing it marks activities
    (which readers of the column declare), so a forecast over accounts stays kept."""
    account = factory.account()
    accounts, activities = _state(db, "accounts"), _state(db, "activities")
    factory.activity(account)
    with db.session_factory() as session:
        assert session.get_one(Account, account.id).last_touch_at is not None
    assert _state(db, "accounts") == accounts
    assert _state(db, "activities") == _revision(db) > activities


def test_every_table_moves_with_the_row_of_every_table(db: Database, factory: Factory) -> None:
    """'*' (set by the migration, and by anything that changed tables it could not name)
    is part of every table's state."""
    factory.account()
    before = _state(db, "contracts")
    with db.engine.begin() as connection:
        connection.execute(delete(table_revisions).where(table_revisions.c.name == ANY_TABLE))
        connection.execute(insert(table_revisions).values(name=ANY_TABLE, revision=before + 10))
    assert _state(db, "contracts") == before + 10
