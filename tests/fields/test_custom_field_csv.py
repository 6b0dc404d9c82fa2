"""Custom fields in CSV files (issue 25 §1): values survive import → export → import, columns are
found by `cf.<key>`, key, Salesforce API name (`<key>__c`) or label, and a bad cell is reported
on its line and column with nothing of that row saved."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.core.principal import Principal
from steward.imports.service import export_csv, import_csv
from tests.factories import Factory

DECLARED: list[dict[str, Any]] = [
    {
        "entity": "account",
        "key": "region",
        "label": "Sales Region",
        "type": "picklist",
        "options": ["EMEA", "AMER", "APAC"],
    },
    {"entity": "account", "key": "seats", "label": "Seats bought", "type": "number"},
    {"entity": "account", "key": "budget", "label": "Budget", "type": "money"},
    {"entity": "account", "key": "go_live", "label": "Go-live", "type": "date"},
    {"entity": "account", "key": "reference", "label": "Reference", "type": "boolean"},
    {
        "entity": "account",
        "key": "modules",
        "label": "Modules",
        "type": "multi_picklist",
        "options": ["Core", "Analytics", "API"],
    },
    {"entity": "account", "key": "motto", "label": "Motto", "type": "text"},
]


def _declare(client: Any, factory: Factory) -> Any:
    admin = factory.user("admin")
    for spec in DECLARED:
        answer = client.post("/api/v1/custom-fields", json=spec, headers=factory.headers(admin))
        assert answer.status_code == 201, answer.text
    return admin


def _values(client: Any, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/accounts?limit=500", headers=headers).json()["items"]
    return {item["external_id"]: item["custom_fields"] for item in items}


def test_salesforce_and_hubspot_style_headers_are_read_and_the_file_round_trips(
    client, factory: Factory
) -> None:
    admin = _declare(client, factory)
    # A Salesforce Data Loader export names custom fields by API name, a report by label.
    text = (
        "Account ID,Account Name,Region__c,Seats bought,budget,cf.go_live,Reference,Modules,"
        "Motto\n"
        '001A,Acme,emea,1200,99.50,2027-01-31,yes,Core;API,"=SUM(A1) is no formula"\n'
        "001B,Beta,APAC,,,,no,,-minus\n"
    )
    report = import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(text))
    assert report.failed == 0, report.errors
    assert report.ignored_columns == []
    headers = factory.headers(admin)
    first = _values(client, headers)
    assert first["001A"] == {
        "region": "EMEA",
        "seats": 1200,
        "budget": "99.50",
        "go_live": "2027-01-31",
        "reference": True,
        "modules": ["Core", "API"],
        "motto": "=SUM(A1) is no formula",
    }
    assert first["001B"]["region"] == "APAC" and first["001B"]["seats"] is None

    out = io.StringIO()
    export_csv(factory.db, Principal.of(admin), "accounts", out)
    exported = out.getvalue()
    header = next(csv.reader(io.StringIO(exported)))
    assert header[-7:] == [
        f"cf.{spec['key']}" for spec in sorted(DECLARED, key=lambda s: s["label"])
    ]
    again = import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(exported))
    assert (again.failed, again.created, again.updated) == (0, 0, 0), again.errors
    assert _values(client, headers) == first


def test_a_bad_cell_names_its_line_and_column_and_saves_nothing_of_the_row(
    client, factory: Factory
) -> None:
    admin = _declare(client, factory)
    text = (
        "external_id,name,Sales Region,seats\n"
        "ok-1,Fine,EMEA,10\n"
        "bad-1,Wrong region,Mars,10\n"
        "bad-2,Wrong seats,AMER,lots\n"
    )
    report = import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(text))
    assert report.created == 1 and report.failed == 2
    problems = {(e.line, e.column) for e in report.errors}
    assert problems == {(3, "Sales Region"), (4, "seats")}, report.errors
    assert set(_values(client, factory.headers(admin))) == {"ok-1"}
    # An update by re-import changes the custom value only where the cell is not empty.
    update = "external_id,name,Sales Region,seats\nok-1,Fine,AMER,\n"
    again = import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(update))
    assert again.updated == 1, again.errors
    assert _values(client, factory.headers(admin))["ok-1"]["region"] == "AMER"
    assert _values(client, factory.headers(admin))["ok-1"]["seats"] == 10


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t.strip())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["EMEA", "AMER", "APAC", None]),
            st.one_of(st.none(), st.decimals(min_value=-(10**9), max_value=10**9, places=3)),
            st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
            st.one_of(st.none(), st.booleans()),
            st.lists(st.sampled_from(["Core", "Analytics", "API"]), unique=True),
            st.one_of(st.none(), TEXT),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_random_values_survive_import_export_import(client, factory: Factory, rows) -> None:
    if not hasattr(factory, "_declared_csv"):
        factory._declared_csv = _declare(client, factory)  # type: ignore[attr-defined]
    admin = factory._declared_csv  # type: ignore[attr-defined]
    headers = factory.headers(admin)
    prefix = f"h{abs(hash(str(rows))) % 10**9}-"
    sent: dict[str, dict[str, Any]] = {}
    for index, (region, seats, go_live, reference, modules, motto) in enumerate(rows):
        values = {
            "region": region,
            "seats": None if seats is None else str(seats),
            "go_live": go_live,
            "reference": reference,
            "modules": modules,
            "motto": motto,
        }
        answer = client.post(
            "/api/v1/accounts",
            json={
                "name": f"R{index}",
                "segment": "smb",
                "external_id": f"{prefix}{index}",
                "custom_fields": values,
            },
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        sent[f"{prefix}{index}"] = answer.json()["custom_fields"]
    out = io.StringIO()
    export_csv(factory.db, Principal.of(admin), "accounts", out)
    again = import_csv(factory.db, Principal.of(admin), "accounts", io.StringIO(out.getvalue()))
    assert again.failed == 0 and again.updated == 0, again.errors
    now = _values(client, headers)
    assert {k: now[k] for k in sent} == sent


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_contact_and_opportunity_fields_round_trip_and_name_bad_cells(
    client, factory: Factory
) -> None:
    admin = factory.user("admin")
    specs = [
        {
            "entity": "contact",
            "key": "persona",
            "label": "Persona",
            "type": "picklist",
            "options": ["Champion", "Economic buyer", "User"],
        },
        {"entity": "contact", "key": "newsletter", "label": "Newsletter", "type": "boolean"},
        {"entity": "opportunity", "key": "competitor", "label": "Main competitor", "type": "text"},
        {"entity": "opportunity", "key": "seats", "label": "Seats", "type": "number"},
    ]
    for spec in specs:
        answer = client.post("/api/v1/custom-fields", json=spec, headers=factory.headers(admin))
        assert answer.status_code == 201, answer.text
    principal = Principal.of(admin)
    accounts = "Account ID,Account Name\nA1,Acme\n"
    assert import_csv(factory.db, principal, "accounts", io.StringIO(accounts)).failed == 0
    # Salesforce names a custom field by its API name, HubSpot by its label.
    contacts = (
        "Contact ID,Account ID,First Name,Last Name,Email,Persona__c,Newsletter\n"
        "C1,A1,Ada,Lovelace,ada@acme.example,champion,yes\n"
        "C2,A1,Alan,Turing,alan@acme.example,Architect,no\n"
    )
    report = import_csv(factory.db, principal, "contacts", io.StringIO(contacts))
    assert report.created == 1 and report.failed == 1
    [error] = report.errors
    assert error.line == 3 and error.column == "Persona__c" and error.value == "Architect", error
    deals = (
        "Opportunity ID,Account ID,Opportunity Name,Type,Stage,Amount,Close Date,Main competitor,"
        "Seats\n"
        "O1,A1,Expansion,upsell,proposal,1000,2027-01-31,Gainsight,250\n"
        "O2,A1,Old win,upsell,Closed Won,500,2026-01-31,Vitally,\n"
    )
    report = import_csv(factory.db, principal, "opportunities", io.StringIO(deals))
    assert report.failed == 0, report.errors
    headers = factory.headers(admin)
    people = client.get("/api/v1/contacts?limit=50", headers=headers).json()["items"]
    assert [c["custom_fields"] for c in people] == [{"persona": "Champion", "newsletter": True}]
    opportunities = {
        o["external_id"]: o["custom_fields"]
        for o in client.get("/api/v1/opportunities?limit=50", headers=headers).json()["items"]
    }
    assert opportunities == {
        "O1": {"competitor": "Gainsight", "seats": 250},
        "O2": {"competitor": "Vitally", "seats": None},
    }
    for kind, wanted in (
        ("contacts", ["cf.persona", "cf.newsletter"]),
        ("opportunities", ["cf.competitor", "cf.seats"]),
    ):
        out = io.StringIO()
        export_csv(factory.db, principal, kind, out)
        exported = out.getvalue()
        assert _rows(exported)[0].keys() >= set(wanted)
        again = import_csv(factory.db, principal, kind, io.StringIO(exported))
        assert again.failed == 0 and again.created == 0 and again.updated == 0, again
    # A changed cell updates only that value; a closed deal is history, as in the API.
    changed = deals.replace("Gainsight", "Planhat").replace("Vitally", "Totango")
    report = import_csv(factory.db, principal, "opportunities", io.StringIO(changed))
    assert report.updated == 1 and report.failed == 1, report.errors
    assert report.errors[0].line == 3 and "closed" in report.errors[0].message
    after = client.get("/api/v1/opportunities?limit=50", headers=headers).json()["items"]
    assert {o["external_id"]: o["custom_fields"]["competitor"] for o in after} == {
        "O1": "Planhat",
        "O2": "Vitally",
    }


ACME = "Account ID,Account Name\nA1,Acme\n"


def test_contract_fields_are_the_contracts_repeated_on_each_line_item_and_round_trip(
    client, factory: Factory
) -> None:
    admin = factory.user("admin")
    specs = [
        {"entity": "contract", "key": "po_number", "label": "PO number", "type": "text"},
        {
            "entity": "contract",
            "key": "paper",
            "label": "Paper",
            "type": "picklist",
            "options": ["Ours", "Theirs"],
        },
    ]
    for spec in specs:
        answer = client.post("/api/v1/custom-fields", json=spec, headers=factory.headers(admin))
        assert answer.status_code == 201, answer.text
    factory.product(sku="CORE")
    factory.product(sku="SEATS")
    principal = Principal.of(admin)
    assert import_csv(factory.db, principal, "accounts", io.StringIO(ACME)).failed == 0
    # Salesforce's contract export, a custom field by its API name, one by its label.
    contracts = (
        "Contract Number,Account ID,Contract Start Date,Contract End Date,Product Code,"
        "Quantity,Sales Price,PO_Number__c,Paper\n"
        "K1,A1,2026-01-01,2026-12-31,CORE,1,12000,PO-77,theirs\n"
        "K1,A1,2026-01-01,2026-12-31,SEATS,10,600,PO-77,Theirs\n"
        "K2,A1,2027-01-01,2027-12-31,CORE,1,12000,PO-78,Ours\n"
        "K2,A1,2027-01-01,2027-12-31,SEATS,10,600,PO-79,Ours\n"
        "K3,A1,2028-01-01,2028-12-31,CORE,1,12000,,Neither\n"
    )
    report = import_csv(factory.db, principal, "contracts", io.StringIO(contracts))
    assert report.created == 2 and report.failed == 3, report.errors
    by_line = {e.line: e for e in report.errors}
    # K2's rows disagree on the contract's PO number: the contract is refused whole.
    assert by_line[5].column == "PO_Number__c" and "line 4" in by_line[5].message, by_line
    assert "line 5 of the same group failed" in by_line[4].message
    assert by_line[6].column == "Paper" and by_line[6].value == "Neither", by_line
    headers = factory.headers(admin)
    listed = client.get("/api/v1/contracts?limit=50", headers=headers).json()["items"]
    assert [(c["external_id"], c["custom_fields"]) for c in listed] == [
        ("K1", {"po_number": "PO-77", "paper": "Theirs"})
    ]
    out = io.StringIO()
    export_csv(factory.db, principal, "contracts", out)
    exported = _rows(out.getvalue())
    assert [(r["cf.po_number"], r["cf.paper"]) for r in exported] == [("PO-77", "Theirs")] * 2
    again = import_csv(factory.db, principal, "contracts", io.StringIO(out.getvalue()))
    assert again.failed == 0 and again.created == 0 and again.updated == 0, again
    # A changed value on every row of the contract changes that value only.
    changed = out.getvalue().replace("PO-77", "PO-80")
    report = import_csv(factory.db, principal, "contracts", io.StringIO(changed))
    assert report.failed == 0 and report.updated == 2, report.errors
    [contract] = client.get("/api/v1/contracts?limit=50", headers=headers).json()["items"]
    assert contract["custom_fields"] == {"po_number": "PO-80", "paper": "Theirs"}
