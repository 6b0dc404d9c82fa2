"""Opportunity import: Salesforce stages and dates, closed history without hand-offs, closing
an open deal by re-import (with its hand-off), idempotent re-import, round trip."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from steward.core.principal import Principal
from steward.imports.service import export_csv, import_csv
from steward.opportunities.models import Opportunity
from steward.tasks.models import Task
from tests.factories import Factory

HEADER = (
    "Opportunity ID,Account ID,Opportunity Name,Type,Stage,Amount,Close Date,"
    "Opportunity Owner Email,Loss Reason\n"
)


def opportunities(factory: Factory) -> dict[str, Opportunity]:
    with factory.db.session() as session:
        found = session.scalars(select(Opportunity).where(Opportunity.external_id.is_not(None)))
        return {o.external_id: o for o in found}


def test_salesforce_opportunities_import_history_and_open_deals(factory: Factory) -> None:
    ae, am = factory.user("ae"), factory.user("am")
    factory.user("csm")
    account = factory.account(external_id="ACME", ae_id=ae.id, owner_am_id=am.id)
    text = HEADER + (
        f'O-1,ACME,Acme expansion,Existing Business,Proposal/Price Quote,"$12,500.00",'
        f"12/20/2026,{am.email},\n"
        f"O-2,ACME,Acme 2024 deal,New Business,Closed Won,40000,2024-03-01,{ae.email},\n"
        f"O-3,ACME,Acme add-on,Upsell,Closed Lost,5000,2025-06-30,{am.email},Budget cut\n"
        f"O-4,ACME,Acme new deal,New Business,Negotiation/Review,90000,2027-01-15,{ae.email},\n"
        f"O-5,ACME,Bad stage,Upsell,Dreaming,1,2027-01-15,{am.email},\n"
        f"O-6,ACME,Bad date,Upsell,Prospecting,1,next week,{am.email},\n"
    )
    admin = Principal.of(factory.user("admin"))
    first = import_csv(factory.db, admin, "opportunities", io.StringIO(text))
    assert first.created == 4
    assert [(e.line, e.column) for e in first.errors] == [(6, "Stage"), (7, "Close Date")]
    found = opportunities(factory)
    assert (found["O-1"].stage, found["O-1"].amount_minor, found["O-1"].type) == (
        "proposal",
        1_250_000,
        "upsell",
    )
    assert found["O-1"].close_date == date(2026, 12, 20) and found["O-1"].probability == 60
    assert (found["O-2"].stage, found["O-2"].probability) == ("closed_won", 100)
    assert found["O-2"].closed_at.date() == date(2024, 3, 1)
    assert (found["O-3"].stage, found["O-3"].close_reason) == ("closed_lost", "Budget cut")
    with factory.db.session() as session:
        # History does not hand anything off.
        assert session.scalars(select(Task).where(Task.account_id == account.id)).all() == []

    again = import_csv(factory.db, admin, "opportunities", io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    won = HEADER + f"O-4,ACME,Acme new deal,New Business,Closed Won,90000,2027-01-15,{ae.email},\n"
    closed = import_csv(factory.db, admin, "opportunities", io.StringIO(won))
    assert closed.updated == 1, closed.errors
    assert opportunities(factory)["O-4"].stage == "closed_won"
    with factory.db.session() as session:
        handoff = session.scalars(select(Task).where(Task.account_id == account.id)).all()
        assert len(handoff) == 2  # the AM and CSM hand-off tasks, as when closed on the page

    out = io.StringIO()
    export_csv(factory.db, admin, "opportunities", out, format="salesforce")
    back = import_csv(factory.db, admin, "opportunities", io.StringIO(out.getvalue()))
    assert (back.created, back.updated, back.failed) == (0, 0, 0)
