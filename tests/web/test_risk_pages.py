"""The Risk page, the churn column of My Book and the churn panel of Account 360 in a real
browser, against the API's figures."""

from __future__ import annotations

import pytest

from tests.web.conftest import api_get as _api
from tests.web.conftest import login, shot

pytestmark = pytest.mark.browser


def test_risk_page_ranks_the_book_by_arr_at_risk_with_reasons(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "am@example.com")
    page.click("nav >> text=Risk")
    page.wait_for_selector("body[data-charts-ready=true]")
    risks = _api(live_server, "am@example.com", "/api/v1/churn/risk?limit=500")
    assert risks["total"] > 0, "the demo trains and scores a churn model"
    assert page.locator("[data-testid=risk-total]").inner_text() == str(risks["total"])
    assert page.evaluate("!!Chart.getChart(document.getElementById('risk-chart'))")
    rows = page.locator("[data-testid=risk-table] tbody tr")
    assert rows.count() == min(100, risks["total"])  # the AM's book only, one page
    first = risks["items"][0]
    assert first["account_name"] in rows.first.inner_text()
    assert page.locator("[data-testid=calibration] tbody tr").count() >= 1
    shot(page, "risk")
    page.click("text=≥ 40%")
    page.wait_for_url("**min_probability=0.4**")
    shown = page.locator("[data-testid=risk-table] tbody tr").count()
    assert shown == sum(1 for i in risks["items"] if i["probability"] >= 0.4)


def test_account_360_explains_the_churn_risk_and_my_book_sorts_by_it(live_server, page) -> None:  # type: ignore[no-untyped-def]
    login(page, live_server, "vp@example.com")
    page.goto(f"{live_server}/book?sort=-churn_risk")
    top = page.locator("[data-testid=book] tbody tr").first
    top.locator("a.strong").click()
    account_id = int(page.url.rstrip("/").split("/")[-1].split("#")[0])
    risk = _api(live_server, "vp@example.com", f"/api/v1/churn/accounts/{account_id}")
    highest = _api(live_server, "vp@example.com", "/api/v1/churn/risk?limit=1000")["items"]
    assert risk["probability"] == max(i["probability"] for i in highest)
    panel = page.locator("[data-testid=churn]")
    assert panel.locator("[data-testid=churn-probability]").inner_text() == (
        f"{risk['probability'] * 100:.0f}%"
    )
    reasons = panel.locator("[data-testid=churn-reasons] tbody tr")
    assert reasons.count() == len(risk["reasons"])
    if risk["reasons"]:
        assert risk["reasons"][0]["label"] in reasons.first.inner_text()
    panel.scroll_into_view_if_needed()
    shot(page, "account-360-churn")


def test_on_a_phone_the_churn_reasons_and_an_empty_list_read_as_sentences(  # type: ignore[no-untyped-def]
    live_server, browser
) -> None:
    """At 390 px the churn panel's reasons wrap inside the card, every reason's points in
    view (not behind a sideways scroll), and an empty list's sentence keeps its link in the
    line ("(connect yours)", not three columns of words)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    login(phone, live_server, "vp@example.com")
    phone.goto(f"{live_server}/book?sort=-churn_risk")
    account = phone.locator("[data-testid=book] tbody tr a.strong").first.get_attribute("href")
    phone.goto(f"{live_server}{account}")
    reasons = phone.locator("[data-testid=churn-reasons]")
    assert reasons.locator("tbody tr").count() > 0, "the riskiest account has reasons"
    hidden = reasons.evaluate("(table) => table.scrollWidth - table.clientWidth")
    assert hidden <= 1, f"the reasons hide {hidden} px behind a sideways scroll"
    card = phone.locator("[data-testid=churn]").bounding_box()
    for points in reasons.locator("td.num").all():
        box = points.bounding_box()
        assert box and card and box["x"] + box["width"] <= card["x"] + card["width"]
    empty = phone.locator("#upcoming-meetings li.empty")
    assert empty.count() == 1, "the test workspace connects no calendars"
    line_of_link, last_line_before = empty.evaluate(
        """(item) => {
            const link = item.querySelector('a');
            const range = document.createRange();
            range.setStart(item, 0);
            range.setEndBefore(link);
            const rects = range.getClientRects();
            return [link.getClientRects()[0].top, rects[rects.length - 1].top];
        }"""
    )
    assert line_of_link >= last_line_before - 1, "the link sits beside the sentence, not in it"
    phone.locator("[data-testid=churn]").scroll_into_view_if_needed()
    shot(phone, "phone-account-360-churn")
    context.close()
