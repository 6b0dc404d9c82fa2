"""The book-of-business rule, walked across every role and every account-owned resource."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from steward.core.audit import AuditEvent
from tests.factories import Factory
from tests.support.book import ALL, EXPECTED, RESOURCES, build_world

# A harmless, valid PATCH for each resource: only the book rule can refuse it.
PATCHES: dict[str, dict[str, Any]] = {
    "accounts": {"industry": "Changed"},
    "contacts": {"title": "Changed"},
    "contracts": {"notes": "Changed"},
    "opportunities": {"name": "Changed"},
    "activities": {"subject": "Changed"},
    "tasks": {"title": "Changed"},
    "escalations": {"title": "Changed"},
    "success-plans": {"title": "Changed"},
    "onboarding/projects": {"name": "Changed"},
}


def _audit_count(factory: Factory) -> int:
    with factory.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_exactly_its_book(client, factory: Factory, role: str) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[role])
    visible = EXPECTED[role]
    for resource in RESOURCES:
        response = client.get(f"/api/v1/{resource}?limit=1000", headers=headers)
        assert response.status_code == 200, response.text
        listed = {item["id"] for item in response.json()["items"]}
        expected_ids = {world.records[resource][key] for key in visible}
        assert listed == expected_ids, f"{role} listing {resource}"


@pytest.mark.parametrize("role", sorted(r for r, v in EXPECTED.items() if v != ALL))
def test_ids_outside_the_book_answer_404_and_change_nothing(
    client, factory: Factory, role: str
) -> None:
    world = build_world(factory)
    headers = factory.headers(world.users[role])
    hidden = ALL - EXPECTED[role]
    before = _audit_count(factory)
    for resource in RESOURCES:
        missing = client.get(f"/api/v1/{resource}/987654321", headers=headers)
        assert missing.status_code == 404
        for key in hidden:
            record_id = world.records[resource][key]
            calls = [
                ("GET", f"/api/v1/{resource}/{record_id}", None),
                ("PATCH", f"/api/v1/{resource}/{record_id}", PATCHES[resource]),
                ("DELETE", f"/api/v1/{resource}/{record_id}", None),
                ("POST", f"/api/v1/{resource}/{record_id}/restore", None),
            ]
            for method, url, body in calls:
                response = client.request(method, url, json=body, headers=headers)
                assert response.status_code == 404, f"{role} {method} {url}: {response.text}"
                assert response.headers["content-type"].startswith("application/problem+json")
                # Same shape as an id that does not exist: existence is not disclosed.
                assert set(response.json()) == set(missing.json())
                assert response.json()["title"] == missing.json()["title"]
    # Writes pointing into another book are refused too (as an unknown account).
    for key in hidden:
        account_id = world.accounts[key].id
        response = client.post(
            "/api/v1/contacts",
            json={"account_id": account_id, "first_name": "X", "last_name": "Y"},
            headers=headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "account_id"
    assert _audit_count(factory) == before, "a refused request wrote something"


def test_children_of_an_account_in_the_book_are_visible(client, factory: Factory) -> None:
    am = factory.user("am")
    parent = factory.account(owner_am_id=am.id)
    child = factory.account(parent_id=parent.id)
    response = client.get(f"/api/v1/accounts/{child.id}", headers=factory.headers(am))
    assert response.status_code == 200
    children = client.get(f"/api/v1/accounts/{parent.id}/children", headers=factory.headers(am))
    assert [c["id"] for c in children.json()] == [child.id]


def test_reassignment_takes_effect_on_the_next_request(client, factory: Factory) -> None:
    am, other, admin = factory.user("am"), factory.user("am"), factory.user("admin")
    account = factory.account(owner_am_id=am.id)
    am_headers = factory.headers(am)
    assert client.get(f"/api/v1/accounts/{account.id}", headers=am_headers).status_code == 200
    moved = client.patch(
        f"/api/v1/accounts/{account.id}",
        json={"owner_am_id": other.id},
        headers=factory.headers(admin),
    )
    assert moved.status_code == 200, moved.text
    assert client.get(f"/api/v1/accounts/{account.id}", headers=am_headers).status_code == 404


def test_cached_book_pages_follow_every_write(client, factory: Factory) -> None:
    am, admin = factory.user("am"), factory.user("admin")
    account = factory.account(name="Before", owner_am_id=am.id)
    am_headers, admin_headers = factory.headers(am), factory.headers(admin)
    url = "/api/v1/accounts?scope=mine&limit=1000"
    assert [a["name"] for a in client.get(url, headers=am_headers).json()["items"]] == ["Before"]
    client.patch(f"/api/v1/accounts/{account.id}", json={"name": "After"}, headers=admin_headers)
    assert [a["name"] for a in client.get(url, headers=am_headers).json()["items"]] == ["After"]
    factory.contract(account, items=[{"quantity": 3}])
    assert client.get(url, headers=am_headers).json()["items"][0]["arr"] != "0.00"
    client.patch(
        f"/api/v1/accounts/{account.id}", json={"owner_am_id": None}, headers=admin_headers
    )
    assert client.get(url, headers=am_headers).json()["items"] == []
