"""The revenue fingerprint, taken once per workspace revision: it still follows every
committed write of what the engine reads, and a session's own uncommitted writes."""

from __future__ import annotations

from steward.contracts.models import LineItem
from steward.db import Database
from steward.revenue.service import revenue_fingerprint
from tests.factories import Factory


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
