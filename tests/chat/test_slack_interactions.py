"""Slack buttons on Steward's messages: signed by Slack (slack_sdk's verifier), acted on as the
Steward user with that Slack member ID, within their book; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from steward.activities.models import Activity
from steward.config import Settings
from steward.delivery.models import ChatDestination
from steward.escalations.models import Escalation
from steward.playbooks.models import Rule, RuleRun
from steward.tasks.models import Task

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test", slack_signing_secret=SECRET)


def _link(factory, user, slack_id: str) -> None:  # type: ignore[no-untyped-def]
    with factory.db.session() as session:
        session.add(
            ChatDestination(
                user_id=user.id,
                kind="slack_webhook",
                secret_encrypted="x",
                label="Slack",
                slack_user_id=slack_id,
                paused=False,
            )
        )
        session.commit()


def _press(client, slack_id: str, action: dict[str, Any], *, secret: str = SECRET, age: int = 0):  # type: ignore[no-untyped-def]
    payload = {
        "type": "block_actions",
        "user": {"id": slack_id},
        "actions": [action],
        "response_url": "http://127.0.0.1:9/not-slack",  # never called: not Slack's host
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return client.post(
        "/api/v1/chat/slack/interactions",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )


def _rule_run(factory, account) -> int:  # type: ignore[no-untyped-def]
    with factory.db.session() as session:
        rule = Rule(
            key=f"r{account.id}", name="Usage drop", trigger="{}", conditions="{}", actions="[]"
        )
        session.add(rule)
        session.flush()
        run = RuleRun(
            rule_id=rule.id,
            account_id=account.id,
            event_key="e",
            status="fired",
            reason="usage fell",
            matched="[]",
            facts="{}",
            results="[]",
        )
        session.add(run)
        session.commit()
        return run.id


def test_claim_and_snooze_act_on_the_firings_open_tasks_as_the_presser(client, factory):
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id)
    run_id = _rule_run(factory, account)
    due = date.today() + timedelta(days=2)
    task = factory.task(account, rule_run_id=run_id, assignee_id=am.id, due_date=due)
    factory.task(account, rule_run_id=run_id, status="done", assignee_id=am.id)
    _link(factory, csm, "U0CSM")
    refs = json.dumps({"rule_run_id": run_id, "account_id": account.id})

    claimed = _press(client, "U0CSM", {"action_id": "claim", "value": refs})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["text"] == "1 task is yours now."
    snoozed = _press(client, "U0CSM", {"action_id": "snooze", "value": refs})
    assert snoozed.json()["text"] == "1 task is due a day later.", snoozed.text
    with factory.db.session() as session:
        stored = session.get(Task, task.id)
        assert stored is not None
        assert stored.assignee_id == csm.id and stored.due_date == due + timedelta(days=1)


def test_claiming_an_escalation_and_logging_a_note(client, factory):
    am, csm = factory.user("am"), factory.user("csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id)
    escalation = factory.escalation(account, owner_id=am.id)
    _link(factory, csm, "U0CSM")
    claim = {"action_id": "claim", "value": json.dumps({"escalation_id": escalation.id})}
    assert _press(client, "U0CSM", claim).json()["ok"]
    note = {
        "action_id": "log_note",
        "block_id": "note:" + json.dumps({"account_id": account.id}),
        "value": "Spoke to their CTO: the outage is fixed.",
    }
    assert _press(client, "U0CSM", note).json()["text"] == "Note logged on the account."
    with factory.db.session() as session:
        assert session.get(Escalation, escalation.id).owner_id == csm.id  # type: ignore[union-attr]
        activity = session.scalars(select(Activity).where(Activity.type == "note")).one()
        assert activity.account_id == account.id and activity.user_id == csm.id
        assert activity.subject == "Spoke to their CTO: the outage is fixed."


def test_unsigned_stale_unknown_and_outside_the_book_presses_change_nothing(client, factory):
    am, stranger = factory.user("am"), factory.user("am")
    account = factory.account(owner_am_id=am.id)
    escalation = factory.escalation(account, owner_id=am.id)
    _link(factory, stranger, "U0OTHER")
    claim = {"action_id": "claim", "value": json.dumps({"escalation_id": escalation.id})}
    forged = _press(client, "U0OTHER", claim, secret="not-the-signing-secret")
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert _press(client, "U0OTHER", claim, age=6 * 60).status_code == 401  # a replay
    unknown = _press(client, "U0NOBODY", claim)
    assert unknown.status_code == 200 and "not linked" in unknown.json()["text"]
    outside = _press(client, "U0OTHER", claim)
    assert outside.status_code == 200 and "not in your book" in outside.json()["text"]
    note = {
        "action_id": "log_note",
        "block_id": "note:" + json.dumps({"account_id": account.id}),
        "value": "sneaky",
    }
    sneaky = _press(client, "U0OTHER", note)
    assert sneaky.status_code == 200, sneaky.text
    assert not sneaky.json()["ok"]
    with factory.db.session() as session:
        assert session.get(Escalation, escalation.id).owner_id == am.id  # type: ignore[union-attr]
        assert session.scalars(select(Activity)).all() == []
