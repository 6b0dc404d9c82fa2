"""Pages: a CSM's override of an account's band, and the admins' scorecard editor with its
dry-run against history."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from steward.analytics.store import event_source
from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.core.schemas import PathId
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.health import dry_run as health_dry_run
from steward.health import overview, schemas, scorecards
from steward.health.measures import SCORED_FIELD_TYPES
from steward.health.models import AccountMeasure
from steward.health.scoring import MEASURES, measure_label
from steward.web.app import (
    AdminPageContext,
    PageContext,
    WebContext,
    redirect,
    render,
)
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    domain_error,
    parse,
    require_csrf,
    save,
)

router = APIRouter()
MEASURE_OPTIONS = [(m.key, m.label) for m in MEASURES.values()]
SEGMENT_OPTIONS = [("", "Every segment without its own card")] + [
    (s, s.replace("_", " ").title()) for s in ("smb", "mid_market", "enterprise")
]
EDITOR_ROWS = 6  # component rows the editor offers (blank ones are ignored)


@router.post("/accounts/{account_id}/health/override")
def override_band(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> Response:
    try:
        require_csrf(context, form)
        data = parse(schemas.OverrideIn, clean(form, ["band", "reason", "expires_on"]))
        save(
            session,
            lambda: overview.set_override(
                session, context.principal, account_id, data, date.today()
            ),
        )
    except FormInvalid as exc:
        message = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in exc.errors.items())
        return redirect(f"/accounts/{account_id}?override_error={quote(message)}#health")
    return redirect(f"/accounts/{account_id}#health")


@router.post("/accounts/{account_id}/health/override/end")
def end_override(
    request: Request, session: DbSession, context: PageContext, account_id: PathId, form: PostedForm
) -> Response:
    require_csrf(context, form)
    save(session, lambda: overview.end_override(session, context.principal, account_id))
    return redirect(f"/accounts/{account_id}#health")


@router.get("/admin/scorecards")
def scorecards_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    rows = scorecards.list_scorecards(session)
    session.commit()
    cards: dict[str, list[schemas.ScorecardOut]] = {}
    for row in rows:
        cards.setdefault(row.key, []).append(scorecards.scorecard_out(row))
    return render(
        request,
        "health/scorecards.html",
        context,
        cards=cards,
        measures=MEASURES,
        segments=dict(SEGMENT_OPTIONS),
    )


@router.post("/admin/scorecards")
def create_scorecard(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    """A new card, copied from the default's components, as a draft to edit."""
    require_csrf(context, form)
    values = clean(form, ["name", "segment"])
    # A new card starts from the default card's components (the published one without a
    # segment), not from whichever card sorts first.
    default = next(
        r
        for r in scorecards.list_scorecards(session)
        if r.status == "published" and r.segment is None
    )
    try:
        data = parse(
            schemas.ScorecardIn,
            {**values, "definition": scorecards.scorecard_out(default).definition.model_dump()},
        )
        row = save(session, lambda: scorecards.create_scorecard(session, context.principal, data))
    except (FormInvalid, StewardError) as exc:
        errors = exc.errors if isinstance(exc, FormInvalid) else domain_error(exc).errors
        session.rollback()
        return render(
            request,
            "health/scorecards.html",
            context,
            422,
            cards={},
            measures=MEASURES,
            segments=dict(SEGMENT_OPTIONS),
            errors=errors,
        )
    return redirect(f"/admin/scorecards/{row.id}")


