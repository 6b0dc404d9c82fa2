"""The renewal calendar and the renewal opportunities opened ahead of contract ends."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from steward.core.principal import Principal
from steward.fx.models import ExchangeRate
from steward.opportunities.models import Opportunity
from steward.renewals import service
from steward.renewals.service import open_renewal_opportunities
from tests.factories import Factory
from tests.support.reads import tables_read, undeclared

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def test_calendar_lists_the_books_contracts_up_for_renewal(client, factory: Factory) -> None:
    am, other = factory.user("am"), factory.user("am")
    mine = factory.account(name="Mine", owner_am_id=am.id)
    theirs = factory.account(name="Theirs", owner_am_id=other.id)
    seats = [{"quantity": 10, "unit_price_minor": 120_000}]
    soon = factory.contract(mine, start=days(-300), end=days(20), items=seats, auto_renew=True)
    factory.contract(mine, start=days(-200), end=days(200))  # beyond 90 days
    renewed = factory.contract(mine, start=days(-340), end=days(10), items=seats)
    factory.contract(mine, start=days(10), end=days(375), renewal_of_id=renewed.id)
    factory.contract(theirs, start=days(-300), end=days(30))  # outside the AM's book
    euro = factory.contract(
        mine,
        start=days(-300),
        end=days(40),
        currency="EUR",
        items=[{"quantity": 1, "unit_price_minor": 100_000}],
    )
    factory._save(ExchangeRate(currency="EUR", month=date(2000, 1, 1), rate=Decimal("1.25000000")))
    opportunity = factory.opportunity(mine, type="renewal", contract_id=soon.id)
    headers = factory.headers(am)

    calendar = client.get("/api/v1/renewals?days=90", headers=headers).json()
    assert [i["contract_id"] for i in calendar["items"]] == [soon.id, euro.id]
    first = calendar["items"][0]
    assert (first["days_left"], first["auto_renew"], first["arr"]) == (20, True, "12000.00")
    assert first["owner_name"] == am.full_name and first["renewed"] is False
    assert first["opportunity"]["id"] == opportunity.id
    second = calendar["items"][1]
    assert (second["currency"], second["arr"], second["arr_in_workspace_currency"]) == (
        "EUR",
        "1000.00",
        "1250.00",
    )
    assert sum(Decimal(m["arr_at_stake"]) for m in calendar["by_month"]) == Decimal("13250.00")

    everything = client.get("/api/v1/renewals?days=90&include_renewed=true", headers=headers)
    listed = everything.json()["items"]
    assert [i["contract_id"] for i in listed] == [renewed.id, soon.id, euro.id]
    assert listed[0]["renewed"] is True

    assert client.get("/api/v1/renewals?days=0", headers=headers).status_code == 422
    refused = client.get("/api/v1/renewals?days=1000", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "days"


def test_a_kept_calendar_shows_every_write_on_the_next_read(client, factory: Factory) -> None:
    """The calendar is kept per workspace revision: a repeated read answers the same, and a
    new contract due, a renewal signed or a moved account shows on the very next read."""
    am, other = factory.user("am"), factory.user("am")
    account = factory.account(owner_am_id=am.id)
    seats = [{"quantity": 10, "unit_price_minor": 120_000}]
    first = factory.contract(account, start=days(-300), end=days(20), items=seats)
    headers = factory.headers(am)

    def listed() -> list[int]:
        answer = client.get("/api/v1/renewals?days=90", headers=headers)
        assert answer.status_code == 200, answer.text
        return [i["contract_id"] for i in answer.json()["items"]]

    assert listed() == listed() == [first.id]
    second = factory.contract(account, start=days(-300), end=days(30), items=seats)
    assert listed() == [first.id, second.id]
    factory.contract(account, start=days(20), end=days(385), renewal_of_id=first.id)
    assert listed() == [second.id]
    moved = factory.account(owner_am_id=other.id)
    factory.contract(moved, start=days(-300), end=days(25), items=seats)
    assert listed() == [second.id]  # another AM's book


def test_the_kept_calendar_names_every_table_it_reads(factory: Factory) -> None:
    """Kept per state of `service.READS`: a table it reads but does not name would leave it
    stale; a logged call (activities) does not make it compute again."""
    team = factory.team()
    am = factory.user("am", team=team)
    lead = factory.user("team_lead", team=team)
    factory.set_lead(team, lead)
    account = factory.account(owner_am_id=am.id)
    seats = [{"quantity": 10, "unit_price_minor": 120_000}]
    due = factory.contract(account, start=days(-300), end=days(20), items=seats)
    renewed = factory.contract(account, start=days(-340), end=days(10), currency="EUR")
    factory.contract(account, start=days(10), end=days(375), renewal_of_id=renewed.id)
    factory.opportunity(account, type="renewal", contract_id=due.id)
    factory._save(ExchangeRate(currency="EUR", month=date(2000, 1, 1), rate=Decimal("1.25")))
    read: set[str] = set()
    for user in (am, lead, factory.user("csm"), factory.user("vp")):
        for include_renewed in (False, True):
            reader = factory.reading_as(Principal.of(user))
            with reader as session, tables_read(factory.db.engine) as seen:
                service._calendar(
                    session,
                    "USD",
                    days=90,
                    include_renewed=include_renewed,
                    limit=50,
                    offset=0,
                    today=TODAY,
                )
            read |= seen
    assert read and not undeclared(read, service.READS), ", ".join(sorted(read))
    assert "activities" not in service.READS


def test_renewal_opportunities_are_opened_once_ahead_of_the_end(factory: Factory) -> None:
    am = factory.user("am")
    account = factory.account(name="Renewing", owner_am_id=am.id)
    seats = [{"quantity": 5, "unit_price_minor": 240_000}]
    due = factory.contract(account, start=days(-300), end=days(60), items=seats)
    factory.contract(account, start=days(-100), end=days(300))  # not within 120 days
    with factory.db.session() as session:
        assert open_renewal_opportunities(session, TODAY, 120) == 1
    with factory.db.session() as session:
        assert open_renewal_opportunities(session, TODAY, 120) == 0
        [opened] = session.scalars(
            select(Opportunity).where(Opportunity.account_id == account.id)
        ).all()
        assert (opened.type, opened.contract_id, opened.owner_id) == ("renewal", due.id, am.id)
        assert (opened.amount_minor, opened.close_date) == (1_200_000, due.end_date)
