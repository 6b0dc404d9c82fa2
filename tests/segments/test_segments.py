"""Saved segments (issue 25 §2): dynamic filters over any account field, custom fields
included; private or shared with a team; each reader sees only their book's accounts in it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.factories import Factory


def _ids(client: Any, headers: dict[str, str], segment_id: int, query: str = "") -> list[str]:
    answer = client.get(f"/api/v1/segments/{segment_id}/accounts?sort=name{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def test_a_segment_is_dynamic_and_holds_only_the_readers_book(client, factory: Factory) -> None:
    admin = factory.user("admin")
    lead = factory.user("team_lead")
    team = factory.team(lead=lead)
    am_a, am_b = factory.user("am", team=team), factory.user("am", team=team)
    answer = client.post(
        "/api/v1/custom-fields",
        json={"entity": "account", "key": "region", "label": "Region", "type": "text"},
        headers=factory.headers(admin),
    )
    assert answer.status_code == 201, answer.text
    soon = date.today() + timedelta(days=30)
    for name, owner, region, arr in (
        ("A-emea-big", am_a, "EMEA", 120_000_00),
        ("A-emea-small", am_a, "EMEA", 5_000_00),
        ("A-amer-big", am_a, "AMER", 200_000_00),
        ("B-emea-big", am_b, "EMEA", 150_000_00),
    ):
        account = factory.account(
            name=name, owner_am_id=owner.id, arr_minor=arr, next_renewal_date=soon
        )
        client.patch(
            f"/api/v1/accounts/{account.id}",
            json={"custom_fields": {"region": region}},
            headers=factory.headers(admin),
        )
    body = {
        "name": "Big EMEA renewals",
        "team_id": team.id,
        "filters": {"arr_min": "100000", "renewal_within_days": 90},
        "custom_fields": {"region": "EMEA"},
    }
    made = client.post("/api/v1/segments", json=body, headers=factory.headers(am_a))
    assert made.status_code == 201, made.text
    segment = made.json()
    assert segment["filters"] == {"arr_min": "100000.00", "renewal_within_days": 90}

    # The same segment, read by three people: each sees the part of it in their book.
    assert _ids(client, factory.headers(am_a), segment["id"]) == ["A-emea-big"]
    assert _ids(client, factory.headers(am_b), segment["id"]) == ["B-emea-big"]
    assert _ids(client, factory.headers(lead), segment["id"]) == ["A-emea-big", "B-emea-big"]
    # Dynamic: a change of a field moves an account in or out, with no re-save.
    small = next(
        a
        for a in client.get(
            "/api/v1/accounts?q=A-emea-small", headers=factory.headers(am_a)
        ).json()["items"]
    )
    client.patch(
        f"/api/v1/accounts/{small['id']}",
        json={"custom_fields": {"region": "AMER"}},
        headers=factory.headers(am_a),
    )
    assert _ids(client, factory.headers(lead), segment["id"]) == ["A-emea-big", "B-emea-big"]
    # The accounts list with the same filters answers the same accounts.
    listed = client.get(
        "/api/v1/accounts?arr_min=100000&renewal_within_days=90&cf.region=EMEA&sort=name",
        headers=factory.headers(lead),
    ).json()["items"]
    assert [a["name"] for a in listed] == ["A-emea-big", "B-emea-big"]

    # Shared with the team: its members use it; only its owner (or an admin) changes it.
    assert [
        s["id"] for s in client.get("/api/v1/segments", headers=factory.headers(am_b)).json()
    ] == [segment["id"]]
    refused = client.patch(
        f"/api/v1/segments/{segment['id']}", json={"name": "Mine"}, headers=factory.headers(am_b)
    )
    assert refused.status_code == 403
    outsider = factory.user("am")
    hidden = client.get(f"/api/v1/segments/{segment['id']}", headers=factory.headers(outsider))
    missing = client.get("/api/v1/segments/2000000001", headers=factory.headers(outsider))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(segment["id"]), "N") == missing.json()[
        "detail"
    ].replace("2000000001", "N")
    # Made private again: gone from the team's list.
    client.patch(
        f"/api/v1/segments/{segment['id']}", json={"team_id": None}, headers=factory.headers(am_a)
    )
    assert client.get("/api/v1/segments", headers=factory.headers(am_b)).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filters": {"health": "red"}}, "filters.health"),
        ({"filters": {"segment": "huge"}}, "filters.segment"),
        ({"filters": {"arr_min": "-5"}}, "filters.arr_min"),
        ({"filters": {"include_archived": True}}, "filters.include_archived"),
        ({"custom_fields": {"nope": "1"}}, "custom_fields.nope"),
        ({"team_id": 2000000001}, "team_id"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_segment_is_a_422_naming_its_field(
    client, factory: Factory, body: dict[str, Any], field: str
) -> None:
    am = factory.user("am")
    answer = client.post(
        "/api/v1/segments", json={"name": "S", **body}, headers=factory.headers(am)
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field, answer.json()
    assert client.get("/api/v1/segments", headers=factory.headers(am)).json() == []


def test_a_segment_cannot_be_shared_with_another_team(client, factory: Factory) -> None:
    team, other = factory.team(), factory.team()
    am = factory.user("am", team=team)
    answer = client.post(
        "/api/v1/segments",
        json={"name": "S", "team_id": other.id},
        headers=factory.headers(am),
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "team_id"


def test_a_rule_fires_only_on_the_accounts_of_its_segment(client, factory: Factory) -> None:
    from datetime import UTC, datetime

    from steward.playbooks.engine import evaluate
    from steward.playbooks.schemas import RuleSpec

    admin = factory.user("admin")
    stale = datetime.now(UTC) - timedelta(days=90)
    inside = factory.account(name="Inside", tier="strategic", last_touch_at=stale)
    outside = factory.account(name="Outside", tier="standard", last_touch_at=stale)
    made = client.post(
        "/api/v1/segments",
        json={"name": "Strategic", "filters": {"tier": "strategic"}},
        headers=factory.headers(admin),
    ).json()
    spec = RuleSpec.model_validate(
        {
            "key": "quiet-strategic",
            "name": "Quiet strategic accounts",
            "trigger": {"type": "no_touch", "days": 30},
            "conditions": {"segment_id": made["id"]},
            "actions": [{"type": "notify"}],
        }
    )
    now = datetime.now(UTC)
    with factory.db.session() as session:
        found = evaluate(session, spec, now.date(), now, account_ids=[inside.id, outside.id])
    assert [c.account.id for c in found.candidates] == [inside.id]
    assert found.candidates[0].matched["segment"] == "in segment 'Strategic'"
    body = spec.model_dump(mode="json")
    body["conditions"]["segment_id"] = 2_000_000_001
    refused = client.post("/api/v1/rules", json=body, headers=factory.headers(admin))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "conditions.segment_id"


def test_a_segment_exports_as_an_accounts_csv_that_reimports(client, factory: Factory) -> None:
    am = factory.user("am")
    headers = factory.headers(am)
    factory.account(name="Keep", tier="key", owner_am_id=am.id, external_id="keep-1")
    factory.account(name="Drop", tier="standard", owner_am_id=am.id, external_id="drop-1")
    factory.account(name="Other book", tier="key", external_id="other-1")
    segment = client.post(
        "/api/v1/segments", json={"name": "Key", "filters": {"tier": "key"}}, headers=headers
    ).json()
    answer = client.get(f"/api/v1/exports/accounts?segment_id={segment['id']}", headers=headers)
    assert answer.status_code == 200, answer.text
    lines = answer.text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("keep-1,Keep,"), lines
    upload = {"file": ("key.csv", answer.text.encode(), "text/csv")}
    again = client.post("/api/v1/imports/accounts", files=upload, headers=headers).json()
    assert (again["unchanged"], again["created"], again["failed"]) == (1, 0, 0), again
    wrong = client.get(f"/api/v1/exports/contacts?segment_id={segment['id']}", headers=headers)
    assert wrong.status_code == 422 and "segment_id" in wrong.text
    hidden = client.get(
        f"/api/v1/exports/accounts?segment_id={segment['id']}",
        headers=factory.headers(factory.user("am")),
    )
    assert hidden.status_code == 404
