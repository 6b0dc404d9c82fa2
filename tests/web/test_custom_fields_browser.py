"""Issue 25 in a browser: the admin defines a custom field; the AM sets it on two accounts
through the account form, filters My Book by it (desktop and 390 px) and saves the filter as
a segment shared with nobody, which opens again as a view."""

from __future__ import annotations

from tests.web.conftest import api_get, login, shot


def test_define_a_field_set_it_filter_my_book_and_save_a_view(live_server, browser, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    login(page, base, "admin@example.com")
    page.goto(f"{base}/admin/fields")
    form = page.locator("#add-field")
    form.locator("select[name=entity]").select_option("account")
    form.locator("input[name=label]").fill("Sales region")
    form.locator("input[name=key]").fill("sales_region")
    form.locator("select[name=type]").select_option("picklist")
    form.locator("textarea[name=options]").fill("EMEA\nAMER\nAPAC")
    form.locator("input[name=help_text]").fill("Where the customer buys from")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#field-sales_region")
    assert "EMEA, AMER, APAC" in page.locator("#field-sales_region").inner_text()
    shot(page, "custom-fields-admin")
    page.context.clear_cookies()

    login(page, base, "am@example.com")
    mine = api_get(base, "am@example.com", "/api/v1/accounts?limit=3&sort=name")["items"]
    first, second, third = mine
    for account, region in ((first, "EMEA"), (second, "EMEA"), (third, "APAC")):
        page.goto(f"{base}/accounts/{account['id']}/edit")
        page.select_option("select[name='cf.sales_region']", region)
        page.click("form.grid-form button[type=submit]")
        page.wait_for_url(f"{base}/accounts/{account['id']}")
    assert "Sales region\nAPAC" in page.locator("#account-custom-fields").inner_text()
    shot(page, "custom-field-account-360")

    page.goto(f"{base}/book")
    page.click("[data-testid=custom-filters] summary")
    page.select_option("select[name='cf.sales_region']", "EMEA")
    page.wait_for_url("**cf.sales_region=EMEA**")
    page.wait_for_function("document.querySelectorAll('[data-testid=book] tbody tr').length === 2")
    names = page.locator("[data-testid=book] tbody tr td:first-child a").all_inner_texts()
    assert sorted(names) == sorted([first["name"], second["name"]]), names
    listed = api_get(base, "am@example.com", "/api/v1/accounts?cf.sales_region=EMEA&scope=mine")
    assert listed["total"] == 2
    shot(page, "my-book-custom-field-filter")

    page.click("details.save-view summary")
    page.fill("#save-segment input[name=name]", "EMEA accounts")
    page.click("#save-segment button[type=submit]")
    page.wait_for_url("**view=**")
    assert page.locator("select[name=view] option:checked").inner_text() == "EMEA accounts"
    page.goto(f"{base}/book")
    page.select_option("select[name=view]", label="EMEA accounts")
    page.wait_for_url("**cf.sales_region=EMEA**")
    rows = page.locator("[data-testid=book] tbody tr td:first-child a").all_inner_texts()
    assert sorted(rows) == sorted([first["name"], second["name"]])

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    login(small, base, "am@example.com")
    small.goto(f"{base}/book?cf.sales_region=EMEA")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert small.locator("[data-testid=book] tbody tr").count() == 2
    shot(small, "my-book-custom-field-phone")
    phone.close()
    assert width <= 390, f"My Book scrolls sideways at 390 px ({width} px wide)"
