"""Turning HTML form posts into API schemas, and their errors into per-field messages."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from steward.core.errors import InvalidField, StewardError, first_problem


async def posted_form(request: Request) -> FormData:
    """The submitted form, read on the event loop (reading a body is I/O), so that the page
    handler can be a plain `def`, which FastAPI runs in its thread pool: its database work,
    and a wait for another writer's lock, then never holds up the process's other requests."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
S = TypeVar("S", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)
R = TypeVar("R")


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def choice(options: type[E], raw: str) -> E | None:
    """A list filter's value: one of the options, or None for "any" ("" and unknown values)."""
    return options(raw) if raw in {o.value for o in options} else None


def require_csrf(context: Any, form: Any) -> None:
    """A page form must carry its session's CSRF token (403 with a message if not)."""
    from steward.web.app import check_csrf

    if not check_csrf(context, form):
        raise FormInvalid({"form": "Your session expired; please submit again."}, 403)


def require_csrf_for_button(context: Any, form: Any) -> None:
    """A button without a form page of its own: a missing token is the 403 page."""
    from steward.core.errors import PermissionDenied

    try:
        require_csrf(context, form)
    except FormInvalid as exc:
        raise PermissionDenied(exc.errors["form"]) from None


STALE_FORM = (
    "Someone else changed this since you opened the page, so your changes were not saved. "
    "Reload the page to see theirs, then make yours again."
)


def version_of(record: Any) -> str:
    """What an edit form carries to detect a newer save: the record's version number, or,
    for records without one, the instant it was last written."""
    version = getattr(record, "version", None)
    if version is not None:
        return str(version)
    return record.updated_at.isoformat()


def require_version(record: Any, form: Any, values: dict[str, Any]) -> None:
    """An edit form carries the version of the record it was opened on; saving over a newer
    one is refused (409), as the API's If-Match is. `values` keeps the opened version for a
    form shown again after another error, and drops it after this one (saving again then
    knowingly replaces the newer version)."""
    opened = str(form.get("version") or "").strip()
    if not opened or record is None:
        return
    values["version"] = opened
    if opened != version_of(record):
        values.pop("version")
        raise FormInvalid({"form": STALE_FORM}, 409)


def clean(form: Any, fields: list[str]) -> dict[str, Any]:
    """The posted fields, blanks as None (an empty select means 'not set')."""
    values: dict[str, Any] = {}
    for name in fields:
        raw = form.get(name)
        if raw is None:
            continue
        text = str(raw).strip()
        values[name] = text or None
    return values


def _friendly(err: Any) -> str:
    """Pydantic's wording, made readable for a person filling a form."""
    kind = err.get("type", "")
    if kind == "missing" or (err.get("input") is None and kind.endswith("_type")):
        return "This field is required."
    if kind == "string_pattern_mismatch":
        return "This doesn't look right; check the format (e.g. acme.com for a domain)."
    if kind in {"int_parsing", "int_type"}:
        return "Enter a whole number."
    return str(err["msg"]).removeprefix("Value error, ")


def parse(schema: type[S], values: dict[str, Any]) -> S:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "form"
            errors.setdefault(field, _friendly(err))
        raise FormInvalid(errors) from exc


def domain_error(exc: StewardError) -> FormInvalid:
    return FormInvalid({exc.field or "form": exc.detail.split(": ", 1)[-1]})


def save(session: Session, action: Callable[[], R]) -> R:
    """Run a form's write in one transaction; any invalid field becomes FormInvalid."""
    try:
        result = action()
        session.commit()
    except FormInvalid:
        session.rollback()
        raise
    except InvalidField as exc:
        session.rollback()
        raise domain_error(exc) from exc
    return result


def yaml_model(schema: type[S], text: str, field: str = "spec") -> S:
    """A YAML text (the admin editors) parsed into a schema; problems name where they are."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidField(field, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidField(field, "expected a mapping of fields")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidField(field, first_problem(exc, field)) from exc


def form_query(model: type[S]) -> Callable[[Request], S]:
    """A page's GET filters as `model`, the API's query model for the same list: one shape and
    one set of names. A form sends every field, its unused ones empty: empty means not
    filtered here (the API, whose schema says what a value must be, refuses it). A bad value
    is the 422 page naming the field."""

    def filters(request: Request) -> S:
        values = {
            key: value
            for key, value in request.query_params.items()
            if value != "" and key in model.model_fields
        }
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            raise RequestValidationError(errors) from None

    return filters
