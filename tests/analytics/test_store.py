"""Events ingested through /v1/batch reach the analytics store and the rollups, with seats
from per-seat contract lines (amendments included)."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from pathlib import Path

from steward.analytics.store import AnalyticsStore, accounts_input
from steward.analytics.usage_rollups import account_usage
from steward.usage.service import create_source
from tests.factories import Factory

TODAY = date(2026, 11, 20)


def test_ingested_events_flow_into_usage_rollups(client, factory: Factory, tmp_path: Path) -> None:
    acme = factory.account(external_id="ACME", domain="acme.example")
    quiet = factory.account(external_id="QUIET")
    seat = factory.product(is_per_seat=True)
    contract = factory.contract(
        acme,
        start=date(2026, 1, 1),
        end=date(2027, 1, 1),
        items=[{"product_id": seat.id, "quantity": 8}, {"quantity": 1}],  # + a non-seat item
    )
    factory.line_item(
        contract,
        product_id=seat.id,
        quantity=10,
        start_date=date(2026, 6, 1),
        supersedes_id=_seat_item_id(factory, contract.id, seat.id),
    )
    factory.contract(
        quiet,
        start=date(2026, 1, 1),
        end=date(2027, 1, 1),
        items=[{"product_id": seat.id, "quantity": 3}],
    )
    with factory.db.session() as session:
        _, key = create_source(session, "app", actor_id=None)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}

    def event(n: int, user: str, days_ago: int, group: str | None = "ACME") -> dict:  # type: ignore[type-arg]
        day = TODAY - timedelta(days=days_ago)
        return {
            "type": "track",
            "event": "Login",
            "userId": user,
            "messageId": f"e{n}",
            "context": {"groupId": group} if group else {},
            "timestamp": f"{day.isoformat()}T09:00:00Z",
        }

    batch = [
        event(1, "a", 0),
        event(2, "b", 3),
        event(3, "c", 40),
        event(4, "d", 1, "acme.example"),
    ]
    assert client.post("/v1/batch", json={"batch": batch}, headers=headers).status_code == 200
    store = AnalyticsStore(tmp_path / "analytics.duckdb")
    assert store.sync(factory.db) == 4
    late = [event(5, "e", 2)]
    assert client.post("/v1/batch", json={"batch": late}, headers=headers).status_code == 200
    assert store.sync(factory.db) == 1  # only what is new
    assert store.sync(factory.db) == 0

    accounts = store.con.create_table("accounts", accounts_input(factory.db, TODAY))
    usage = store.con.execute(account_usage(store.events, accounts, TODAY)).set_index("account_id")
    assert usage.loc[acme.id, "active_users_30d"] == 4  # a, b, d (by domain), e
    assert usage.loc[acme.id, "active_users_prior_30d"] == 1  # c
    assert usage.loc[acme.id, "utilisation"] == 4 / 10  # the amended seat count
    assert usage.loc[quiet.id, "active_users_30d"] == 0
    assert usage.loc[quiet.id, "utilisation"] == 0.0
    store.close()


def _seat_item_id(factory: Factory, contract_id: int, product_id: int) -> int:
    from sqlalchemy import select

    from steward.contracts.models import LineItem

    with factory.db.session() as session:
        return int(
            session.scalar(
                select(LineItem.id).where(
                    LineItem.contract_id == contract_id, LineItem.product_id == product_id
                )
            )
        )
