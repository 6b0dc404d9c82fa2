"""Page parameters, with a `sort` parameter that names the fields each list can sort by.

(No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.)
"""

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Query

from steward.core.crud import PageParams

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (at most 1000)")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


# `sort=cf.<key>`: a custom field (steward.fields.query checks the key).
CUSTOM_SORT = r"cf\.[a-z][a-z0-9_]{0,59}"


def page_params(
    sortable: Iterable[str] = (), *, custom: bool = False
) -> Callable[..., Awaitable[PageParams]]:
    """The dependency for a list: limit and offset, and with `sortable`, `sort=name,-arr` whose
    pattern admits exactly those fields (so the OpenAPI document says which), and with `custom`
    any custom field as `cf.<key>`. Use as
    `Annotated[PageParams, Depends(page_params(SORTABLE))]`."""
    fields = sorted(sortable)
    if not fields:

        async def unsorted_page_params(limit: Limit = 50, offset: Offset = 0) -> PageParams:
            return PageParams(limit, offset, None)

        return unsorted_page_params

    names = [re.escape(field) for field in fields] + ([CUSTOM_SORT] if custom else [])
    key = "[-+]?(" + "|".join(names) + ")"
    also = ", or a custom field as cf.<key>" if custom else ""
    sort_query = Query(
        max_length=200,
        pattern=f"^{key}(,{key})*$",
        description=f"Comma-separated, '-' for descending: {', '.join(fields)}{also}",
    )

    async def sorted_page_params(
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Annotated[str | None, sort_query] = None,
    ) -> PageParams:
        return PageParams(limit, offset, sort)

    return sorted_page_params
