"""The workspace revision: bumped once by every committed transaction that changed business
data, whatever savepoints it held (cached pages are keyed by it)."""

from __future__ import annotations

from sqlalchemy import select

from steward.accounts.models import Account
from steward.db import Database
from steward.db.revision import current_revision
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
