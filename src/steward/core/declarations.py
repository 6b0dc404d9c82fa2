"""What a domain module declares on its functions (a job, an event handler), for the composition
root to collect: the decorators record a declaration and return the function unchanged."""

from __future__ import annotations

from types import ModuleType
from typing import Any, TypeVar

D = TypeVar("D")

_ATTRIBUTE = "__steward_declarations__"


def mark(function: Any, declaration: object) -> None:
    declarations = getattr(function, _ATTRIBUTE, None)
    if declarations is None:
        declarations = []
        setattr(function, _ATTRIBUTE, declarations)
    declarations.append(declaration)


def found_in(module: ModuleType, kind: type[D]) -> list[D]:
    """The declarations of `kind` on the functions a module defines itself (not on those it
    imports from another module, which that module declares)."""
    found: list[D] = []
    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        found += [d for d in getattr(value, _ATTRIBUTE, ()) if isinstance(d, kind)]
    return found
