"""The composition root: the one place that knows every domain.

It builds the API app, the pages, the worker's schedule, the event subscriptions and the table
metadata from `DOMAINS`, a list of packages. Each domain package offers, by module name:

- `models.py`: its tables (importing it registers them);
- `api.py`: `api_routers` (mounted under /api/v1) and, rarely, `root_routers` (at the site root,
  as Segment's tracking API at /v1);
- `web.py`: `page_routers`;
- `tasks.py`: functions declared `@job(...)` (steward.core.jobs);
- `handlers.py`: functions declared `@handles(Event)` (steward.core.events).

Adding a domain edits `DOMAINS` and nothing else; the kits (`api`, `web`, `core`, `db`,
`config`) import no domain. Order matters only where routes could overlap: earlier wins.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from fastapi import APIRouter, FastAPI

from steward.accounts import policy as book_policy
from steward.api.app import create_api
from steward.api.openapi import Amendment
from steward.auth import service as auth_service
from steward.config import Settings
from steward.core.events import Handler, bus, handlers_of
from steward.core.jobs import Job, check_unique, jobs_of
from steward.db.base import Base, mark_assembled
from steward.db.engine import Database
from steward.delivery.service import unread_count
from steward.web.app import install as install_pages

DOMAINS: tuple[str, ...] = (
    # records
    "steward.users",
    "steward.fields",
    "steward.auth",
    "steward.audit",
    "steward.accounts",
    "steward.contacts",
    "steward.segments",
    "steward.products",
    "steward.fx",
    "steward.contracts",
    "steward.opportunities",
    "steward.activities",
    "steward.tasks",
    "steward.usage",
    "steward.escalations",
    "steward.delivery",
    # engines and workflows
    "steward.revenue",
    "steward.renewals",
    "steward.pipeline",
    "steward.health",
    "steward.surveys",
    "steward.capture",
    "steward.chat",
    "steward.plans",
    "steward.onboarding",
    "steward.playbooks",
    "steward.churn",
    "steward.forecasts",
    "steward.retention",
    "steward.team",
    "steward.qbr",
    # composed views and data exchange
    "steward.account360",
    "steward.reports",
    "steward.imports",
    "steward.myday",
    "steward.maintenance",
)


@dataclass(frozen=True)
class Assembly:
    """What the registered domains offer, in `DOMAINS` order."""

    domains: tuple[str, ...]
    api_routers: tuple[APIRouter, ...]
    root_routers: tuple[APIRouter, ...]
    page_routers: tuple[APIRouter, ...]
    jobs: tuple[Job, ...]
    handlers: tuple[Handler, ...]
    # Parts of the OpenAPI document that follow the workspace's data (custom fields).
    openapi_amendments: tuple[Amendment, ...] = ()


def _part(domain: str, part: str) -> ModuleType | None:
    name = f"{domain}.{part}"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def _routers(module: ModuleType | None, attribute: str) -> list[APIRouter]:
    return list(getattr(module, attribute, ())) if module is not None else []


def load_models(domains: Sequence[str] = DOMAINS) -> type[Base]:
    """Every domain's tables in `Base.metadata` (for create_all, Alembic and merges, which
    must see every foreign key to an account)."""
    importlib.import_module("steward.db.revision")  # the kit's own table (workspace revision)
    for domain in domains:
        _part(domain, "models")
    mark_assembled(tuple(domains))
    book_policy.install()
    return Base


def assemble(domains: Sequence[str] = DOMAINS) -> Assembly:
    """Loads the domains' tables, collects their routers, jobs and handlers, and subscribes
    the handlers (publishing before this raises)."""
    domains = tuple(domains)
    load_models(domains)
    api_routers: list[APIRouter] = []
    root_routers: list[APIRouter] = []
    page_routers: list[APIRouter] = []
    jobs: list[Job] = []
    handlers: list[Handler] = []
    amendments: list[Amendment] = []
    for domain in domains:
        api = _part(domain, "api")
        api_routers += _routers(api, "api_routers")
        amendments += list(getattr(api, "openapi_amendments", ()))
        root_routers += _routers(api, "root_routers")
        page_routers += _routers(_part(domain, "web"), "page_routers")
        if (tasks := _part(domain, "tasks")) is not None:
            jobs += jobs_of(tasks)
        if (reactions := _part(domain, "handlers")) is not None:
            handlers += handlers_of(reactions)
    check_unique(jobs)
    bus.subscribe_all(handlers)
    return Assembly(
        domains,
        tuple(api_routers),
        tuple(root_routers),
        tuple(page_routers),
        tuple(jobs),
        tuple(handlers),
        tuple(amendments),
    )


def create_app(settings: Settings, db: Database, domains: Sequence[str] = DOMAINS) -> FastAPI:
    """The web application: the API and the pages of every registered domain."""
    assembly = assemble(domains)
    app = create_api(
        settings,
        db,
        api_routers=assembly.api_routers,
        root_routers=assembly.root_routers,
        authenticator=auth_service,
        openapi_amendments=assembly.openapi_amendments,
    )
    install_pages(app, settings, pages=assembly.page_routers, unread_count=unread_count)
    return app
