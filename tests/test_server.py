"""The server app as `steward serve` builds it from the environment."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from steward.api.deps import get_session
from steward.config import get_settings
from steward.server import create_server_app


def test_a_server_process_works_on_at_most_request_threads_requests_at_once(
    cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_REQUEST_THREADS", "3")
    monkeypatch.setenv("STEWARD_EMBEDDED_WORKER", "false")
    get_settings.cache_clear()
    with TestClient(create_server_app()) as client:
        assert client.get("/healthz").status_code == 200
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
    assert tokens == 3


def _uses(dependant: Any, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def _endpoints(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route, in included routers too (FastAPI 0.165 keeps an included router as
    one entry that wraps it: the count check below fails if this walk stops finding them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from _endpoints(
                route.original_router.routes, prefix + route.include_context.prefix
            )


def test_no_endpoint_runs_database_work_on_the_event_loop(app: FastAPI) -> None:
    """An `async def` endpoint runs on the event loop: a database session there (a query, a
    wait for SQLite's write lock) would stall every other request of the process. Endpoints
    that need the body read it through a dependency and are plain `def`s."""
    endpoints = list(_endpoints(app.routes))
    assert len(endpoints) > 100  # the pages and the API, not just the top level
    on_the_loop = [
        f"{sorted(route.methods)} {path}"
        for path, route in endpoints
        if inspect.iscoroutinefunction(route.endpoint) and _uses(route.dependant, get_session)
    ]
    assert on_the_loop == []
