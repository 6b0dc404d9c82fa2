from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from steward.api.resource import resource_router
from steward.core.schemas import Day, PathId
from steward.onboarding import report, service
from steward.onboarding.schemas import (
    ProjectDetail,
    ProjectFilters,
    ProjectOut,
    ProjectStart,
    ProjectUpdate,
    TemplateIn,
    TemplateOut,
    TemplateUpdate,
    TimeToValueReport,
)

projects_router = resource_router(
    prefix="/onboarding/projects",
    tag="onboarding",
    service=service.onboarding_service,
    out_model=ProjectOut,
    create_model=ProjectStart,
    update_model=ProjectUpdate,
    filters_model=ProjectFilters,
    to_out=lambda _session, project: service.to_out(project),
)


@projects_router.get(
    "/{project_id}/detail",
    response_model=ProjectDetail,
    summary="An onboarding project with its milestones",
)
def project_detail(session: DbSession, principal: CurrentPrincipal, project_id: PathId) -> Any:
    return service.onboarding_service.detail(session, principal, project_id)


onboarding_router = APIRouter(prefix="/onboarding", tags=["onboarding"])


@onboarding_router.get(
    "/time-to-value",
    response_model=TimeToValueReport,
    summary="Days from contract start to first value, for projects started in a period",
)
def time_to_value(
    session: DbSession,
    principal: CurrentPrincipal,
    by: Annotated[str, Query(max_length=20)] = "segment",
    start: Day | None = None,
    end: Day | None = None,
) -> Any:
    end = end or date.today() + timedelta(days=1)
    # A year before `end`, or from the first day there is (end=0001-01-01 overflowed).
    start = start or max(date.min + timedelta(days=365), end) - timedelta(days=365)
    return report.time_to_value(session, principal, by=by, start=start, end=end)


@onboarding_router.get("/templates", response_model=list[TemplateOut])
def list_templates(session: DbSession, _: CurrentPrincipal) -> Any:
    return [service.template_out(t) for t in service.list_templates(session)]


@onboarding_router.post("/templates", response_model=TemplateOut, status_code=201)
def create_template(session: DbSession, principal: AdminPrincipal, body: TemplateIn) -> Any:
    template = service.create_template(session, principal, body)
    session.commit()
    return service.template_out(template)


@onboarding_router.get("/templates/{template_id}", response_model=TemplateOut)
def read_template(session: DbSession, _: CurrentPrincipal, template_id: PathId) -> Any:
    return service.template_out(service.get_template(session, template_id))


@onboarding_router.patch("/templates/{template_id}", response_model=TemplateOut)
def update_template(
    session: DbSession, principal: AdminPrincipal, template_id: PathId, body: TemplateUpdate
) -> Any:
    template = service.update_template(session, principal, template_id, body)
    session.commit()
    return service.template_out(template)


@onboarding_router.delete("/templates/{template_id}", response_model=TemplateOut)
def archive_template(session: DbSession, principal: AdminPrincipal, template_id: PathId) -> Any:
    template = service.archive_template(session, principal, template_id)
    session.commit()
    return service.template_out(template)


api_routers = [projects_router, onboarding_router]
