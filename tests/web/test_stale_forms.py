"""Two people edit the same record on its page: the second save, made on the version both
opened, is refused with a message and loses neither change silently (issue 7 §5)."""

from __future__ import annotations

import pytest

from tests.web.conftest import login, shot
from tests.web.test_merge_page import _api

pytestmark = pytest.mark.browser


def test_the_second_of_two_account_edits_opened_together_is_refused(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    api = _api(live_server, "am@example.com")
    me = api.get("/api/v1/me").json()["id"]
    account = api.post(
        "/api/v1/accounts", json={"name": "Wombat Freight", "segment": "smb", "owner_am_id": me}
    ).json()
    pages = []
    for _ in range(2):
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        login(page, live_server, "am@example.com")
        page.goto(f"{live_server}/accounts/{account['id']}/edit")
        pages.append(page)
    first, second = pages
    first.fill("input[name=industry]", "Logistics")
    first.click("button:has-text('Save changes')")
    first.wait_for_url(f"{live_server}/accounts/{account['id']}")

    second.fill("input[name=industry]", "Shipping")
    second.click("button:has-text('Save changes')")
    second.wait_for_selector("[role=alert]")
    assert "Someone else changed this" in second.locator("[role=alert]").first.inner_text()
    shot(second, "stale-edit-refused")
    assert api.get(f"/api/v1/accounts/{account['id']}").json()["industry"] == "Logistics"

    # Saving again after seeing the message is a decision: it goes through.
    second.click("button:has-text('Save changes')")
    second.wait_for_url(f"{live_server}/accounts/{account['id']}")
    assert api.get(f"/api/v1/accounts/{account['id']}").json()["industry"] == "Shipping"
    for page in pages:
        page.context.close()
