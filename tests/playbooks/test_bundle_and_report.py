"""Rules and playbooks as YAML under version control (API and CLI), and the hold-out report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from steward.accounts.models import Account
from steward.cli.main import app as cli
from steward.config import Settings
from steward.playbooks.engine import run_rules
from steward.playbooks.models import Playbook, Rule, RuleRun
from steward.tasks.models import Task
from tests.factories import Factory

BUNDLE = """
playbooks:
  - key: onboarding-stall
    name: Onboarding stalled
    holdout_percent: 10
    steps:
      - title: Book a working session
        assign_to: csm
        due_in_days: 2
rules:
  - key: stalled
    name: Usage fell during onboarding
    enabled: true
    trigger: {type: usage_drop, percent: 40}
    conditions: {lifecycle_stages: [onboarding], min_arr: 10000}
    actions:
      - {type: create_tasks, playbook: onboarding-stall}
      - {type: set_stage, stage: at_risk}
"""


def test_a_bundle_imports_exports_and_reimports_unchanged(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    dry = client.post("/api/v1/rules/import?dry_run=true", content=BUNDLE, headers=headers)
    assert [(i["kind"], i["key"], i["outcome"]) for i in dry.json()["items"]] == [
        ("playbook", "onboarding-stall", "created"),
        ("rule", "stalled", "created"),
    ]
    assert client.get("/api/v1/rules", headers=headers).json() == []  # a dry run writes nothing

    done = client.post("/api/v1/rules/import", content=BUNDLE, headers=headers)
    assert done.status_code == 200
    exported = client.get("/api/v1/rules/export", headers=headers)
    assert exported.headers["content-type"].startswith("application/yaml")
    data = yaml.safe_load(exported.text)
    assert data["rules"][0]["trigger"] == {"type": "usage_drop", "percent": 40.0}
    assert data["rules"][0]["conditions"] == {
        "lifecycle_stages": ["onboarding"],
        "min_arr": "10000.00",  # amounts are kept to cents
    }
    assert data["playbooks"][0]["steps"][0]["assign_to"] == "csm"
    again = client.post("/api/v1/rules/import", content=exported.text, headers=headers)
    assert {i["outcome"] for i in again.json()["items"]} == {"unchanged"}

    changed = exported.text.replace("Book a working session", "Book a working session today")
    updated = client.post("/api/v1/rules/import", content=changed, headers=headers).json()
    assert [i["outcome"] for i in updated["items"]] == ["updated", "unchanged"]


def test_a_bad_bundle_reports_each_item_and_writes_nothing(client, factory: Factory) -> None:
    headers = factory.headers(factory.user("admin"))
    bad = (
        BUNDLE.replace("percent: 40", "percent: 400").replace(
            "playbook: onboarding-stall}", "playbook: missing}"
        )
        + """  - key: fine
    name: Fine on its own
    trigger: {type: sla_breach}
    actions: [{type: notify}]
"""
    )
    refused = client.post("/api/v1/rules/import", content=bad, headers=headers)
    assert refused.status_code == 422
    outcomes = {i["key"]: i["outcome"] for i in refused.json()["items"]}
    assert outcomes["stalled"].startswith("error: trigger.percent")
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Rule)) == 0
        assert session.scalar(select(func.count()).select_from(Playbook)) == 0
    not_yaml = client.post("/api/v1/rules/import", content="rules: [", headers=headers)
    assert not_yaml.status_code == 422 and not_yaml.json()["errors"][0]["field"] == "file"
    am = factory.headers(factory.user("am"))
    assert client.post("/api/v1/rules/import", content=BUNDLE, headers=am).status_code == 403


def test_rules_from_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(cli, ["migrate", "--data-dir", data]).exit_code == 0
    made = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--role",
            "admin",
            "--data-dir",
            data,
        ],
        env={"STEWARD_PASSWORD": "correct horse battery staple"},
    )
    assert made.exit_code == 0, made.output
    bundle = tmp_path / "rules.yaml"
    bundle.write_text(BUNDLE, encoding="utf-8")
    args = ["rules", "import", str(bundle), "--user", "ops@example.com", "--data-dir", data]
    imported = runner.invoke(cli, args)
    assert imported.exit_code == 0, imported.output
    assert "rule stalled: created" in imported.output
    out = tmp_path / "out.yaml"
    assert runner.invoke(cli, ["rules", "export", str(out), "--data-dir", data]).exit_code == 0
    assert "onboarding-stall" in out.read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(BUNDLE.replace("type: usage_drop", "type: moon_phase"), encoding="utf-8")
    failed = runner.invoke(
        cli, ["rules", "import", str(broken), "--user", "ops@example.com", "--data-dir", data]
    )
    assert failed.exit_code == 2 and "nothing was imported" in failed.output
    ran = runner.invoke(cli, ["rules", "run", "--data-dir", data])
    assert ran.exit_code == 0 and "stalled: 0 events" in ran.output


def test_holdout_accounts_get_no_tasks_and_the_report_compares_the_arms(
    client, factory: Factory, tmp_path: Path
) -> None:
    admin = factory.user("admin")
    headers = factory.headers(admin)
    today = datetime.now(UTC).date()
    accounts = [
        factory.account(health_band="red", health_band_since=today, arr_minor=1_000_000)
        for _ in range(60)
    ]
    client.post(
        "/api/v1/playbooks",
        json={
            "key": "save",
            "name": "Save the account",
            "holdout_percent": 50,
            "steps": [{"title": "Call"}],
        },
        headers=headers,
    )
    client.post(
        "/api/v1/rules",
        json={
            "key": "red",
            "name": "Red",
            "enabled": True,
            "trigger": {"type": "health_band_entered", "band": "red"},
            "actions": [{"type": "create_tasks", "playbook": "save"}],
        },
        headers=headers,
    )
    result = run_rules(factory.db, Settings(data_dir=tmp_path)).rules[0]
    assert result.fired + result.held_out == 60
    assert 15 <= result.held_out <= 45  # a fair draw, not all or nothing
    with factory.db.session() as session:
        held = set(session.scalars(select(RuleRun.account_id).where(RuleRun.status == "held_out")))
        tasked = set(session.scalars(select(Task.account_id)))
    assert len(held) == result.held_out and not held & tasked and len(tasked) == result.fired

    # Later: treated accounts recovered; held-out ones did not.
    with factory.db.session() as session:
        treated = [a.id for a in accounts if a.id not in held]
        session.execute(update(Account).where(Account.id.in_(treated)).values(health_band="green"))
    playbook_id = client.get("/api/v1/playbooks", headers=headers).json()[0]["id"]
    report = client.get(f"/api/v1/playbooks/{playbook_id}/report", headers=headers).json()
    assert report["treated"]["accounts"] == result.fired
    assert report["treated"]["health_recovered_rate"] == 1.0
    assert report["held_out"]["health_recovered_rate"] == 0.0
    assert report["held_out"]["retained_rate"] == 1.0
    # The held-out accounts are still red, but their events are spent: nothing fires again.
    rerun = run_rules(factory.db, Settings(data_dir=tmp_path)).rules[0]
    assert (rerun.events, rerun.fired, rerun.already_fired) == (len(held), 0, len(held))
