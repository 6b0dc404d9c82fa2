"""Pages in a real browser: login, My Book filtering, Account 360, a form's validation error."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def test_login_rejects_a_wrong_password_then_lands_on_my_book(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/book")
    assert "/login" in page.url  # pages need a login
    shot(page, "login")
    page.fill("input[name=email]", "am@example.com")
    page.fill("input[name=password]", "not the password")
    page.click("main button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Wrong e-mail or password."
    login(page, live_server, "am@example.com")
    assert page.locator("h1").inner_text() == "My Book"
    assert "Amara Mensah" in page.locator(".who").inner_text()


def test_my_book_shows_only_the_ams_accounts_and_filters(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    rows = page.locator("[data-testid=book] tbody tr")
    assert rows.count() > 0
    owners = {rows.nth(i).locator("td").nth(8).inner_text() for i in range(rows.count())}
    shot(page, "my-book")
    # Subsidiaries of the AM's accounts are in the book even when another AM owns them.
    assert "Amara Mensah" in owners
    total = int(re.search(r"(\d+) account", page.locator(".page-head p").inner_text()).group(1))
    page.select_option("select[name=segment]", "enterprise")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=book] tbody tr td:nth-child(2)')]"
        ".every(td => td.innerText.trim() === 'Enterprise')"
    )
    assert "segment=enterprise" in page.url
    enterprise_rows = page.locator("[data-testid=book] tbody tr").count()
    assert 0 < enterprise_rows <= total
    # The figures above the table count the accounts in view, after filtering too (they
    # used to keep counting the whole book).
    page.wait_for_function(
        f"() => document.querySelector('#book-count').innerText.includes('· {enterprise_rows} ')"
    )
    kpi = page.locator("#book-kpis .kpi small").first.inner_text()
    assert kpi.startswith(f"{enterprise_rows} accounts"), kpi
    page.fill("form.filters input[name=q]", "zzzz-no-such-account")
    page.wait_for_selector("text=No accounts match these filters.")
    page.wait_for_function("() => document.querySelector('#book-count').innerText.includes('· 0 ')")
    assert page.locator("#book-kpis .kpi small").first.inner_text().startswith("0 accounts")
    shot(page, "my-book-filtered")


def test_a_team_lead_switches_between_mine_and_team(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "lead@example.com")
    assert page.locator(".segmented label.on").inner_text().strip() == "My team"
    team_total = page.locator(".page-head p").inner_text()
    page.click("text=Everything I can see")
    page.wait_for_url(re.compile(r".*scope=all.*"))
    assert page.locator(".page-head p").inner_text() != "" and team_total


def test_account_360_shows_the_whole_account(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/book?sort=-arr")
    first = page.locator("[data-testid=book] tbody tr a.strong").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector("h1")
    assert name in page.locator("h1").inner_text()
    for heading in (
        "Contracts",
        "Timeline",
        "Account team",
        "Contacts",
        "Open tasks",
        "Opportunities",
    ):
        assert page.locator("h2", has_text=heading).count() == 1, heading
    assert page.locator("[data-testid=arr]").inner_text().startswith("$")
    assert page.locator("details.contract").count() >= 1
    shot(page, "account-360")


def test_an_account_outside_the_book_is_not_found(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am2@example.com")
    token = httpx.post(
        f"{live_server}/api/v1/auth/token",
        json={"email": "am@example.com", "password": "steward-demo"},
    ).json()["access_token"]
    mine = httpx.get(
        f"{live_server}/api/v1/accounts?scope=mine&limit=1000",
        headers={"Authorization": f"Bearer {token}"},
    )
    other_ids = {a["id"] for a in mine.json()["items"] if a["parent_id"] is None}
    am2 = httpx.post(
        f"{live_server}/api/v1/auth/token",
        json={"email": "am2@example.com", "password": "steward-demo"},
    ).json()["access_token"]
    visible = httpx.get(
        f"{live_server}/api/v1/accounts?limit=1000", headers={"Authorization": f"Bearer {am2}"}
    )
    hidden = sorted(other_ids - {a["id"] for a in visible.json()["items"]})
    assert hidden
    response = page.goto(f"{live_server}/accounts/{hidden[0]}")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Not found"


def test_new_account_form_shows_validation_errors_then_saves(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/accounts/new")
    page.fill("input[name=domain]", "not a domain")
    page.click("main button[type=submit]")
    page.wait_for_selector(".alert.error")
    assert page.locator("label.invalid").count() >= 2  # name missing, domain malformed
    assert "required" in page.locator("label.invalid", has_text="Name").inner_text()
    shot(page, "account-form-errors")
    page.fill("input[name=name]", "Playwright Test Co")
    page.fill("input[name=domain]", "playwright-test.example")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/\d+$"))
    assert "Playwright Test Co" in page.locator("h1").inner_text()
    # The AM who created it owns it, so it is in their book.
    assert "Amara Mensah" in page.locator("dl.team").inner_text()


def test_logging_an_activity_updates_last_touch(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/book?sort=last_touch_at")
    page.locator("[data-testid=book] tbody tr a.strong").first.click()
    page.click("text=Log activity")
    page.fill("input[name=subject]", "")
    page.click("main button[type=submit]")
    page.wait_for_selector("label.invalid")
    assert page.locator("label.invalid", has_text="Subject").count() == 1
    page.fill("input[name=subject]", "Renewal planning call")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Renewal planning call")
    assert page.locator(".kpi", has_text="Last touch").locator("strong").inner_text() == "today"
