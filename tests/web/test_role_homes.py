"""Every role's home in the browser (issue 21): the AE's board and a deal won through the pages,
the lead's cockpit and Team page against the lists they open, global search, and the pages on a
390 px phone."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.web.conftest import api_get, login, shot


def _book_count(page) -> int:  # type: ignore[no-untyped-def]
    text = page.locator("#book-count").inner_text()
    match = re.search(r"· (\d+) account", text)
    assert match, text
    return int(match.group(1))


def test_an_ae_drags_a_deal_to_another_stage(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "ae@example.com")
    page.goto(f"{live_server}/pipeline")
    card = page.locator(".board-col:not([data-stage=negotiation]) .deal-card").first
    deal_id = card.get_attribute("data-id")
    target = page.locator(".board-col[data-stage=negotiation]")
    before = int(target.locator(".count").inner_text())
    card.drag_to(target)
    page.wait_for_selector(f".board-col[data-stage=negotiation] [data-id='{deal_id}']")
    page.wait_for_function(
        f"() => document.querySelector('.board-col[data-stage=negotiation] .count')"
        f".innerText.trim() === '{before + 1}'"
    )
    deal = api_get(live_server, "ae@example.com", f"/api/v1/opportunities/{deal_id}")
    assert deal["stage"] == "negotiation" and deal["probability"] == 80
    shot(page, "pipeline-board")


def test_a_deal_is_created_and_won_through_the_pages(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "ae@example.com")
    page.goto(f"{live_server}/accounts/new")
    page.fill("input[name=name]", "Browser Prospect Ltd")
    page.select_option("select[name=lifecycle_stage]", "prospect")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/\d+$"))
    account_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{live_server}/deals/new?account_id={account_id}")
    page.fill("input[name=name]", "Browser Prospect, first year")
    page.select_option("select[name=type]", "new_business")
    page.fill("input[name=close_date]", (date.today() + timedelta(days=14)).isoformat())
    product = page.locator("select[name='line_items.0.product_id'] option", has_text="Core")
    page.select_option("select[name='line_items.0.product_id']", product.get_attribute("value"))
    page.fill("input[name='line_items.0.quantity']", "25")
    page.click("#deal-form button[type=submit]")
    page.wait_for_selector("[data-testid=saved]")
    assert page.locator("[data-testid=deal-amount]").inner_text() == "$15,000.00"  # 25 × $600
    page.fill("textarea[name=goals]", "Onboard 25 analysts by March")
    page.fill("textarea[name=promises]", "SSO in the first month")
    shot(page, "deal-close-won")
    page.click("[data-testid=close-won]")
    page.wait_for_url(re.compile(rf".*/accounts/{account_id}\?won=\d+"))
    body = page.locator("main").inner_text()
    assert "$15.0k" in body  # the account's ARR, set at once
    assert "Onboarding" in body and "Onboard 25 analysts by March" in body
    account = api_get(live_server, "ae@example.com", f"/api/v1/accounts/{account_id}")
    assert account["arr"] == "15000.00" and account["owner_am_id"] and account["csm_id"]
    shot(page, "deal-won-account-360")


def test_a_leads_cockpit_counts_equal_the_lists_they_open(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "lead@example.com")
    page.goto(f"{live_server}/today")
    shot(page, "my-day-lead")
    signals = {}
    for testid in ("team-red", "team-renewals-at-risk", "team-breached"):
        link = page.locator(f"[data-testid={testid}]")
        signals[testid] = (
            int(link.locator("strong").get_attribute("data-count")),
            link.get_attribute("href"),
        )
    reps = page.locator("[data-testid=team-checkins] a")
    rep_links = [
        (int(reps.nth(i).get_attribute("data-count")), reps.nth(i).get_attribute("href"))
        for i in range(reps.count())
    ]
    assert signals["team-red"][0] > 0 and rep_links
    for count, href in [signals["team-red"], signals["team-renewals-at-risk"], *rep_links]:
        page.goto(f"{live_server}{href}")
        assert _book_count(page) == count, href
    count, href = signals["team-breached"]
    page.goto(f"{live_server}{href}")
    listed = int(re.match(r"(\d+) escalation", page.locator(".page-head p").inner_text()).group(1))
    assert listed == count
    day = api_get(live_server, "lead@example.com", "/api/v1/me/day")
    assert day["counts"]["red_accounts"] == signals["team-red"][0]


def test_the_team_page_opens_the_accounts_each_figure_counts(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "lead@example.com")
    page.goto(f"{live_server}/team")
    shot(page, "team")
    rows = page.locator("#team-table tbody tr")
    assert rows.count() >= 5
    performance = api_get(live_server, "lead@example.com", "/api/v1/team/performance")
    by_user = {r["user_id"]: r for r in performance["rows"]}
    checked = 0
    for i in range(rows.count()):
        row = rows.nth(i)
        figures = by_user[int(row.get_attribute("data-user"))]
        for testid in ("accounts", "red", "checkins"):
            link = row.locator(f"[data-testid={testid}]")
            if link.count() == 0:
                continue
            count = int(link.get_attribute("data-count"))
            assert (
                count
                == figures[
                    {"accounts": "accounts", "red": "red_accounts", "checkins": "checkins_due"}[
                        testid
                    ]
                ]
            )
            if checked < 6:
                href = link.get_attribute("href")
                detail = page.context.new_page()
                detail.goto(f"{live_server}{href}")
                assert _book_count(detail) == count, href
                detail.close()
                checked += 1
    assert checked == 6


def test_global_search_finds_accounts_contacts_and_deals(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    first = page.locator("#book-table tbody tr a").first.inner_text()
    page.fill("header .search input", first.split()[0])
    page.press("header .search input", "Enter")
    page.wait_for_url(re.compile(r".*/search\?q=.*"))
    assert first in page.locator("[data-testid=search-accounts]").inner_text()
    shot(page, "search")


def _flat_charts(page) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Charts whose plotting area is under 120 px high (at a wide shape on a phone, the
    legend and the turned labels took all of it: the Forecast's projection was a flat line)."""
    page.wait_for_function(
        "!document.querySelector('canvas') || document.body.dataset.chartsReady === 'true'"
    )
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('canvas')]
                .map((c) => [c.id, window.Chart && Chart.getChart(c)])
                .filter(([, chart]) => chart)
                .map(([id, chart]) => [id, Math.round(chart.chartArea.height)])
                .filter(([, height]) => height < 120)"""
        )
    )


def test_pages_fit_a_phone(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    login(phone, live_server, "am@example.com")
    account = phone.locator("#book-table tbody tr a").first.get_attribute("href")
    for path, name in [
        ("/book", "phone-my-book"),
        (account, "phone-account-360"),
        ("/today", "phone-my-day"),
        ("/pipeline", "phone-pipeline"),
        ("/revenue", None),
        ("/renewals", None),
        ("/risk", None),
        ("/escalations", None),
        ("/search?q=a", None),
        ("/tasks", "phone-tasks"),
        ("/deals/new", None),
        ("/forecast", None),
        ("/retention", None),
        ("/onboarding", None),
    ]:
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} lays out at {width} px on a 390 px phone"
        flat = _flat_charts(phone)
        assert not flat, f"{path}: charts with no room to plot on a phone: {flat}"
        if name:
            shot(phone, name)
    # The navigation folds behind the menu button and opens on a tap.
    assert not phone.locator("header nav").is_visible()
    phone.click("label.nav-button")
    assert phone.locator("header nav a[href='/pipeline']").is_visible()
    context.close()


def test_leader_and_executive_pages_fit_a_phone(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    login(phone, live_server, "lead@example.com")
    for path, name in [
        ("/team", "phone-team"),
        ("/today", None),
        ("/portfolio", None),
        ("/leads", None),
        ("/leads/new", None),
    ]:
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} lays out at {width} px on a 390 px phone"
        flat = _flat_charts(phone)
        assert not flat, f"{path}: charts with no room to plot on a phone: {flat}"
        if name:
            shot(phone, name)
    context.close()


def test_an_executive_am_sees_their_portfolio(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "sam@example.com")
    page.goto(f"{live_server}/portfolio")
    rows = page.locator("#portfolio-table tbody tr")
    assert rows.count() > 0
    shot(page, "portfolio")
    # Every row is a key or strategic account of theirs.
    for i in range(rows.count()):
        assert re.search(r"Key|Strategic", rows.nth(i).locator("td").first.inner_text())
