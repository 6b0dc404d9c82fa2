"""Segment's HTTP tracking API (`/v1/batch`, `/v1/track`, …), so Segment's and RudderStack's
client libraries work against Steward unchanged (SPEC §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from steward.core.errors import InvalidField
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.usage.ingest import parse_events, read_body, source_for, store, write_key_from

router = APIRouter(prefix="/v1", tags=["usage events (Segment tracking API)"])


async def _ingest(request: Request, default_type: str | None) -> dict[str, Any]:
    body = read_body(await request.body(), request.headers.get("content-encoding"))
    write_key = write_key_from(request.headers.get("authorization"), body)
    if default_type is None:
        events = body.get("batch")
        if not isinstance(events, list):
            raise InvalidField("batch", "must be a list of events")
    else:
        events = [body]
    db: Database = request.app.state.db
    now = utcnow()

    def write() -> None:
        # Acknowledged only after the commit: an event that got a 2xx survives a crash.
        with db.session_factory() as session:
            rows = parse_events(events, source_for(session, write_key), default_type, now)
            store(session, rows)
            session.commit()

    await run_in_threadpool(write)
    return {"success": True}


@router.post("/batch")
async def batch(request: Request) -> dict[str, Any]:
    """Up to 500 KB of events of any type: `{"batch": [...]}`."""
    return await _ingest(request, None)


@router.post("/track")
async def track(request: Request) -> dict[str, Any]:
    return await _ingest(request, "track")


@router.post("/identify")
async def identify(request: Request) -> dict[str, Any]:
    return await _ingest(request, "identify")


@router.post("/group")
async def group(request: Request) -> dict[str, Any]:
    return await _ingest(request, "group")


@router.post("/page")
async def page(request: Request) -> dict[str, Any]:
    return await _ingest(request, "page")


@router.post("/screen")
async def screen(request: Request) -> dict[str, Any]:
    return await _ingest(request, "screen")


@router.post("/alias")
async def alias(request: Request) -> dict[str, Any]:
    return await _ingest(request, "alias")
