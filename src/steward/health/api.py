"""An account's health: the latest score with its components, history, and CSM overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from steward.analytics.store import event_source
from steward.api.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    DbSession,
    get_database,
    get_settings_dep,
)
from steward.config import Settings
from steward.core.schemas import PathId
from steward.db.engine import Database
from steward.health import dry_run as health_dry_run
from steward.health import overview, schemas, scorecards

router = APIRouter(prefix="/accounts/{account_id}/health", tags=["health"])


@router.get("", response_model=schemas.AccountHealth)
def account_health(
    account_id: PathId, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    """The latest score (components, explanation, what changed), the last 26 scores, and the
    active override, if any."""
    return overview.account_health(session, principal, account_id, date.today())


@router.post("/override", response_model=schemas.AccountHealth, status_code=201)
def override_band(
    account_id: PathId, body: schemas.OverrideIn, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    """Set the band by hand, with a reason and an expiry; recomputes never touch it."""
    overview.set_override(session, principal, account_id, body, date.today())
    session.commit()
    return overview.account_health(session, principal, account_id, date.today())


@router.delete("/override", response_model=schemas.AccountHealth)
def end_override(
    account_id: PathId, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    overview.end_override(session, principal, account_id)
    session.commit()
    return overview.account_health(session, principal, account_id, date.today())


scorecards_router = APIRouter(prefix="/health/scorecards", tags=["health"])


@scorecards_router.get("", response_model=list[schemas.ScorecardOut])
def list_scorecards(session: DbSession, _: CurrentPrincipal) -> list[schemas.ScorecardOut]:
    """Every version of every card, newest version first within a card."""
    rows = scorecards.list_scorecards(session)
    session.commit()  # the default card, on a new workspace
    return [scorecards.scorecard_out(r) for r in rows]


@scorecards_router.post("", response_model=schemas.ScorecardOut, status_code=201)
def create_scorecard(
    body: schemas.ScorecardIn, session: DbSession, principal: AdminPrincipal
) -> schemas.ScorecardOut:
    """A new card, as a draft: dry-run it, then publish it."""
    row = scorecards.create_scorecard(session, principal, body)
    session.commit()
    return scorecards.scorecard_out(row)


@scorecards_router.post("/propose", response_model=schemas.ProposalOut, status_code=201)
def propose(
    body: schemas.ProposalIn,
    session: DbSession,
    principal: AdminPrincipal,
    db: Annotated[Database, Depends(get_database)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> schemas.ProposalOut:
    """A draft card learned from history: the measures that told the accounts that churned
    (as they were `horizon_days` before) from those that stayed, weighted by how well, with
    lines drawn between their typical values and a red line that keeps at most a tenth of the
    accounts that stayed red. The evidence for each measure comes with it."""
    with event_source(settings) as source:
        row, proposal = scorecards.propose_draft(
            session, db, source, principal, date.today(), tuple(settings.key_features), body
        )
    session.commit()
    return schemas.ProposalOut(
        scorecard=scorecards.scorecard_out(row),
        evidence=[schemas.MeasureEvidenceOut(**vars(e)) for e in proposal.evidence],
        churned=proposal.churned,
        retained=proposal.retained,
        churned_red=proposal.churned_red,
        retained_red=proposal.retained_red,
    )


@scorecards_router.get("/{scorecard_id}", response_model=schemas.ScorecardOut)
def get_scorecard(
    scorecard_id: PathId, session: DbSession, _: CurrentPrincipal
) -> schemas.ScorecardOut:
    return scorecards.scorecard_out(scorecards.get_scorecard(session, scorecard_id))


@scorecards_router.patch("/{scorecard_id}", response_model=schemas.ScorecardOut)
def update_draft(
    scorecard_id: PathId,
    body: schemas.ScorecardPatch,
    session: DbSession,
    principal: AdminPrincipal,
) -> schemas.ScorecardOut:
    """Drafts only: a published version never changes (409)."""
    row = scorecards.update_draft(session, principal, scorecard_id, body)
    session.commit()
    return scorecards.scorecard_out(row)


@scorecards_router.delete("/{scorecard_id}", status_code=204)
def delete_draft(scorecard_id: PathId, session: DbSession, principal: AdminPrincipal) -> None:
    scorecards.delete_draft(session, principal, scorecard_id)
    session.commit()


@scorecards_router.post(
    "/{scorecard_id}/versions", response_model=schemas.ScorecardOut, status_code=201
)
def new_version(
    scorecard_id: PathId, session: DbSession, principal: AdminPrincipal
) -> schemas.ScorecardOut:
    """Start editing a card: a draft copy of this version with the next version number."""
    row = scorecards.new_version(session, principal, scorecard_id)
    session.commit()
    return scorecards.scorecard_out(row)


@scorecards_router.post("/{scorecard_id}/publish", response_model=schemas.ScorecardOut)
def publish(
    scorecard_id: PathId, session: DbSession, principal: AdminPrincipal
) -> schemas.ScorecardOut:
    """The draft becomes the card's published version; the one it replaces is retired."""
    row = scorecards.publish(session, principal, scorecard_id)
    session.commit()
    return scorecards.scorecard_out(row)


@scorecards_router.post("/{scorecard_id}/dry-run", response_model=schemas.DryRunOut)
def dry_run(
    scorecard_id: PathId,
    session: DbSession,
    _: AdminPrincipal,
    db: Annotated[Database, Depends(get_database)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
    horizon_days: Annotated[int, Query(ge=7, le=365)] = 90,
    churned_within_days: Annotated[int, Query(ge=30, le=1095)] = 365,
) -> schemas.DryRunOut:
    """Score history with this version: the accounts that churned in the last
    `churned_within_days`, each on the day `horizon_days` before it left, and the accounts
    that stayed, `horizon_days` ago; the published card beside it on the same days."""
    card = scorecards.get_scorecard(session, scorecard_id)
    with event_source(settings) as source:
        return health_dry_run.dry_run(
            db,
            source,
            card,
            date.today(),
            horizon_days,
            churned_within_days,
            tuple(settings.key_features),
        )


measures_router = APIRouter(prefix="/accounts/{account_id}/measures", tags=["health"])


@measures_router.get("", response_model=list[schemas.MeasureOut])
def list_measures(
    account_id: PathId, session: DbSession, principal: CurrentPrincipal
) -> list[schemas.MeasureOut]:
    """Each custom measure's latest value."""
    return overview.latest_measures(session, principal, account_id, date.today())


@measures_router.put("/{key}", response_model=schemas.MeasureOut)
def record_measure(
    account_id: PathId,
    key: str,
    body: schemas.MeasureIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> schemas.MeasureOut:
    """Set a custom measure (support tickets, days late on invoices, a CSAT from another tool)
    for a day; scorecards score it as `custom:<key>` from the next scoring on."""
    row = overview.record_measure(session, principal, account_id, key, body, date.today())
    session.commit()
    return schemas.MeasureOut(key=row.key, value=row.value, as_of=row.as_of)


api_routers = [router, scorecards_router, measures_router]
