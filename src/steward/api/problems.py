"""Errors as RFC 9457 problem documents (application/problem+json) that name the field."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from steward.api.concurrency import STALE
from steward.core.errors import RetryLater, ServiceUnavailable, StewardError
from steward.db.errors import SQLAlchemyError, database_unavailable

log = logging.getLogger("steward.api")

PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid field",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = err.get("loc", ())
        kind = err.get("type", "")
        if kind == "json_invalid":
            errors.append({"field": "body", "message": "malformed JSON: " + str(err.get("msg"))})
            continue
        where = loc[0] if loc else "body"
        message = err.get("msg", "")
        # `code` is pydantic's error type: "missing", "string_too_long", … and "value_error"
        # for the rules a custom validator checks (an end before its start).
        errors.append({"field": _field_of(loc), "in": where, "code": kind, "message": message})
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(StewardError)
    async def _steward_error(request: Request, exc: StewardError) -> Response:
        headers = None
        if isinstance(exc, RetryLater):
            headers = {"Retry-After": str(exc.retry_after)}
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        errors = (
            [{"field": exc.field, "code": "rule", "message": exc.detail}] if exc.field else None
        )
        return problem(exc.status, exc.detail, title=exc.title, errors=errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, detail or "invalid request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "unexpected error; it has been logged")

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StaleDataError):
            # Another writer changed the row between this request's read and its write: the
            # version check refused the write (and rolled the whole request back).
            return problem(409, STALE, title="Conflict")
        if not database_unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        retry_after = request.app.state.settings.retry_after_seconds
        unavailable = ServiceUnavailable(
            "the database is busy or unreachable; nothing was changed, try again", retry_after
        )
        # Through the StewardError handler, so pages get their HTML error page.
        handler = app.exception_handlers[StewardError]
        result = handler(request, unavailable)
        return await result if not isinstance(result, Response) else result
