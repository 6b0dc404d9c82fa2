"""API shapes shared by every domain."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

import email_validator
from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")

# Addresses at special-use names (.local, .test, …) are accepted: companies' internal
# directories use them, and Steward records contacts, it does not check deliverability.
# (email-validator documents this list as the setting to change.)
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused (so computed fields cannot be written).

    Text is trimmed *after* its length is checked, so the limits the JSON schema states hold
    for the text as sent; text that was only spaces where some is required is refused as
    blank."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _trimmed(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or isinstance(value, Enum):
            return value
        trimmed = value.strip()
        if not trimmed and value and info.field_name is not None:
            field = cls.model_fields[info.field_name]
            if any(getattr(rule, "min_length", 0) for rule in field.metadata):
                raise PydanticCustomError(
                    "blank", "must not be blank (surrounding spaces do not count)"
                )
        return trimmed

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """`true` is not 1: Pydantic's lax mode reads a boolean as a number, so a rule with
        `"days": true` was stored as a one-day trigger (found by the API fuzzer)."""
        if (
            isinstance(value, bool)
            and info.field_name is not None
            and not _admits_bool(cls.model_fields[info.field_name].annotation)
        ):
            raise PydanticCustomError("not_a_boolean", "must not be true or false here")
        return value


def _admits_bool(annotation: Any) -> bool:
    """Whether a field's type takes true/false as themselves (bool, Any, or a union or an
    Annotated of one); lists and mappings validate their items on their own."""
    if annotation is bool or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits_bool(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_admits_bool(arg) for arg in get_args(annotation))
    if origin is Literal:
        return any(isinstance(arg, bool) for arg in get_args(annotation))
    return False


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=120)]
# Ids are 32-bit integers in the database (PostgreSQL's `integer`); a larger id in a URL or a
# body is a 422 naming it, not a database error.
MAX_ID = 2**31 - 1


def _not_a_boolean(value: Any) -> Any:
    # Pydantic reads true as 1; an id is a number.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be an id (a number), not true or false")
    return value


PositiveId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_a_boolean)]
# A record id in a URL path: out-of-range ids are a 422 naming the parameter, not a database
# overflow.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class MergeRequest(InputModel):
    """The duplicates to merge into the record named in the path (the survivor)."""

    merged_ids: list[PositiveId] = Field(
        min_length=1,
        max_length=4,
        description="Ids of the duplicates: their related records move to the survivor, they "
        "are archived, and their ids keep resolving to it",
    )


class MergeOut(OutputModel, Generic[T]):
    survivor: T
    merged_ids: list[int]
    moved: dict[str, int] = Field(description="Rows moved to the survivor, per table")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    # Pydantic would also read numbers (Unix time) and other spellings as days; the API
    # documents YYYY-MM-DD and takes exactly that.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "use a day as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: Any) -> Any:
    # An instant needs its offset: "2026-11-23T09:00:00Z". Pydantic would also read Unix
    # time, a bare day or a clock time without a zone (and guess it).
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format", "use an instant with its offset, as 2026-11-23T09:00:00Z"
        )
    return value


Instant = Annotated[datetime, BeforeValidator(_rfc3339)]


def plain_decimal(text: str) -> BeforeValidator:
    """Numbers as text are plain decimals matching `text` ("1234.56": no exponent, sign or
    spaces), as the schema documents; pydantic alone would also read "1e3" or " 12 "."""
    pattern = re.compile(text)

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError("decimal_type", "must be a number")
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise PydanticCustomError("decimal_format", "write the number as 1234.56")
        return value

    return BeforeValidator(check)


def decimal_schema(high: int, text: str, description: str) -> WithJsonSchema:
    """What plain_decimal(text) + Field(ge=0, le=high) accept, as a JSON schema."""
    return WithJsonSchema(
        {
            "description": description,
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": high},
                {"type": "string", "pattern": f"^{text}$"},
            ],
        }
    )


def rounded_to(places: int) -> AfterValidator:
    """Numbers are kept to `places` decimals, rounded half to even, as CRMs round a currency
    field to its scale on save (refusing 19.999 would refuse valid JSON numbers whose binary
    form has a long tail, such as 0.1 + 0.2)."""
    quantum = Decimal(1).scaleb(-places)

    def round_(value: Decimal) -> Decimal:
        return value.quantize(quantum, rounding=ROUND_HALF_EVEN)

    return AfterValidator(round_)


# As text: up to 13 digits before the point (numbers may reach 10^13 exactly).
_AMOUNT_TEXT = r"\d{1,13}(\.\d+)?"
Amount = Annotated[
    Decimal,
    plain_decimal(_AMOUNT_TEXT),
    Field(ge=0, le=10**13),
    rounded_to(2),
    decimal_schema(10**13, _AMOUNT_TEXT, "Money, at most 10^13; kept to 2 decimals (rounded)"),
]


_PERCENT_TEXT = r"(100(\.0+)?|\d{1,2}(\.\d+)?)"
# A discount: 0–100, kept to 2 decimals (line items of contracts and of deals alike).
Percent = Annotated[
    Decimal,
    plain_decimal(_PERCENT_TEXT),
    Field(ge=0, le=100),
    rounded_to(2),
    decimal_schema(100, _PERCENT_TEXT, "Percent, 0–100; kept to 2 decimals (rounded)"),
]
Quantity = Annotated[int, Field(ge=0, le=10_000_000)]
