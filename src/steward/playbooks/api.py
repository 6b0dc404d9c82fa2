from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from steward.api.configuration import (
    Configuration,
    add_configuration_routes,
    declaration_text,
    settle_declarations,
)
from steward.api.deps import (
    AdminPrincipal,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    Paging,
    RawBody,
    get_database,
)
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


@playbooks_router.get(
    "/{playbook_id}/report",
    response_model=PlaybookReport,
    summary="Outcomes of treated accounts against the held-out ones",
)
def playbook_report(session: DbSession, principal: CurrentPrincipal, playbook_id: PathId) -> Any:
    return report.playbook_report(session, principal, playbook_id)


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
    text = declaration_text(raw)
    result = service.import_bundle(session, principal, text, dry_run=dry_run)
    failed = any(item.outcome.startswith("error") for item in result.items)
    return settle_declarations(session, result, failed, dry_run)


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


add_configuration_routes(
    playbooks_router,
    Configuration(
        noun="playbook",
        plural="playbooks",
        id_param="playbook_id",
        out_model=PlaybookOut,
        out=service.playbook_out,
        list_all=service.list_playbooks,
        read=service.get_playbook,
        create_model=PlaybookSpec,
        create=service.save_playbook,
        update_model=PlaybookSpec,
        update=service.replace_playbook,
        archive=service.archive_playbook,
        update_verb="put",
    ),
)
add_configuration_routes(
    rules_router,
    Configuration(
        noun="rule",
        plural="rules",
        id_param="rule_id",
        out_model=RuleOut,
        out=service.rule_out,
        list_all=service.list_rules,
        read=service.get_rule,
        create_model=RuleSpec,
        create=service.save_rule,
        update_model=RuleSpec,
        update=service.replace_rule,
        archive=service.archive_rule,
        update_verb="put",
    ),
)


api_routers = [playbooks_router, rules_router]
