"""Exchange rates from CSV: Steward's columns, Salesforce's inverse rates, admins only."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from steward.core.principal import Principal
from steward.fx.models import ExchangeRate
from steward.imports.service import export_csv, import_csv
from tests.factories import Factory


def rates(factory: Factory) -> dict[tuple[str, date], Decimal]:
    with factory.db.session() as session:
        return {
            (r.currency, r.month): Decimal(r.rate) for r in session.scalars(select(ExchangeRate))
        }


def test_rates_import_both_formats_and_reimport_changes_nothing(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    text = (
        "currency,month,rate\n"
        "EUR,2024-01,1.10\neur,2024-02-15,1.08\nEURO,2024-03,1\nGBP,2024-01,-2\n"
    )
    report = import_csv(factory.db, admin, "fx-rates", io.StringIO(text))
    assert report.created == 2
    assert [(e.line, e.column) for e in report.errors] == [(4, "currency"), (5, "rate")]
    salesforce = "IsoCode,StartDate,ConversionRate\nGBP,2024-01-01,0.8\nEUR,2024-01-01,0.8\n"
    second = import_csv(factory.db, admin, "fx-rates", io.StringIO(salesforce))
    assert (second.created, second.updated) == (1, 1)
    found = rates(factory)
    assert found[("GBP", date(2024, 1, 1))] == Decimal("1.25000000")
    assert found[("EUR", date(2024, 2, 1))] == Decimal("1.08000000")
    again = import_csv(factory.db, admin, "fx-rates", io.StringIO(salesforce))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    out = io.StringIO()
    export_csv(factory.db, admin, "fx-rates", out, format="salesforce")
    assert out.getvalue().splitlines()[0] == "IsoCode,StartDate,ConversionRate"
    back = import_csv(factory.db, admin, "fx-rates", io.StringIO(out.getvalue()))
    assert back.failed == 0 and back.created == 0


def test_only_admins_import_rates_and_reports_convert_with_them(client, factory: Factory) -> None:
    am, admin = factory.user("am"), factory.user("admin")
    upload = {"file": ("rates.csv", b"currency,month,rate\nEUR,2024-01,1.5\n", "text/csv")}
    refused = client.post("/api/v1/imports/fx-rates", files=upload, headers=factory.headers(am))
    assert refused.status_code == 403
    account = factory.account(owner_am_id=am.id)
    factory.contract(
        account,
        start=date(2024, 1, 1),
        end=date(2025, 1, 1),
        currency="EUR",
        items=[{"quantity": 1, "unit_price_minor": 1_000_000}],
    )
    headers = factory.headers(admin)
    url = "/api/v1/metrics/revenue?from=2024-01&to=2024-06"
    missing = client.get(url, headers=headers)
    assert missing.status_code == 409 and "EUR" in missing.json()["detail"]
    done = client.post("/api/v1/imports/fx-rates", files=upload, headers=headers)
    assert done.json()["created"] == 1
    report = client.get(url, headers=headers).json()
    assert "groups" in report, report
    assert report["groups"][0]["waterfall"]["end_arr"] == "15000.00"
