"""The revenue fingerprint, taken once per workspace revision: it still follows every
committed write of what the engine reads, and a session's own uncommitted writes."""

from __future__ import annotations

from datetime import date

from steward.accounts.models import Account
from steward.contracts.models import LineItem
from steward.core.principal import Principal
from steward.db import Database
from steward.retention import service as retention
from steward.revenue import service
from steward.revenue.engine import GROUP_BY_VALUES
from steward.revenue.repository import load_ledger
from steward.revenue.service import revenue_fingerprint
from tests.factories import Factory
from tests.support.reads import tables_read, undeclared


def test_the_fingerprint_follows_commits_and_a_sessions_own_writes(
    db: Database, factory: Factory
) -> None:
    account = factory.account()
    contract = factory.contract(account)
    with db.session() as session:
        first = revenue_fingerprint(session)
        assert revenue_fingerprint(session) == first
    factory.line_item(contract)  # committed: a new revision
    with db.session() as session:
        second = revenue_fingerprint(session)
        assert second != first
        item = session.query(LineItem).filter_by(contract_id=contract.id).first()
        assert item is not None
        session.add(
            LineItem(
                contract_id=contract.id,
                product_id=item.product_id,
                quantity=1,
                unit_price_minor=100,
                billing_period="annual",
                start_date=item.start_date,
                end_date=item.end_date,
            )
        )
        session.flush()  # written, not committed: no revision names this state
        assert revenue_fingerprint(session) not in (first, second)
        session.rollback()
        assert revenue_fingerprint(session) == second


def test_the_fingerprint_names_every_table_the_engine_reads(
    workspace: dict, factory: Factory
) -> None:  # type: ignore[type-arg]
    """The cube is kept per state of `service.READS`: a table the ledger reads but the set
    does not name would leave every revenue figure stale."""
    team = factory.team()
    lead = factory.user("team_lead", team=team)
    factory.set_lead(team, lead)
    readers = [workspace["admin"], workspace["am"], Principal.of(lead)]
    readers += [Principal.of(factory.user(role)) for role in ("csm", "strategist", "vp")]
    read: set[str] = set()
    for principal in readers:
        with factory.reading_as(principal) as session, tables_read(factory.db.engine) as seen:
            load_ledger(session, principal, "USD", date(2025, 6, 15))
        read |= seen
    assert read and not undeclared(read, service.READS), ", ".join(sorted(read))


def test_a_logged_call_keeps_the_fingerprint(workspace: dict, factory: Factory) -> None:  # type: ignore[type-arg]
    """A logged call moves the account's last touch, which the engine does not read."""
    with factory.db.session() as session:
        before = revenue_fingerprint(session)
        account = session.get_one(Account, workspace["globex"])
    factory.activity(account)
    with factory.db.session() as session:
        assert revenue_fingerprint(session) == before


def test_every_figure_kept_per_fingerprint_reads_only_what_it_names(
    workspace: dict, factory: Factory
) -> None:  # type: ignore[type-arg]
    """The revenue reports, trends, cohorts and the retention fits are kept per
    `revenue_state`: they may read no table the fingerprint does not name."""
    today = date(2025, 6, 17)  # a day no other test keeps a cube for: built inside the block
    admin = workspace["admin"]
    with factory.reading_as(admin) as session, tables_read(factory.db.engine) as read:
        for by in GROUP_BY_VALUES:
            service._revenue_report(session, admin, "USD", None, None, by, today)
            service._retention_trend(session, admin, "USD", None, None, by, 3, today)
        service._cohort_table(session, admin, "USD", None, None, "month", today)
        for by in retention.GROUPINGS:
            retention._retention_report(session, admin, "USD", by, today, 0.1, 0.8)
    assert read and not undeclared(read, service.READS), ", ".join(sorted(read))
