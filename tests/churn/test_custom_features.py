"""Account custom fields as churn-model features (issue 25 §1): opted in per field, read as
each past day had them (the audit trail) or, for a field that never changes, as today; a model
keeps its own feature list, scores with it and names the field in its reasons."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import select, update

from steward.analytics.store import open_store
from steward.churn import service, training
from steward.churn.features import (
    NUMERIC_FEATURES,
    CustomFeature,
    FeatureSet,
    declared_features,
    snapshot_frame,
)
from steward.churn.models import ChurnScore
from steward.config import Settings
from steward.core.audit import AuditEvent
from steward.db import Database
from steward.fields import history
from steward.fields.models import CustomField
from tests.factories import Factory

TODAY = date.today()
TICKETS = CustomFeature("open_tickets", "Open tickets", categorical=False, use="history")
CHANNEL = CustomFeature("channel", "Sales channel", categorical=True, use="fixed")
WITH_CUSTOM = FeatureSet((CHANNEL, TICKETS))  # as declared: by position, then key


def _declare(client: Any, headers: dict[str, str], **spec: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/custom-fields", json={"entity": "account", **spec}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _declare_tickets_and_channel(
    client: Any, headers: dict[str, str], tickets_key: str
) -> dict[str, Any]:
    """A number field learned as each day had it, and a picklist learned as it is today."""
    tickets = _declare(
        client,
        headers,
        key=tickets_key,
        label="Open tickets",
        type="number",
        churn_feature="history",
    )
    _declare(
        client,
        headers,
        key="channel",
        label="Sales channel",
        type="picklist",
        options=["Direct", "Partner"],
        churn_feature="fixed",
    )
    return tickets


def _set(client: Any, headers: dict[str, str], account_id: int, **values: Any) -> None:
    answer = client.patch(
        f"/api/v1/accounts/{account_id}", json={"custom_fields": values}, headers=headers
    )
    assert answer.status_code == 200, answer.text


def _backdate(db: Database, account_id: int, when: date) -> None:
    """The account's custom-field audit events so far, as if written on `when`."""
    moment = datetime.combine(when, datetime.min.time(), UTC) + timedelta(hours=12)
    with db.session() as session:
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.entity_type == "accounts", AuditEvent.entity_id == account_id)
            .values(at=moment)
        )


