"""Merging duplicate accounts from Account 360, in a real browser."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def _api(base: str, email: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"email": email, "password": "steward-demo"},
        timeout=60,
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_an_am_merges_a_duplicate_account_from_its_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    api = _api(live_server, "am@example.com")
    me = api.get("/api/v1/me").json()["id"]
    survivor = api.post(
        "/api/v1/accounts", json={"name": "Quokka Systems", "segment": "smb", "owner_am_id": me}
    ).json()
    duplicate = api.post(
        "/api/v1/accounts",
        json={
            "name": "QUOKKA Systems Ltd",
            "segment": "smb",
            "owner_am_id": me,
            "domain": "quokka.example",
        },
    ).json()
    contact = api.post(
        "/api/v1/contacts",
        json={"account_id": duplicate["id"], "first_name": "Ada", "last_name": "Quill"},
    ).json()

    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/accounts/{survivor['id']}")
    page.click("text=Merge…")
    page.wait_for_url(f"{live_server}/accounts/{survivor['id']}/merge")
    row = page.locator(f"#dup-{duplicate['id']}")
    assert row.count() == 1
    row.check()
    shot(page, "account-merge")
    page.click("button:has-text('Merge into')")
    page.wait_for_url(f"{live_server}/accounts/{survivor['id']}")

    assert page.locator("h1").first.inner_text().startswith("Quokka Systems")
    assert "quokka.example" in page.locator("main").inner_text()  # blank domain filled
    moved = api.get(f"/api/v1/contacts/{contact['id']}").json()
    assert moved["account_id"] == survivor["id"]
    gone = api.get(f"/api/v1/accounts/{duplicate['id']}", follow_redirects=False)
    assert gone.status_code == 308
    # The old page address opens the survivor.
    page.goto(f"{live_server}/accounts/{duplicate['id']}")
    page.wait_for_url(f"{live_server}/accounts/{survivor['id']}")
    # Merging it again is refused on the page, naming why.
    page.goto(f"{live_server}/accounts/{survivor['id']}/merge")
    page.fill("input[name=other_ids]", str(duplicate["id"]))
    page.click("button:has-text('Merge into')")
    assert "already merged" in page.locator("[role=alert]").inner_text()
