"""Retention of a book from its contracts: lifetimes, curves, sBG, valuation, the API and the
CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from steward.cli.main import app
from steward.core.principal import SYSTEM
from steward.db import Database
from steward.retention import service
from steward.retention.sbg import constant_retention_value
from steward.revenue.ledger import month_index, month_start
from tests.factories import Factory

TODAY = date.today()
LAST = month_index(TODAY) - 1  # the last month-end that has passed
runner = CliRunner()


def _months_ago(months: int) -> date:
    return month_start(month_index(TODAY) - months)


def _customer(factory: Factory, account, started_months_ago: int, terms: int) -> None:  # type: ignore[no-untyped-def]
    """Consecutive yearly contracts from the first of a month, each renewing the one before."""
    previous = None
    for k in range(terms):
        start = _months_ago(started_months_ago - 12 * k)
        previous = factory.contract(
            account,
            start=start,
            end=_months_ago(started_months_ago - 12 * (k + 1)),
            renewal_of_id=previous.id if previous else None,
            items=[{"quantity": 10, "unit_price_minor": 100_000}],  # 10,000 a year
        )


@pytest.fixture
def book(factory: Factory):  # type: ignore[no-untyped-def]
    am = factory.user("am")
    other = factory.user("am")
    left_after_one = factory.account(name="One", segment="smb", owner_am_id=am.id)
    _customer(factory, left_after_one, 36, 1)  # churned: 12 months, at the first renewal
    left_after_two = factory.account(name="Two", segment="smb", owner_am_id=am.id)
    _customer(factory, left_after_two, 30, 2)  # churned: 24 months, at the second renewal
    loyal = factory.account(name="Loyal", segment="smb", owner_am_id=am.id)
    _customer(factory, loyal, 26, 3)  # active for 26 months, renewed twice
    young = factory.account(name="Young", segment="enterprise", owner_am_id=am.id)
    _customer(factory, young, 14, 2)  # active for 14 months, renewed once
    elsewhere = factory.account(name="Elsewhere", segment="enterprise", owner_am_id=other.id)
    _customer(factory, elsewhere, 40, 1)  # churned, outside the AM's book
    factory.account(name="Prospect", segment="smb", owner_am_id=am.id)  # never a customer
    return {"am": am, "loyal": loyal, "young": young, "elsewhere": elsewhere}


def test_lifetimes_follow_the_contracts(db: Database, book) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        lives = {life.unit_id: life for life in service.lifetimes(session, SYSTEM, "USD", LAST)}
    assert len(lives) == 5  # the prospect never had ARR
    by_name = {
        "loyal": lives[book["loyal"].id],
        "young": lives[book["young"].id],
        "elsewhere": lives[book["elsewhere"].id],
    }
    assert (by_name["loyal"].months, by_name["loyal"].churned) == (26, False)
    assert by_name["loyal"].renewals == 2 and by_name["loyal"].arr > 0
    assert (by_name["young"].months, by_name["young"].renewals) == (14, 1)
    assert (by_name["elsewhere"].months, by_name["elsewhere"].churned) == (12, True)
    assert by_name["elsewhere"].churn_period == 1 and by_name["elsewhere"].arr == 0
    churned = sorted((life.months, life.churn_period) for life in lives.values() if life.churned)
    assert churned == [(12, 1), (12, 1), (24, 2)]


def test_the_report_of_a_book_counts_its_customers_only(client, factory: Factory, book) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/api/v1/retention?by=segment&discount_rate=0.1", headers=factory.headers(book["am"])
    )
    assert response.status_code == 200, response.text
    report = response.json()
    groups = {g["group"]: g for g in report["groups"]}
    assert list(groups) == ["All", "enterprise", "smb"]
    everyone = groups["All"]
    assert (everyone["customers"], everyone["churned"], everyone["active"]) == (4, 2, 2)
    # Kaplan–Meier: 4 at risk at month 12, one leaves; at 24, 2 at risk (14 months censored
    # earlier), one leaves.
    assert everyone["survival_12"] == pytest.approx(0.75)
    assert everyone["survival_24"] == pytest.approx(0.375)
    assert groups["enterprise"]["customers"] == 1 and groups["smb"]["customers"] == 3
    value = everyone["valuation"]
    assert value["customers"] == 2 and value["arr"] == "20000.00"
    # One pooled rate: 2 churned in 6 renewal decisions (1 + 2 by those who left in years one
    # and two, 2 + 1 renewals made by the others).
    pooled = 1 - 2 / 6
    assert value["constant_retention_rate"] == pytest.approx(pooled)
    expected = 0.8 * 20_000 * constant_retention_value(pooled, 0.1)
    assert float(value["constant_retention_value"]) == pytest.approx(expected, abs=0.01)
    assert everyone["sbg"] is not None and float(value["derl_value"]) > 0
    assert report["cox"] is None and "needs 10" in report["cox_error"]

    everything = client.get("/api/v1/retention", headers=factory.headers(factory.user("vp")))
    assert everything.json()["groups"][0]["customers"] == 5


def test_bad_groupings_and_rates_are_refused(client, factory: Factory, book) -> None:  # type: ignore[no-untyped-def]
    headers = factory.headers(book["am"])
    bad_by = client.get("/api/v1/retention?by=owner", headers=headers)
    assert bad_by.status_code == 422 and "by" in bad_by.text
    for rate in ("0", "1.5", "ten"):
        bad_rate = client.get(f"/api/v1/retention?discount_rate={rate}", headers=headers)
        assert bad_rate.status_code == 422 and "discount_rate" in bad_rate.text


def test_the_cli_prints_the_report_and_refuses_bad_input(book, cli_env) -> None:  # type: ignore[no-untyped-def]
    table = runner.invoke(app, ["retention", "--by", "cohort"])
    assert table.exit_code == 0, table.output
    assert "Retention by cohort" in table.output and "All" in table.output
    as_json = runner.invoke(app, ["retention", "--json", "--as", book["am"].email])
    assert json.loads(as_json.output)["groups"][0]["customers"] == 4
    bad = runner.invoke(app, ["retention", "--by", "owner"])
    assert bad.exit_code == 2 and "--by: must be one of segment, tier, cohort" in bad.output


def test_the_report_is_fitted_once_per_state_of_the_revenue_data(
    client, factory: Factory, book, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The fits are kept until a contract, account or rate changes; a write elsewhere (an
    activity) keeps them; a new customer shows on the next read."""
    fitted = []
    real = service._retention_report
    monkeypatch.setattr(
        service, "_retention_report", lambda *a, **k: fitted.append(1) or real(*a, **k)
    )
    headers = factory.headers(book["am"])

    def customers() -> int:
        answer = client.get("/api/v1/retention?by=segment", headers=headers)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["groups"][0]["customers"])

    assert customers() == 4 and customers() == 4
    assert len(fitted) == 1
    factory.activity(book["loyal"])  # not revenue data
    assert customers() == 4 and len(fitted) == 1
    newcomer = factory.account(name="Newcomer", segment="smb", owner_am_id=book["am"].id)
    _customer(factory, newcomer, 13, 2)
    assert customers() == 5 and len(fitted) == 2