def test_a_field_is_opted_in_only_where_the_model_can_learn_from_it(
    client, factory: Factory
) -> None:
    headers = factory.headers(factory.user("admin"))
    tickets = _declare(
        client,
        headers,
        key="open_tickets",
        label="Open tickets",
        type="number",
        churn_feature="history",
    )
    assert tickets["churn_feature"] == "history"
    for spec in (
        {"entity": "contact", "key": "persona", "label": "Persona", "type": "number"},
        {"entity": "account", "key": "notes2", "label": "Notes", "type": "long_text"},
        {
            "entity": "account",
            "key": "region",
            "label": "Region",
            "type": "picklist",
            "options": ["A"],
            "churn_feature": "sometimes",
        },
    ):
        refused = client.post(
            "/api/v1/custom-fields", json={"churn_feature": "history", **spec}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "churn_feature", refused.json()
    # Off again by PATCH null; the YAML declaration carries the choice and its dry run says so.
    off = client.patch(
        f"/api/v1/custom-fields/{tickets['id']}", json={"churn_feature": None}, headers=headers
    )
    assert off.status_code == 200 and off.json()["churn_feature"] is None, off.text
    text = client.get("/api/v1/custom-fields/export", headers=headers).text
    assert "churn_feature" not in text
    dry = client.post(
        "/api/v1/custom-fields/import?dry_run=true",
        content=text.replace("position: 0", "position: 0\n  churn_feature: fixed"),
        headers={**headers, "Content-Type": "application/yaml"},
    )
    assert dry.status_code == 200, dry.text
    assert [c["outcome"] for c in dry.json()["changes"]] == ["updated churn_feature"]


def test_past_snapshots_read_the_value_each_day_had(
    client, db: Database, factory: Factory, settings: Settings
) -> None:
    headers = factory.headers(factory.user("admin"))
    tickets = _declare_tickets_and_channel(client, headers, "tickets")
    early, late = factory.account(name="Early"), factory.account(name="Late")
    for account in (early, late):
        factory.contract(account, start=TODAY - timedelta(days=400), end=TODAY + timedelta(days=60))
    cutoff = TODAY - timedelta(days=100)
    # Early: 5 tickets recorded 120 days ago, 50 today. Late: 70 recorded today only.
    _set(client, headers, early.id, tickets=5, channel="Partner")
    _backdate(db, early.id, TODAY - timedelta(days=120))
    _set(client, headers, early.id, tickets=50)
    _set(client, headers, late.id, tickets=70, channel="Direct")
    # Renaming the field keeps its history.
    renamed = client.patch(
        f"/api/v1/custom-fields/{tickets['id']}", json={"key": "open_tickets"}, headers=headers
    )
    assert renamed.status_code == 200, renamed.text

    with db.session() as session:
        features = declared_features(session)
        field = session.scalar(select(CustomField).where(CustomField.key == "open_tickets"))
        assert history.values_on(session, field, [cutoff, TODAY]) == {
            cutoff: {early.id: 5},
            TODAY: {early.id: 50, late.id: 70},
        }
    assert [f.column for f in features.custom] == ["cf.channel", "cf.open_tickets"]
    with open_store(settings.analytics_path) as store:
        store.sync(db)
        frame = snapshot_frame(
            db,
            store,
            [cutoff, TODAY],
            today=TODAY,
            key_events=(),
            currency="USD",
            features=features,
        )
    rows = {(r["account_id"], r["cutoff"]): r for r in frame.to_dict("records")}
    assert rows[(early.id, cutoff)]["cf.open_tickets"] == 5.0  # not today's 50: no leak
    assert math.isnan(rows[(late.id, cutoff)]["cf.open_tickets"])  # unknown then
    assert rows[(early.id, TODAY)]["cf.open_tickets"] == 50.0
    # A field that never changes reads today's value on every day.
    assert rows[(early.id, cutoff)]["cf.channel"] == "Partner"
    assert rows[(late.id, cutoff)]["cf.channel"] == "Direct"


def _synthetic(n_accounts: int, seed: int) -> pd.DataFrame:
    """Monthly snapshots whose churn follows open tickets (a custom field) and nothing else."""
    rng = np.random.default_rng(seed)
    first = date(2023, 1, 31)
    rows = []
    for account in range(n_accounts):
        renewal = first + timedelta(days=int(rng.integers(30, 30 * 30)))
        tickets = float(rng.poisson(6))
        churned = float(rng.random() < 1 / (1 + np.exp(-(-5.0 + 0.85 * tickets))))
        for m in range(30):
            cutoff = first + timedelta(days=30 * m)
            if not cutoff < renewal <= cutoff + timedelta(days=365):
                continue
            rows.append(
                {name: 0.0 for name in NUMERIC_FEATURES}
                | {
                    "account_id": account,
                    "cutoff": cutoff,
                    "renewal_date": renewal,
                    "days_to_renewal": float((renewal - cutoff).days),
                    "arr": 10_000.0,
                    "segment": "smb",
                    "tier": "standard",
                    "cf.open_tickets": tickets,
                    "cf.channel": rng.choice(["Direct", "Partner"]),
                    "churned": churned,
                }
            )
    return pd.DataFrame(rows)


def test_a_model_learns_from_custom_fields_keeps_its_list_and_names_them(
    client, db: Database, factory: Factory, settings: Settings
) -> None:
    frame = _synthetic(700, seed=3)
    built_in = training.train_model(frame, holdout_days=240, seed=0)
    learned = training.train_model(frame, holdout_days=240, seed=0, features=WITH_CUSTOM)
    # Only the custom field tells churners apart here: without it the model cannot.
    assert learned.evaluation.auc > 0.75 and built_in.evaluation.auc < 0.6, (
        learned.evaluation.auc,
        built_in.evaluation.auc,
    )

    headers = factory.headers(factory.user("admin"))
    _declare_tickets_and_channel(client, headers, "open_tickets")
    model = service.train(db, settings, TODAY, frame=frame, holdout_days=240)
    assert service.features_of(model) == WITH_CUSTOM
    listed = client.get("/api/v1/churn/models", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [f["key"] for f in listed.json()[0]["custom_features"]] == ["channel", "open_tickets"]

    # Scoring today reads the model's own features from the workspace, even after the field
    # is no longer chosen for the next training.
    calm, busy = factory.account(name="Calm"), factory.account(name="Busy")
    for account, tickets in ((calm, 1), (busy, 14)):
        factory.contract(account, start=TODAY - timedelta(days=300), end=TODAY + timedelta(days=90))
        _set(client, headers, account.id, open_tickets=tickets, channel="Direct")
    field_id = client.get("/api/v1/custom-fields", headers=headers).json()[0]["id"]
    client.patch(f"/api/v1/custom-fields/{field_id}", json={"churn_feature": None}, headers=headers)
    run = service.score(db, settings, TODAY)
    assert run is not None and run.scored == 2
    with db.session() as session:
        scores = {s.account_id: s for s in session.scalars(select(ChurnScore))}
    assert scores[busy.id].probability > scores[calm.id].probability + 0.3
    reasons = orjson.loads(scores[busy.id].reasons)
    assert reasons[0]["key"] == "cf.open_tickets", reasons
    assert reasons[0]["label"] == "Open tickets" and reasons[0]["detail"] == "14"
