"""Pages: onboarding projects with time-to-value, and one project's milestones."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.accounts import repository as accounts
from steward.api.deps import DbSession
from steward.core.crud import PageParams
from steward.onboarding import report, service
from steward.onboarding.models import ProjectStatus
from steward.onboarding.schemas import ProjectFilters
from steward.plans.models import MilestoneStatus
from steward.users.service import user_names
from steward.web.app import render, web_context

router = APIRouter()


@router.get("/onboarding")
def onboarding_page(
    request: Request,
    session: DbSession,
    status: Annotated[str, Query(max_length=20)] = ProjectStatus.ACTIVE.value,
    by: Annotated[str, Query(max_length=20)] = "segment",
) -> Response:
    context = web_context(request, session)
    me = context.principal
    # "" (the All tab) lists every status; an unknown one is ignored the same way.
    chosen = ProjectStatus(status) if status in set(ProjectStatus) else None
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
def project_page(request: Request, session: DbSession, project_id: int) -> Response:
    context = web_context(request, session)
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
