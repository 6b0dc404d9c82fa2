"""Pages: onboarding projects with time-to-value, and one project's milestones."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.api.deps import DbSession
from steward.core.crud import PageParams
from steward.core.errors import StewardError
from steward.core.schemas import PathId
from steward.onboarding import report, service
from steward.onboarding.models import OnboardingTemplate, ProjectStatus
from steward.onboarding.schemas import ProjectFilters, TemplateIn, TemplateUpdate
from steward.plans.models import MilestoneStatus
from steward.users.service import user_names
from steward.web.app import (
    AdminPageContext,
    PageContext,
    WebContext,
    redirect,
    render,
)
from steward.web.forms import FormInvalid, PostedForm, choice, require_csrf, yaml_model

router = APIRouter()


@router.get("/onboarding")
def onboarding_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    status: Annotated[str, Query(max_length=20)] = ProjectStatus.ACTIVE.value,
    by: Annotated[str, Query(max_length=20)] = "segment",
) -> Response:
    me = context.principal
    chosen = choice(ProjectStatus, status)  # "" is the All tab
    projects, total = service.onboarding_service.list(
        session, me, ProjectFilters(status=chosen), PageParams(200, 0, "-started_on")
    )
    today = date.today()
    ttv = report.time_to_value(
        session, me, by=by, start=today - timedelta(days=365), end=today + timedelta(days=1)
    )
    owners = user_names(session)
    return render(
        request,
        "onboarding/list.html",
        context,
        projects=[service.to_out(p) for p in projects],
        total=total,
        ttv=ttv,
        names=accounts.names_of(session, me, (p.account_id for p in projects)),
        owners=owners,
        f={"status": chosen.value if chosen else "", "by": by},
        groupings=[g for g in report.GROUPINGS if g != "all"],
        today=today,
    )


@router.get("/onboarding/{project_id}")
def project_page(
    request: Request, session: DbSession, context: PageContext, project_id: PathId
) -> Response:
    detail = service.onboarding_service.detail(session, context.principal, project_id)
    account = accounts.get_account(session, context.principal, detail.account_id)
    names = user_names(session)
    return render(
        request,
        "onboarding/project.html",
        context,
        project=detail,
        account=account,
        names=names,
        milestone_statuses=[s.value for s in MilestoneStatus],
    )


# --- admin: onboarding templates, edited as YAML like rules ---------------------------------

NEW_TEMPLATE = """\
name: Enterprise onboarding
segment: enterprise
steps:
  - title: Kick-off call with the client's team
    due_in_days: 3
  - title: Technical set-up and data connected
    due_in_days: 21
    assign_to: csm
  - title: "First value: the agreed first outcome is live"
    due_in_days: 45
    assign_to: csm
    marks_value: true
"""


def _template_yaml(template: OnboardingTemplate) -> str:
    out = service.template_out(template)
    data = out.model_dump(
        mode="json", include={"name", "segment", "steps", "is_active"}, exclude_none=True
    )
    for step in data["steps"]:
        step.pop("priority", None)  # milestones have no priority
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _templates_page(
    request: Request,
    session: Session,
    context: WebContext,
    editing: OnboardingTemplate | None,
    text: str,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "admin/onboarding.html",
        context,
        status,
        templates=[service.template_out(t) for t in service.list_templates(session)],
        editing=editing,
        text=text,
        error=error,
    )


@router.get("/admin/onboarding")
def templates_page(
    request: Request,
    session: DbSession,
    context: AdminPageContext,
    edit: Annotated[int | None, Query()] = None,
) -> Response:
    editing = service.get_template(session, edit) if edit else None
    text = _template_yaml(editing) if editing else NEW_TEMPLATE
    return _templates_page(request, session, context, editing, text)


@router.post("/admin/onboarding")
def save_template(
    request: Request, session: DbSession, context: AdminPageContext, form: PostedForm
) -> Response:
    text = str(form.get("spec") or "")
    raw_id = str(form.get("template_id") or "")
    editing = service.get_template(session, int(raw_id)) if raw_id.isdigit() else None
    try:
        require_csrf(context, form)
        data = yaml_model(TemplateIn, text)
        if editing is None:
            editing = service.create_template(session, context.principal, data)
        else:
            update = TemplateUpdate.model_validate(data.model_dump())
            service.update_template(session, context.principal, editing.id, update)
        session.commit()
    except FormInvalid as exc:
        error = " ".join(exc.errors.values())
        return _templates_page(request, session, context, editing, text, error, exc.status)
    except StewardError as exc:
        session.rollback()
        return _templates_page(request, session, context, editing, text, exc.detail, 422)
    return redirect(f"/admin/onboarding?edit={editing.id}")


page_routers = [router]
