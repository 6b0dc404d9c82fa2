"""The report builder and dashboard pages: the API's figures, saved as the API saves them,
HTML error pages for bad questions, and the book rule on every tile."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in
from tests.reports.test_report_builder import PERIOD, _book


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_the_builder_shows_the_apis_figures_and_exports_them(client, factory: Factory) -> None:
    world = _book(factory)
    _sign_in(client, world["am1"].email)
    page = client.get("/reports?measure=nrr&by1=owner&from=2026-01&to=2026-10")
    assert page.status_code == 200, page.text
    assert world["am1"].full_name in page.text and world["am2"].full_name not in page.text
    assert "93.3%" in page.text  # 1,400,000 / 1,500,000, as the Revenue page says
    assert 'class="report-data"' in page.text
    exported = client.get("/reports/export.csv?measure=nrr&by1=owner&from=2026-01&to=2026-10")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    api = client.post(
        "/api/v1/reports/run?format=csv",
        json={"measure": "nrr", "group_by": ["owner"], **PERIOD},
        headers=factory.headers(world["am1"]),
    )
    assert exported.text == api.text
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[1][0] == world["am1"].full_name


def test_saving_onto_a_new_dashboard_and_reading_it(client, factory: Factory) -> None:
    world = _book(factory)
    _sign_in(client, world["am1"].email)
    page = client.get("/reports?measure=accounts&by1=tier")
    body: dict[str, Any] = {
        "csrf_token": _csrf(page.text),
        "measure": "accounts",
        "by1": "tier",
        "chart": "bar",
        "name": "Accounts by tier",
        "dashboard_id": "new",
        "dashboard_name": "My board",
    }
    saved = client.post("/reports", data=body, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    board = client.get(saved.headers["location"])
    assert board.status_code == 200
    assert "My board" in board.text and "Accounts by tier" in board.text
    headers = factory.headers(world["am1"])
    [report] = client.get("/api/v1/reports", headers=headers).json()
    [dashboard] = client.get("/api/v1/dashboards", headers=headers).json()
    assert report["measure"] == "accounts" and report["group_by"] == ["tier"]
    assert [t["report_id"] for t in dashboard["tiles"]] == [report["id"]]
    # Another AM neither sees the dashboard nor the report.
    client.cookies.clear()
    _sign_in(client, world["am2"].email)
    assert client.get(saved.headers["location"]).status_code == 404
    assert client.get(f"/reports?report={report['id']}").status_code == 404


def test_bad_questions_are_html_errors_that_keep_the_form(client, factory: Factory) -> None:
    vp = factory.user("vp")
    _sign_in(client, vp.email)
    page = client.get("/reports?measure=nrr&by1=colour")
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "Group by" in page.text and "colour" in page.text
    assert client.get("/reports?measure=profit").status_code == 422
    assert client.get("/reports/export.csv?measure=nrr&from=2026-13").status_code == 422
    form = client.get("/reports?measure=accounts")
    unnamed = client.post(
        "/reports",
        data={"csrf_token": _csrf(form.text), "measure": "accounts", "name": ""},
    )
    assert unnamed.status_code == 422 and "report-error" in unnamed.text
    assert client.get("/api/v1/reports", headers=factory.headers(vp)).json() == []
