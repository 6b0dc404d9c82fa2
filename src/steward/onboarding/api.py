from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.configuration import Configuration, add_configuration_routes
from steward.api.deps import CurrentPrincipal, DbSession
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


add_configuration_routes(
    onboarding_router,
    Configuration(
        noun="template",
        plural="templates",
        id_param="template_id",
        path="/templates",
        out_model=TemplateOut,
        out=service.template_out,
        list_all=service.list_templates,
        read=service.get_template,
        create_model=TemplateIn,
        create=service.create_template,
        update_model=TemplateUpdate,
        update=service.update_template,
        archive=service.archive_template,
    ),
)


api_routers = [projects_router, onboarding_router]
