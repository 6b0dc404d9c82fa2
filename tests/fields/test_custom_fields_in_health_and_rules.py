"""A custom field in a scorecard (`field:<key>`) and in a rule condition (issue 25 §1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from steward.health.models import HealthScore
from steward.health.service import compute_scores
from steward.playbooks.engine import evaluate
from steward.playbooks.schemas import RuleSpec
from tests.factories import Factory


def _declare(client: Any, headers: dict[str, str], *specs: dict[str, Any]) -> None:
    for spec in specs:
        answer = client.post("/api/v1/custom-fields", json=spec, headers=headers)
        assert answer.status_code == 201, answer.text


def test_a_scorecard_scores_a_custom_field(client, factory: Factory, tmp_path: Path) -> None:
    admin, csm = factory.user("admin"), factory.user("csm")
    admin_headers = factory.headers(admin)
    _declare(
        client,
        admin_headers,
        {"entity": "account", "key": "open_tickets", "label": "Open tickets", "type": "number"},
        {"entity": "account", "key": "exec_sponsor", "label": "Exec sponsor", "type": "boolean"},
        {"entity": "account", "key": "region", "label": "Region", "type": "text"},
    )
    account = factory.account(csm_id=csm.id, last_touch_at=datetime.now(UTC))
    patched = client.patch(
        f"/api/v1/accounts/{account.id}",
        json={"custom_fields": {"open_tickets": 15, "exec_sponsor": True}},
        headers=factory.headers(csm),
    )
    assert patched.status_code == 200, patched.text
    card = {
        "name": "Support load",
        "segment": account.segment,
        "definition": {
            "components": [
                {"measure": "field:open_tickets", "weight": 1, "poor": 20, "good": 0},
                {"measure": "field:exec_sponsor", "weight": 1, "poor": 0, "good": 1},
            ]
        },
    }
    created = client.post("/api/v1/health/scorecards", json=card, headers=admin_headers)
    assert created.status_code == 201, created.text
    published = client.post(
        f"/api/v1/health/scorecards/{created.json()['id']}/publish", headers=admin_headers
    )
    assert published.status_code == 200, published.text

    today = date.today()
    compute_scores(factory.db, tmp_path / "m.duckdb", today, ())
    with factory.db.session() as session:
        score = session.scalars(
            select(HealthScore).where(HealthScore.account_id == account.id)
        ).one()
    parts = {c["measure"]: c for c in orjson.loads(score.components)}
    assert parts["field:open_tickets"]["value"] == 15.0
    assert parts["field:open_tickets"]["points"] == 25.0  # 15 of 20 toward poor
    assert parts["field:exec_sponsor"]["points"] == 100.0
    assert score.score == 62.5

    for measure in ("field:region", "field:nope"):  # text cannot be scored; nope is not declared
        bad = dict(
            card,
            definition={"components": [{"measure": measure, "weight": 1, "poor": 0, "good": 1}]},
        )
        refused = client.post("/api/v1/health/scorecards", json=bad, headers=admin_headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "definition.components.0.measure"


def test_a_rule_condition_on_a_custom_field(client, factory: Factory) -> None:
    admin = factory.user("admin")
    _declare(
        client,
        factory.headers(admin),
        {
            "entity": "account",
            "key": "region",
            "label": "Region",
            "type": "picklist",
            "options": ["EMEA", "AMER"],
        },
        {"entity": "account", "key": "seats", "label": "Seats", "type": "number"},
    )
    stale = datetime.now(UTC) - timedelta(days=90)
    accounts = {}
    for name, values in (
        ("emea-big", {"region": "EMEA", "seats": 500}),
        ("emea-small", {"region": "EMEA", "seats": 10}),
        ("amer-big", {"region": "AMER", "seats": 900}),
        ("unset", {}),
    ):
        account = factory.account(name=name, last_touch_at=stale, lifecycle_stage="adopting")
        answer = client.patch(
            f"/api/v1/accounts/{account.id}",
            json={"custom_fields": values},
            headers=factory.headers(admin),
        )
        assert answer.status_code == 200, answer.text
        accounts[account.id] = name

    spec = RuleSpec.model_validate(
        {
            "key": "quiet-emea",
            "name": "Quiet big EMEA accounts",
            "trigger": {"type": "no_touch", "days": 30},
            "conditions": {"custom_fields": {"region": "emea", "seats__gte": "100"}},
            "actions": [{"type": "notify"}],
        }
    )
    now = datetime.now(UTC)
    with factory.db.session() as session:
        found = evaluate(session, spec, now.date(), now, account_ids=list(accounts))
    assert [accounts[c.account.id] for c in found.candidates] == ["emea-big"]
    assert found.candidates[0].matched["custom_fields"] == "region emea, seats__gte 100"

    # Saved through the API (and refused, naming the condition, when it is wrong).
    body = spec.model_dump(mode="json")
    saved = client.post("/api/v1/rules", json=body, headers=factory.headers(admin))
    assert saved.status_code == 201, saved.text
    dry = client.post(
        f"/api/v1/rules/{saved.json()['id']}/dry-run", headers=factory.headers(admin)
    ).json()
    fired = {c["account_id"] for c in dry["would_fire"]}
    assert fired & set(accounts) == {a for a, n in accounts.items() if n == "emea-big"}, dry
    for conditions, field in (
        ({"region": "Mars"}, "conditions.custom_fields.region"),
        ({"nope": "1"}, "conditions.custom_fields.nope"),
        ({"region__gte": "EMEA"}, "conditions.custom_fields.region__gte"),
    ):
        wrong = dict(body, key="wrong", conditions={"custom_fields": conditions})
        refused = client.post("/api/v1/rules", json=wrong, headers=factory.headers(admin))
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field, refused.json()
