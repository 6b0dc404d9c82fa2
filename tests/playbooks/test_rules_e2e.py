"""Rules end to end: a real health score turns red and the playbook's tasks reach the right
people exactly once, with a signed webhook that gets through after two failures; a detractor's
answer becomes a follow-up task and an e-mail a real SMTP server receives."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from steward.account360.overview import account_360
from steward.app import create_app
from steward.config import Settings
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.delivery import webhooks
from steward.delivery.tasks import deliver_due
from steward.health.service import compute_scores
from steward.playbooks.engine import run_rules
from steward.playbooks.models import RuleRun
from steward.tasks.models import Task
from tests.factories import Factory
from tests.support.servers import smtp_server, webhook_receiver

RISK_PLAYBOOK = {
    "key": "risk-recovery",
    "name": "Risk recovery",
    "steps": [
        {"title": "Call the executive sponsor", "assign_to": "csm", "due_in_days": 2},
        {"title": "Review usage with product", "assign_to": "owner_am", "due_in_days": 5},
    ],
}


def _publish_risk_card(client: TestClient, headers: dict[str, str], segment: str) -> None:
    """A card scoring one custom measure, so the test decides who turns red."""
    card = {
        "name": "Risk",
        "segment": segment,
        "definition": {
            "components": [{"measure": "custom:risk", "weight": 1, "poor": 10, "good": 0}]
        },
    }
    created = client.post("/api/v1/health/scorecards", json=card, headers=headers).json()
    published = client.post(f"/api/v1/health/scorecards/{created['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text


def test_a_red_band_creates_the_playbooks_tasks_for_the_right_owner_exactly_once(
    factory: Factory, tmp_path: Path
) -> None:
    admin, am, csm = factory.user("admin"), factory.user("am"), factory.user("csm")
    at_risk = factory.account(
        name="Initech", segment="enterprise", owner_am_id=am.id, csm_id=csm.id
    )
    healthy = factory.account(segment="enterprise", owner_am_id=am.id, csm_id=csm.id)
    small = factory.account(segment="smb", owner_am_id=am.id)  # red too, but not enterprise
    settings = Settings(data_dir=tmp_path, webhook_allow_private=True)
    app = create_app(settings, factory.db)
    today = datetime.now(UTC).date()
    with TestClient(app) as client, webhook_receiver(failures=2) as receiver:
        headers = factory.headers(admin)
        for segment in ("enterprise", "smb"):
            _publish_risk_card(client, headers, segment)
        for account, risk in ((at_risk, 9), (healthy, 1), (small, 9)):
            put = client.put(
                f"/api/v1/accounts/{account.id}/measures/risk",
                json={"value": risk},
                headers=headers,
            )
            assert put.status_code == 200
        # Yesterday all were green; today's score turns two of them red.
        with factory.db.session() as session:
            from steward.health.models import AccountMeasure

            for account in (at_risk, healthy, small):
                session.add(
                    AccountMeasure(
                        account_id=account.id, key="risk", value=0, as_of=today - timedelta(days=1)
                    )
                )
        compute_scores(factory.db, tmp_path / "s.duckdb", today - timedelta(days=1), (), today)
        compute_scores(factory.db, tmp_path / "s.duckdb", today, ())

        endpoint = client.post(
            "/api/v1/webhooks", json={"name": "crm", "url": receiver.url}, headers=headers
        ).json()
        assert (
            client.post("/api/v1/playbooks", json=RISK_PLAYBOOK, headers=headers).status_code == 201
        )
        rule = {
            "key": "red-enterprise",
            "name": "Enterprise account turned red",
            "trigger": {"type": "health_band_entered", "band": "red"},
            "conditions": {"segments": ["enterprise"]},
            "actions": [
                {"type": "create_tasks", "playbook": "risk-recovery"},
                {"type": "notify", "role": "csm"},
                {"type": "webhook", "endpoint": "crm"},
            ],
        }
        created = client.post("/api/v1/rules", json=rule, headers=headers)
        assert created.status_code == 201, created.json()
        rule_id = created.json()["id"]

        # Dry-run before enabling: exactly the red enterprise account, with the reason.
        dry = client.post(f"/api/v1/rules/{rule_id}/dry-run", headers=headers).json()
        assert [w["account_id"] for w in dry["would_fire"]] == [at_risk.id]
        assert dry["events"] == 2  # the SMB account entered red too; the condition left it out
        assert dry["would_fire"][0]["reason"].startswith(f"health entered red on {today}")
        assert dry["would_fire"][0]["matched"]["segment"].startswith("enterprise")
        assert run_rules(factory.db, settings).fired == 0  # disabled: nothing happens
        with factory.db.session() as session:
            assert session.scalars(select(Task)).all() == []

        client.post(f"/api/v1/rules/{rule_id}/enable", headers=headers)
        first = run_rules(factory.db, settings)
        again = run_rules(factory.db, settings)
        compute_scores(factory.db, tmp_path / "s.duckdb", today, ())  # re-scored: still red
        third = run_rules(factory.db, settings)
        assert (first.fired, again.fired, third.fired) == (1, 0, 0)
        assert again.rules[0].already_fired == 1

        with factory.db.session() as session:
            tasks = session.scalars(select(Task).order_by(Task.id)).all()
        assert [(t.account_id, t.title, t.assignee_id, t.source) for t in tasks] == [
            (at_risk.id, "Call the executive sponsor", csm.id, "playbook"),
            (at_risk.id, "Review usage with product", am.id, "playbook"),
        ]
        assert [t.due_date for t in tasks] == [today + timedelta(days=2), today + timedelta(days=5)]
        assert "Why: health entered red" in str(tasks[0].description)

        # Why did this fire? The run log says, to people who can see the account.
        log = client.get(
            f"/api/v1/rules/runs?account_id={at_risk.id}", headers=factory.headers(csm)
        ).json()
        [run] = log["items"]
        assert run["rule_key"] == "red-enterprise" and run["status"] == "fired"
        assert run["reason"].startswith("health entered red")
        assert set(run["matched"]) == {"lifecycle_stage", "segment"}
        assert run["results"][0].startswith(f"task {tasks[0].id} 'Call the executive sponsor'")
        assert any(r.startswith("notified ") for r in run["results"])
        assert all(t.rule_run_id == run["id"] for t in tasks)
        stranger = factory.user("am")
        assert (
            client.get("/api/v1/rules/runs", headers=factory.headers(stranger)).json()["total"] == 0
        )
        # The account's timeline shows the band change and the rule that fired on it.
        with factory.reading_as(Principal.of(csm)) as session:
            view = account_360(session, Principal.of(csm), at_risk.id, today)
        kinds = [(e.kind, e.title) for e in view.timeline]
        assert ("health", "Health green → red") in kinds
        assert ("rule", "Rule 'Enterprise account turned red' fired") in kinds
        notes = client.get("/api/v1/notifications", headers=factory.headers(csm)).json()
        assert [n["title"] for n in notes] == ["Enterprise account turned red: Initech"]

        # The webhook gets through on the third attempt, signed.
        start = utcnow()
        deliver_due(factory.db, settings, now=start)
        deliver_due(factory.db, settings, now=start + timedelta(seconds=40))
        assert deliver_due(factory.db, settings, now=start + timedelta(minutes=3)).sent == 1
        assert len(receiver.requests) == 3
        last = receiver.requests[-1]
        secret = client.get("/api/v1/webhooks", headers=headers).json()[0]["secret"]
        assert endpoint["secret"] == secret
        assert webhooks.verify_signature(secret, last.headers["Steward-Signature"], last.body)
        payload = orjson.loads(last.body)
        assert payload["type"] == "rule.fired"
        assert payload["data"]["account"] == {"id": at_risk.id, "name": "Initech"}
        assert payload["data"]["event"]["key"] == f"account:{at_risk.id}:health_band:red:{today}"


def test_a_detractor_answer_creates_a_follow_up_task_and_an_email(
    factory: Factory, tmp_path: Path
) -> None:
    admin, am, csm = factory.user("admin"), factory.user("am"), factory.user("csm")
    account = factory.account(owner_am_id=am.id, csm_id=csm.id)
    contact = factory.contact(
        account, first_name="Dana", last_name="Scully", email="dana@acme.example"
    )
    with smtp_server() as mailbox:
        settings = Settings(
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_security="none",
            public_url="http://steward.test",
        )
        with TestClient(create_app(settings, factory.db)) as client:
            headers = factory.headers(admin)
            client.post(
                "/api/v1/playbooks",
                json={
                    "key": "detractor",
                    "name": "Detractor follow-up",
                    "steps": [
                        {"title": "Call back the detractor", "assign_to": "csm", "due_in_days": 1}
                    ],
                },
                headers=headers,
            )
            rule = {
                "key": "nps-detractor",
                "name": "NPS detractor",
                "enabled": True,
                "trigger": {"type": "nps_detractor"},
                "actions": [
                    {"type": "create_tasks", "playbook": "detractor"},
                    {
                        "type": "email",
                        "role": "csm",
                        "subject": "Detractor at {{ account.name }}",
                    },
                ],
            }
            assert client.post("/api/v1/rules", json=rule, headers=headers).status_code == 201

            sent = client.post(
                "/api/v1/surveys",
                json={"kind": "nps", "name": "Q4 NPS", "contact_ids": [contact.id]},
                headers=factory.headers(am),
            )
            assert sent.status_code == 201
            assert deliver_due(factory.db, settings).sent == 1
            [invitation] = mailbox.messages
            assert invitation["To"] == "dana@acme.example"
            link = re.search(r"http://steward\.test(/s/\S+)", invitation.get_payload()).group(1)  # type: ignore[union-attr]

            answered = client.post(link, data={"score": "4", "comment": "Too many outages"})
            assert answered.status_code == 200 and "Thank you" in answered.text
            # The follow-up exists before the periodic job runs, and a later run adds nothing.
            assert run_rules(factory.db, settings).fired == 0
            with factory.db.session() as session:
                [task] = session.scalars(select(Task)).all()
                [run] = session.scalars(select(RuleRun)).all()
            assert (task.title, task.assignee_id, task.account_id) == (
                "Call back the detractor",
                csm.id,
                account.id,
            )
            assert run.reason == "Dana Scully answered 4 to 'Q4 NPS': \"Too many outages\""

            assert deliver_due(factory.db, settings).sent == 1
    follow_up = mailbox.messages[-1]
    assert follow_up["To"] == csm.email
    assert follow_up["Subject"] == f"Detractor at {account.name}"
    body = follow_up.get_payload()
    assert "Dana Scully answered 4" in body and f"http://steward.test/accounts/{account.id}" in body


def test_a_rule_naming_what_does_not_exist_is_refused(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    rule = {
        "key": "x",
        "name": "x",
        "trigger": {"type": "renewal_due", "days": 90},
        "actions": [{"type": "create_tasks", "playbook": "nope"}],
    }
    refused = client.post("/api/v1/rules", json=rule, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "actions[0].playbook"
    rule["actions"] = [{"type": "email", "message": "{{ account.name "}]
    bad_template = client.post("/api/v1/rules", json=rule, headers=headers)
    assert bad_template.json()["errors"][0]["field"] == "actions[0].message"
    rule["trigger"] = {"type": "renewal_due"}
    missing = client.post("/api/v1/rules", json=rule, headers=headers)
    assert missing.status_code == 422 and "needs 'days'" in missing.json()["detail"]
    am = factory.headers(factory.user("am"))
    assert client.post("/api/v1/rules", json=rule, headers=am).status_code == 403


def test_renewal_and_no_touch_triggers(client, factory: Factory, tmp_path: Path) -> None:
    """Contracts ending within N days (not renewed), and silence beyond the tier's cadence."""
    admin = factory.user("admin")
    today = date.today()
    soon = factory.account(tier="key", last_touch_at=datetime.now(UTC) - timedelta(days=50))
    later = factory.account(tier="standard", last_touch_at=datetime.now(UTC) - timedelta(days=50))
    factory.contract(soon, start=today - timedelta(days=300), end=today + timedelta(days=60))
    factory.contract(later, start=today - timedelta(days=100), end=today + timedelta(days=200))
    headers = factory.headers(admin)
    client.post(
        "/api/v1/playbooks",
        json={"key": "renewal", "name": "Renewal", "steps": [{"title": "Send renewal quote"}]},
        headers=headers,
    )
    for rule in (
        {
            "key": "renewal-90",
            "name": "Renewal in 90 days",
            "enabled": True,
            "trigger": {"type": "renewal_due", "days": 90},
            "actions": [{"type": "create_tasks", "playbook": "renewal"}],
        },
        {
            "key": "check-in",
            "name": "Check-in overdue",
            "enabled": True,
            "trigger": {"type": "no_touch", "days_by_tier": {"key": 30, "standard": 90}},
            "actions": [{"type": "notify"}],
        },
    ):
        assert client.post("/api/v1/rules", json=rule, headers=headers).status_code == 201
    result = run_rules(factory.db, Settings(data_dir=tmp_path))
    by_rule = {r.rule_key: r for r in result.rules}
    assert (by_rule["renewal-90"].fired, by_rule["check-in"].fired) == (1, 1)
    with factory.db.session() as session:
        runs = {r.event_key: r for r in session.scalars(select(RuleRun))}
    assert {r.account_id for r in runs.values()} == {soon.id}
    assert any(key.startswith(f"account:{soon.id}:no_touch:30:") for key in runs)
    assert run_rules(factory.db, Settings(data_dir=tmp_path)).fired == 0
