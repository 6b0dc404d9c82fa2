"""Events that live in the customer's warehouse (here PostgreSQL): scoring reads that table
where it is, with the same rollups, and gets the hand-computed figures; nothing is copied."""

from __future__ import annotations

import uuid
from datetime import date

import orjson
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from steward.analytics.store import WarehouseStore, event_source
from steward.config import Settings
from steward.health.models import HealthScore
from steward.health.service import compute_scores
from tests.analytics.usage_scenario import AS_OF, EXPECTED, KEY_EVENTS, events_frame
from tests.conftest import PG_URL, missing_service
from tests.factories import Factory


@pytest.fixture
def warehouse_table():  # type: ignore[no-untyped-def]
    """A schema of its own in PostgreSQL holding the scenario's events."""
    url = make_url(PG_URL)
    schema = f"warehouse_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception:
        missing_service("PostgreSQL at 127.0.0.1:5432 (as a warehouse)")
    frame = events_frame()
    frame.to_sql("product_events", engine, schema=schema, index=False)
    ibis_url = url.set(drivername="postgres").render_as_string(hide_password=False)
    yield ibis_url, f"{schema}.product_events"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_scoring_reads_the_warehouse_table(factory: Factory, warehouse_table, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ibis_url, table = warehouse_table
    seat = factory.product(is_per_seat=True)
    accounts = {}
    for n, (key, domain, seats) in enumerate(
        (("ACC-1", "one.example", 10), ("ACC-2", "two.example", 4), ("ACC-3", "three.example", 5)),
        start=1,
    ):
        account = factory.account(external_id=key, domain=domain)
        factory.contract(
            account,
            start=date(2026, 1, 1),
            end=date(2027, 1, 1),
            items=[{"product_id": seat.id, "quantity": seats}],
        )
        accounts[account.id] = n
    settings = Settings(data_dir=tmp_path, usage_warehouse_url=ibis_url, usage_events_table=table)
    with event_source(settings) as source:
        assert isinstance(source, WarehouseStore)
        run = compute_scores(factory.db, source, AS_OF, KEY_EVENTS)
    assert run.events_synced == 0 and not (tmp_path / "analytics.duckdb").exists()
    with factory.db.session() as session:
        usage = {
            accounts[a]: orjson.loads(u)
            for a, u in session.execute(select(HealthScore.account_id, HealthScore.usage))
        }
    for n, expected in EXPECTED.items():
        for name in ("active_users_1d", "active_users_7d", "active_users_30d", "events_30d"):
            assert usage[n][name] == expected[name], (n, name)
        assert usage[n]["utilisation"] == pytest.approx(expected["utilisation"])
        assert usage[n]["features"][0]["adoption"] == expected["feature_0_adoption"]


def test_a_warehouse_without_a_table_name_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, usage_warehouse_url="duckdb://")
    with pytest.raises(ValueError, match="STEWARD_USAGE_EVENTS_TABLE"), event_source(settings):
        pass
