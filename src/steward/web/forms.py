"""Turning HTML form posts into API schemas, and their errors into per-field messages."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from steward.core.errors import StewardError

S = TypeVar("S", bound=BaseModel)


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


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


def parse(schema: type[S], values: dict[str, Any]) -> S:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "form"
            message = err["msg"].removeprefix("Value error, ")
            errors.setdefault(field, message)
        raise FormInvalid(errors) from exc


def domain_error(exc: StewardError) -> FormInvalid:
    return FormInvalid({exc.field or "form": exc.detail.split(": ", 1)[-1]})
