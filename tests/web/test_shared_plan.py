"""Issue 24 in a browser: an AM shares a success plan with a contact; the contact opens the link
on a phone with no login, marks their milestone done and comments; the AM sees both on
Account 360; a revoked link, or a link with one character changed, answers like an unknown
one."""

from __future__ import annotations

import httpx

from tests.web.conftest import login, shot


def _api(base: str, email: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"email": email, "password": "steward-demo"},
        timeout=60,
    ).json()["access_token"]
    return httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def _new_plan(base: str, nth: int = 0) -> tuple[int, int, int, str, str]:
    """A plan of its own on one of the AM's accounts, with a milestone the customer owns."""
    with _api(base, "am@example.com") as api:
        # The nth of the AM's accounts that has a contact (other tests may add bare ones).
        with_contacts = [
            (account, contacts)
            for account in api.get("/accounts", params={"limit": 50}).json()["items"]
            if (
                contacts := api.get("/contacts", params={"account_id": account["id"]}).json()[
                    "items"
                ]
            )
        ]
        account, contacts = with_contacts[nth]
        contact = contacts[0]
        plan = api.post(
            "/success-plans",
            json={
                "account_id": account["id"],
                "title": "Shared plan (browser test)" if nth == 0 else "Another account's plan",
                "outcomes": [
                    {"description": "Month-end close in 3 days", "success_measure": "≤ 3 days"}
                ],
            },
        ).json()
        milestone = api.post(
            f"/success-plans/{plan['id']}/milestones",
            json={"title": "Connect the general ledger", "contact_owner_id": contact["id"]},
        )
        assert milestone.status_code == 201, milestone.text
        api.post(f"/success-plans/{plan['id']}/milestones", json={"title": "Train finance"})
    name = f"{contact['first_name']} {contact['last_name']}"
    return account["id"], plan["id"], contact["id"], name, milestone.json()["id"]


def test_a_contact_works_on_a_shared_plan_and_the_owner_sees_it(live_server, browser, page) -> None:  # type: ignore[no-untyped-def]
    account_id, plan_id, contact_id, contact, _ = _new_plan(live_server)
    milestone = "Connect the general ledger"
    # Another account's plan, with a milestone the link must never reach.
    _, other_plan, _, _, other_milestone = _new_plan(live_server, nth=1)
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/success-plans/{plan_id}")
    page.select_option("select[name=contact_id]", value=str(contact_id))
    page.click("button:has-text('Share by personal link')")
    link = page.locator("input.share-link").input_value()
    assert "/p/" in link
    shot(page, "success-plan-shared")

    # The customer: a phone, no cookies, no login.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    customer = phone.new_page()
    opened = customer.goto(link)
    assert opened is not None and opened.status == 200
    assert customer.locator("h1").inner_text() == "Shared plan (browser test)"
    assert customer.locator("#shared-progress").inner_text() == "0 %"
    assert customer.locator("nav").count() == 0  # nothing of Steward beyond the plan
    width = customer.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    shot(customer, "shared-plan-phone")
    customer.click("button:has-text('Mark done')")
    customer.wait_for_url(f"{link}#milestone-*")
    assert customer.locator("#shared-progress").inner_text() == "50 %"
    customer.fill("textarea[name=body]", "Ledger connected; finance starts Monday.")
    customer.select_option("#comments select[name=milestone_id]", label=milestone)
    customer.click("button:has-text('Send comment')")
    customer.wait_for_selector("text=Ledger connected; finance starts Monday.")
    customer.locator("details summary").click()
    customer.fill("#metrics input[name=name]", "Days to close the books")
    customer.fill("#metrics details input[name=baseline]", "9")
    customer.fill("#metrics details input[name=current]", "6.5")
    customer.fill("#metrics details input[name=target]", "3")
    customer.click("button:has-text('Add metric')")
    customer.wait_for_selector("text=Days to close the books")
    shot(customer, "shared-plan-phone-after")
    # The link reaches its own plan only: another plan's milestone is not found, and stays open.
    reached = customer.request.post(f"{link}/milestones/{other_milestone}/done")
    assert reached.status == 404
    with _api(live_server, "am@example.com") as api:
        other = api.get(f"/success-plans/{other_plan}/detail").json()
        assert {m["status"] for m in other["milestones"]} == {"planned"}
        assert other["title"] not in customer.locator("body").inner_text()
    customer.emulate_media(media="print")  # the print stylesheet hides the forms
    assert not customer.locator("button:has-text('Send comment')").is_visible()
    customer.emulate_media(media="screen")

    # The owner sees it on Account 360 and on the plan.
    page.goto(f"{live_server}/accounts/{account_id}")
    timeline = page.locator("body").inner_text()
    assert f"{contact} marked “{milestone}” done" in timeline
    assert f"{contact} commented on the success plan on “{milestone}”" in timeline
    shot(page, "account-360-customer-actions")
    page.goto(f"{live_server}/success-plans/{plan_id}")
    assert "Ledger connected" in page.locator("#customer-side").inner_text()
    assert "6.5" in page.locator("#customer-side").inner_text()

    # A changed character, and then the revoked link, answer alike.
    token = link.rsplit("/", 1)[1]
    forged = link[: -len(token)] + ("A" if token[0] != "A" else "B") + token[1:]
    unknown = customer.goto(forged)
    assert unknown is not None and unknown.status == 404
    unknown_text = customer.locator("main, body").first.inner_text()
    page.click("#shares button:has-text('Revoke')")
    page.wait_for_selector("#shares >> text=revoked")
    revoked = customer.goto(link)
    assert revoked is not None and revoked.status == 404
    assert customer.locator("main, body").first.inner_text() == unknown_text
    phone.close()
