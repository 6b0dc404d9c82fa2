from fastapi import Response

from steward.api.concurrency import IfMatch, check_if_match, send_etag
from steward.api.deps import CurrentPrincipal, DbSession
from steward.api.resource import resource_router
from steward.contacts import merge
from steward.contacts.schemas import (
    ContactCreate,
    ContactFilters,
    ContactOut,
    ContactUpdate,
)
from steward.contacts.service import contact_service
from steward.core.schemas import MergeOut, MergeRequest, PathId

router = resource_router(
    prefix="/contacts",
    tag="contacts",
    service=contact_service,
    out_model=ContactOut,
    create_model=ContactCreate,
    update_model=ContactUpdate,
    filters_model=ContactFilters,
    merged_into=merge.resolve_merged,
)


@router.post("/{record_id}/merge", response_model=MergeOut[ContactOut], summary="Merge contacts")
def merge_contacts(
    session: DbSession,
    principal: CurrentPrincipal,
    record_id: PathId,
    body: MergeRequest,
    response: Response,
    if_match: IfMatch = None,
) -> MergeOut[ContactOut]:
    """Merges duplicate contacts of the same account into this one in one transaction: their
    activities, escalations, survey invitations and responses move here, blank fields take
    their values, they are archived, and their ids answer 308 to this one."""
    result = merge.merge_contacts(
        session,
        principal,
        record_id,
        body.merged_ids,
        check_version=lambda survivor: check_if_match(survivor, if_match),
    )
    session.commit()
    send_etag(response, result.survivor)
    return MergeOut[ContactOut](
        survivor=ContactOut.model_validate(result.survivor),
        merged_ids=result.merged_ids,
        moved=result.moved,
    )


api_routers = [router]
