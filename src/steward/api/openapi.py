"""The OpenAPI document names every error an operation can answer, as problem+json.

Routes declare their success responses; the errors come from one place (authentication,
access, validation, limits, the database), so they are added here rather than on each route:
401/403/422/429/503 everywhere, 400 where a body is read, 404 where the path names a record,
409 and 413 on writes.
Clients and the contract tests (Schemathesis) then see exactly what the server can send.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names the fields at fault.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8, not the declared media type)",
    401: "Not authenticated: no, an invalid, expired or revoked credential",
    403: "Forbidden: the caller's role may not do this, or a cookie write without CSRF token",
    404: "Not found, or outside the caller's book of business (the same answer)",
    409: "Conflict with the record's current state",
    413: "Request body too large",
    422: "Invalid field; `errors` names it",
    429: "Too many requests; see Retry-After",
    503: "The database is busy or down; see Retry-After, nothing was written",
}
_WRITES = {"post", "put", "patch", "delete"}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [401, 403, 422, 429, 503]
    if "requestBody" in operation:
        statuses.append(400)
    names_a_record = any(
        p.get("in") == "query" and str(p.get("name", "")).endswith("_id")
        for p in operation.get("parameters", [])
    )
    if "{" in path or (method == "get" and names_a_record):
        # A record named in the path, or a person a query is about (whose quota, whose
        # pipeline), that does not exist or is not the caller's to read.
        statuses.append(404)
    if method in _WRITES:
        statuses += [409, 413]
    return sorted(statuses)


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def with_problems(spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in spec.get("paths", {}).items():
        if path == "/healthz":
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, method, operation):
                responses[str(status)] = _problem_response(status)
    schemas = spec["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


@dataclass(frozen=True)
class Amendment:
    """A part of the document that depends on the workspace's data (its custom fields): the
    document is rebuilt from the routes' once, then amended again whenever `version` (one
    cheap read) changes."""

    version: Callable[[FastAPI], Hashable]
    amend: Callable[[FastAPI, dict[str, Any]], None]


def install(app: FastAPI, amendments: Sequence[Amendment] = ()) -> None:
    base: dict[str, Any] = {}
    amended: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not base:
            base["spec"] = with_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        key = tuple(amendment.version(app) for amendment in amendments)
        if app.openapi_schema is None or amended.get("key") != key:
            spec = copy.deepcopy(base["spec"]) if amendments else base["spec"]
            for amendment in amendments:
                amendment.amend(app, spec)
            amended["key"] = key
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
