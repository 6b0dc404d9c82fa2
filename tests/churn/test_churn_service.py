"""Churn snapshots read from the workspace, and the churn API within the book (SQLite and
PostgreSQL)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson

from steward.analytics.store import open_store
from steward.churn import service
from steward.churn.features import snapshot_frame
from steward.churn.models import ChurnModel, ChurnScore
from steward.config import Settings
from steward.core.principal import Principal
from steward.db import Database
from tests.factories import Factory
from tests.support.reads import tables_read, undeclared

TODAY = date.today()


def test_snapshots_label_each_renewal_by_what_followed_it(
    db: Database, factory: Factory, settings: Settings
) -> None:
    left = factory.account(name="Left")
    stayed = factory.account(name="Stayed")
    newer = factory.account(name="Newer")
    end = TODAY - timedelta(days=135)
    factory.contract(left, start=TODAY - timedelta(days=500), end=end)
    first = factory.contract(stayed, start=TODAY - timedelta(days=500), end=end)
    factory.contract(stayed, start=end, end=TODAY + timedelta(days=230), renewal_of_id=first.id)
    factory.contract(newer, start=TODAY - timedelta(days=100), end=TODAY + timedelta(days=265))
    cutoff = TODAY - timedelta(days=200)
    factory.escalation(left, opened_at=datetime.combine(cutoff, datetime.min.time(), UTC))
    with open_store(settings.analytics_path) as store:
        store.sync(db)
        frame = snapshot_frame(
            db, store, [cutoff, TODAY], today=TODAY, key_events=(), currency="USD"
        )
    rows = {(r.account_id, r.cutoff): r for r in frame.itertuples()}
    past_left, past_stayed = rows[(left.id, cutoff)], rows[(stayed.id, cutoff)]
    assert past_left.churned == 1.0 and past_stayed.churned == 0.0
    assert past_left.renewal_date == end and past_left.days_to_renewal == 65
    assert past_left.open_escalations == 1 and past_stayed.open_escalations == 0
    assert past_left.arr == 6000.0  # 10 seats × 600.00 a year
    assert (newer.id, cutoff) not in rows  # not a customer yet
    assert (left.id, TODAY) not in rows  # not a customer any more
    assert math.isnan(rows[(stayed.id, TODAY)].churned)  # its renewal is still to come
    assert rows[(stayed.id, TODAY)].renewals == 1
    assert math.isnan(rows[(newer.id, TODAY)].usage_trend)  # no usage data is unknown, not 0


def _score(db: Database, account_id: int, probability: float) -> None:
    with db.session() as session:
        model = session.get(ChurnModel, 1) or ChurnModel(
            id=1,
            as_of=TODAY,
            rows=100,
            positives=20,
            metrics=orjson.dumps(
                {"holdout_start": "2026-01-01", "chosen": "ensemble", "test_rows": 40}
                | {"test_positives": 8, "base_rate": 0.2, "auc": 0.8, "brier": 0.12}
                | {"baseline_auc": 0.75, "baseline_brier": 0.13, "calibration": []}
            ).decode(),
            reference="{}",
            library_version="scikit-learn test",
            artifact=b"",
        )
        session.add(model)
        session.flush()
        reasons = [{"key": "nps", "label": "NPS", "points": 0.1, "detail": "NPS -40"}]
        session.add(
            ChurnScore(
                model_id=1,
                account_id=account_id,
                as_of=TODAY,
                probability=probability,
                renewal_date=TODAY + timedelta(days=90),
                reasons=orjson.dumps(reasons).decode(),
            )
        )
        session.commit()


def test_the_risk_list_is_the_readers_book_ordered_by_arr_at_risk(
    client, factory: Factory, db: Database
) -> None:  # type: ignore[no-untyped-def]
    am = factory.user("am")
    other = factory.user("am")
    small = factory.account(owner_am_id=am.id)
    large = factory.account(owner_am_id=am.id)
    elsewhere = factory.account(owner_am_id=other.id)
    factory.contract(small, items=[{"quantity": 1}])
    factory.contract(large, items=[{"quantity": 100}])
    factory.contract(elsewhere)
    _score(db, small.id, 0.9)
    _score(db, large.id, 0.2)
    _score(db, elsewhere.id, 0.5)
    body = client.get("/api/v1/churn/risk", headers=factory.headers(am)).json()
    assert [i["account_id"] for i in body["items"]] == [large.id, small.id]
    assert body["total"] == 2
    assert body["items"][0]["arr_at_risk"] == "12000.00"  # 0.2 × 60,000
    assert body["items"][0]["reasons"][0]["label"] == "NPS"
    assert body["expected_arr_lost"] == "12540.00"
    answer = client.get(f"/api/v1/churn/accounts/{elsewhere.id}", headers=factory.headers(am))
    assert answer.status_code == 404
    mine = client.get(f"/api/v1/churn/accounts/{small.id}", headers=factory.headers(am)).json()
    assert mine["probability"] == 0.9
    high = client.get("/api/v1/churn/risk?min_probability=0.5", headers=factory.headers(am))
    assert [i["account_id"] for i in high.json()["items"]] == [small.id]
    bad = client.get("/api/v1/churn/risk?min_probability=2", headers=factory.headers(am))
    assert bad.status_code == 422 and "min_probability" in bad.text
    models = client.get("/api/v1/churn/models", headers=factory.headers(am)).json()
    assert models[0]["auc"] == 0.8 and models[0]["holdout_start"] == "2026-01-01"


def test_the_kept_risk_totals_name_every_table_they_read(factory: Factory, db: Database) -> None:
    """The totals are kept per state of `RISK_READS`: a table the list reads but does not
    name would leave them stale; a logged call (activities) keeps them."""
    team = factory.team()
    am = factory.user("am", team=team)
    lead = factory.user("team_lead", team=team)
    factory.set_lead(team, lead)
    account = factory.account(owner_am_id=am.id)
    factory.contract(account, items=[{"quantity": 2}])
    _score(db, account.id, 0.4)
    read: set[str] = set()
    for user in (am, lead, factory.user("csm"), factory.user("vp")):
        service._risk_totals.clear()  # computed inside the block, not read from the cache
        principal = Principal.of(user)
        with factory.reading_as(principal) as session, tables_read(db.engine) as seen:
            service.risk_list(session, principal, "USD", limit=10, offset=0)
        read |= seen
    assert read and not undeclared(read, service.RISK_READS), ", ".join(sorted(read))
    assert "activities" not in service.RISK_READS


def test_risk_pages_cut_one_order_and_totals_count_every_score(
    client, factory: Factory, db: Database
) -> None:  # type: ignore[no-untyped-def]
    """Pages sorted and cut in SQL: together they are the whole list in the order of ARR at
    risk (ties by account), none twice, and the total is the exact sum over all of them."""
    am = factory.user("am")
    quantities = [3, 1, 7, 2, 2, 5, 1, 4, 6, 2, 8, 3]
    probabilities = [0.31, 0.9, 0.12, 0.5, 0.5, 0.27, 0.45, 0.66, 0.08, 0.5, 0.33, 0.31]
    expected = []
    for quantity, probability in zip(quantities, probabilities, strict=True):
        account = factory.account(owner_am_id=am.id)
        factory.contract(account, items=[{"quantity": quantity}])
        _score(db, account.id, probability)
        expected.append((probability * quantity * 600_00, account.id))
    expected.sort(key=lambda pair: (-pair[0], pair[1]))
    seen, totals = [], set()
    for offset in range(0, 15, 5):
        body = client.get(
            f"/api/v1/churn/risk?limit=5&offset={offset}", headers=factory.headers(am)
        ).json()
        seen += [item["account_id"] for item in body["items"]]
        totals.add((body["total"], body["expected_arr_lost"]))
    assert seen == [account_id for _, account_id in expected]
    exact = sum(Decimal(p) * q * 600_00 for p, q in zip(probabilities, quantities, strict=True))
    assert totals == {(12, f"{round(exact) / 100:.2f}")}


def test_the_risk_chart_plots_the_lists_first_customers(
    client, factory: Factory, db: Database
) -> None:  # type: ignore[no-untyped-def]
    """The chart's light query orders and cuts as the list does, within the same book, and a
    new score (a new revision) is in the list's totals at once."""
    from steward.churn.service import risk_chart
    from steward.core.principal import Principal

    am, other = factory.user("am"), factory.user("am")
    for quantity, probability in [(3, 0.31), (1, 0.9), (7, 0.12), (2, 0.5), (2, 0.5)]:
        account = factory.account(owner_am_id=am.id)
        factory.contract(account, items=[{"quantity": quantity}])
        _score(db, account.id, probability)
    hidden = factory.account(owner_am_id=other.id)
    factory.contract(hidden, items=[{"quantity": 50}])
    _score(db, hidden.id, 0.99)
    listed = client.get("/api/v1/churn/risk?limit=3", headers=factory.headers(am)).json()
    with factory.reading_as(Principal.of(am)) as session:
        chart = risk_chart(session, Principal.of(am), "EUR", limit=3).model_dump(mode="json")
    fields = ("account_id", "account_name", "probability", "arr", "arr_at_risk")
    assert [{k: p[k] for k in fields} for p in chart["items"]] == [
        {k: i[k] for k in fields} for i in listed["items"]
    ]
    late = factory.account(owner_am_id=am.id)
    factory.contract(late)
    _score(db, late.id, 0.05)
    again = client.get("/api/v1/churn/risk?limit=3", headers=factory.headers(am)).json()
    assert again["total"] == listed["total"] + 1
    assert Decimal(again["expected_arr_lost"]) > Decimal(listed["expected_arr_lost"])


def test_the_expected_loss_is_summed_exactly() -> None:
    from fractions import Fraction

    from hypothesis import given
    from hypothesis import strategies as st

    from steward.churn.service import exact_sum_of_products

    @given(
        st.lists(
            st.tuples(
                st.floats(min_value=0, max_value=1, allow_nan=False),
                st.integers(min_value=0, max_value=10**13),
            ),
            max_size=200,
        )
    )
    def check(pairs: list[tuple[float, int]]) -> None:
        assert exact_sum_of_products(pairs) == sum((Fraction(p) * n for p, n in pairs), Fraction(0))

    check()
