"""The Retention page in a real browser: survival curves, sBG and valuation tables and the Cox
model, against the API's figures."""

from __future__ import annotations

import pytest

from tests.web.conftest import api_get as _api
from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def test_retention_page_shows_curves_models_and_value(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "vp@example.com")
    page.click("nav >> text=Retention")
    page.wait_for_selector("body[data-charts-ready=true]", state="attached")
    report = _api(live_server, "vp@example.com", "/api/v1/retention?by=segment")
    groups = report["groups"]
    assert groups[0]["group"] == "All" and groups[0]["churned"] > 0, "the demo has churn"
    chart = page.evaluate(
        "Chart.getChart(document.getElementById('retention-chart')).data.datasets"
        ".map(d => [d.label, d.data.length, d.data[12] ? d.data[12].y : null])"
    )
    curves = [(length, at_12) for label, length, at_12 in chart if not label.startswith("95%")]
    assert [label for label, _, _ in chart][2:4] == ["All", "Enterprise"]  # names, not codes
    for group, (length, at_12) in zip(groups, curves, strict=True):
        assert length == len(group["curve"])
        assert at_12 == pytest.approx(round(group["curve"][12]["survival"] * 1000) / 10)
    assert page.get_by_test_id("customers").inner_text() == str(groups[0]["customers"])
    rows = page.locator("[data-testid=sbg] tbody tr")
    assert rows.count() == len(groups)
    fitted = [g for g in groups if g["sbg"] and g["sbg"]["heterogeneous"]]
    assert fitted, "at least one group shows a spread of renewal probabilities"
    row = page.locator(f"[data-testid=sbg] tbody tr[data-group='{fitted[0]['group']}']")
    assert f"{fitted[0]['sbg']['alpha']:.3f}" in row.inner_text()
    value = page.locator("[data-testid=valuation] tbody tr").first.inner_text()
    assert str(groups[0]["valuation"]["customers"]) in value
    assert report["cox"] is not None
    assert page.locator("[data-testid=cox] tbody tr").count() == len(report["cox"]["hazard_ratios"])
    shot(page, "retention")

    page.select_option("[data-testid=by]", "cohort")
    page.wait_for_selector("body[data-charts-ready=true]", state="attached")
    cohorts = _api(live_server, "vp@example.com", "/api/v1/retention?by=cohort")
    assert page.locator("[data-testid=sbg] tbody tr").count() == len(cohorts["groups"])


def test_an_am_sees_the_retention_of_their_own_book(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/retention")
    page.wait_for_selector("body[data-charts-ready=true]", state="attached")
    mine = _api(live_server, "am@example.com", "/api/v1/retention")
    everyone = _api(live_server, "vp@example.com", "/api/v1/retention")
    assert 0 < mine["groups"][0]["customers"] < everyone["groups"][0]["customers"]
    assert page.get_by_test_id("customers").inner_text() == str(mine["groups"][0]["customers"])