@router.post("/admin/scorecards/propose")
def propose_scorecard(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    """A draft learned from history, shown with the evidence for each measure and its dry-run
    beside the published card's."""
    require_csrf(context, form)
    values = clean(form, ["name", "segment", "churned_within_days"])
    settings = request.app.state.settings
    try:
        data = parse(schemas.ProposalIn, {k: v for k, v in values.items() if v is not None})
        with event_source(settings) as source:
            row, proposal = save(
                session,
                lambda: scorecards.propose_draft(
                    session,
                    request.app.state.db,
                    source,
                    context.principal,
                    date.today(),
                    tuple(settings.key_features),
                    data,
                ),
            )
    except (FormInvalid, StewardError) as exc:
        errors = exc.errors if isinstance(exc, FormInvalid) else domain_error(exc).errors
        session.rollback()
        cards: dict[str, list[schemas.ScorecardOut]] = {}
        for r in scorecards.list_scorecards(session):
            cards.setdefault(r.key, []).append(scorecards.scorecard_out(r))
        return render(
            request,
            "health/scorecards.html",
            context,
            422,
            cards=cards,
            measures=MEASURES,
            segments=dict(SEGMENT_OPTIONS),
            errors=errors,
        )
    with event_source(settings) as source:
        result = health_dry_run.dry_run(
            request.app.state.db,
            source,
            row,
            date.today(),
            data.horizon_days,
            data.churned_within_days,
            tuple(settings.key_features),
        )
    return _editor(
        request, session, context, scorecards.scorecard_out(row), dry_run=result, proposal=proposal
    )


def _measure_options(session: DbSession, components: list[Any]) -> list[tuple[str, str]]:
    """The built-in measures, and the custom ones that have values or are on the card."""
    custom = set(session.scalars(select(AccountMeasure.key).distinct()))
    custom |= {
        c["measure"].removeprefix("custom:")
        for c in components
        if str(c.get("measure", "")).startswith("custom:")
    }
    scored = [
        (f"field:{field.key}", f"{field.label} (custom field)")
        for field in fields.fields_of(session, Entity.ACCOUNT)
        if field.type in SCORED_FIELD_TYPES
    ]
    return (
        MEASURE_OPTIONS
        + [
            (f"custom:{key}", f"{measure_label('custom:' + key)} (custom)")
            for key in sorted(custom)
        ]
        + scored
    )


def _editor(
    request: Request,
    session: DbSession,
    context: WebContext,
    card: schemas.ScorecardOut,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    dry_run: schemas.DryRunOut | None = None,
    proposal: Any = None,
) -> Response:
    definition = card.definition
    rows = values or {
        "name": card.name,
        "green": definition.bands.green,
        "yellow": definition.bands.yellow,
        "components": [c.model_dump() for c in definition.components],
    }
    versions = [
        scorecards.scorecard_out(r)
        for r in scorecards.list_scorecards(session)
        if r.key == card.key
    ]
    return render(
        request,
        "health/scorecard_edit.html",
        context,
        status,
        card=card,
        versions=versions,
        v=rows,
        rows=EDITOR_ROWS,
        measure_options=_measure_options(session, rows["components"]),
        segments=dict(SEGMENT_OPTIONS),
        errors=errors or {},
        result=dry_run,
        # The page lists the churned accounts first and at most DRY_RUN_ROWS: at 100,000
        # accounts the whole list was 80,000 hidden rows (3 s to render, 20 MB to send);
        # the API's dry run returns every account.
        dry_run_rows=(
            sorted(dry_run.accounts, key=lambda a: a.outcome != "churned")[:DRY_RUN_ROWS]
            if dry_run
            else []
        ),
        proposal=proposal,
    )


DRY_RUN_ROWS = 300


@router.get("/admin/scorecards/{scorecard_id}")
def scorecard_page(
    request: Request, session: DbSession, context: AdminPageContext, scorecard_id: PathId
) -> Response:
    card = scorecards.scorecard_out(scorecards.get_scorecard(session, scorecard_id))
    return _editor(request, session, context, card)


def _posted_definition(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The editor's fields → (values to show again, the definition to validate)."""
    components = []
    for i in range(EDITOR_ROWS):
        row = clean(form, [f"measure_{i}", f"weight_{i}", f"poor_{i}", f"good_{i}"])
        if not row.get(f"measure_{i}"):
            continue
        components.append(
            {
                "measure": row[f"measure_{i}"],
                "weight": row.get(f"weight_{i}"),
                "poor": row.get(f"poor_{i}"),
                "good": row.get(f"good_{i}"),
            }
        )
    bands = clean(form, ["green", "yellow"])
    name = clean(form, ["name"]).get("name")
    shown = {"name": name, **bands, "components": components}
    return shown, {"name": name, "definition": {"components": components, "bands": bands}}


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    """definition.components.1.weight → weight_1, definition.bands → bands."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[:2] == ["definition", "components"] and len(parts) >= 4:
            out[f"{parts[3]}_{parts[2]}"] = message
        elif parts[:2] == ["definition", "components"] and len(parts) == 3:
            out[f"measure_{parts[2]}"] = message
        else:
            out[parts[-1]] = message
    return out


@router.post("/admin/scorecards/{scorecard_id}")
def save_scorecard(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    scorecard_id: PathId,
    form: PostedForm,
) -> Response:
    """Save the draft; with action=dry-run, also score history with what was saved."""
    require_csrf(context, form)
    shown, posted = _posted_definition(form)
    card = scorecards.scorecard_out(scorecards.get_scorecard(session, scorecard_id))
    try:
        patch = parse(schemas.ScorecardPatch, posted)
        save(
            session,
            lambda: scorecards.update_draft(session, context.principal, scorecard_id, patch),
        )
    except FormInvalid as exc:
        return _editor(
            request, session, context, card, shown, _field_errors(exc.errors), exc.status
        )
    if form.get("action") != "dry-run":
        return redirect(f"/admin/scorecards/{scorecard_id}")
    return _dry_run_page(request, session, context, scorecard_id)


def _dry_run_page(
    request: Request, session: DbSession, context: WebContext, scorecard_id: int
) -> Response:
    row = scorecards.get_scorecard(session, scorecard_id)
    settings = request.app.state.settings
    with event_source(settings) as source:
        result = health_dry_run.dry_run(
            request.app.state.db,
            source,
            row,
            date.today(),
            90,
            365,
            tuple(settings.key_features),
        )
    return _editor(request, session, context, scorecards.scorecard_out(row), dry_run=result)


@router.get("/admin/scorecards/{scorecard_id}/dry-run")
def dry_run_page(
    request: Request, session: DbSession, context: AdminPageContext, scorecard_id: PathId
) -> Response:
    return _dry_run_page(request, session, context, scorecard_id)


@router.post("/admin/scorecards/{scorecard_id}/{action}")
def scorecard_action(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    scorecard_id: PathId,
    action: str,
    form: PostedForm,
) -> Response:
    """publish, new-version, delete."""
    require_csrf(context, form)
    principal = context.principal
    if action == "publish":
        row = save(session, lambda: scorecards.publish(session, principal, scorecard_id))
        return redirect(f"/admin/scorecards/{row.id}")
    if action == "new-version":
        row = save(session, lambda: scorecards.new_version(session, principal, scorecard_id))
        return redirect(f"/admin/scorecards/{row.id}")
    if action == "delete":
        save(session, lambda: scorecards.delete_draft(session, principal, scorecard_id))
        return redirect("/admin/scorecards")
    raise StewardError(f"unknown action {action!r}")


page_routers = [router]
