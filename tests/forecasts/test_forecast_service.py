"""Forecasts of a book from its churn scores, kept and closed against what happened
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
from sqlalchemy import select, update

from steward.accounts.models import Account
from steward.churn.models import ChurnModel, ChurnScore
from steward.core.principal import SYSTEM, Principal
from steward.db import Database
from steward.forecasts import service
from steward.forecasts.models import Forecast
from steward.forecasts.periods import quarter_of
from steward.forecasts.repository import Scope
from steward.users.models import User
from tests.factories import Factory
from tests.support.reads import tables_read, undeclared

TODAY = date.today()


def _scores(db: Database, scores: list[tuple[int, float, int]]) -> None:
    """(account, churn probability, ARR in minor units), all renewing today."""
    with db.session() as session:
        session.add(
            ChurnModel(
                id=1,
                as_of=TODAY,
                rows=100,
                positives=20,
                metrics="{}",
                reference="{}",
                revenue_ratios=orjson.dumps({"renewal": {"smb": [1.0]}}).decode(),
                library_version="test",
                artifact=b"",
            )
        )
        session.flush()
        for account_id, probability, arr_minor in scores:
            session.add(
                ChurnScore(
                    model_id=1,
                    account_id=account_id,
                    as_of=TODAY,
                    probability=probability,
                    renewal_date=TODAY,
                    arr_minor=arr_minor,
                    reasons="[]",
                )
            )
        session.commit()


def _book(factory: Factory):  # type: ignore[no-untyped-def]
    am = factory.user("am")
    stays = factory.account(owner_am_id=am.id, segment="smb")
    leaves = factory.account(owner_am_id=am.id, segment="smb")
    elsewhere = factory.account(owner_am_id=factory.user("am").id, segment="smb")
    for account, seats in ((stays, 10), (leaves, 100), (elsewhere, 1)):
        factory.contract(
            account,
            start=TODAY - timedelta(days=100),
            end=TODAY + timedelta(days=400),
            items=[{"quantity": seats}],
        )
    return am, stays, leaves, elsewhere


def _scored_book(factory: Factory, db: Database):  # type: ignore[no-untyped-def]
    """`_book`, its accounts scored 0, 1 and 0.5."""
    am, stays, leaves, elsewhere = _book(factory)
    _scores(
        db, [(stays.id, 0.0, 600_000), (leaves.id, 1.0, 6_000_000), (elsewhere.id, 0.5, 60_000)]
    )
    return am, stays, leaves, elsewhere


def _upsell(factory: Factory, account: Account, amount_minor: int, **values: object) -> None:
    """An upsell in proposal at 50 %, closing tomorrow."""
    factory.opportunity(
        account,
        type="upsell",
        stage="proposal",
        probability=50,
        amount_minor=amount_minor,
        close_date=TODAY + timedelta(days=1),
        **values,
    )


def test_the_forecast_of_a_book_counts_its_renewals_and_pipeline_only(
    client, factory: Factory, db: Database
) -> None:  # type: ignore[no-untyped-def]
    am, stays, leaves, elsewhere = _scored_book(factory, db)
    _upsell(factory, stays, 100_000, forecast_category="best_case")
    _upsell(factory, elsewhere, 900_000)
    body = client.get("/api/v1/forecasts", headers=factory.headers(am)).json()
    assert body["scope"] == f"owner:{am.id}" and body["customers"] == 2
    first = body["quarters"][0]
    assert first["quarter"] == quarter_of(TODAY).label and first["renewals_due"] == 2
    assert first["renewals"] == {
        "expected": "6000.00",
        "p10": "6000.00",
        "p50": "6000.00",
        "p90": "6000.00",
    }  # one certain to stay, one certain to leave
    assert first["expected_arr_lost"] == "60000.00"
    assert first["arr_end"]["expected"] == "6000.00"
    assert first["pipeline_weighted"] == "500.00"
    assert first["arr_end_with_pipeline"]["expected"] == "6500.00"
    assert [r["account_id"] for r in body["at_risk"]] == [leaves.id, stays.id]
    assert body["pipeline"]["by_category"] == [
        {"group": "best_case", "opportunities": 1, "amount": "1000.00", "weighted": "500.00"}
    ]
    everything = client.get("/api/v1/forecasts?scope=all", headers=factory.headers(am)).json()
    assert everything["customers"] == 2  # "all" is still the reader's book
    bad = client.get("/api/v1/forecasts?scope=mine", headers=factory.headers(am))
    assert bad.status_code == 422 and "scope" in bad.text
    too_far = client.get("/api/v1/forecasts?quarters=9", headers=factory.headers(am))
    assert too_far.status_code == 422 and "quarters" in too_far.text


def test_kept_forecasts_are_closed_with_what_happened(
    client, factory: Factory, db: Database
) -> None:  # type: ignore[no-untyped-def]
    am, *_ = _scored_book(factory, db)
    with db.session() as session:
        assert service.store(session, "USD", TODAY, quarters=2) > 0
        assert not service.due_for_storing(session, TODAY)
        stored = service.store(session, "USD", TODAY, quarters=2)  # again: replaces, no doubles
        assert stored == 2 * 2 * len(service.stored_scopes(session))
        quarter = quarter_of(TODAY)
        assert service.close_due(session, "USD", quarter.end) == 0  # renewals need 30 days more
        later = quarter.end + timedelta(days=31)
        closed = service.close_due(session, "USD", later)
        assert closed == 2 * len(service.stored_scopes(session))  # both kinds of the first quarter
        mine = service.outcomes(session, Principal.of(am), Scope(owner_id=am.id))
        assert service.outcomes(session, Principal.of(am), Scope()) == []  # not their scope
    by_kind = {o.kind: o for o in mine}
    renewals = by_kind["renewals"]
    # Nobody left in fact: both renewed at their ARR 30 days after the renewal.
    assert str(renewals.expected) == "6000.00" and str(renewals.actual) == "66000.00"
    assert renewals.within_band is False and round(renewals.error or 0, 4) == round(-60 / 66, 4)
    assert str(by_kind["arr"].actual) == "66000.00"
    api = client.get("/api/v1/forecasts/outcomes?kind=arr", headers=factory.headers(am)).json()
    assert [o["kind"] for o in api] == ["arr"] and api[0]["actual"] == "66000.00"
    with db.session() as session:
        assert len(service.outcomes(session, SYSTEM, Scope())) == 2


def test_storing_forecasts_lets_other_writers_in_while_it_computes(
    db: Database, factory: Factory, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On SQLite a write transaction holds the whole database: storing must compute first and
    write last, or every login and logged call waits minutes behind a large book's runs."""
    am = factory.user("am")
    account = factory.account(owner_am_id=am.id)
    written: list[str] = []
    simulate = service._simulate

    def computing(inputs):  # type: ignore[no-untyped-def]
        with db.session() as other:  # another request, while the simulations run
            other.execute(
                update(Account).where(Account.id == account.id).values(industry="Meanwhile")
            )
        written.append("yes")
        return simulate(inputs)

    monkeypatch.setattr(service, "_simulate", computing)
    with db.session() as session:
        service.store(session, "USD", date.today())
    assert written


