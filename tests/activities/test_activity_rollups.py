"""What an account keeps of its activities (issue 26): its latest QBR or EBR, held or booked,
follows every write through the API, and "due a QBR" read off that one column selects the
same accounts as the definition over the activities themselves (the last one held before now,
none booked), which this test keeps as the reference."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, exists, func, not_, select

from steward.accounts.cadence import tier_threshold
from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.activities.cadence import QBR_TYPES, QbrDue
from steward.activities.models import Activity
from steward.config import Settings
from steward.db.base import utcnow
from tests.conftest import _wipe
from tests.factories import Factory

CADENCE = Settings().qbr_cadence_days
TYPES = ("qbr", "ebr", "qbr_draft", "call")

# (op, which activity or account, type, days before now: negative is booked ahead)
operations = st.lists(
    st.tuples(
        st.sampled_from(("create", "create", "move_date", "retype", "move_account", "delete")),
        st.integers(0, 7),
        st.sampled_from(TYPES),
        st.integers(-60, 400),
    ),
    min_size=1,
    max_size=12,
)


def _reference_due(now: datetime) -> Any:
    """Due a QBR, as defined over the activities (the form before the kept column)."""
    qbrs = and_(
        Activity.account_id == Account.id,
        Activity.type.in_(QBR_TYPES),
        Activity.archived_at.is_(None),
    )
    last_held = (
        select(func.max(Activity.occurred_at))
        .where(qbrs, Activity.occurred_at < now)
        .scalar_subquery()
    )
    booked = exists().where(qbrs, Activity.occurred_at >= now)
    cadence = tuple(sorted(CADENCE.items()))
    held_before = tier_threshold(cadence, now, Account.created_at)
    return and_(
        Account.lifecycle_stage.in_(CUSTOMER_STAGES),
        not_(booked),
        func.coalesce(last_held, Account.created_at) < held_before,
    )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_the_kept_latest_qbr_follows_every_write_and_due_means_the_same(
    client: Any, factory: Factory, ops: list[tuple[str, int, str, int]]
) -> None:
    try:
        admin = factory.user("admin")
        headers = factory.headers(admin)
        added = utcnow() - timedelta(days=500)
        accounts = [
            factory.account(tier=tier, lifecycle_stage="adopting", created_at=added)
            for tier in ("standard", "key", "strategic")
        ]
        made: list[int] = []
        for op, which, kind, days in ops:
            when = (utcnow() - timedelta(days=days)).isoformat()
            if op == "create" or not made:
                answer = client.post(
                    "/api/v1/activities",
                    headers=headers,
                    json={
                        "account_id": accounts[which % 3].id,
                        "type": kind,
                        "subject": kind,
                        "occurred_at": when,
                    },
                )
                assert answer.status_code == 201, answer.text
                made.append(answer.json()["id"])
                continue
            target = f"/api/v1/activities/{made[which % len(made)]}"
            if op == "delete":
                answer = client.delete(target, headers=headers)
            else:
                change = {
                    "move_date": {"occurred_at": when},
                    "retype": {"type": kind},
                    "move_account": {"account_id": accounts[which % 3].id},
                }[op]
                answer = client.patch(target, headers=headers, json=change)
            assert answer.status_code in (200, 204, 404), answer.text

        now = utcnow()
        ids = [a.id for a in accounts]
        with factory.db.session() as session:
            kept = dict(
                session.execute(
                    select(Account.id, Account.latest_qbr_at).where(Account.id.in_(ids))
                ).all()
            )
            recomputed = dict(
                session.execute(
                    select(Activity.account_id, func.max(Activity.occurred_at))
                    .where(
                        Activity.account_id.in_(ids),
                        Activity.type.in_(QBR_TYPES),
                        Activity.archived_at.is_(None),
                    )
                    .group_by(Activity.account_id)
                ).all()
            )
            due = QbrDue.of(CADENCE, now).clause()
            by_column = set(session.scalars(select(Account.id).where(Account.id.in_(ids), due)))
            by_activities = set(
                session.scalars(select(Account.id).where(Account.id.in_(ids), _reference_due(now)))
            )
        assert kept == {i: recomputed.get(i) for i in ids}
        assert by_column == by_activities
    finally:
        _wipe(factory.db)
