"""Scorecards as admins edit them: versions that never change once published, one draft per
card at a time, publication that retires the previous version, one published card per segment.
Past scores keep the version that made them (HealthScore.scorecard_id)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.analytics.store import EventStore
from steward.core import audit
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.core.principal import Principal, require_admin
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.health import assistant, schemas
from steward.health.dry_run import measured_subjects
from steward.health.measures import SCORED_FIELD_TYPES
from steward.health.models import HealthScorecard
from steward.health.scoring import MEASURES
from steward.health.service import ensure_default_scorecard


def scorecard_out(row: HealthScorecard) -> schemas.ScorecardOut:
    return schemas.ScorecardOut(
        id=row.id,
        key=row.key,
        name=row.name,
        segment=row.segment,
        version=row.version,
        status=row.status,
        definition=schemas.ScorecardDefinition.model_validate(orjson.loads(row.definition)),
        created_by_id=row.created_by_id,
        created_at=row.created_at,
        published_at=row.published_at,
    )


def list_scorecards(session: Session) -> list[HealthScorecard]:
    ensure_default_scorecard(session)
    return list(
        session.scalars(
            select(HealthScorecard).order_by(HealthScorecard.key, HealthScorecard.version.desc())
        )
    )


def get_scorecard(session: Session, scorecard_id: int) -> HealthScorecard:
    row = session.get(HealthScorecard, scorecard_id)
    if row is None:
        raise NotFound("scorecard", scorecard_id)
    return row


def _definition_json(definition: schemas.ScorecardDefinition) -> str:
    return orjson.dumps(definition.model_dump()).decode()


def _check_field_measures(session: Session, definition: schemas.ScorecardDefinition) -> None:
    """A `field:<key>` component names a live account field a card can score."""
    scored = {
        field.key
        for field in fields.fields_of(session, Entity.ACCOUNT)
        if field.type in SCORED_FIELD_TYPES
    }
    for index, component in enumerate(definition.components):
        key = component.measure.removeprefix(schemas.FIELD_PREFIX)
        if component.measure.startswith(schemas.FIELD_PREFIX) and key not in scored:
            raise InvalidField(
                f"definition.components.{index}.measure",
                f"no account custom field {key!r} that a card can score (number, money, "
                f"percent or boolean; declared: {', '.join(sorted(scored)) or 'none'})",
            )


def _key_for(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "scorecard"
    taken = set(
        session.scalars(select(HealthScorecard.key).where(HealthScorecard.key.like(f"{base}%")))
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def create_scorecard(
    session: Session, principal: Principal, data: schemas.ScorecardIn
) -> HealthScorecard:
    """A new card, as a draft (version 1)."""
    require_admin(principal, "edit scorecards")
    ensure_default_scorecard(session)
    _check_field_measures(session, data.definition)
    row = HealthScorecard(
        key=_key_for(session, data.name),
        name=data.name,
        segment=data.segment,
        version=1,
        status="draft",
        definition=_definition_json(data.definition),
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor_id=principal.user_id, action="create", entity=row)
    return row


def new_version(session: Session, principal: Principal, scorecard_id: int) -> HealthScorecard:
    """Editing a card starts here: a draft copy of the version, numbered after the latest."""
    require_admin(principal, "edit scorecards")
    source = get_scorecard(session, scorecard_id)
    if session.scalar(
        select(HealthScorecard.id).where(
            HealthScorecard.key == source.key, HealthScorecard.status == "draft"
        )
    ):
        raise Conflict(f"scorecard {source.key!r} already has a draft; edit or delete it")
    latest = session.scalar(
        select(func.max(HealthScorecard.version)).where(HealthScorecard.key == source.key)
    )
    row = HealthScorecard(
        key=source.key,
        name=source.name,
        segment=source.segment,
        version=(latest or 0) + 1,
        status="draft",
        definition=source.definition,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor_id=principal.user_id, action="create", entity=row)
    return row


def _draft(session: Session, scorecard_id: int) -> HealthScorecard:
    row = get_scorecard(session, scorecard_id)
    if row.status != "draft":
        raise Conflict(
            f"version {row.version} of {row.key!r} is {row.status}: published versions never "
            "change (scores keep the version that made them); start a new version instead"
        )
    return row


def update_draft(
    session: Session, principal: Principal, scorecard_id: int, data: schemas.ScorecardPatch
) -> HealthScorecard:
    require_admin(principal, "edit scorecards")
    row = _draft(session, scorecard_id)
    before = audit.snapshot(row)
    if data.name is not None:
        row.name = data.name
    if data.definition is not None:
        _check_field_measures(session, data.definition)
        row.definition = _definition_json(data.definition)
    session.flush()
    audit.record(session, actor_id=principal.user_id, action="update", entity=row, before=before)
    return row


def delete_draft(session: Session, principal: Principal, scorecard_id: int) -> None:
    require_admin(principal, "edit scorecards")
    row = _draft(session, scorecard_id)
    audit.record(session, actor_id=principal.user_id, action="delete", entity=row)
    session.delete(row)


def publish(session: Session, principal: Principal, scorecard_id: int) -> HealthScorecard:
    """The draft becomes the card's published version (the next scoring uses it); the version
    it replaces is retired. Each segment has at most one published card, and the card without
    a segment (the default for the rest) must stay."""
    require_admin(principal, "edit scorecards")
    row = _draft(session, scorecard_id)
    clash = session.scalar(
        select(HealthScorecard).where(
            HealthScorecard.status == "published",
            HealthScorecard.key != row.key,
            HealthScorecard.segment.is_(None)
            if row.segment is None
            else HealthScorecard.segment == row.segment,
        )
    )
    if clash is not None:
        scope = f"segment {row.segment}" if row.segment else "accounts without their own card"
        raise Conflict(f"{clash.name!r} is already the published card for {scope}")
    changes: list[tuple[HealthScorecard, dict[str, Any]]] = []
    for previous in session.scalars(
        select(HealthScorecard).where(
            HealthScorecard.key == row.key, HealthScorecard.status == "published"
        )
    ):
        changes.append((previous, audit.snapshot(previous)))
        previous.status = "retired"
    before = audit.snapshot(row)
    row.status = "published"
    row.published_at = utcnow()
    session.flush()
    for previous, snapshot in changes:
        audit.record(
            session, actor_id=principal.user_id, action="update", entity=previous, before=snapshot
        )
    audit.record(session, actor_id=principal.user_id, action="update", entity=row, before=before)
    return row


def propose_draft(
    session: Session,
    db: Database,
    store: Path | EventStore | None,
    principal: Principal,
    today: date,
    key_events: tuple[str, ...],
    data: schemas.ProposalIn,
) -> tuple[HealthScorecard, assistant.Proposal]:
    """A draft card learned from the history of the accounts it would score (`assistant`):
    saved like any draft, for the admin to read, edit, dry-run and publish."""
    require_admin(principal, "edit scorecards")
    # Which accounts the proposal learns from: those a card for this segment would score.
    scope = HealthScorecard(key="(proposal)", segment=data.segment)
    subjects = measured_subjects(
        db, store, scope, today, data.horizon_days, data.churned_within_days, key_events
    )
    custom = sorted(
        {k for s in subjects for k in s.measures if k.startswith(("custom:", "field:"))}
    )
    try:
        proposal = assistant.propose(subjects, [*MEASURES, *custom])
    except assistant.NotEnoughHistory as exc:
        raise InvalidField("churned_within_days", str(exc)) from exc
    card = schemas.ScorecardIn(
        name=data.name, segment=data.segment, definition=proposal.definition()
    )
    return create_scorecard(session, principal, card), proposal
