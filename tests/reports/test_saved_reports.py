"""Saved reports and dashboards (issue 25 §3): the question is kept, never the answer, so a
report shared with a team runs over each reader's own book; sharing follows the one rule of
`users.sharing`; CSV export is the rows the API answers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.factories import Factory
from tests.reports.test_report_builder import PERIOD, _book


def _save(client: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/reports", json=body, headers=headers)


def test_a_shared_report_runs_over_each_readers_book(client, factory: Factory) -> None:
    team = factory.team()
    world = _book(factory, team)
    am1 = factory.headers(world["am1"])
    saved = _save(
        client,
        am1,
        name="NRR by owner",
        measure="nrr",
        group_by=["owner"],
        team_id=team.id,
        chart="bar",
        **PERIOD,
    )
    assert saved.status_code == 201, saved.text
    report = saved.json()
    assert report["measure"] == "nrr" and report["from"] == "2026-01" and report["to"] == "2026-10"
    # Read back unchanged.
    assert client.get(f"/api/v1/reports/{report['id']}", headers=am1).json() == report
    am2 = factory.headers(world["am2"])
    assert [r["id"] for r in client.get("/api/v1/reports", headers=am2).json()] == [report["id"]]
    mine = client.get(f"/api/v1/reports/{report['id']}/run", headers=am1).json()
    theirs = client.get(f"/api/v1/reports/{report['id']}/run", headers=am2).json()
    assert {r["dimensions"]["owner"] for r in mine["rows"]} == {world["am1"].full_name}
    assert {r["dimensions"]["owner"] for r in theirs["rows"]} == {world["am2"].full_name}
    # The same figure as running the question directly.
    direct = client.post(
        "/api/v1/reports/run", json={"measure": "nrr", "group_by": ["owner"], **PERIOD}, headers=am1
    ).json()
    assert mine == direct
    # A team member reads it but does not change it; an outsider does not see it.
    assert (
        client.patch(f"/api/v1/reports/{report['id']}", json={"name": "x"}, headers=am2).status_code
        == 403
    )
    outsider = factory.headers(factory.user("am"))
    assert client.get(f"/api/v1/reports/{report['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/reports/{report['id']}/run", headers=outsider).status_code == 404


def test_csv_export_is_the_rows_of_the_answer(client, factory: Factory) -> None:
    world = _book(factory)
    vp = factory.headers(factory.user("vp"))
    body = {"measure": "arr", "group_by": ["owner", "month"], **PERIOD}
    rows = client.post("/api/v1/reports/run", json=body, headers=vp).json()["rows"]
    answer = client.post("/api/v1/reports/run?format=csv", json=body, headers=vp)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0][:2] == ["owner", "month"] and table[0][2].startswith("ARR (")
    assert [({"owner": r[0], "month": r[1]}, float(r[2]) if r[2] else None) for r in table[1:]] == [
        (r["dimensions"], r["value"]) for r in rows
    ]
    assert any(r[0] == world["am1"].full_name and r[1] == "2026-10" for r in table[1:])
    saved = _save(client, vp, name="ARR", **body).json()
    again = client.get(f"/api/v1/reports/{saved['id']}/run?format=csv", headers=vp)
    assert again.text == answer.text
    assert "attachment" in again.headers["content-disposition"]


def test_a_dashboard_holds_tiles_once_and_in_order(client, factory: Factory) -> None:
    vp = factory.headers(factory.user("vp"))
    first = _save(client, vp, name="Accounts by tier", measure="accounts", group_by=["tier"]).json()
    second = _save(client, vp, name="ARR", measure="arr", chart="line", group_by=["month"]).json()
    board = client.post("/api/v1/dashboards", json={"name": "Board"}, headers=vp)
    assert board.status_code == 201, board.text
    url = f"/api/v1/dashboards/{board.json()['id']}"
    one = client.post(f"{url}/tiles", json={"report_id": first["id"]}, headers=vp).json()
    client.post(f"{url}/tiles", json={"report_id": second["id"]}, headers=vp)
    again = client.post(f"{url}/tiles", json={"report_id": first["id"]}, headers=vp).json()
    assert again["id"] == one["id"]
    tiles = client.get(url, headers=vp).json()["tiles"]
    assert [t["report_id"] for t in tiles] == [first["id"], second["id"]]
    # Archiving a report takes it off its dashboards.
    assert client.delete(f"/api/v1/reports/{first['id']}", headers=vp).status_code == 200
    assert [t["report_id"] for t in client.get(url, headers=vp).json()["tiles"]] == [second["id"]]
    tile = client.get(url, headers=vp).json()["tiles"][0]
    assert client.delete(f"{url}/tiles/{tile['id']}", headers=vp).status_code == 204
    assert client.get(url, headers=vp).json()["tiles"] == []
    outsider = factory.headers(factory.user("am"))
    assert client.get(url, headers=outsider).status_code == 404
    assert (
        client.post(f"{url}/tiles", json={"report_id": second["id"]}, headers=outsider).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "measure": "profit"}, "measure"),
        ({"name": "x", "measure": "nrr", "group_by": ["colour"]}, "group_by"),
        ({"name": "x", "measure": "accounts", "chart": "pie"}, "chart"),
        ({"name": "", "measure": "accounts"}, "name"),
        ({"name": "x", "measure": "accounts", "team_id": 1999999}, "team_id"),
    ],
)
def test_a_bad_saved_report_is_a_422_naming_its_field(
    client, factory: Factory, body: dict[str, Any], field: str
) -> None:
    vp = factory.headers(factory.user("vp"))
    answer = _save(client, vp, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field, answer.json()
    assert client.get("/api/v1/reports", headers=vp).json() == []


def test_changing_a_saved_reports_question_is_checked(client, factory: Factory) -> None:
    vp = factory.headers(factory.user("vp"))
    report = _save(client, vp, name="Accounts", measure="accounts", group_by=["tier"]).json()
    url = f"/api/v1/reports/{report['id']}"
    # nrr is grouped by tier too, but not by lifecycle stage: each change is checked whole.
    assert client.patch(url, json={"measure": "nrr"}, headers=vp).status_code == 200
    worse = client.patch(url, json={"group_by": ["lifecycle_stage"]}, headers=vp)
    assert worse.status_code == 422 and worse.json()["errors"][0]["field"] == "group_by"
    assert client.get(url, headers=vp).json()["group_by"] == ["tier"]
    moved = client.patch(
        url, json={"from": "2026-01", "to": "2026-03", "chart": "line"}, headers=vp
    )
    assert moved.json()["from"] == "2026-01" and moved.json()["chart"] == "line"
    dashboard = client.post("/api/v1/dashboards", json={"name": "D"}, headers=vp).json()
    bad_tile = client.post(
        f"/api/v1/dashboards/{dashboard['id']}/tiles", json={"report_id": 1999999}, headers=vp
    )
    assert bad_tile.status_code == 404  # another's report is one that does not exist
