"""Bad input answers 4xx problem+json naming the field, and the database is unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from steward.accounts.models import Account
from steward.core.audit import AuditEvent
from tests.factories import Factory


def _counts(factory: Factory) -> tuple[int, int]:
    with factory.db.session() as session:
        accounts = session.scalar(select(func.count()).select_from(Account))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(accounts or 0), int(events or 0)


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


CASES = [
    ("missing name", {"segment": "smb"}, "name"),
    ("wrong type", {"name": "X", "segment": "smb", "parent_id": "abc"}, "parent_id"),
    ("bad enum", {"name": "X", "segment": "huge"}, "segment"),
    ("unknown field", {"name": "X", "segment": "smb", "arr": 100}, "arr"),
    ("unknown parent", {"name": "X", "segment": "smb", "parent_id": 999999}, "parent_id"),
    ("unknown owner", {"name": "X", "segment": "smb", "owner_am_id": 999999}, "owner_am_id"),
    ("bad domain", {"name": "X", "segment": "smb", "domain": "not a domain"}, "domain"),
    ("too long", {"name": "X" * 201, "segment": "smb"}, "name"),
]


@pytest.mark.parametrize(("case", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_invalid_account_bodies_name_the_field(client, factory: Factory, case, body, field) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)
    before = _counts(factory)
    response = client.post("/api/v1/accounts", json=body, headers=headers)
    problem = _problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert field in problem["detail"]
    assert _counts(factory) == before


def test_malformed_json_and_oversized_body(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin")) | {"content-type": "application/json"}
    before = _counts(factory)
    problem = _problem(
        client.post("/api/v1/accounts", content=b'{"name": "X",', headers=headers), 422
    )
    assert problem["errors"][0]["field"] == "body"
    assert "JSON" in problem["detail"]
    huge = b'{"name": "' + b"x" * 2_000_000 + b'", "segment": "smb"}'
    problem = _problem(client.post("/api/v1/accounts", content=huge, headers=headers), 413)
    assert problem["errors"][0]["field"] == "body"
    assert _counts(factory) == before


def test_bad_query_parameters_and_unknown_ids(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    problem = _problem(client.get("/api/v1/accounts?limit=5000", headers=headers), 422)
    assert problem["errors"][0]["field"] == "limit"
    problem = _problem(client.get("/api/v1/accounts?sort=password", headers=headers), 422)
    assert problem["errors"][0]["field"] == "sort"
    problem = _problem(client.get("/api/v1/accounts?renewal_from=yesterday", headers=headers), 422)
    assert problem["errors"][0]["field"] == "renewal_from"
    _problem(client.get("/api/v1/contracts/424242", headers=headers), 404)
    _problem(client.patch("/api/v1/tasks/424242", json={"title": "x"}, headers=headers), 404)


def test_a_failed_write_leaves_no_half_written_contract(client, factory: Factory) -> None:
    admin = factory.user("admin")
    account = factory.account(owner_am_id=factory.user("am").id)
    product = factory.product()
    headers = factory.headers(admin)
    before = _counts(factory)
    body = {
        "account_id": account.id,
        "name": "Two lines, the second bad",
        "start_date": "2026-01-01",
        "end_date": "2027-01-01",
        "line_items": [{"product_id": product.id, "quantity": 5}, {"product_id": 999999}],
    }
    problem = _problem(client.post("/api/v1/contracts", json=body, headers=headers), 422)
    assert problem["errors"][0]["field"] == "line_items.1.product_id"
    listed = client.get(f"/api/v1/contracts?account_id={account.id}", headers=headers)
    assert listed.json()["total"] == 0
    assert _counts(factory) == before


def test_unauthenticated_requests_get_401(client) -> None:
    _problem(client.get("/api/v1/accounts"), 401)
    _problem(client.get("/api/v1/accounts", headers={"Authorization": "Bearer nope"}), 401)
