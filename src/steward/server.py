"""The ASGI app as uvicorn's worker processes build it (settings from the environment).
It serves requests and nothing else: background jobs run in the worker process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI

from steward.app import create_app
from steward.config import get_settings
from steward.db import Database


def create_server_app() -> FastAPI:
    settings = get_settings()
    db = Database(
        settings.effective_database_url,
        statement_timeout=settings.statement_timeout_seconds,
        lock_timeout=settings.lock_timeout_seconds,
    )
    app = create_app(settings, db)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in anyio's default thread pool (40 threads unless told).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # No scheduled work here: with several server processes each would run it (renewal
        # opportunities were opened twice), and on the event loop it stalled requests. The
        # worker runs it: `steward serve` starts one beside the server processes, or
        # `steward worker` with STEWARD_BROKER_URL.
        yield
        db.dispose()

    app.router.lifespan_context = lifespan
    return app
