"""The FastAPI application: JSON API under /api/v1, pages, static assets."""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from steward import __version__
from steward.accounts.api import router as accounts_router
from steward.activities.api import router as activities_router
from steward.api import openapi, problems
from steward.api.deps import SESSION_COOKIE
from steward.api.limits import BodySizeLimit
from steward.api.origin import CrossSiteCookieWrites
from steward.api.query import reject_unknown_query_parameters
from steward.api.ratelimit import ClientRateLimits
from steward.audit.api import router as audit_router
from steward.auth.api import router as auth_router
from steward.churn.api import router as churn_router
from steward.config import Settings
from steward.contacts.api import router as contacts_router
from steward.contracts.api import router as contracts_router
from steward.db.engine import Database
from steward.delivery.api import notifications_router, outbox_router, webhooks_router
from steward.escalations.api import router as escalations_router
from steward.forecasts.api import router as forecasts_router
from steward.health.api import measures_router, scorecards_router
from steward.health.api import router as health_router
from steward.imports.api import router as imports_router
from steward.myday.api import router as myday_router
from steward.onboarding.api import onboarding_router, projects_router
from steward.opportunities.api import router as opportunities_router
from steward.plans.api import account_plans_router, milestones_router, success_plans_router
from steward.playbooks.api import playbooks_router, rules_router
from steward.products.api import router as products_router
from steward.renewals.api import router as renewals_router
from steward.retention.api import router as retention_router
from steward.revenue.api import router as metrics_router
from steward.surveys.api import router as surveys_router
from steward.tasks.api import router as tasks_router
from steward.usage.api import router as usage_router
from steward.usage.api import sources_router
from steward.users.api import teams_router, users_router


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(reject_unknown_query_parameters)])
    for sub in (
        auth_router,
        accounts_router,
        contacts_router,
        contracts_router,
        opportunities_router,
        activities_router,
        tasks_router,
        products_router,
        users_router,
        teams_router,
        audit_router,
        metrics_router,
        renewals_router,
        imports_router,
        health_router,
        scorecards_router,
        measures_router,
        sources_router,
        escalations_router,
        surveys_router,
        churn_router,
        forecasts_router,
        retention_router,
        webhooks_router,
        outbox_router,
        notifications_router,
        playbooks_router,
        rules_router,
        success_plans_router,
        milestones_router,
        account_plans_router,
        projects_router,
        onboarding_router,
        myday_router,
    ):
        router.include_router(sub)
    return router


DOCS_ASSETS = "/docs/assets"


def install_api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, its scripts and styles from the swagger-ui-bundle package."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), "docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Steward API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def create_app(settings: Settings, db: Database) -> FastAPI:
    app = FastAPI(
        title="Steward",
        version=__version__,
        description="Account management and customer success. Errors are application/problem+json.",
        # FastAPI's own pages load Swagger UI from a CDN (blank offline): served below from
        # the installed swagger-ui-bundle package instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.rate_limits = ClientRateLimits(settings)
    problems.install(app)
    openapi.install(app)
    app.include_router(api_router())
    app.include_router(usage_router)  # Segment's tracking API lives at /v1, as clients expect

    install_api_docs(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from steward.web.app import install as install_web

    install_web(app, settings)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_prefixes=("/api/v1/imports/", "/imports"),
    )
    app.add_middleware(CrossSiteCookieWrites, cookie_name=SESSION_COOKIE)
    return app
