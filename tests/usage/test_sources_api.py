"""Usage sources through the API: admins create a write key (shown once) and revoke it; the
groupIds that match no account are reported, their events kept."""

from __future__ import annotations

import base64

from tests.factories import Factory


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_create_use_revoke_a_source_and_see_unmatched_groups(client, factory: Factory) -> None:
    admin, am = factory.user("admin"), factory.user("am")
    factory.account(external_id="KNOWN", domain="known.example")
    headers = factory.headers(admin)
    created = client.post("/api/v1/usage/sources", json={"name": "Web app"}, headers=headers)
    assert created.status_code == 201, created.text
    key = created.json()["write_key"]
    assert created.json()["key_prefix"] == key[:8] and created.json()["events"] == 0

    batch = [
        {"type": "track", "event": "Login", "userId": "u1", "groupId": g, "messageId": f"m{i}"}
        for i, g in enumerate(["KNOWN", "known.example", "MYSTERY", "MYSTERY", "other.example"])
    ]
    assert client.post("/v1/batch", json={"batch": batch}, headers=_basic(key)).status_code == 200
    listed = client.get("/api/v1/usage/sources", headers=headers).json()
    assert [(s["name"], s["events"]) for s in listed] == [("Web app", 5)]
    assert "write_key" not in listed[0]  # never shown again
    unmatched = client.get("/api/v1/usage/unmatched-groups", headers=headers).json()
    assert [(g["group_id"], g["events"]) for g in unmatched] == [
        ("MYSTERY", 2),
        ("other.example", 1),
    ]

    source_id = listed[0]["id"]
    revoked = client.post(f"/api/v1/usage/sources/{source_id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = client.post("/v1/batch", json={"batch": batch}, headers=_basic(key))
    assert again.status_code == 401
    assert client.get("/api/v1/usage/sources", headers=headers).json()[0]["events"] == 5

    assert client.get("/api/v1/usage/sources", headers=factory.headers(am)).status_code == 403
    for body, field in (({"name": ""}, "name"), ({"name": "x", "key": "y"}, "key")):
        bad = client.post("/api/v1/usage/sources", json=body, headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field
    dup = client.post("/api/v1/usage/sources", json={"name": "Web app"}, headers=headers)
    assert dup.status_code == 409
    missing = client.post("/api/v1/usage/sources/999999/revoke", headers=headers)
    assert missing.status_code == 404
