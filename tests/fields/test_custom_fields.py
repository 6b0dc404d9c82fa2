"""Custom fields (issue 25 §1): declared by admins, typed and validated with field-named errors,
stored so filters and sorting work on them, renamed and archived without losing values."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.factories import Factory

FIELDS: list[dict[str, Any]] = [
    {
        "entity": "account",
        "key": "region",
        "label": "Region",
        "type": "picklist",
        "options": ["EMEA", "AMER", "APAC"],
    },
    {"entity": "account", "key": "employees", "label": "Employees", "type": "number"},
    {"entity": "account", "key": "budget", "label": "Budget", "type": "money"},
    {"entity": "account", "key": "go_live", "label": "Go-live", "type": "date"},
    {
        "entity": "account",
        "key": "reference",
        "label": "Reference customer",
        "type": "boolean",
        "default": False,
    },
    {
        "entity": "account",
        "key": "modules",
        "label": "Modules",
        "type": "multi_picklist",
        "options": ["Core", "Analytics", "API"],
    },
    {"entity": "account", "key": "champion_site", "label": "Champion site", "type": "url"},
    {"entity": "account", "key": "notes", "label": "Notes", "type": "long_text"},
    {"entity": "account", "key": "share", "label": "Wallet share", "type": "percent"},
]


def _declare(client: Any, headers: dict[str, str], *specs: dict[str, Any]) -> list[dict[str, Any]]:
    made = []
    for spec in specs:
        answer = client.post("/api/v1/custom-fields", json=spec, headers=headers)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    return made


def test_values_of_every_type_round_trip_through_the_api(client, factory: Factory) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    _declare(client, factory.headers(admin), *FIELDS)
    headers = factory.headers(am)
    sent = {
        "region": "emea",  # an option, case aside
        "employees": 1200,
        "budget": "125000.50",
        "go_live": "2027-01-15",
        "modules": ["API", "Core", "api"],
        "champion_site": "https://intranet.example.com/steward",
        "notes": "Long " * 1000,
        "share": 12.5,
    }
    created = client.post(
        "/api/v1/accounts",
        json={"name": "Typed Co", "segment": "smb", "custom_fields": sent},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    expected = {
        **sent,
        "region": "EMEA",
        "modules": ["Core", "API"],  # in the options' order, once each
        "notes": ("Long " * 1000).strip(),
        "reference": False,  # the default
    }
    assert created.json()["custom_fields"] == expected
    account_id = created.json()["id"]
    read = client.get(f"/api/v1/accounts/{account_id}", headers=headers).json()
    assert read["custom_fields"] == expected
    listed = client.get("/api/v1/accounts?q=Typed", headers=headers).json()["items"]
    assert listed[0]["custom_fields"] == expected

    etag = client.get(f"/api/v1/accounts/{account_id}", headers=headers).headers["ETag"]
    patched = client.patch(
        f"/api/v1/accounts/{account_id}",
        json={"custom_fields": {"employees": None, "reference": True}},
        headers={**headers, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom_fields"] == {**expected, "employees": None, "reference": True}
    # A change of custom fields alone is a change of the record: a stale If-Match is refused.
    assert patched.headers["ETag"] != etag
    stale = client.patch(
        f"/api/v1/accounts/{account_id}",
        json={"custom_fields": {"employees": 1}},
        headers={**headers, "If-Match": etag},
    )
    assert stale.status_code == 409, stale.text


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"region": "Mars"}, "custom_fields.region", "not one of its options"),
        ({"employees": "many"}, "custom_fields.employees", "not a number"),
        ({"budget": "10.005"}, "custom_fields.budget", "more than 2 decimal places"),
        ({"go_live": "15/01/2027"}, "custom_fields.go_live", "YYYY-MM-DD"),
        ({"go_live": "2027-02-30"}, "custom_fields.go_live", "not a day"),
        ({"reference": "yes"}, "custom_fields.reference", "true or false"),
        ({"modules": "Core"}, "custom_fields.modules", "list of options"),
        ({"champion_site": "javascript:alert(1)"}, "custom_fields.champion_site", "http"),
        ({"nope": 1}, "custom_fields.nope", "no custom field 'nope'"),
    ],
)
def test_a_bad_value_is_a_422_naming_its_field_and_saves_nothing(
    client, factory: Factory, values: dict[str, Any], field: str, says: str
) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    _declare(client, factory.headers(admin), *FIELDS)
    headers = factory.headers(am)
    answer = client.post(
        "/api/v1/accounts",
        json={"name": "Refused Co", "segment": "smb", "custom_fields": values},
        headers=headers,
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert field in answer.text and says in problem["detail"], problem
    assert client.get("/api/v1/accounts?q=Refused", headers=headers).json()["total"] == 0


def test_a_required_field_must_be_given_on_create_and_cannot_be_cleared(
    client, factory: Factory
) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    _declare(
        client,
        factory.headers(admin),
        {"entity": "account", "key": "tax_id", "label": "Tax id", "type": "text", "required": True},
    )
    headers = factory.headers(am)
    missing = client.post("/api/v1/accounts", json={"name": "A", "segment": "smb"}, headers=headers)
    assert missing.status_code == 422 and "custom_fields.tax_id" in missing.text
    made = client.post(
        "/api/v1/accounts",
        json={"name": "A", "segment": "smb", "custom_fields": {"tax_id": "GB123"}},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    cleared = client.patch(
        f"/api/v1/accounts/{made.json()['id']}",
        json={"custom_fields": {"tax_id": " "}},
        headers=headers,
    )
    assert cleared.status_code == 422 and "custom_fields.tax_id" in cleared.text


def test_lists_filter_and_sort_on_custom_fields(client, factory: Factory) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    _declare(client, factory.headers(admin), *FIELDS)
    headers = factory.headers(am)
    rows = [
        (
            "Alpha",
            {"region": "EMEA", "employees": 50, "go_live": "2027-03-01", "modules": ["Core"]},
        ),
        (
            "Beta",
            {
                "region": "AMER",
                "employees": 5000,
                "go_live": "2026-12-01",
                "modules": ["Core", "API"],
            },
        ),
        ("Gamma", {"region": "EMEA", "employees": 700, "modules": ["Analytics"]}),
        ("Delta", {}),
    ]
    for name, values in rows:
        answer = client.post(
            "/api/v1/accounts",
            json={"name": name, "segment": "smb", "custom_fields": values},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text

    def names(query: str) -> list[str]:
        answer = client.get(f"/api/v1/accounts?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["name"] for item in answer.json()["items"]]

    assert names("cf.region=emea&sort=name") == ["Alpha", "Gamma"]
    assert names("cf.region__in=AMER,APAC") == ["Beta"]
    assert names("cf.employees__gte=700&sort=-cf.employees") == ["Beta", "Gamma"]
    assert names("cf.employees__lt=700") == ["Alpha"]
    assert names("cf.go_live__lte=2027-01-01") == ["Beta"]
    assert names("cf.modules=core&sort=name") == ["Alpha", "Beta"]
    assert names("cf.employees__isnull=true") == ["Delta"]
    assert names("cf.reference=false&sort=name") == ["Alpha", "Beta", "Delta", "Gamma"]
    assert names("sort=cf.employees") == ["Alpha", "Gamma", "Beta", "Delta"]  # empty last

    for query, parameter in (
        ("cf.nope=1", "cf.nope"),
        ("cf.employees__gte=lots", "cf.employees__gte"),
        ("cf.region__gt=EMEA", "cf.region__gt"),
        ("cf.region__like=E", "cf.region__like"),
        ("sort=cf.nope", "sort"),
    ):
        answer = client.get(f"/api/v1/accounts?{query}", headers=headers)
        assert answer.status_code == 422, (query, answer.text)
        assert parameter in answer.json()["detail"], answer.json()
    assert client.get("/api/v1/contacts?cf.region=EMEA", headers=headers).status_code == 422


def test_only_admins_declare_and_a_renamed_or_archived_field_keeps_its_values(
    client, factory: Factory
) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    refused = client.post("/api/v1/custom-fields", json=FIELDS[0], headers=factory.headers(am))
    assert refused.status_code == 403
    (region,) = _declare(client, factory.headers(admin), FIELDS[0])
    headers = factory.headers(am)
    account = client.post(
        "/api/v1/accounts",
        json={"name": "Kept", "segment": "smb", "custom_fields": {"region": "APAC"}},
        headers=headers,
    ).json()
    renamed = client.patch(
        f"/api/v1/custom-fields/{region['id']}",
        json={"key": "sales_region", "label": "Sales region"},
        headers=factory.headers(admin),
    )
    assert renamed.status_code == 200, renamed.text
    read = client.get(f"/api/v1/accounts/{account['id']}", headers=headers).json()
    assert read["custom_fields"] == {"sales_region": "APAC"}
    for change, field in (({"options": ["EMEA", "AMER"]}, "options"), ({"type": "text"}, "type")):
        refused = client.patch(
            f"/api/v1/custom-fields/{region['id']}", json=change, headers=factory.headers(admin)
        )  # APAC is still chosen; the field holds values
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field, refused.json()
    relabelled = client.patch(
        f"/api/v1/custom-fields/{region['id']}",
        json={"label": "Region (sales)"},
        headers=factory.headers(admin),
    )  # a change without a new key (once refused as "key: Field required")
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["key"] == "sales_region"
    archived = client.delete(
        f"/api/v1/custom-fields/{region['id']}", headers=factory.headers(admin)
    )
    assert archived.status_code == 200 and archived.json()["archived_at"]
    assert (
        client.get(f"/api/v1/accounts/{account['id']}", headers=headers).json()["custom_fields"]
        == {}
    )
    assert client.get("/api/v1/custom-fields", headers=headers).json() == []


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"type": "colour"}, "type"),
        ({"type": "picklist"}, "options"),
        ({"type": "text", "options": ["a"]}, "options"),
        ({"type": "picklist", "options": ["a", "A"]}, "options"),
        ({"type": "number", "default": "ten"}, "default"),
        ({"entity": "invoice"}, "entity"),
    ],
)
def test_a_bad_declaration_is_a_422_naming_its_field(
    client, factory: Factory, spec: dict[str, Any], field: str
) -> None:
    admin = factory.user("admin")
    body = {"entity": "account", "key": "k", "label": "K", "type": "text", **spec}
    answer = client.post("/api/v1/custom-fields", json=body, headers=factory.headers(admin))
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    again = client.post(
        "/api/v1/custom-fields",
        json={"entity": "account", "key": "k", "label": "K", "type": "text"},
        headers=factory.headers(admin),
    )
    assert again.status_code == 201
    taken = client.post(
        "/api/v1/custom-fields",
        json={"entity": "account", "key": "k", "label": "K2", "type": "text"},
        headers=factory.headers(admin),
    )
    assert taken.status_code == 422 and "key" in taken.json()["detail"]


def test_contacts_opportunities_and_contracts_carry_their_own_fields(
    client, factory: Factory
) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    _declare(
        client,
        factory.headers(admin),
        {
            "entity": "contact",
            "key": "persona",
            "label": "Persona",
            "type": "picklist",
            "options": ["Buyer", "User", "Champion"],
        },
        {"entity": "opportunity", "key": "competitor", "label": "Competitor", "type": "text"},
        {
            "entity": "contract",
            "key": "po_number",
            "label": "PO number",
            "type": "text",
            "required": True,
        },
        {"entity": "contract", "key": "signed_by", "label": "Signed by", "type": "user"},
    )
    headers = factory.headers(am)
    account = factory.account(name="Owned Co", owner_am_id=am.id)
    other = factory.contact(account, first_name="Plain")
    made = client.post(
        "/api/v1/contacts",
        json={
            "account_id": account.id,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "custom_fields": {"persona": "champion"},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["custom_fields"] == {"persona": "Champion"}
    listed = client.get(
        f"/api/v1/contacts?account_id={account.id}&cf.persona=Champion", headers=headers
    ).json()["items"]
    assert [c["first_name"] for c in listed] == ["Ada"]
    unset = client.get(f"/api/v1/contacts/{other.id}", headers=headers).json()
    assert unset["custom_fields"] == {"persona": None}

    opportunity = client.post(
        "/api/v1/opportunities",
        json={
            "account_id": account.id,
            "name": "Upsell",
            "type": "upsell",
            "amount": "1000",
            "close_date": "2027-03-31",
            "custom_fields": {"competitor": "Gainsight"},
        },
        headers=headers,
    )
    assert opportunity.status_code == 201, opportunity.text
    assert opportunity.json()["custom_fields"] == {"competitor": "Gainsight"}
    patched = client.patch(
        f"/api/v1/opportunities/{opportunity.json()['id']}",
        json={"custom_fields": {"competitor": "Vitally"}},
        headers=headers,
    )
    assert patched.json()["custom_fields"] == {"competitor": "Vitally"}, patched.text

    contract = {
        "account_id": account.id,
        "name": "2026 subscription",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
    }
    missing = client.post("/api/v1/contracts", json=contract, headers=headers)
    assert missing.status_code == 422 and "custom_fields.po_number" in missing.text
    bad_user = client.post(
        "/api/v1/contracts",
        json={**contract, "custom_fields": {"po_number": "PO-1", "signed_by": 999_999}},
        headers=headers,
    )
    assert bad_user.status_code == 422 and "custom_fields.signed_by" in bad_user.text
    signed = client.post(
        "/api/v1/contracts",
        json={**contract, "custom_fields": {"po_number": "PO-1", "signed_by": am.id}},
        headers=headers,
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["custom_fields"] == {"po_number": "PO-1", "signed_by": am.id}
    assert (
        client.get(f"/api/v1/contracts?cf.signed_by={am.id}", headers=headers).json()["total"] == 1
    )


def test_the_declaration_file_round_trips_and_its_dry_run_says_what_would_change(
    client, factory: Factory
) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)
    region, employees = _declare(client, headers, FIELDS[0], FIELDS[1])
    am = factory.user("am")
    account = client.post(
        "/api/v1/accounts",
        json={"name": "Filed", "segment": "smb", "custom_fields": {"region": "AMER"}},
        headers=factory.headers(am),
    ).json()
    text = client.get("/api/v1/custom-fields/export", headers=headers).text
    assert "key: region" in text and "- EMEA" in text
    same = client.post("/api/v1/custom-fields/import", content=text, headers=headers)
    assert same.status_code == 200, same.text
    assert {c["outcome"] for c in same.json()["changes"]} == {"unchanged"}

    # Rename region (values kept), drop employees (archived), add a new field.
    declared = yaml.safe_load(text)["custom_fields"]
    (kept,) = [entry for entry in declared if entry["key"] == "region"]
    kept.update(key="sales_region", renamed_from="region", label="Sales region")
    new = {"entity": "account", "key": "renewal_owner", "label": "Renewal owner", "type": "user"}
    changed = yaml.safe_dump({"custom_fields": [kept, new]})
    dry = client.post("/api/v1/custom-fields/import?dry_run=true", content=changed, headers=headers)
    assert dry.status_code == 200, dry.text
    outcomes = {c["key"]: c["outcome"] for c in dry.json()["changes"]}
    assert outcomes == {
        "sales_region": "renamed from region; updated label",
        "renewal_owner": "created",
        "employees": "archived (0 values kept)",
    }, outcomes
    assert client.get("/api/v1/custom-fields/export", headers=headers).text == text  # dry

    applied = client.post("/api/v1/custom-fields/import", content=changed, headers=headers)
    assert applied.status_code == 200, applied.text
    read = client.get(f"/api/v1/accounts/{account['id']}", headers=factory.headers(am)).json()
    assert read["custom_fields"] == {"sales_region": "AMER", "renewal_owner": None}

    bad = {"entity": "account", "key": "Bad", "label": "B", "type": "text"}
    broken = yaml.safe_dump({"custom_fields": [kept, new, bad]})
    refused = client.post("/api/v1/custom-fields/import", content=broken, headers=headers)
    assert refused.status_code == 422
    assert any(c["outcome"].startswith("error") for c in refused.json()["changes"])
    assert "renewal_owner" in client.get("/api/v1/custom-fields/export", headers=headers).text
    not_admin = client.post(
        "/api/v1/custom-fields/import", content=changed, headers=factory.headers(am)
    )
    assert not_admin.status_code == 403
    assert employees["id"] and region["id"]


def test_the_openapi_document_types_each_records_custom_fields(client, factory: Factory) -> None:
    admin = factory.user("admin")
    before = client.get("/openapi.json").json()["components"]["schemas"]
    assert "anyOf" in before["AccountCreate"]["properties"]["custom_fields"]  # untyped yet
    _declare(
        client,
        factory.headers(admin),
        *FIELDS[:6],
        {
            "entity": "contract",
            "key": "po_number",
            "label": "PO number",
            "type": "text",
            "help_text": "From the customer's purchase order",
        },
    )
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    typed = schemas["AccountOut"]["properties"]["custom_fields"]
    assert typed["additionalProperties"] is False
    props = typed["properties"]
    assert props["region"]["anyOf"][0] == {"type": "string", "enum": ["EMEA", "AMER", "APAC"]}
    assert props["employees"]["anyOf"][0] == {"type": "number"}
    assert props["go_live"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert props["reference"]["anyOf"][0] == {"type": "boolean"}
    assert props["modules"]["items"]["enum"] == ["Core", "Analytics", "API"]
    created = schemas["AccountCreate"]["properties"]["custom_fields"]
    assert created["anyOf"][0]["properties"].keys() == props.keys()
    contract = schemas["ContractOut"]["properties"]["custom_fields"]["properties"]["po_number"]
    assert contract["description"] == "From the customer's purchase order"
    assert "properties" not in schemas["ContactOut"]["properties"]["custom_fields"]  # none
    # Archiving a field takes it out of the document.
    (region,) = [
        f
        for f in client.get("/api/v1/custom-fields", headers=factory.headers(admin)).json()
        if f["key"] == "region"
    ]
    client.delete(f"/api/v1/custom-fields/{region['id']}", headers=factory.headers(admin))
    after = client.get("/openapi.json").json()["components"]["schemas"]
    assert "region" not in after["AccountOut"]["properties"]["custom_fields"]["properties"]