def test_the_forecast_is_simulated_once_per_revision_and_follows_every_write(
    client, factory: Factory, db: Database, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The Monte Carlo runs once per state of the data it reads, not per page load; a new
    deal (a write the revenue data does not see) shows on the next read, a logged call does
    not re-run it."""
    am, stays, leaves, _ = _book(factory)
    _scores(db, [(stays.id, 0.0, 600_000), (leaves.id, 1.0, 6_000_000)])
    simulated = []
    real = service._simulate
    monkeypatch.setattr(service, "_simulate", lambda inputs: simulated.append(1) or real(inputs))

    def weighted() -> str:
        body = client.get("/api/v1/forecasts", headers=factory.headers(am)).json()
        return str(body["quarters"][0]["pipeline_weighted"])

    assert weighted() == "0.00" and weighted() == "0.00" and len(simulated) == 1
    _upsell(factory, stays, 100_000)
    assert weighted() == "500.00" and len(simulated) == 2
    # A logged call changes nothing the forecast reads (the account's last touch is kept
    # from activities): the kept forecast stays (it re-ran on every logged call before).
    factory.activity(stays)
    assert weighted() == "500.00" and len(simulated) == 2


def test_the_kept_forecast_names_every_table_it_reads(factory: Factory, db: Database) -> None:
    """The forecast is kept per state of the tables it names (`service.READS`), so a logged
    call does not re-run it; a table it reads but does not name would leave it stale."""
    team = factory.team()
    am, stays, leaves, _ = _book(factory)
    with db.session() as session:
        session.execute(update(User).where(User.id == am.id).values(team_id=team.id))
    lead = factory.user("team_lead", team=team)
    factory.set_lead(team, lead)
    _scores(db, [(stays.id, 0.2, 600_000), (leaves.id, 0.7, 6_000_000)])
    _upsell(factory, stays, 100_000)
    read: set[str] = set()
    readers = [(am, Scope()), (lead, Scope(team_id=team.id)), (lead, Scope(owner_id=am.id))]
    readers += [(factory.user(role), Scope()) for role in ("csm", "strategist", "ae", "vp")]
    for user, scope in readers:
        with factory.reading_as(Principal.of(user)) as session, tables_read(db.engine) as seen:
            service._forecast(session, Principal.of(user), "USD", TODAY, scope, 2, 200, 0)
        read |= seen
    assert read and not undeclared(read, service.READS), ", ".join(sorted(read))


def test_stored_forecasts_are_the_same_on_any_number_of_threads(
    factory: Factory, db: Database, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Scopes are simulated side by side when stored: each is seeded on its own, so the kept
    bands are those of one scope after another, whatever the threads."""
    team = factory.team()
    scores = []
    for index in range(3):
        am = factory.user("am")
        with db.session() as session:
            session.execute(update(User).where(User.id == am.id).values(team_id=team.id))
        for seats in range(1, 6):
            account = factory.account(owner_am_id=am.id, segment="smb")
            factory.contract(
                account,
                start=TODAY - timedelta(days=100),
                end=TODAY + timedelta(days=30 * seats + index),
                items=[{"quantity": seats * 7 + index}],
            )
            scores.append((account.id, 0.1 * seats + 0.05 * index, 10_000 * seats))
    _scores(db, scores)

    def kept(threads: int) -> list[tuple[object, ...]]:
        monkeypatch.setattr(service, "SIMULATION_THREADS", threads)
        with db.session() as session:
            service.store(session, "USD", TODAY, quarters=3, runs=400)
            rows = session.scalars(select(Forecast).where(Forecast.made_on == TODAY)).all()
            return sorted(
                (
                    r.scope,
                    r.kind,
                    r.period_start,
                    r.expected_minor,
                    r.p10_minor,
                    r.p50_minor,
                    r.p90_minor,
                    r.details,
                )
                for r in rows
            )

    one = kept(1)
    assert len({row[0] for row in one}) >= 5  # the workspace, the team and its three AMs
    assert kept(4) == one == kept(2)
    with db.session() as session:  # and each is the scope's own simulation, as the page has it
        for scope in service.stored_scopes(session):
            alone = service._simulate(service._read(session, SYSTEM, scope, TODAY, 3, 400, 0))
            bands = [(b.expected, b.p10, b.p50, b.p90) for b in alone.renewals]
            stored = [row[3:7] for row in one if row[0] == scope.key and row[1] == "renewals"]
            assert stored == bands[: len(stored)] and len(stored) == 3
