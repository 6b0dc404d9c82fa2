"""One router shape for every resource: list, create, read, update, archive, restore.

Domains provide a service object; this keeps the routers thin and the API consistent.
(No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.)
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from steward.api.concurrency import IfMatch, check_if_match, send_etag
from steward.api.deps import CurrentPrincipal, DbSession
from steward.api.merged import MERGED_RESPONSES, survivor_redirect
from steward.api.paging import page_params
from steward.api.query import (
    CUSTOM_FIELD_PREFIX,
    no_prefixed_parameters,
    prefixed_parameters,
)
from steward.core.crud import PageParams
from steward.core.principal import Principal
from steward.core.schemas import Page, PathId


class ResourceService(Protocol):
    entity: str

    @property
    def sortable(self) -> Mapping[str, Any]:
        """Fields a list may be sorted by (the `sort` parameter names them)."""
        ...

    def list(
        self, session: Session, principal: Principal, filters: Any, paging: PageParams
    ) -> tuple[list[Any], int]: ...

    # A service whose records carry custom fields also has `custom_entity` (not None),
    # `list(…, custom=)` taking the `cf.<key>…` parameters, and
    # `custom_values(session, ids) -> {id: {key: value}}`.

    def get(self, session: Session, principal: Principal, record_id: int) -> Any: ...

    def create(self, session: Session, principal: Principal, data: Any) -> Any: ...

    def update(self, session: Session, principal: Principal, record_id: int, data: Any) -> Any: ...

    def archive(self, session: Session, principal: Principal, record_id: int) -> Any: ...

    def restore(self, session: Session, principal: Principal, record_id: int) -> Any: ...


def resource_router(
    *,
    prefix: str,
    tag: str,
    service: ResourceService,
    out_model: type[BaseModel],
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    filters_model: type[BaseModel],
    to_out: Callable[[Session, Any], BaseModel] | None = None,
    merged_into: Callable[[Session, Principal, int], int | None] | None = None,
) -> APIRouter:
    """`merged_into` resolves a merged-away record to its survivor, for resources that merge."""
    router = APIRouter(prefix=prefix, tags=[tag])
    entity = service.entity
    has_custom = getattr(service, "custom_entity", None) is not None
    paged = page_params(service.sortable, custom=has_custom)
    custom_filters = (
        prefixed_parameters(CUSTOM_FIELD_PREFIX) if has_custom else no_prefixed_parameters
    )

    def convert_many(session: Session, records: list[Any]) -> list[BaseModel]:
        outs = [to_out(session, r) if to_out else out_model.model_validate(r) for r in records]
        if has_custom:
            custom = service.custom_values(session, [r.id for r in records])  # type: ignore[attr-defined]
            for out, record in zip(outs, records, strict=True):
                out.custom_fields = custom[record.id]  # type: ignore[attr-defined]
        return outs

    def convert(session: Session, record: Any) -> BaseModel:
        return convert_many(session, [record])[0]

    @router.get("", response_model=Page[out_model], summary=f"List {tag}")  # type: ignore[valid-type]
    def list_records(
        session: DbSession,
        principal: CurrentPrincipal,
        paging: Annotated[PageParams, Depends(paged)],
        filters: Annotated[filters_model, Query()],  # type: ignore[valid-type]
        custom: Annotated[dict[str, str], Depends(custom_filters)],
    ) -> Any:
        if has_custom:
            items, total = service.list(session, principal, filters, paging, custom=custom)  # type: ignore[call-arg]
        else:
            items, total = service.list(session, principal, filters, paging)
        return Page(
            items=convert_many(session, items),
            total=total,
            limit=paging.limit,
            offset=paging.offset,
        )

    @router.post("", response_model=out_model, status_code=201, summary=f"Create a {entity}")
    def create_record(
        session: DbSession,
        principal: CurrentPrincipal,
        body: create_model,  # type: ignore[valid-type]
    ) -> Any:
        record = service.create(session, principal, body)
        session.commit()
        return convert(session, record)

    @router.get(
        "/{record_id}",
        response_model=out_model,
        summary=f"Read a {entity}",
        responses=MERGED_RESPONSES if merged_into is not None else None,
    )
    def read_record(
        session: DbSession,
        principal: CurrentPrincipal,
        record_id: PathId,
        request: Request,
        response: Response,
    ) -> Any:
        record = service.get(session, principal, record_id)
        if merged_into is not None and getattr(record, "merged_into_id", None) is not None:
            survivor_id = merged_into(session, principal, record_id)
            assert survivor_id is not None
            return survivor_redirect(request, entity, record_id, survivor_id)
        send_etag(response, record)
        return convert(session, record)

    @router.patch("/{record_id}", response_model=out_model, summary=f"Update a {entity}")
    def update_record(
        session: DbSession,
        principal: CurrentPrincipal,
        record_id: PathId,
        body: update_model,  # type: ignore[valid-type]
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        # The checked record stays referenced until the write: the session holds loaded
        # objects weakly, and a re-read after another writer's commit would carry the new
        # version into the UPDATE's WHERE and let the stale write through.
        checked = service.get(session, principal, record_id) if if_match is not None else None
        check_if_match(checked, if_match)
        record = service.update(session, principal, record_id, body)
        session.commit()
        send_etag(response, record)
        return convert(session, record)

    @router.delete(
        "/{record_id}",
        response_model=out_model,
        summary=f"Archive a {entity}",
        description="Archives (restorable with POST …/restore); nothing is deleted.",
    )
    def archive_record(session: DbSession, principal: CurrentPrincipal, record_id: PathId) -> Any:
        record = service.archive(session, principal, record_id)
        session.commit()
        return convert(session, record)

    @router.post("/{record_id}/restore", response_model=out_model, summary=f"Restore a {entity}")
    def restore_record(session: DbSession, principal: CurrentPrincipal, record_id: PathId) -> Any:
        record = service.restore(session, principal, record_id)
        session.commit()
        return convert(session, record)

    return router
