"""The ASGI app as uvicorn's worker processes build it (settings from the environment)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date

import anyio.to_thread
from fastapi import FastAPI

from steward.api.app import create_app
from steward.config import get_settings
from steward.contracts.revenue import refresh_stale_revenue
from steward.db import Database
from steward.renewals.service import open_renewal_opportunities
from steward.worker import Jobs, build_queue, start_embedded

log = logging.getLogger("steward.server")


def create_server_app() -> FastAPI:
    settings = get_settings()
    db = Database(
        settings.effective_database_url,
        statement_timeout=settings.statement_timeout_seconds,
        lock_timeout=settings.lock_timeout_seconds,
    )
    app = create_app(settings, db)

    async def keep_rollups_current() -> None:
        # Contract dates pass without any write; refresh the accounts whose ARR or renewal
        # date changed since yesterday (cheap: only those whose validity ran out).
        while True:
            try:
                with db.session() as session:
                    count = refresh_stale_revenue(session, date.today())
                    opened = open_renewal_opportunities(
                        session, date.today(), settings.renewal_opportunity_days
                    )
                if count:
                    log.info("refreshed revenue roll-ups of %d accounts", count)
                if opened:
                    log.info("opened %d renewal opportunities", opened)
            except Exception:  # keep serving; the next round retries
                log.exception("revenue roll-up refresh failed")
            await asyncio.sleep(3600)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in anyio's default thread pool (40 threads unless told).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        task = asyncio.create_task(keep_rollups_current())
        consumer = None
        if settings.runs_embedded_worker:
            # The embedded default (SPEC §6): background jobs in this process; production
            # sets STEWARD_BROKER_URL and runs `steward worker` instead.
            # Its own pool without the requests' statement time limit: scoring and training
            # run statements longer than a page may.
            jobs_db = Database(
                settings.effective_database_url, lock_timeout=settings.lock_timeout_seconds
            )
            consumer = start_embedded(Jobs(build_queue(settings), settings, jobs_db))
        yield
        task.cancel()
        if consumer is not None:
            consumer.stop(graceful=False)
            jobs_db.dispose()
        db.dispose()

    app.router.lifespan_context = lifespan
    return app
