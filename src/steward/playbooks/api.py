from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from steward.api.deps import (
    AdminPrincipal,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    Paging,
    RawBody,
    get_database,
)
from steward.core.errors import InvalidField
from steward.core.schemas import MAX_ID, Page, PathId
from steward.db.engine import Database
from steward.playbooks import engine, report, service
from steward.playbooks.schemas import (
    BundleImport,
    DryRun,
    PlaybookOut,
    PlaybookReport,
    PlaybookSpec,
    RuleOut,
    RuleRunOut,
    RuleSpec,
)

playbooks_router = APIRouter(prefix="/playbooks", tags=["playbooks"])
rules_router = APIRouter(prefix="/rules", tags=["rules"])


@playbooks_router.get("", response_model=list[PlaybookOut])
def list_playbooks(session: DbSession, _: CurrentPrincipal) -> Any:
    return [service.playbook_out(p) for p in service.list_playbooks(session)]


@playbooks_router.post("", response_model=PlaybookOut, status_code=201)
def create_playbook(session: DbSession, principal: AdminPrincipal, body: PlaybookSpec) -> Any:
    playbook = service.save_playbook(session, principal, body)
    session.commit()
    return service.playbook_out(playbook)


@playbooks_router.get("/{playbook_id}", response_model=PlaybookOut)
def read_playbook(session: DbSession, _: CurrentPrincipal, playbook_id: PathId) -> Any:
    return service.playbook_out(service.get_playbook(session, playbook_id))


@playbooks_router.put("/{playbook_id}", response_model=PlaybookOut)
def replace_playbook(
    session: DbSession, principal: AdminPrincipal, playbook_id: PathId, body: PlaybookSpec
) -> Any:
    playbook = service.save_playbook(session, principal, body, playbook_id)
    session.commit()
    return service.playbook_out(playbook)


@playbooks_router.delete("/{playbook_id}", response_model=PlaybookOut)
def archive_playbook(session: DbSession, principal: AdminPrincipal, playbook_id: PathId) -> Any:
    playbook = service.archive_playbook(session, principal, playbook_id)
    session.commit()
    return service.playbook_out(playbook)


@playbooks_router.get(
    "/{playbook_id}/report",
    response_model=PlaybookReport,
    summary="Outcomes of treated accounts against the held-out ones",
)
def playbook_report(session: DbSession, principal: CurrentPrincipal, playbook_id: PathId) -> Any:
    return report.playbook_report(session, principal, playbook_id)


@rules_router.get("", response_model=list[RuleOut])
def list_rules(session: DbSession, _: CurrentPrincipal) -> Any:
    return [service.rule_out(r) for r in service.list_rules(session)]


@rules_router.post("", response_model=RuleOut, status_code=201)
def create_rule(session: DbSession, principal: AdminPrincipal, body: RuleSpec) -> Any:
    rule = service.save_rule(session, principal, body)
    session.commit()
    return service.rule_out(rule)


@rules_router.get("/runs", response_model=Page[RuleRunOut], summary="The run log: why rules fired")
def list_runs(
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Paging,
    rule_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    items, total = service.list_runs(
        session,
        principal,
        rule_id=rule_id,
        account_id=account_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@rules_router.get(
    "/export",
    response_class=PlainTextResponse,
    summary="Playbooks and rules as one YAML file (for version control)",
    responses={200: {"content": {"application/yaml": {}}}},
)
def export_bundle(session: DbSession, _: AdminPrincipal) -> PlainTextResponse:
    return PlainTextResponse(
        service.export_bundle(session),
        media_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="steward-rules.yaml"'},
    )


@rules_router.post(
    "/import",
    response_model=BundleImport,
    summary="Create or update playbooks and rules from a YAML file",
    description="Send the file as the request body. All or nothing: each item is reported "
    "(created, updated, unchanged, or the error); with any error nothing is written (422).",
)
def import_bundle(
    raw: RawBody, session: DbSession, principal: AdminPrincipal, dry_run: bool = False
) -> Any:
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidField("file", "must be UTF-8 text") from exc
    result = service.import_bundle(session, principal, text, dry_run=dry_run)
    if any(item.outcome.startswith("error") for item in result.items):
        session.rollback()
        return JSONResponse(result.model_dump(mode="json"), status_code=422)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return result


@rules_router.post("/dry-run", response_model=DryRun, summary="What an unsaved rule would do today")
def dry_run_spec(session: DbSession, _: AdminPrincipal, body: RuleSpec) -> Any:
    return service.dry_run(session, body)


@rules_router.post(
    "/run",
    summary="Evaluate the enabled rules now (the worker does this every 15 minutes)",
)
def run_now(
    _: AdminPrincipal,
    db: Annotated[Database, Depends(get_database)],
    settings: AppSettings,
) -> Any:
    result = engine.run_rules(db, settings)
    return {"as_of": result.as_of, "rules": [r.__dict__ for r in result.rules]}


@rules_router.get("/{rule_id}", response_model=RuleOut)
def read_rule(session: DbSession, _: CurrentPrincipal, rule_id: PathId) -> Any:
    return service.rule_out(service.get_rule(session, rule_id))


@rules_router.put("/{rule_id}", response_model=RuleOut)
def replace_rule(
    session: DbSession, principal: AdminPrincipal, rule_id: PathId, body: RuleSpec
) -> Any:
    rule = service.save_rule(session, principal, body, rule_id)
    session.commit()
    return service.rule_out(rule)


@rules_router.post("/{rule_id}/enable", response_model=RuleOut)
def enable_rule(session: DbSession, principal: AdminPrincipal, rule_id: PathId) -> Any:
    rule = service.set_enabled(session, principal, rule_id, True)
    session.commit()
    return service.rule_out(rule)


@rules_router.post("/{rule_id}/disable", response_model=RuleOut)
def disable_rule(session: DbSession, principal: AdminPrincipal, rule_id: PathId) -> Any:
    rule = service.set_enabled(session, principal, rule_id, False)
    session.commit()
    return service.rule_out(rule)


@rules_router.post(
    "/{rule_id}/dry-run", response_model=DryRun, summary="What this rule would do today"
)
def dry_run_rule(session: DbSession, _: AdminPrincipal, rule_id: PathId) -> Any:
    return service.dry_run(session, engine.spec_of(service.get_rule(session, rule_id)))


@rules_router.delete("/{rule_id}", response_model=RuleOut)
def archive_rule(session: DbSession, principal: AdminPrincipal, rule_id: PathId) -> Any:
    rule = service.archive_rule(session, principal, rule_id)
    session.commit()
    return service.rule_out(rule)


api_routers = [playbooks_router, rules_router]
