"""Admin pages: rules (YAML editor, dry-run, enable, run log with the reasons), playbooks with
their hold-out report, the YAML bundle (export, import), and the outbox of e-mails/webhooks."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from steward.api.deps import DbSession
from steward.core.errors import InvalidField, StewardError
from steward.core.schemas import PathId
from steward.delivery import service as delivery
from steward.delivery.models import MessageStatus
from steward.playbooks import engine, report, service
from steward.playbooks.models import Rule
from steward.playbooks.schemas import RuleSpec
from steward.web.app import AdminPageContext, WebContext, redirect, render
from steward.web.forms import FormInvalid, PostedForm, choice, require_csrf, yaml_model

router = APIRouter()

NEW_RULE = """\
key: my-new-rule
name: Red accounts get the save play
trigger:
  type: health_band_entered
  band: red
conditions:
  segments: [enterprise, mid_market]
actions:
  - type: create_tasks
    playbook: save-play
  - type: notify
    role: owner_am
    title: "{{ account.name }} turned red"
cooldown_days: 30
"""


def _rule_yaml(rule: Rule) -> str:
    return yaml.safe_dump(
        service.readable_rule(engine.spec_of(rule)), sort_keys=False, allow_unicode=True
    )


@router.get("/admin/rules")
def rules_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    rules = service.list_rules(session)
    stats = service.run_stats(session)
    return render(
        request,
        "admin/rules.html",
        context,
        rules=[(service.rule_out(r), *stats.get(r.id, (0, None))) for r in rules],
        playbooks=[service.playbook_out(p) for p in service.list_playbooks(session)],
    )


def _rule_page(
    request: Request,
    session: Session,
    context: WebContext,
    rule: Rule | None,
    text: str,
    *,
    error: str | None = None,
    dry: Any = None,
    status: int = 200,
) -> Response:
    runs: list[Any] = []
    if rule is not None:
        runs, _ = service.list_runs(
            session, context.principal, rule_id=rule.id, account_id=None, limit=50, offset=0
        )
    return render(
        request,
        "admin/rule.html",
        context,
        status,
        rule=service.rule_out(rule) if rule else None,
        text=text,
        error=error,
        dry=dry,
        runs=runs,
    )


@router.get("/admin/rules/new")
def new_rule_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return _rule_page(request, session, context, None, NEW_RULE)


@router.get("/admin/rules/export.yaml")
def export_rules(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return PlainTextResponse(
        service.export_bundle(session),
        media_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="steward-rules.yaml"'},
    )


@router.get("/admin/rules/import")
def import_page(request: Request, session: DbSession, context: AdminPageContext) -> Response:
    return render(
        request, "admin/import.html", context, text="", result=None, failed=False, error=None
    )


@router.post("/admin/rules/import")
def import_rules(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    text = str(form.get("bundle") or "")
    dry_run = form.get("dry_run") == "1"
    try:
        require_csrf(context, form)
        result = service.import_bundle(session, context.principal, text, dry_run=dry_run)
        failed = any(item.outcome.startswith("error") for item in result.items)
        if dry_run or failed:
            session.rollback()
        else:
            session.commit()
    except (FormInvalid, InvalidField) as exc:
        session.rollback()
        message = exc.detail if isinstance(exc, InvalidField) else "; ".join(exc.errors.values())
        return render(
            request,
            "admin/import.html",
            context,
            422,
            text=text,
            result=None,
            failed=True,
            error=message,
        )
    return render(
        request,
        "admin/import.html",
        context,
        422 if failed else 200,
        text=text if dry_run or failed else "",
        result=result,
        failed=failed,
        error=None,
    )


@router.get("/admin/rules/{rule_id}")
def rule_page(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    rule_id: PathId,
    dry_run: Annotated[bool, Query()] = False,
) -> Response:
    rule = service.get_rule(session, rule_id)
    dry = service.dry_run(session, engine.spec_of(rule)) if dry_run else None
    return _rule_page(request, session, context, rule, _rule_yaml(rule), dry=dry)


def _save_rule(
    request: Request, session: Session, context: WebContext, rule_id: int | None, form: FormData
) -> Response:
    text = str(form.get("spec") or "")
    rule = service.get_rule(session, rule_id) if rule_id is not None else None
    try:
        require_csrf(context, form)
        spec = yaml_model(RuleSpec, text)
        if form.get("action") == "dry_run":
            dry = service.dry_run(session, spec)
            session.rollback()
            return _rule_page(request, session, context, rule, text, dry=dry)
        saved = service.save_rule(session, context.principal, spec, rule_id)
        session.commit()
    except FormInvalid as exc:
        return _rule_page(
            request, session, context, rule, text, error=" ".join(exc.errors.values()), status=403
        )
    except StewardError as exc:
        session.rollback()
        return _rule_page(request, session, context, rule, text, error=exc.detail, status=422)
    return redirect(f"/admin/rules/{saved.id}")


@router.post("/admin/rules/new")
def create_rule(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    return _save_rule(request, session, context, None, form)


@router.post("/admin/rules/{rule_id}")
def update_rule(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    rule_id: PathId,
    form: PostedForm,
) -> Response:
    return _save_rule(request, session, context, rule_id, form)


@router.post("/admin/rules/{rule_id}/enabled")
def toggle_rule(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    rule_id: PathId,
    form: PostedForm,
) -> Response:
    try:
        require_csrf(context, form)
    except FormInvalid:
        return redirect(f"/admin/rules/{rule_id}")
    service.set_enabled(session, context.principal, rule_id, form.get("enabled") == "1")
    session.commit()
    return redirect(f"/admin/rules/{rule_id}")


@router.get("/admin/playbooks/{playbook_id}")
def playbook_page(
    request: Request, session: DbSession, context: AdminPageContext, playbook_id: PathId
) -> Response:
    playbook = service.get_playbook(session, playbook_id)
    return render(
        request,
        "admin/playbook.html",
        context,
        playbook=service.playbook_out(playbook),
        outcome=report.playbook_report(session, context.principal, playbook_id),
    )


@router.get("/admin/outbox")
def outbox_page(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    status: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    chosen = choice(MessageStatus, status)
    messages, total = delivery.list_messages(session, chosen, 200, 0)
    counts = dict(delivery.status_counts(session))
    return render(
        request,
        "admin/outbox.html",
        context,
        messages=messages,
        total=total,
        counts=counts,
        endpoints=delivery.list_endpoints(session),
        f={"status": chosen.value if chosen else ""},
    )


@router.post("/admin/outbox/{message_id}/retry")
def retry_message(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    message_id: PathId,
    form: PostedForm,
) -> Response:
    try:
        require_csrf(context, form)
    except FormInvalid:
        return redirect("/admin/outbox")
    delivery.retry_message(session, message_id)
    session.commit()
    return redirect("/admin/outbox?status=pending")


page_routers = [router]
