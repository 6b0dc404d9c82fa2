"""Contact import: Salesforce headers, accounts by external id, book rules, round trip."""

from __future__ import annotations

import io

from sqlalchemy import select

from steward.contacts.models import Contact
from steward.core.principal import Principal
from steward.imports.service import export_csv, import_csv
from tests.factories import Factory

HEADER = "Contact ID,Account ID,First Name,Last Name,Email,Title,Contact Role\n"


def test_contacts_import_by_account_external_id_and_reimport_changes_nothing(
    factory: Factory,
) -> None:
    am, other = factory.user("am"), factory.user("am")
    factory.account(external_id="ACME", owner_am_id=am.id)
    factory.account(external_id="ELSEWHERE", owner_am_id=other.id)
    text = HEADER + (
        "C-1,ACME,Ada,Lovelace,ADA@acme.example,CTO,Decision Maker\n"
        "C-2,ACME,Grace,Hopper,grace@acme.example,VP Eng,Business User\n"
        "C-3,NOPE,Alan,Turing,alan@x.example,,\n"
        "C-4,ACME,Bad,Email,not-an-email,,\n"
        "C-5,ELSEWHERE,Not,Mine,n@else.example,,\n"
        "C-6,ACME,Linus,Torvalds,linus@acme.example,,Other\n"
    )
    principal = Principal.of(am)
    first = import_csv(factory.db, principal, "contacts", io.StringIO(text))
    assert first.created == 3
    assert [(e.line, e.column) for e in first.errors] == [
        (4, "Account ID"),
        (5, "Email"),
        (6, "Account ID"),
    ]
    with factory.db.session() as session:
        ada = session.scalar(select(Contact).where(Contact.external_id == "C-1"))
        assert (ada.email, ada.deal_role, ada.title) == (
            "ada@acme.example",
            "decision_maker",
            "CTO",
        )
        grace = session.scalar(select(Contact).where(Contact.external_id == "C-2"))
        assert grace.deal_role == "user"
    again = import_csv(factory.db, principal, "contacts", io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    out = io.StringIO()
    assert export_csv(factory.db, principal, "contacts", out, format="salesforce") == 3
    assert out.getvalue().startswith("Contact ID,Account ID,First Name")
    back = import_csv(factory.db, principal, "contacts", io.StringIO(out.getvalue()))
    assert (back.unchanged, back.failed) == (3, 0)

    moved = HEADER + "C-2,ACME,Grace,Hopper,grace@acme.example,SVP Eng,Champion\n"
    update = import_csv(factory.db, principal, "contacts", io.StringIO(moved))
    assert update.updated == 1
    # Another AM cannot see ACME, so its contacts cannot be touched (nor ACME's existence told).
    outsider = import_csv(factory.db, Principal.of(other), "contacts", io.StringIO(moved))
    assert outsider.failed == 1 and outsider.errors[0].column == "Account ID"
    with factory.db.session() as session:
        grace = session.scalar(select(Contact).where(Contact.external_id == "C-2"))
        assert (grace.title, grace.deal_role) == ("SVP Eng", "champion")
