"""The audit trail is a complete record (issue 7 §7): for random sequences of creates,
updates, archives and restores through the API, replaying each record's audit events
(create's after; each later event's changes) reproduces the record's current row.

Hypothesis drives the sequences (a rule-based state machine); the comparison covers every
column except the secrets the trail never copies and an account's derived roll-ups (ARR,
renewal date, health, churn risk, last touch), which are recomputed from other records
rather than written by anyone."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from steward.accounts.models import Account
from steward.contacts.models import Contact
from steward.core.audit import AuditEvent, snapshot
from steward.opportunities.models import Opportunity
from steward.tasks.models import Task
from tests.factories import Factory

DERIVED = {
    "accounts": {
        "arr_minor",
        "next_renewal_date",
        "revenue_valid_until",
        "last_touch_at",
        "health_score",
        "health_band",
        "health_change",
        "health_band_since",
        "churn_probability",
    }
}
MODELS = {"accounts": Account, "contacts": Contact, "tasks": Task, "opportunities": Opportunity}

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s)
CHANGES = {
    "accounts": st.fixed_dictionaries(
        {},
        optional={
            "name": text,
            "industry": st.none() | text,
            "segment": st.sampled_from(["smb", "mid_market", "enterprise"]),
            "tier": st.sampled_from(["standard", "key", "strategic"]),
        },
    ),
    "contacts": st.fixed_dictionaries(
        {},
        optional={
            "first_name": text,
            "title": st.none() | text,
            "sentiment": st.sampled_from(["positive", "neutral", "negative", "unknown"]),
        },
    ),
    "tasks": st.fixed_dictionaries(
        {},
        optional={
            "title": text,
            "priority": st.sampled_from(["low", "normal", "high"]),
            "status": st.sampled_from(["open", "done"]),
            "due_date": st.none() | st.dates().map(lambda d: d.isoformat()),
        },
    ),
    "opportunities": st.fixed_dictionaries(
        {},
        optional={
            "name": text,
            "stage": st.sampled_from(["discovery", "qualification", "proposal", "negotiation"]),
            "amount": st.decimals(min_value=0, max_value=10**9, places=2).map(str),
        },
    ),
}


def replay(events: list[AuditEvent]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for event in events:
        if event.action == "create":
            state = dict(event.after or {})
        else:
            state.update(event.after or {})
    return state


def test_replaying_the_audit_log_reproduces_every_record(client, factory: Factory) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)

    class AuditReplay(RuleBasedStateMachine):
        accounts = Bundle("accounts")
        records = Bundle("records")

        def __init__(self) -> None:
            super().__init__()
            self.touched: set[tuple[str, int]] = set()

        def _write(self, method: str, url: str, body: Any = None) -> dict[str, Any]:
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code in {200, 201}, f"{method} {url} {body}: {response.text}"
            return dict(response.json())

        @rule(target=accounts, name=text)
        def create_account(self, name: str) -> tuple[str, int]:
            created = self._write("POST", "/api/v1/accounts", {"name": name, "segment": "smb"})
            self.touched.add(("accounts", created["id"]))
            return ("accounts", created["id"])

        @rule(target=records, account=accounts, kind=st.sampled_from(["contacts", "tasks"]))
        def create_child(self, account: tuple[str, int], kind: str) -> tuple[str, int]:
            body: dict[str, Any] = {"account_id": account[1]}
            body |= (
                {"first_name": "Ada", "last_name": "Lovelace"}
                if kind == "contacts"
                else {"title": "Call"}
            )
            created = self._write("POST", f"/api/v1/{kind}", body)
            self.touched.add((kind, created["id"]))
            return (kind, created["id"])

        @rule(target=records, account=accounts)
        def create_opportunity(self, account: tuple[str, int]) -> tuple[str, int]:
            created = self._write(
                "POST",
                "/api/v1/opportunities",
                {
                    "account_id": account[1],
                    "name": "Expansion",
                    "type": "upsell",
                    "amount": "1000",
                    "close_date": "2030-01-31",
                },
            )
            self.touched.add(("opportunities", created["id"]))
            return ("opportunities", created["id"])

        @rule(record=st.one_of(accounts, records), data=st.data())
        def update(self, record: tuple[str, int], data: st.DataObject) -> None:
            kind, record_id = record
            changes = data.draw(CHANGES[kind])
            if changes:
                self._write("PATCH", f"/api/v1/{kind}/{record_id}", changes)

        @rule(record=records)
        def archive(self, record: tuple[str, int]) -> None:
            self._write("DELETE", f"/api/v1/{record[0]}/{record[1]}")

        @rule(record=records)
        def restore(self, record: tuple[str, int]) -> None:
            self._write("POST", f"/api/v1/{record[0]}/{record[1]}/restore")

        @rule(record=consumes(records))
        def archive_for_good(self, record: tuple[str, int]) -> None:
            self._write("DELETE", f"/api/v1/{record[0]}/{record[1]}")

        @invariant()
        def the_trail_reproduces_every_row(self) -> None:
            with factory.db.session() as session:
                for kind, record_id in sorted(self.touched):
                    row = session.get(MODELS[kind], record_id)
                    assert row is not None
                    events = list(
                        session.scalars(
                            select(AuditEvent)
                            .where(
                                AuditEvent.entity_type == kind, AuditEvent.entity_id == record_id
                            )
                            .order_by(AuditEvent.id)
                        )
                    )
                    ignored = DERIVED.get(kind, set())
                    current = {k: v for k, v in snapshot(row).items() if k not in ignored}
                    replayed = {k: v for k, v in replay(events).items() if k not in ignored}
                    assert replayed == current, f"{kind} {record_id}"

    run_state_machine_as_test(
        AuditReplay,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
