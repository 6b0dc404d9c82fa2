"""Revenue metrics through the API: figures, book scoping, bad input."""

from __future__ import annotations

import pytest

from tests.factories import Factory


def test_revenue_report_of_2024(client, factory: Factory, workspace) -> None:
    headers = factory.headers(workspace["admin_user"])
    response = client.get("/api/v1/metrics/revenue?from=2024-01&to=2024-12", headers=headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["currency"], report["from_month"], report["to_month"]) == (
        "USD",
        "2024-01",
        "2024-12",
    )
    [total] = report["groups"]
    waterfall = total["waterfall"]
    assert waterfall["start_arr"] == "0.00"
    assert waterfall["new"] == "37400.00"
    assert waterfall["expansion"] == "7200.00"
    assert waterfall["contraction"] == "500.00"
    assert waterfall["churn"] == "12000.00"
    assert waterfall["reactivation"] == "6000.00"
    assert waterfall["end_arr"] == "38100.00"
    assert len(total["months"]) == 12
    assert total["renewals"]["due"] == 3 and total["renewals"]["renewed"] == 1
    assert total["expansion_revenue"] == "7200.00"
    # The retention window starts at the month-end before `from`, when nobody had ARR yet.
    assert total["retention"] is None

    by_segment = client.get(
        "/api/v1/metrics/revenue?from=2024-01&to=2024-12&by=segment", headers=headers
    ).json()
    ends = {g["group"]: g["waterfall"]["end_arr"] for g in by_segment["groups"]}
    assert ends == {"enterprise": "21600.00", "mid_market": "10500.00", "smb": "6000.00"}


def test_retention_trend_cohorts_and_cltv(client, factory: Factory, workspace) -> None:
    headers = factory.headers(workspace["admin_user"])
    trend = client.get(
        "/api/v1/metrics/revenue/retention?from=2025-03&to=2025-03&window=12", headers=headers
    ).json()
    [point] = trend["points"]
    assert point["figures"]["window_start"] == "2024-03"
    assert point["figures"]["nrr"] == pytest.approx(21600 / 37400)
    assert point["figures"]["logo_churn_rate"] == pytest.approx(1 / 4)

    cohorts = client.get(
        "/api/v1/metrics/revenue/cohorts?from=2024-01&to=2024-12&grain=year", headers=headers
    ).json()
    [row] = cohorts["rows"]
    assert (row["cohort"], row["logos"]) == ("2024", 4)
    assert row["cells"][0]["logo_retention"] == 1.0

    cltv = client.get("/api/v1/metrics/cltv?month=2024-12&by=all", headers=headers).json()
    [group] = cltv["groups"]
    # ARPA 38,100 / 12 / 4 = 793.75; churn 12,000 over 395,700 of starting ARR in 12 months.
    assert group["arpa_mrr"] == "793.75"
    assert group["monthly_revenue_churn_rate"] == pytest.approx(12000 / 395700)
    assert float(group["cltv"]) == pytest.approx(793.75 * 0.8 * 395700 / 12000, abs=0.01)


def test_an_am_gets_only_their_book(client, factory: Factory, workspace) -> None:
    headers = factory.headers(workspace["am_user"])
    report = client.get("/api/v1/metrics/revenue?from=2024-01&to=2024-12", headers=headers)
    assert report.json()["groups"][0]["waterfall"]["end_arr"] == "18000.00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2024-13&to=2024-12", "from"),
        ("from=2024-01&to=24-12", "to"),
        ("from=2025-01&to=2024-12", "from"),
        ("from=2000-01&to=2024-12", "from"),
        ("by=colour", "by"),
    ],
)
def test_bad_report_parameters_name_the_field(
    client, factory: Factory, query: str, field: str
) -> None:
    headers = factory.headers(factory.user("vp"))
    response = client.get(f"/api/v1/metrics/revenue?{query}", headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    named = {e["field"] for e in body.get("errors", [])} | {body.get("field")}
    assert field in named, body


def test_cltv_of_each_customer_uses_its_segments_churn(client, factory: Factory, workspace) -> None:
    headers = factory.headers(workspace["admin_user"])
    report = client.get("/api/v1/metrics/cltv/accounts?month=2024-12", headers=headers).json()
    assert report["total"] == 4
    names = [i["name"] for i in report["items"]]
    assert names == ["Acme", "Euro GmbH", "Beta", "Globex"]  # by ARR, largest first
    beta = report["items"][2]
    # smb churned 12,000 of 78,000 starting ARR over 2024; Beta's MRR is 500: 500 × 0.8 / (12/78).
    assert beta["mrr"] == "500.00" and beta["cltv"] == "2600.00"
    assert report["items"][0]["cltv"] is None  # no enterprise churn observed: undefined


def test_arr_of_an_account_at_any_day_rolls_up_subsidiaries(
    client, factory: Factory, workspace
) -> None:
    headers = factory.headers(workspace["admin_user"])
    url = f"/api/v1/metrics/revenue/accounts/{workspace['globex']}?at=2024-06-15"
    globex = client.get(url, headers=headers).json()
    # Globex monthly 100 (ARR 1,200) + Globex Labs annual 2,400.
    assert (globex["arr"], globex["own_arr"], globex["mrr"]) == ("3600.00", "1200.00", "300.00")
    assert globex["subsidiaries"] == 1 and globex["missing_rates"] == []
    before = client.get(url.replace("2024-06-15", "2024-03-31"), headers=headers).json()
    assert before["arr"] == "2400.00"  # Globex's own item starts in April
    am_headers = factory.headers(workspace["am_user"])
    assert client.get(url, headers=am_headers).status_code == 404  # outside the AM's book
    bad = client.get(url.replace("2024-06-15", "June"), headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "at"


def test_kept_reports_follow_a_new_contract_and_a_changed_segment(
    client, factory: Factory, workspace
) -> None:  # type: ignore[no-untyped-def]
    """Reports are kept per state of the revenue data: a second read is the same answer, and
    a new contract or a moved account shows on the next read (never a stale figure)."""
    from datetime import date

    headers = factory.headers(workspace["admin_user"])
    url = "/api/v1/metrics/revenue?from=2024-01&to=2024-12&by=segment"

    def ends() -> dict[str, str]:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        return {g["group"]: g["waterfall"]["end_arr"] for g in answer.json()["groups"]}

    before = {"enterprise": "21600.00", "mid_market": "10500.00", "smb": "6000.00"}
    assert ends() == before and ends() == before
    newcomer = factory.account(name="Newcomer", segment="smb")
    factory.contract(
        newcomer,
        start=date(2024, 6, 1),
        end=date(2025, 6, 1),
        items=[{"quantity": 1, "unit_price_minor": 100_000}],
    )
    assert ends()["smb"] == "7000.00"
    moved = client.patch(
        f"/api/v1/accounts/{newcomer.id}", json={"segment": "mid_market"}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert ends() == {**before, "mid_market": "11500.00"}
