"""Whatever Steward exports it reads back unchanged (issue 19, defect 2): random workspaces
(Hypothesis) → export every kind in each format → import into an empty workspace (users and
products created first) → the empty workspace exports the same records, and its revenue is
the same month by month. Records made in Steward (no external id) and formula-like text come
along."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from steward.core.principal import SYSTEM, Principal
from steward.db import Database
from steward.db.migrate import upgrade
from steward.fx.models import ExchangeRate
from steward.imports.columns import FORMATS
from steward.imports.service import export_csv, import_csv
from steward.revenue.engine import RevenueCube
from steward.revenue.ledger import month_index
from steward.revenue.repository import load_ledger
from steward.users.models import User
from tests.conftest import _wipe
from tests.factories import Factory

KINDS = ("fx-rates", "accounts", "contacts", "opportunities", "contracts")
BASE = date(2024, 1, 1)
SKUS = ("SEAT", "SUPPORT")

text = st.from_regex(r"[=+\-@]?[A-Za-zéß0-9][A-Za-zéß0-9 .]{0,12}[A-Za-z0-9]", fullmatch=True)
item = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(SKUS),
        "quantity": st.integers(1, 50),
        "price": st.integers(1, 500_000),
        "period": st.sampled_from(["monthly", "quarterly", "annual", "one_time"]),
        "discount": st.sampled_from([Decimal(0), Decimal("10.00"), Decimal("12.50")]),
        "amend_after": st.one_of(st.none(), st.integers(10, 300)),
        "amend_quantity": st.integers(1, 60),
    }
)
workspace = st.fixed_dictionaries(
    {
        "accounts": st.lists(
            st.fixed_dictionaries(
                {
                    "name": text,
                    "external": st.booleans(),
                    "segment": st.sampled_from(["smb", "mid_market", "enterprise"]),
                    "tier": st.sampled_from(["standard", "key", "strategic"]),
                    "parent": st.one_of(st.none(), st.integers(0, 3)),
                }
            ),
            min_size=1,
            max_size=4,
        ),
        "contacts": st.lists(st.tuples(st.integers(0, 3), text, text, st.booleans()), max_size=3),
        "deals": st.lists(
            st.tuples(
                st.integers(0, 3),
                text,
                st.integers(0, 10_000_000),
                st.sampled_from(["prospecting", "qualification", "proposal", "negotiation"]),
                st.integers(0, 700),
                st.booleans(),
            ),
            max_size=3,
        ),
        "contracts": st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(0, 700),  # start, days after BASE
                st.integers(30, 800),  # length
                st.sampled_from(["USD", "EUR"]),
                st.booleans(),  # has an external id
                st.lists(item, min_size=1, max_size=2),
            ),
            max_size=4,
        ),
    }
)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Database]:
    """An empty workspace (SQLite file) to import into."""
    db = Database(f"sqlite:///{tmp_path / 'target.db'}")
    upgrade(db)
    yield db
    db.dispose()


def _people_and_products(factory: Factory) -> tuple[User, User, dict[str, int]]:
    admin = factory.user("admin", email="admin@roundtrip.example")
    am = factory.user("am", email="am@roundtrip.example")
    products = {sku: factory.product(sku=sku).id for sku in SKUS}
    return admin, am, products


def _build(factory: Factory, spec: dict[str, Any], am: User, products: dict[str, int]) -> None:
    factory._save(ExchangeRate(currency="EUR", month=date(2000, 1, 1), rate=Decimal("1.1")))
    factory._save(ExchangeRate(currency="EUR", month=date(2025, 3, 1), rate=Decimal("1.17")))
    accounts = []
    for n, a in enumerate(spec["accounts"]):
        parent = accounts[a["parent"]] if a["parent"] is not None and a["parent"] < n else None
        accounts.append(
            factory.account(
                name=a["name"],
                external_id=f"ACC-{n}" if a["external"] else None,
                segment=a["segment"],
                tier=a["tier"],
                owner_am_id=am.id,
                parent_id=parent.id if parent else None,
            )
        )

    def of(index: int) -> Any:
        return accounts[index % len(accounts)]

    for which, first, last, has_email in spec["contacts"]:
        factory.contact(
            of(which),
            first_name=first,
            last_name=last,
            email=f"{len(first)}.{abs(hash(last)) % 9999}@c.example" if has_email else None,
        )
    for n, (which, name, amount, stage, days, external) in enumerate(spec["deals"]):
        factory.opportunity(
            of(which),
            name=name,
            amount_minor=amount,
            stage=stage,
            close_date=BASE + timedelta(days=days),
            owner_id=am.id,
            external_id=f"OPP-{n}" if external else None,
        )
    for n, (which, start, length, currency, external, items) in enumerate(spec["contracts"]):
        begin, end = BASE + timedelta(days=start), BASE + timedelta(days=start + length)
        contract = factory.contract(
            of(which),
            start=begin,
            end=end,
            currency=currency,
            external_id=f"K-{n}" if external else None,
            items=[
                {
                    "product_id": products[i["sku"]],
                    "quantity": i["quantity"],
                    "unit_price_minor": i["price"],
                    "billing_period": i["period"],
                    "discount_pct": i["discount"],
                }
                for i in items
            ],
        )
        for i in items:
            if i["amend_after"] is not None and i["amend_after"] < length:
                old = _item_id(factory, contract.id, products[i["sku"]], i["quantity"])
                factory.line_item(
                    contract,
                    product_id=products[i["sku"]],
                    quantity=i["amend_quantity"],
                    unit_price_minor=i["price"],
                    billing_period=i["period"],
                    discount_pct=i["discount"],
                    start_date=begin + timedelta(days=i["amend_after"]),
                    end_date=end,
                    supersedes_id=old,
                )


def _item_id(factory: Factory, contract_id: int, product_id: int, quantity: int) -> int:
    from sqlalchemy import select

    from steward.contracts.models import LineItem

    with factory.db.session() as session:
        found = session.scalars(
            select(LineItem.id).where(
                LineItem.contract_id == contract_id,
                LineItem.product_id == product_id,
                LineItem.supersedes_id.is_(None),
            )
        ).first()
        assert found is not None
        return found


def _export(db: Database, principal: Principal, kind: str, format: str) -> str:
    out = io.StringIO()
    export_csv(db, principal, kind, out, format=format)
    return out.getvalue()


def _monthly_arr(db: Database) -> dict[str, dict[int, int]]:
    with db.session() as session:
        cube = RevenueCube(load_ledger(session, SYSTEM, "USD", as_of=date(2030, 1, 1)))
    try:
        return cube.arr_by_month(month_index(BASE) - 1, month_index(BASE) + 40)
    finally:
        cube.close()


@pytest.mark.parametrize("format", FORMATS)
@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is shown unshrunk
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=workspace)
def test_every_kind_exports_and_reimports_into_an_empty_workspace(
    factory: Factory, target: Database, format: str, spec: dict[str, Any]
) -> None:
    try:
        admin, am, products = _people_and_products(factory)
        _build(factory, spec, am, products)
        there = Factory(target)
        target_admin, _, _ = _people_and_products(there)
        exported = {k: _export(factory.db, Principal.of(admin), k, format) for k in KINDS}
        for kind in KINDS:
            report = import_csv(
                target, Principal.of(target_admin), kind, io.StringIO(exported[kind])
            )
            assert report.errors == [], (kind, report.errors[:3], exported[kind][:500])
            again = import_csv(factory.db, Principal.of(admin), kind, io.StringIO(exported[kind]))
            assert (again.created, again.updated, again.errors) == (0, 0, []), kind
        for kind in KINDS:
            assert _export(target, Principal.of(target_admin), kind, format) == exported[kind]
        assert _monthly_arr(target) == _monthly_arr(factory.db)
    finally:
        _wipe(factory.db)
        _wipe(target)
