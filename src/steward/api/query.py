"""Query parameters an operation does not take are refused (422 naming them), not ignored:
`/api/v1/accounts?health=red` used to answer every account, as if the filter had applied."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from steward.core.errors import InvalidField

_taken: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of an operation and its dependencies; a parameter that is a model
    (a list's filters) stands for its fields."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {f.alias or name for name, f in model.model_fields.items()}
        else:
            names.add(param.alias)
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


def _parameters_of(route: APIRoute) -> frozenset[str]:
    known = _taken.get(id(route))
    if known is None:
        known = frozenset(_query_names(route.dependant))
        _taken[id(route)] = known
    return known


async def reject_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _parameters_of(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise InvalidField(
            unknown[0],
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; this operation takes: {takes}",
        )
