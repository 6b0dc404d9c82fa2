"""Issue 25 §3 in a browser: an AM builds ARR by month and tier as a line chart, checks the
table against the API, saves it onto a new dashboard, adds a second report (accounts by health
band) to the same dashboard, and reads the dashboard at desktop width and at 390 px."""

from __future__ import annotations

from tests.web.conftest import api_get, api_post, login, shot

CHART_DRAWN = (
    "(id) => { const c = document.getElementById(id); return !!(c && Chart.getChart(c)); }"
)


def test_build_a_report_save_it_to_a_dashboard_and_read_it(live_server, browser, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    login(page, base, "am@example.com")
    page.goto(f"{base}/reports")
    page.select_option("#report-measure", "arr")  # asks again: the measure's dimensions
    page.wait_for_load_state("load")
    page.select_option("#report-by1", "month")
    page.select_option("#report-by2", "tier")
    page.select_option("#report-chart-kind", "line")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**by2=tier**")
    page.wait_for_function(CHART_DRAWN, arg="report-chart")
    shown = page.locator("#report-result tbody tr").count()
    start = page.locator("#report-form input[name=from]").input_value()
    end = page.locator("#report-form input[name=to]").input_value()
    api = api_post(
        base,
        "am@example.com",
        "/api/v1/reports/run",
        {"measure": "arr", "group_by": ["month", "tier"], "from": start, "to": end},
    )
    assert shown == len(api["rows"]) > 0
    mine = api_get(base, "am@example.com", "/api/v1/metrics/revenue?by=tier&from=" + start)
    assert {g["group"] for g in mine["groups"]} >= {r["dimensions"]["tier"] for r in api["rows"]}
    shot(page, "report-builder")

    page.fill("#report-name", "ARR by month and tier")
    page.select_option("#report-dashboard", "new")
    page.fill("#report-dashboard-name", "My renewals board")
    page.click("#save-report button[type=submit]")
    page.wait_for_url("**/dashboards/*")
    dashboard_url = page.url

    page.goto(f"{base}/reports?measure=accounts&by1=health_band&chart=bar")
    page.fill("#report-name", "Accounts by health band")
    page.select_option("#report-dashboard", label="My renewals board")
    page.click("#save-report button[type=submit]")
    page.wait_for_url(dashboard_url)
    page.wait_for_selector(".dashboard-grid .tile >> nth=1")
    titles = page.locator(".dashboard-grid .tile h2").all_inner_texts()
    assert titles == ["ARR by month and tier", "Accounts by health band"]
    for canvas in page.locator(".dashboard-grid canvas").all():
        page.wait_for_function(CHART_DRAWN, arg=canvas.get_attribute("id"))
    bands = api_get(base, "am@example.com", "/api/v1/accounts?limit=1")["total"]
    counted = sum(
        int(cell.replace(",", ""))
        for cell in page.locator(".tile:nth-child(2) tbody td.num").all_text_contents()
    )
    assert counted == bands  # the health bands add up to My Book's accounts
    shot(page, "dashboard")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    login(small, base, "am@example.com")
    small.goto(dashboard_url)
    small.wait_for_function(CHART_DRAWN, arg=small.locator("canvas").first.get_attribute("id"))
    width = small.evaluate("document.documentElement.scrollWidth")
    shot(small, "dashboard-phone")
    phone.close()
    assert width <= 390, f"the dashboard scrolls sideways at 390 px ({width} px wide)"


def test_the_vps_leadership_dashboard_draws_every_tile(live_server, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    login(page, base, "vp@example.com")
    page.goto(f"{base}/reports")
    page.click('.reports-side a:text-is("Leadership")')
    page.wait_for_url("**/dashboards/*")
    canvases = page.locator(".dashboard-grid canvas").all()
    assert len(canvases) == 4
    for canvas in canvases:
        page.wait_for_function(CHART_DRAWN, arg=canvas.get_attribute("id"))
    assert page.locator(".dashboard-grid .notice.error").count() == 0
    shot(page, "dashboard-leadership")
