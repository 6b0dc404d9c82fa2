"""Mass assignment (issue 7 §2): a request body cannot write what the server computes or
decides (ids, timestamps, ARR, health, churn risk, password hashes), and owners, roles and
teams change only by those allowed to change them, taking effect on the next request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.models import Account
from tests.api.test_access_matrix import MISSING_ID, SCHEMA, example
from tests.factories import Factory
from tests.support.book import build_world

COMPUTED: dict[str, Any] = {
    "id": 5,
    "arr": "1.00",
    "mrr": "1.00",
    "health_score": 99,
    "churn_probability": 0.01,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "archived_at": "2020-01-01T00:00:00Z",
    "last_touch_at": "2020-01-01T00:00:00Z",
    "password_hash": "x",
    "version": 1,
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def _json_body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = _resolve(content["application/json"]["schema"])
    return schema if schema.get("type") == "object" else None


WRITES = [
    (method.upper(), path, schema)
    for path, operations in SCHEMA["paths"].items()
    if path.startswith("/api/v1/")
    for method, operation in operations.items()
    if (schema := _json_body_schema(operation)) is not None
]


def test_no_request_body_offers_a_computed_field() -> None:
    assert len(WRITES) >= 40
    offered = {
        f"{m} {p}": sorted(set(schema.get("properties", {})) & set(COMPUTED))
        for m, p, schema in WRITES
    }
    assert not {k: v for k, v in offered.items() if v}


def test_computed_fields_in_a_body_are_refused_by_name(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    for method, path, _ in WRITES:
        body, query = example(method, path)
        url = re.sub(r"{\w+}", str(MISSING_ID), path.replace("{key}", "matrix_measure"))
        response = client.request(
            method, url, json=(body or {}) | COMPUTED, params=query, headers=headers
        )
        assert response.status_code == 422, f"{method} {path}: {response.text}"
        refused = {error["field"] for error in response.json()["errors"]}
        assert set(COMPUTED) <= refused, f"{method} {path} took {set(COMPUTED) - refused}"


def test_an_am_cannot_hand_an_account_to_someone_else(client, factory: Factory) -> None:
    world = build_world(factory)
    account = world.accounts["a"]
    headers = factory.headers(world.users["am_a"])
    for field in ("owner_am_id", "csm_id"):
        response = client.patch(
            f"/api/v1/accounts/{account.id}",
            json={field: world.users["am_b"].id},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    with factory.db.session() as session:
        stored = session.get(Account, account.id)
        assert stored is not None
        assert (stored.owner_am_id, stored.csm_id) == (world.users["am_a"].id, account.csm_id)


@pytest.mark.parametrize("change", [{"role": "admin"}, {"team_id": None}, {"is_active": False}])
def test_only_admins_change_roles_and_teams(client, factory: Factory, change) -> None:  # type: ignore[no-untyped-def]
    world = build_world(factory)
    me = world.users["lead_north"]
    response = client.patch(f"/api/v1/users/{me.id}", json=change, headers=factory.headers(me))
    assert response.status_code == 403, response.text
    assert client.get("/api/v1/me", headers=factory.headers(me)).json()["role"] == "team_lead"


def test_a_role_change_takes_effect_on_the_next_request(client, factory: Factory) -> None:
    world = build_world(factory)
    director, admin = world.users["director"], factory.headers(world.users["admin"])
    headers = factory.headers(director)
    unassigned = f"/api/v1/accounts/{world.accounts['none'].id}"
    assert client.get(unassigned, headers=headers).status_code == 200
    demoted = client.patch(f"/api/v1/users/{director.id}", json={"role": "am"}, headers=admin)
    assert demoted.status_code == 200, demoted.text
    assert client.get(unassigned, headers=headers).status_code == 404
    assert client.get("/api/v1/accounts", headers=headers).json()["items"] == []
    deactivated = client.patch(
        f"/api/v1/users/{director.id}", json={"is_active": False}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text
    assert client.get("/api/v1/me", headers=headers).status_code == 401
