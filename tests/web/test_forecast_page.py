"""The Forecast page in a real browser: projection with its band, renewals, pipeline and the
replayed forecasts beside what happened, against the API's figures."""

from __future__ import annotations

import pytest

from tests.web.conftest import api_get as _api
from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def test_forecast_page_shows_the_projection_renewals_and_forecast_vs_actual(
    live_server, page
) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "vp@example.com")
    page.click("nav >> text=Risk")
    page.click("text=Forecast →")
    page.wait_for_selector("body[data-charts-ready=true]", state="attached")
    report = _api(live_server, "vp@example.com", "/api/v1/forecasts")
    assert report["customers"] > 0, "the demo scores its customers"
    assert page.evaluate("!!Chart.getChart(document.getElementById('arr-projection-chart'))")
    band = page.evaluate(
        "Chart.getChart(document.getElementById('arr-projection-chart')).data.datasets"
        ".map(d => d.data[d.data.length - 1])"
    )
    last = report["quarters"][-1]["arr_end"]
    assert band[:3] == [float(last["p90"]), float(last["p10"]), float(last["expected"])]
    rows = page.locator("[data-testid=quarters] tbody tr")
    assert rows.count() == 4
    first = report["quarters"][0]
    assert first["quarter"] in rows.first.inner_text()
    assert str(first["renewals_due"]) in rows.first.inner_text()
    assert page.locator("[data-testid=at-risk] tbody tr").count() == len(report["at_risk"])
    categories = page.locator("[data-testid=pipeline-category] tbody tr")
    assert categories.count() == len(report["pipeline"]["by_category"]) + 1  # and the total
    outcomes = _api(live_server, "vp@example.com", "/api/v1/forecasts/outcomes")
    assert outcomes, "the demo replays past quarters"
    table = page.locator("[data-testid=outcomes] tbody tr")
    assert table.count() == len(outcomes)
    assert "replayed" in table.first.inner_text()
    shot(page, "forecast")


def test_an_am_sees_their_own_accounts_forecast(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.goto(f"{live_server}/forecast")
    page.wait_for_selector("body[data-charts-ready=true]", state="attached")
    report = _api(live_server, "am@example.com", "/api/v1/forecasts")
    everyone = _api(live_server, "vp@example.com", "/api/v1/forecasts")
    assert 0 < report["customers"] < everyone["customers"]
    assert page.locator("[data-testid=scope] option").count() == 1
    assert report["current_arr"] != everyone["current_arr"]
