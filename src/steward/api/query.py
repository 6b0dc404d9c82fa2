"""Query parameters an operation does not take are refused (422 naming them), not ignored:
`/api/v1/accounts?health=red` used to answer every account, as if the filter had applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from steward.core.errors import InvalidField

_taken: dict[int, tuple[frozenset[str], tuple[str, ...], frozenset[str]]] = {}
# Filters on custom fields: `cf.<key>=value`, `cf.<key>__gte=…` (steward.fields.query).
CUSTOM_FIELD_PREFIX = "cf."
# Set on a dependency that takes every parameter starting with a prefix (custom fields).
_PREFIX_ATTRIBUTE = "query_prefix"


def prefixed_parameters(prefix: str) -> Callable[[Request], Awaitable[dict[str, str]]]:
    """A dependency returning the query parameters that start with `prefix` (`cf.` for custom
    fields): an operation that depends on it takes them, where any other refuses them."""

    async def parameters(request: Request) -> dict[str, str]:
        return {k: v for k, v in request.query_params.items() if k.startswith(prefix)}

    setattr(parameters, _PREFIX_ATTRIBUTE, prefix)
    return parameters


def _prefixes(dependant: Dependant) -> tuple[str, ...]:
    own = getattr(dependant.call, _PREFIX_ATTRIBUTE, None)
    found: tuple[str, ...] = (own,) if isinstance(own, str) else ()
    for inner in dependant.dependencies:
        found += _prefixes(inner)
    return found


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


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation) if arg is not type(None))


def _list_names(dependant: Dependant) -> set[str]:
    """The query parameters that take several values (`?id=1&id=2`)."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {
                f.alias or name for name, f in model.model_fields.items() if _is_list(f.annotation)
            }
        elif _is_list(model):
            names.add(param.alias)
    for inner in dependant.dependencies:
        names |= _list_names(inner)
    return names


def _parameters_of(route: APIRoute) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    known = _taken.get(id(route))
    if known is None:
        known = (
            frozenset(_query_names(route.dependant)),
            _prefixes(route.dependant),
            frozenset(_list_names(route.dependant)),
        )
        _taken[id(route)] = known
    return known


async def reject_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known, prefixes, lists = _parameters_of(route)
    # A parameter of one value given twice (`?offset=1&offset=x`) would have one of them
    # silently win (Starlette keeps the last): refused, naming it.
    for name, _ in request.query_params.multi_items():
        if name not in lists and len(request.query_params.getlist(name)) > 1:
            raise InvalidField(name, "is given more than once; it takes one value")
    unknown = sorted(
        name
        for name in set(request.query_params) - known
        if not any(name.startswith(prefix) for prefix in prefixes)
    )
    if unknown:
        takes = ", ".join(sorted(known) + [f"{prefix}…" for prefix in prefixes]) or "none"
        raise InvalidField(
            unknown[0],
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; this operation takes: {takes}",
        )


async def no_prefixed_parameters() -> dict[str, str]:
    """The stand-in for `prefixed_parameters` in an operation that takes none."""
    return {}
