"""The month not yet over counts to date (issue 19, defect 11): a contract ending later this
month (auto-renewing, or with its renewal in negotiation) is not churned before it ends."""

from __future__ import annotations

from datetime import date, timedelta

from steward.core.principal import Principal
from steward.revenue import service
from steward.revenue.ledger import month_index, month_label
from tests.factories import Factory


def _report(factory: Factory, principal: Principal, today: date):  # type: ignore[no-untyped-def]
    month = month_label(month_index(today))
    with factory.db.session() as session:
        return service.revenue_report(
            session, principal, "USD", from_month=month, to_month=month, by="all", today=today
        )


def test_a_contract_ending_later_this_month_is_not_churned_today(factory: Factory) -> None:
    admin = Principal.of(factory.user("admin"))
    today = date.today()
    month_end = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    ending = factory.account(name="Ends later this month")
    last_day = month_end - timedelta(days=1)
    ends_this_month = last_day > today  # on the month's last day nothing can end later in it
    factory.contract(
        ending,
        start=date(today.year - 1, 1, 1),
        end=last_day if ends_this_month else month_end,
        auto_renew=True,
        items=[{"quantity": 10, "unit_price_minor": 120_000}],
    )
    steady = factory.account(name="Steady")
    factory.contract(
        steady,
        start=date(today.year - 1, 1, 1),
        end=date(today.year + 2, 1, 1),
        items=[{"quantity": 1, "unit_price_minor": 120_000}],
    )
    whole = _report(factory, admin, today).groups[0]
    assert whole.waterfall.churn == 0 and whole.waterfall.churned_logos == 0
    assert whole.waterfall.end_arr == 13_200  # both still paying today
    assert whole.waterfall.status == "to_date"
    assert whole.months[-1].status == "to_date"
    # Once the month is over, the contract that ended in it has churned.
    month = month_label(month_index(today))
    with factory.db.session() as session:
        closed = service.revenue_report(
            session, admin, "USD", from_month=month, to_month=month, by="all", today=month_end
        ).groups[0]
    assert closed.waterfall.status == "closed"
    assert closed.waterfall.churn == (12_000 if ends_this_month else 0)
