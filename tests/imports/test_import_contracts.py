"""Contract import: rows are line items grouped by contract; amendments, never edits;
re-import and round trip change nothing; a bad row fails its whole contract."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from steward.accounts.models import Account
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import refresh_account_revenue
from steward.core.principal import Principal
from steward.imports.service import export_csv, import_csv
from tests.factories import Factory

HEADER = (
    "Contract Number,Account ID,Contract Start Date,Contract End Date,Contract Currency,"
    "Product Code,Quantity,Sales Price,Billing Frequency,Discount,Service Date\n"
)


def items_of(factory: Factory, external_id: str) -> list[LineItem]:
    with factory.db.session() as session:
        contract = session.scalar(select(Contract).where(Contract.external_id == external_id))
        return list(
            session.scalars(
                select(LineItem).where(LineItem.contract_id == contract.id).order_by(LineItem.id)
            )
        )


def test_contracts_import_as_line_items_then_amend_and_reimport(factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(external_id="ACME", owner_am_id=am.id)
    factory.product(sku="SEAT", list_price_minor=120_000)
    factory.product(sku="SUPPORT", list_price_minor=500_000)
    text = HEADER + (
        "K-1,ACME,2026-01-01,12/31/2026,USD,SEAT,10,1200.00,Annual,10,\n"
        "K-1,ACME,2026-01-01,12/31/2026,USD,SUPPORT,1,500.00,Quarterly,0,\n"
        "K-2,ACME,2026-01-01,2026-12-31,USD,NOPE,1,1,Annual,0,\n"
        "K-2,ACME,2026-01-01,2026-12-31,USD,SEAT,1,1,Annual,0,\n"
    )
    principal = Principal.of(am)
    first = import_csv(factory.db, principal, "contracts", io.StringIO(text))
    assert first.created == 2
    assert [(e.line, e.column) for e in first.errors] == [
        (4, "Product Code"),
        (5, "Contract Number"),  # the rest of K-2 is not imported either
    ]
    seat, support = items_of(factory, "K-1")
    assert (seat.quantity, seat.unit_price_minor, seat.discount_pct) == (10, 120_000, 10)
    assert seat.end_date == date(2027, 1, 1)  # Salesforce's end date is the last day covered
    assert support.billing_period == "quarterly"
    with factory.db.session() as session:
        # ARR on 2026-03-01: 10 × 1,200 × 90 % + 4 × 500 = 12,800.
        refresh_account_revenue(session, [account.id], date(2026, 3, 1))
        assert session.get(Account, account.id).arr_minor == 1_280_000

    again = import_csv(factory.db, principal, "contracts", io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    upsell = HEADER + "K-1,ACME,2026-01-01,12/31/2026,USD,SEAT,15,1200.00,Annual,10,2026-07-01\n"
    amended = import_csv(factory.db, principal, "contracts", io.StringIO(upsell))
    assert amended.updated == 1, amended.errors
    old, _, new = items_of(factory, "K-1")
    assert (new.quantity, new.start_date, new.supersedes_id, new.kind) == (
        15,
        date(2026, 7, 1),
        old.id,
        "upsell",
    )
    assert import_csv(factory.db, principal, "contracts", io.StringIO(upsell)).unchanged == 1

    no_date = HEADER + "K-1,ACME,2026-01-01,12/31/2026,USD,SEAT,20,1200.00,Annual,10,\n"
    refused = import_csv(factory.db, principal, "contracts", io.StringIO(no_date))
    assert refused.errors[0].column == "Service Date"

    out = io.StringIO()
    export_csv(factory.db, principal, "contracts", out, format="salesforce")
    back = import_csv(factory.db, principal, "contracts", io.StringIO(out.getvalue()))
    assert (back.created, back.updated, back.failed) == (0, 0, 0)
    assert back.unchanged == 3  # every item as counted: seats until amended, the amendment, support
