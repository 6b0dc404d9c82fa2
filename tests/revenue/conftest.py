"""The hand-computed revenue workspace shared by the engine, API and CLI tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from steward.core.principal import Principal
from steward.fx.models import ExchangeRate
from tests.factories import Factory


@pytest.fixture
def workspace(factory: Factory):
    """Hand-computed scenario (amounts are ARR in USD):

    Acme   annual 10 × 1,200 from 2024-01-01 (12,000); amended 2024-06-15 to 15 seats (18,000);
           renewed 2025-01-01 with 20 % discount (14,400); a one-time fee that never counts.
    Beta   quarterly 3,000 from 2024-02-10 to 2024-08-10 (12,000), churns in August;
           comes back 2024-11-01 monthly 500 (6,000): a reactivation.
    Euro   EUR 10,000 for 2024 at 1.10 until June, 1.05 from July (11,000 → 10,500).
    Globex parent of Globex Labs: Labs annual 2,400 from 2024-03-01 to 2025-03-01, Globex
           monthly 100 from 2024-04-01 to 2025-04-01 (1,200): one unit, 2,400 → 3,600.
    """
    am = factory.user("am")
    acme = factory.account(name="Acme", segment="enterprise", owner_am_id=am.id)
    beta = factory.account(name="Beta", segment="smb")
    euro = factory.account(name="Euro GmbH", segment="mid_market")
    globex = factory.account(name="Globex", segment="enterprise")
    labs = factory.account(name="Globex Labs", segment="smb", parent_id=globex.id)
    product = factory.product()

    first = factory.contract(acme, start=date(2024, 1, 1), end=date(2025, 1, 1), items=[])
    seats = factory.line_item(first, product_id=product.id, quantity=10, unit_price_minor=120_000)
    factory.line_item(
        first,
        product_id=product.id,
        quantity=15,
        unit_price_minor=120_000,
        start_date=date(2024, 6, 15),
        supersedes_id=seats.id,
        kind="upsell",
    )
    factory.line_item(first, unit_price_minor=500_000, billing_period="one_time")
    factory.contract(
        acme,
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        items=[{"quantity": 15, "unit_price_minor": 120_000, "discount_pct": Decimal("20")}],
        renewal_of_id=first.id,
    )
    factory.contract(
        beta,
        start=date(2024, 2, 10),
        end=date(2024, 8, 10),
        items=[{"quantity": 1, "unit_price_minor": 300_000, "billing_period": "quarterly"}],
    )
    factory.contract(
        beta,
        start=date(2024, 11, 1),
        end=date(2025, 11, 1),
        items=[{"quantity": 1, "unit_price_minor": 50_000, "billing_period": "monthly"}],
    )
    factory.contract(
        euro,
        start=date(2024, 1, 1),
        end=date(2025, 1, 1),
        currency="EUR",
        items=[{"quantity": 1, "unit_price_minor": 1_000_000}],
    )
    factory.contract(
        labs,
        start=date(2024, 3, 1),
        end=date(2025, 3, 1),
        items=[{"quantity": 1, "unit_price_minor": 240_000}],
    )
    factory.contract(
        globex,
        start=date(2024, 4, 1),
        end=date(2025, 4, 1),
        items=[{"quantity": 1, "unit_price_minor": 10_000, "billing_period": "monthly"}],
    )
    factory._save(ExchangeRate(currency="EUR", month=date(2024, 1, 1), rate=Decimal("1.10")))
    factory._save(ExchangeRate(currency="EUR", month=date(2024, 7, 1), rate=Decimal("1.05")))
    admin = factory.user("admin")
    return {
        "admin": Principal.of(admin),
        "am": Principal.of(am),
        "admin_user": admin,
        "am_user": am,
        "globex": globex.id,
    }
