"""Revenue dashboard and Renewals pages in a real browser: charts drawn, figures agree with
the API, filters work, and an AM's renewals are their book's."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import api_get as _api
from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def test_revenue_dashboard_draws_its_charts_and_matches_the_api(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "vp@example.com")
    page.click("nav >> text=Revenue")
    page.wait_for_selector("body[data-charts-ready=true]")
    assert page.locator("h1").inner_text() == "Revenue"
    for chart in ("#waterfall-chart", "#trend-chart", "#movements-chart"):
        box = page.locator(chart).bounding_box()
        assert box and box["height"] > 100, chart
    # Chart.js attaches a chart to each canvas it drew.
    drawn = page.evaluate(
        "['waterfall-chart','trend-chart','movements-chart']"
        ".filter(id => Chart.getChart(document.getElementById(id))).length"
    )
    assert drawn == 3
    months = re.search(r"(\d{4}-\d{2}) to (\d{4}-\d{2})", page.locator(".page-head p").inner_text())
    report = _api(
        live_server,
        "vp@example.com",
        f"/api/v1/metrics/revenue?from={months.group(1)}&to={months.group(2)}&by=segment",
    )
    rows = page.locator("#group-table tbody tr")
    assert rows.count() == len(report["groups"])
    assert page.locator("#cohort-table tbody tr").count() > 0
    shot(page, "revenue-dashboard")

    page.select_option("select[name=value]", "enterprise")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("body[data-charts-ready=true]")
    assert "Segment: Enterprise" in page.locator(".page-head p").inner_text()
    enterprise = next(g for g in report["groups"] if g["group"] == "enterprise")
    end_tile = page.locator(".kpi").first.locator("small").inner_text()
    assert f"{enterprise['waterfall']['end_logos']} customers" in end_tile

    page.goto(f"{live_server}/revenue?from=2026-13&to=2026-01")
    assert "is not a month" in page.locator("[role=alert]").inner_text()


def test_renewals_page_lists_the_ams_contracts_coming_up(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.click("nav >> text=Renewals")
    page.wait_for_selector("body[data-charts-ready=true]")
    calendar = _api(live_server, "am@example.com", "/api/v1/renewals?days=180&limit=1000")
    rows = page.locator("#renewals-table tbody tr")
    assert rows.count() == calendar["total"] > 0
    first = calendar["items"][0]
    assert rows.first.locator("td").first.inner_text() == first["account_name"]
    shot(page, "renewals")
    page.click("text=30 days")
    page.wait_for_url(re.compile(r".*days=30.*"))
    assert page.locator("#renewals-table tbody tr").count() <= calendar["total"]
