"""Issue 25 in a browser: an admin lets the churn model learn from a custom field; an AM
narrows My Book by usage (licence utilisation of the latest health score) and saves it as a
segment (desktop and 390 px)."""

from __future__ import annotations

from tests.web.conftest import api_get, login, shot


def test_a_churn_feature_is_chosen_and_my_book_filters_by_usage(live_server, browser, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    login(page, base, "admin@example.com")
    page.goto(f"{base}/admin/fields")
    form = page.locator("#add-field")
    form.locator("select[name=entity]").select_option("account")
    form.locator("input[name=label]").fill("Support plan")
    form.locator("input[name=key]").fill("support_plan")
    form.locator("select[name=type]").select_option("picklist")
    form.locator("textarea[name=options]").fill("Gold\nSilver")
    form.locator("select[name=churn_feature]").select_option("history")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#field-support_plan")
    assert "as it was each day" in page.locator("#field-support_plan").inner_text()
    declared = api_get(base, "admin@example.com", "/api/v1/custom-fields")
    [plan] = [f for f in declared if f["key"] == "support_plan"]
    assert plan["churn_feature"] == "history"
    shot(page, "custom-field-churn-feature")
    page.context.clear_cookies()

    login(page, base, "am@example.com")
    page.goto(f"{base}/book")
    page.click("[data-testid=usage-filters] summary")
    page.fill("input[name=utilisation_max]", "50")
    page.wait_for_url("**utilisation_max=50**")
    expected = api_get(base, "am@example.com", "/api/v1/accounts?utilisation_max=50&scope=mine")
    assert 0 < expected["total"] <= 50, expected["total"]
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=book] tbody tr').length === {expected['total']}"
    )
    names = page.locator("[data-testid=book] tbody tr td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(a["name"] for a in expected["items"])
    shot(page, "my-book-usage-filter")

    page.click("details.save-view summary")
    page.fill("#save-segment input[name=name]", "Seats going unused")
    page.click("#save-segment button[type=submit]")
    page.wait_for_url("**view=**")
    assert "utilisation_max=50" in page.url
    assert page.locator("select[name=view] option:checked").inner_text() == "Seats going unused"
    [segment] = [
        s
        for s in api_get(base, "am@example.com", "/api/v1/segments")
        if s["name"] == "Seats going unused"
    ]
    held = api_get(base, "am@example.com", f"/api/v1/segments/{segment['id']}/accounts")
    assert held["total"] == expected["total"]

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    login(small, base, "am@example.com")
    small.goto(f"{base}/book?utilisation_max=50")
    small.click("[data-testid=usage-filters] summary")
    width = small.evaluate("document.documentElement.scrollWidth")
    shot(small, "my-book-usage-filter-phone")
    phone.close()
    assert width <= 390, f"My Book scrolls sideways at 390 px ({width} px wide)"
