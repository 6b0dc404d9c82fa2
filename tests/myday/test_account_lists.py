"""My Day's check-ins, QBRs and red accounts (issue 26): the database ranks each list per tier
and only the rows that can be shown reach Python. Whatever the accounts, the lists and their
counts equal the definition applied to every one of the person's accounts in Python (the
form before the ranking moved to SQL), which this test keeps as the reference: most overdue
first, ties by name, ties on the last row shown included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from steward.accounts.models import CUSTOMER_STAGES
from steward.config import Settings
from steward.core.principal import Principal
from steward.myday import service
from tests.conftest import _wipe
from tests.factories import Factory

LIMIT = 3  # small, so that ties on the last row shown are common
NOW = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)
STAGES = ("adopting", "adopting", "onboarding", "prospect", "churned")
# Offsets around day boundaries: whole days from now, and times of day around now's 10:30
# and midnight, where "days overdue" turns over.
moments = st.builds(
    lambda days, seconds: NOW - timedelta(days=days, seconds=seconds),
    # Few distinct days, so that several accounts of a tier tie on days overdue.
    st.sampled_from((0, 13, 14, 15, 31, 60, 91, 120, 181, 400)),
    st.sampled_from((0, 1, -1, 37_800, 37_799, 37_801, 3_600, 86_399)),
)
accounts = st.lists(
    st.fixed_dictionaries(
        {
            "tier": st.sampled_from(("standard", "standard", "key", "strategic")),
            "lifecycle_stage": st.sampled_from(STAGES),
            "created_at": moments,
            "last_touch_at": st.none() | moments,
            "latest_qbr_at": st.none() | moments,
            "health_band": st.sampled_from(("red", "green", None)),
            "arr_minor": st.sampled_from((0, 100_000, 250_000)),
            "mine": st.sampled_from((True, True, True, False)),
            "name": st.text("abAB", min_size=1, max_size=3),
        }
    ),
    max_size=40,
)


def _reference(rows: list[Any], config: Settings) -> dict[str, Any]:
    checkin_days, qbr_days = config.checkin_cadence_days, config.qbr_cadence_days
    customers = [r for r in rows if r.lifecycle_stage in CUSTOMER_STAGES]
    checkins = []
    for r in customers:
        d = checkin_days[r.tier]
        if r.last_touch_at is None or r.last_touch_at < NOW - timedelta(days=d):
            overdue = max(0, (NOW - (r.last_touch_at or r.created_at)).days - d)
            checkins.append((-overdue, r.name, r.id, overdue))
    qbrs = []
    for r in customers:
        d = qbr_days[r.tier]
        since = r.latest_qbr_at or r.created_at
        if since < NOW - timedelta(days=d):
            overdue = max(0, (NOW.date() - (since.date() + timedelta(days=d))).days)
            qbrs.append((-overdue, r.name, r.id, overdue))
    reds = sorted((-r.arr_minor, r.id) for r in rows if r.health_band == "red")
    return {
        "checkins": [(i, o) for *_, i, o in sorted(checkins)[:LIMIT]],
        "checkin_count": len(checkins),
        "qbrs": [(i, o) for *_, i, o in sorted(qbrs)[:LIMIT]],
        "qbr_count": len(qbrs),
        "red": [i for _, i in reds[:LIMIT]],
        "red_count": len(reds),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=accounts)
# A tier whose accounts were all added at one moment and never touched: every one ties, and
# the first by name is the last one added.
@example(
    specs=[
        {
            "tier": "key",
            "lifecycle_stage": "adopting",
            "created_at": NOW - timedelta(days=200),
            "last_touch_at": None,
            "latest_qbr_at": None,
            "health_band": None,
            "arr_minor": 0,
            "mine": True,
            "name": name,
        }
        for name in "zyxwvu"
    ]
)
def test_the_ranked_lists_equal_the_definition_over_every_account(
    factory: Factory, monkeypatch: pytest.MonkeyPatch, specs: list[dict[str, Any]]
) -> None:
    monkeypatch.setattr(service, "LIST_LIMIT", LIMIT)
    config = Settings()
    try:
        am, other = factory.user("am"), factory.user("am")
        made = []
        names: set[str] = set()
        for n, spec in enumerate(specs):
            values = dict(spec)
            owner = am if values.pop("mine") else other
            # Names are unique (a tie on days and name would have no order) but not in id order.
            name = values.pop("name")
            while name in names:
                name += str(n)
            names.add(name)
            account = factory.account(name=name, owner_am_id=owner.id, **values)
            if owner is am:
                made.append(account)
        with factory.reading_as(Principal.of(am)) as session:
            lists = service._account_lists(session, Principal.of(am), config, NOW, red=True)
        expected = _reference(made, config)
        assert [(c.account_id, c.days_overdue) for c in lists.checkins] == expected["checkins"]
        assert lists.checkin_count == expected["checkin_count"]
        assert [(q.account_id, q.days_overdue) for q in lists.qbrs] == expected["qbrs"]
        assert lists.qbr_count == expected["qbr_count"]
        assert [r.account_id for r in lists.red] == expected["red"]
        assert lists.red_count == expected["red_count"]
    finally:
        _wipe(factory.db)
