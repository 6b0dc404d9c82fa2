"""One definition per notion (issue 19, defect 10): what a line item counts on a day and whether
a contract was renewed live in steward.contracts.terms; where a second form exists (SQL for
the database, SQL for DuckDB) these tests hold the forms equal on random contracts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from steward.accounts.models import Account
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import (
    ContractTerm,
    ItemTimeline,
    PricedItem,
    active_items,
    is_renewed,
    load_revenue_inputs,
    mrr,
    renewed_clause,
    renewed_sql,
    round_minor,
)
from steward.core.principal import SYSTEM
from steward.forecasts.repository import arr_on
from steward.revenue.repository import load_ledger
from tests.conftest import _wipe
from tests.factories import Factory

BASE = date(2026, 1, 1)

contract_shapes = st.lists(
    st.tuples(
        st.integers(0, 1),  # which account
        st.integers(0, 400),  # start, days after BASE
        st.integers(20, 400),  # length in days
        st.one_of(st.none(), st.integers(0, 7)),  # renews the contract at this position
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shapes=contract_shapes)
def test_renewed_means_the_same_in_python_sql_and_duckdb(factory: Factory, shapes) -> None:  # type: ignore[no-untyped-def]
    try:
        accounts = [factory.account(), factory.account()]
        made: list[Contract] = []
        for which, start, length, renews in shapes:
            account = accounts[which]
            target = made[renews] if renews is not None and renews < len(made) else None
            renewal_of = target.id if target and target.account_id == account.id else None
            made.append(
                factory.contract(
                    account,
                    start=BASE + timedelta(days=start),
                    end=BASE + timedelta(days=start + length),
                    renewal_of_id=renewal_of,
                    items=[],
                )
            )
        terms = {c.id: ContractTerm(c.id, c.start_date, c.end_date, c.renewal_of_id) for c in made}
        python = {
            c.id
            for c in made
            if is_renewed(terms[c.id], [terms[o.id] for o in made if o.account_id == c.account_id])
        }
        with factory.db.session() as session:
            sql = set(session.scalars(select(Contract.id).where(renewed_clause(Contract))))
            ledger = load_ledger(session, SYSTEM, "USD")
        with duckdb.connect() as duck:
            duck.register("contracts", ledger.contracts)
            in_duckdb = {
                row[0]
                for row in duck.sql(
                    f"SELECT d.contract_id FROM contracts d WHERE {renewed_sql('d')}"
                ).fetchall()
            }
        assert python == sql == in_duckdb
    finally:
        _wipe(factory.db)


def test_forecast_actuals_count_an_amended_item_once(factory: Factory) -> None:
    """Forecast-vs-actual ARR (arr_on) read each item alone, so a superseded item counted on
    top of its amendment (+9.9 % ARR): it must equal the account's ARR roll-up."""
    account = factory.account()
    contract = factory.contract(
        account,
        start=date(2026, 1, 1),
        end=date(2027, 1, 1),
        items=[{"quantity": 10, "unit_price_minor": 120_000}],
    )
    with factory.db.session() as session:
        original = session.scalar(select(LineItem).where(LineItem.contract_id == contract.id))
        assert original is not None
        original_id, product_id = original.id, original.product_id
    factory.line_item(
        contract,
        product_id=product_id,
        quantity=14,
        unit_price_minor=120_000,
        start_date=date(2026, 7, 1),
        supersedes_id=original_id,
    )
    day = date(2026, 9, 1)
    with factory.db.session() as session:
        items, _ = load_revenue_inputs(session, [account.id])
        expected = round_minor(12 * mrr(items[account.id], day))
        assert expected == 14 * 120_000
        assert arr_on(session, "USD", [(account.id, day)]) == {(account.id, day): expected}
        assert session.get(Account, account.id).arr_minor == expected  # the roll-up agrees


@st.composite
def priced_items(draw: st.DrawFn) -> list[PricedItem]:
    """Items of one account over two contracts, some amending (superseding) earlier ones."""
    items: list[PricedItem] = []
    for item_id in range(draw(st.integers(0, 7))):
        start = BASE + timedelta(days=draw(st.integers(0, 300)))
        earlier = [i.id for i in items]
        items.append(
            PricedItem(
                item_id,
                draw(st.integers(0, 1)),
                draw(st.integers(1, 20)),
                draw(st.integers(0, 100_000)),
                draw(st.sampled_from(["monthly", "quarterly", "annual", "one_time"])),
                Decimal(draw(st.integers(0, 30))),
                start,
                start + timedelta(days=draw(st.integers(1, 400))),
                draw(st.one_of(st.none(), st.sampled_from(earlier))) if earlier else None,
            )
        )
    return items


@settings(max_examples=300, deadline=None)
@given(items=priced_items(), days=st.lists(st.integers(-30, 760), max_size=25))
def test_an_item_timeline_answers_as_the_definitions_do(items: list[PricedItem], days) -> None:  # type: ignore[no-untyped-def]
    """ItemTimeline (the churn snapshots' way of asking one account's MRR for many days)
    gives what `active_items` and `mrr` give on every day, asked in any order; on the items'
    own start and end dates too, where an off-by-one would show."""
    timeline = ItemTimeline(items)
    edges = [d for i in items for d in (i.start_date, i.end_date)]
    for day in [BASE + timedelta(days=d) for d in days] + edges:
        assert timeline.active(day) == active_items(items, day), day
        assert timeline.mrr(day) == mrr(items, day), day
