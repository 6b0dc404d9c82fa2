"""Account 360's API: what composes several domains around one account (merging duplicates)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from steward.account360 import merge
from steward.accounts.api import to_out
from steward.accounts.schemas import AccountOut
from steward.api.concurrency import IfMatch, check_if_match, send_etag
from steward.api.deps import CurrentPrincipal, DbSession
from steward.core.schemas import MergeOut, MergeRequest, PathId

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.post("/{account_id}/merge", response_model=MergeOut[AccountOut])
def merge_accounts(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    body: MergeRequest,
    response: Response,
    if_match: IfMatch = None,
) -> MergeOut[AccountOut]:
    """Merges duplicates into this account in one transaction: every record of theirs (contacts,
    contracts, deals, activities, tasks, escalations, plans, onboarding, surveys, child accounts)
    moves here, blank fields take their values, they are archived, and their ids answer 308 to
    this one. Per-day scores stay with them as history; the next scoring run rescores this one."""
    result = merge.merge_accounts(
        session,
        principal,
        account_id,
        body.merged_ids,
        check_version=lambda survivor: check_if_match(survivor, if_match),
    )
    session.commit()
    send_etag(response, result.survivor)
    return MergeOut[AccountOut](
        survivor=to_out(session, result.survivor), merged_ids=result.merged_ids, moved=result.moved
    )


api_routers = [router]
