"""Segment's HTTP tracking API (`/v1/batch`, `/v1/track`, …), so Segment's and RudderStack's
client libraries work against Steward unchanged (SPEC §7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from steward.api.deps import AdminPrincipal, DbSession
from steward.core.errors import InvalidField
from steward.core.schemas import PathId
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.usage import schemas, service
from steward.usage.ingest import (
    GroupCommit,
    parse_events,
    read_body,
    source_for,
    write_key_from,
)

router = APIRouter(prefix="/v1", tags=["usage events (Segment tracking API)"])


async def _ingest(request: Request, default_type: str | None) -> dict[str, Any]:
    body = read_body(await request.body(), request.headers.get("content-encoding"))
    write_key = write_key_from(request.headers.get("authorization"), body)
    request.app.state.rate_limits.hit("write key", write_key)
    if default_type is None:
        events = body.get("batch")
        if not isinstance(events, list):
            raise InvalidField("batch", "must be a list of events")
    else:
        events = [body]
    db: Database = request.app.state.db
    now = utcnow()
    writer = _writer(request.app.state, db)

    def write() -> None:
        with db.session_factory() as session:
            source_id = source_for(session, write_key)
        # Acknowledged only after the commit: an event that got a 2xx survives a crash.
        writer.submit(parse_events(events, source_id, default_type, now))

    await run_in_threadpool(write)
    return {"success": True}


def _writer(state: Any, db: Database) -> GroupCommit:
    """The app's one GroupCommit (made on first use; requests run on one event loop)."""
    writer: GroupCommit | None = getattr(state, "usage_writer", None)
    if writer is None:
        writer = state.usage_writer = GroupCommit(db)
    return writer


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


sources_router = APIRouter(prefix="/usage", tags=["usage sources"])


def _source_out(session: Session, source_id: PathId) -> schemas.SourceOut:
    found = next(s for s in service.list_sources(session) if s.id == source_id)
    return schemas.SourceOut(**found.__dict__)


@sources_router.get("/sources", response_model=list[schemas.SourceOut])
def list_sources(session: DbSession, _: AdminPrincipal) -> list[schemas.SourceOut]:
    """Sources with their event counts; keys are never shown again after creation."""
    return [schemas.SourceOut(**s.__dict__) for s in service.list_sources(session)]


@sources_router.post("/sources", response_model=schemas.SourceCreated, status_code=201)
def create_source(
    body: schemas.SourceIn, session: DbSession, principal: AdminPrincipal
) -> schemas.SourceCreated:
    source, key = service.create_source(session, body.name, actor_id=principal.user_id)
    session.commit()
    return schemas.SourceCreated(**_source_out(session, source.id).model_dump(), write_key=key)


@sources_router.post("/sources/{source_id}/revoke", response_model=schemas.SourceOut)
def revoke_source(
    source_id: PathId, session: DbSession, principal: AdminPrincipal
) -> schemas.SourceOut:
    """The key stops working at once; stored events stay."""
    service.revoke_source(session, source_id, actor_id=principal.user_id)
    session.commit()
    return _source_out(session, source_id)


@sources_router.get("/unmatched-groups", response_model=list[schemas.UnmatchedGroupOut])
def unmatched_groups(
    session: DbSession,
    _: AdminPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[schemas.UnmatchedGroupOut]:
    """groupIds that match no account's external id or domain: kept, counted once one does."""
    return [
        schemas.UnmatchedGroupOut(**g.__dict__) for g in service.unmatched_groups(session, limit)
    ]


api_routers = [sources_router]
# Segment's tracking API lives at /v1, as its clients expect.
root_routers = [router]
