from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from steward.accounts import repository, service
from steward.accounts.models import Account, LifecycleStage, Segment, Tier
from steward.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountQuery,
    AccountUpdate,
    list_row_out,
)
from steward.api.concurrency import IfMatch, check_if_match, send_etag
from steward.api.deps import CurrentPrincipal, DbSession, resolve_auth
from steward.api.merged import MERGED_RESPONSES, survivor_redirect
from steward.api.paging import page_params
from steward.api.query import prefixed_parameters
from steward.config import Settings
from steward.core.cache import ResponseCache
from steward.core.crud import PageParams
from steward.core.money import from_minor
from steward.core.principal import Principal, read_as
from steward.core.schemas import Page, PathId
from steward.db.engine import Database
from steward.db.revision import current_revision
from steward.fields import query as field_query
from steward.fields import service as fields
from steward.fields.models import Entity

router = APIRouter(prefix="/accounts", tags=["accounts"])
BOOK_PAGE = page_params(repository.SORTABLE, custom=True)
# `cf.<key>=value` (and `cf.<key>__gte=…`, …): filters on custom fields (steward.fields.query).
CUSTOM_FIELD_FILTERS = prefixed_parameters(field_query.PREFIX)


def to_out(session: Session, account: Account) -> AccountOut:
    """The account as the API answers it, with its custom fields."""
    return outs(session, [account])[0]


def outs(session: Session, accounts: list[Account]) -> list[AccountOut]:
    custom = fields.values_of(session, Entity.ACCOUNT, [account.id for account in accounts])
    return [_out(account, custom[account.id]) for account in accounts]


def _out(account: Account, custom_fields: dict[str, Any]) -> AccountOut:
    return AccountOut(
        id=account.id,
        external_id=account.external_id,
        name=account.name,
        domain=account.domain,
        industry=account.industry,
        segment=Segment(account.segment),
        tier=Tier(account.tier),
        lifecycle_stage=LifecycleStage(account.lifecycle_stage),
        parent_id=account.parent_id,
        owner_am_id=account.owner_am_id,
        csm_id=account.csm_id,
        ae_id=account.ae_id,
        strategist_id=account.strategist_id,
        arr=from_minor(account.arr_minor),
        next_renewal_date=account.next_renewal_date,
        last_touch_at=account.last_touch_at,
        health_score=account.health_score,
        health_band=account.health_band,
        health_change=account.health_change,
        churn_probability=account.churn_probability,
        created_at=account.created_at,
        updated_at=account.updated_at,
        archived_at=account.archived_at,
        merged_into_id=account.merged_into_id,
        custom_fields=custom_fields,
    )


_book_cache = ResponseCache(max_entries=512)


@router.get("", response_model=Page[AccountOut])
async def list_accounts(
    request: Request,
    paging: Annotated[PageParams, Depends(BOOK_PAGE)],
    query: Annotated[AccountQuery, Query()],
    custom: Annotated[dict[str, str], Depends(CUSTOM_FIELD_FILTERS)],
    scope: Annotated[Literal["mine", "team", "all"], Query()] = "all",
) -> Response:
    """The principal's book, filtered, sorted and paged.

    Pages are cached per workspace revision (any write starts a new one) and per reader, so a
    book of thousands is not re-read until something changes. The hot path (who is asking,
    which revision, cached bytes) is two indexed reads and runs on the event loop: a thread
    hop per request costs more than those reads under concurrent load (docs/benchmarks.md).
    Reads never wait for a writer's lock, and the token's last-use stamp waits 250 ms at
    most (`db.stamps`); only a cache miss, which reads the book, goes to a worker thread.
    """
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    with db.session_factory() as session:
        principal = resolve_auth(request, session, settings).principal
        key = (current_revision(session), date.today(), principal, str(request.url.query))
        custom_filters = field_query.parse(session, Entity.ACCOUNT, custom) if custom else ()
    cached = _book_cache.get(key)
    if cached is not None:
        return Response(cached, media_type="application/json")
    filters = repository.BookFilters.of(
        scope, query, date.today(), settings.checkin_cadence_days, custom=custom_filters
    )
    body = await run_in_threadpool(_render_book_page, db, principal, filters, paging)
    _book_cache.put(key, body)
    return Response(body, media_type="application/json")


def _render_book_page(
    db: Database, principal: Principal, filters: repository.BookFilters, paging: PageParams
) -> bytes:
    with db.session_factory() as session:
        read_as(session, principal)
        rows, total = repository.list_account_rows(
            session, principal, filters, sort=paging.sort, limit=paging.limit, offset=paging.offset
        )
        custom = fields.values_of(session, Entity.ACCOUNT, [row["id"] for row in rows])
        page = {
            "items": [list_row_out(row, custom[row["id"]]) for row in rows],
            "total": total,
            "limit": paging.limit,
            "offset": paging.offset,
        }
    # Z for UTC, as the rest of the API (Pydantic) writes instants.
    return orjson.dumps(page, option=orjson.OPT_UTC_Z)


@router.post("", response_model=AccountOut, status_code=201)
def create_account(
    session: DbSession, principal: CurrentPrincipal, body: AccountCreate
) -> AccountOut:
    account = service.create_account(session, principal, body)
    session.commit()
    return to_out(session, account)


@router.get("/{account_id}", response_model=AccountOut, responses=MERGED_RESPONSES)
def get_account(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    request: Request,
    response: Response,
) -> Any:
    account = repository.get_account(session, principal, account_id)
    if account.merged_into_id is not None:
        survivor_id = repository.resolve_merged(session, principal, account_id)
        assert survivor_id is not None
        return survivor_redirect(request, "account", account_id, survivor_id)
    send_etag(response, account)
    return to_out(session, account)


@router.patch("/{account_id}", response_model=AccountOut)
def update_account(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    body: AccountUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> AccountOut:
    # Kept referenced until the write (see api.resource: the version checked is the one
    # the UPDATE requires).
    checked = (
        repository.get_account(session, principal, account_id) if if_match is not None else None
    )
    check_if_match(checked, if_match)
    account = service.update_account(session, principal, account_id, body)
    session.commit()
    send_etag(response, account)
    return to_out(session, account)


@router.delete("/{account_id}", response_model=AccountOut)
def archive_account(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId
) -> AccountOut:
    """Archives the account (hidden from lists, restorable); nothing is deleted."""
    account = service.archive_account(session, principal, account_id)
    session.commit()
    return to_out(session, account)


@router.post("/{account_id}/restore", response_model=AccountOut)
def restore_account(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId
) -> AccountOut:
    account = service.restore_account(session, principal, account_id)
    session.commit()
    return to_out(session, account)


@router.get("/{account_id}/children", response_model=list[AccountOut])
def account_children(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId
) -> list[AccountOut]:
    repository.get_account(session, principal, account_id)
    return outs(session, repository.children(session, principal, account_id))


api_routers = [router]
