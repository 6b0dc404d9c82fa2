"""Domain errors. The API turns them into RFC 9457 problem documents, the CLI into sentences."""

from __future__ import annotations

from pydantic import ValidationError


class StewardError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(StewardError):
    """Also what an object outside the caller's book answers: existence is not disclosed."""

    status = 404
    title = "Not found"

    def __init__(self, entity: str, entity_id: object | None = None) -> None:
        detail = f"{entity} not found" if entity_id is None else f"{entity} {entity_id} not found"
        super().__init__(detail)


class InvalidField(StewardError):
    status = 422
    title = "Invalid field"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", field=field)


class PermissionDenied(StewardError):
    status = 403
    title = "Forbidden"


class Conflict(StewardError):
    status = 409
    title = "Conflict"


class Gone(StewardError):
    status = 410
    title = "Gone"


class NotAuthenticated(StewardError):
    status = 401
    title = "Not authenticated"


class RetryLater(StewardError):
    """Refused for now, nothing done: the answer carries Retry-After (seconds)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooManyRequests(RetryLater):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(RetryLater):
    """The database is locked, down or too slow: the request changed nothing."""

    status = 503
    title = "Service unavailable"


def first_problem(exc: ValidationError, default_where: str = "item") -> str:
    """A pydantic error as one sentence with its path, e.g. `trigger.percent: Input should…`."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or default_where
    return f"{where}: {error['msg']}"
