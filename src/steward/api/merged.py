"""A merged-away record's id keeps working: reading it answers 308 to its survivor."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

MERGED_RESPONSES: dict[int | str, dict[str, Any]] = {
    308: {
        "description": "The record was merged into another; `Location` is the survivor's URL "
        "(clients that follow redirects get the survivor)."
    }
}


def survivor_redirect(
    request: Request, entity: str, merged_id: int, survivor_id: int
) -> JSONResponse:
    """308 to the same URL with the survivor's id in place of the merged-away one."""
    location = f"{request.url.path.rsplit('/', 1)[0]}/{survivor_id}"
    return JSONResponse(
        {
            "detail": f"{entity} {merged_id} was merged into {entity} {survivor_id}",
            "merged_into_id": survivor_id,
        },
        status_code=308,
        headers={"Location": location},
    )
