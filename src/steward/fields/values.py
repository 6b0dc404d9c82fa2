"""What a value of each field type is: how it is checked, stored, written out and read from
text (a CSV cell, a query parameter). One place, used by the API, forms, imports and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from steward.core.errors import InvalidField
from steward.fields.models import CHOICE_TYPES, NUMERIC_TYPES, FieldType

TEXT_MAX = 2000
LONG_TEXT_MAX = 20_000
# Larger magnitudes lose whole units in the float column filters compare on.
NUMBER_LIMIT = Decimal(10) ** 15
DECIMAL_PLACES = {FieldType.NUMBER: 6, FieldType.MONEY: 2, FieldType.PERCENT: 4}
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True)
class Declaration:
    """A field being declared (its values are checked before it is stored)."""

    key: str
    type: str
    options: list[str] | None


class Declared(Protocol):
    """What value checks need of a field (a CustomField row or a declaration being checked)."""

    @property
    def key(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def options(self) -> list[str] | None: ...


def where(field: Declared) -> str:
    """The name an error about a value of this field carries."""
    return f"custom_fields.{field.key}"


def clean(field: Declared, raw: Any) -> Any:
    """The field's value in its one JSON form, or None for "no value"; InvalidField naming
    `custom_fields.<key>` when `raw` is not a value of the field."""
    if raw is None or (
        isinstance(raw, str) and not raw.strip() and field.type != FieldType.BOOLEAN
    ):
        return None
    kind = FieldType(field.type)
    name = where(field)
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL):
        if not isinstance(raw, str):
            raise InvalidField(name, "must be text")
        text = raw.strip()
        limit = LONG_TEXT_MAX if kind == FieldType.LONG_TEXT else TEXT_MAX
        if len(text) > limit:
            raise InvalidField(name, f"must be at most {limit} characters")
        if kind == FieldType.URL and not _URL.fullmatch(text):
            raise InvalidField(name, "must be a web address starting with http:// or https://")
        return text
    if kind in NUMERIC_TYPES:
        number = _decimal(name, raw, DECIMAL_PLACES[kind])
        return str(number) if kind == FieldType.MONEY else _json_number(number)
    if kind == FieldType.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        if not isinstance(raw, str) or not _DAY.fullmatch(raw.strip()):
            raise InvalidField(name, "use a day as YYYY-MM-DD")
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise InvalidField(name, f"{raw.strip()} is not a day of the calendar") from None
    if kind == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        raise InvalidField(name, "must be true or false")
    if kind == FieldType.PICKLIST:
        return _option(field, name, raw)
    if kind == FieldType.MULTI_PICKLIST:
        if not isinstance(raw, list):
            raise InvalidField(name, "must be a list of options")
        chosen = {_option(field, name, item) for item in raw}
        chosen.discard(None)
        return [option for option in field.options or () if option in chosen]
    if kind == FieldType.USER:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**31:
            raise InvalidField(name, "must be a user's id")
        return raw
    raise AssertionError(kind)


def _option(field: Declared, name: str, raw: Any) -> str | None:
    if not isinstance(raw, str):
        raise InvalidField(name, "must be one of the field's options, as text")
    text = raw.strip()
    if not text:
        return None
    for option in field.options or ():
        # Case aside, as people type them and CRMs export them.
        if option.casefold() == text.casefold():
            return option
    allowed = ", ".join(field.options or ()) or "none yet"
    raise InvalidField(name, f"{text!r} is not one of its options ({allowed})")


def _decimal(name: str, raw: Any, places: int) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise InvalidField(name, "must be a number")
    try:
        number = (
            Decimal(str(raw).strip().replace(",", ""))
            if isinstance(raw, str)
            else Decimal(str(raw))
        )
    except InvalidOperation:
        raise InvalidField(name, f"{raw!r} is not a number") from None
    if not number.is_finite():
        raise InvalidField(name, "must be a finite number")
    if abs(number) >= NUMBER_LIMIT:
        raise InvalidField(name, "must be less than 10^15 in size")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidField(name, f"has more than {places} decimal places")
    return number


def _json_number(number: Decimal) -> int | float:
    normal = number.normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    return float(normal)


def columns(field: Declared, value: Any) -> list[dict[str, Any]]:
    """The typed rows a cleaned value is stored as (none for no value)."""
    if value is None:
        return []
    kind = FieldType(field.type)
    if kind == FieldType.MULTI_PICKLIST:
        return [{"ordinal": i, "text_value": option} for i, option in enumerate(value)]
    if kind == FieldType.LONG_TEXT:
        return [{"ordinal": 0, "long_value": value}]
    if kind in NUMERIC_TYPES:
        return [{"ordinal": 0, "number_value": float(value), "text_value": str(value)}]
    if kind == FieldType.USER:
        return [{"ordinal": 0, "number_value": float(value)}]
    if kind == FieldType.DATE:
        return [{"ordinal": 0, "date_value": date.fromisoformat(value)}]
    if kind == FieldType.BOOLEAN:
        return [{"ordinal": 0, "bool_value": value}]
    return [{"ordinal": 0, "text_value": value}]


def from_columns(field: Declared, rows: list[Any]) -> Any:
    """A stored value back in its JSON form (`rows` ordered by ordinal, as `columns` wrote)."""
    if not rows:
        return [] if field.type == FieldType.MULTI_PICKLIST else None
    kind = FieldType(field.type)
    first = rows[0]
    if kind == FieldType.MULTI_PICKLIST:
        return [row.text_value for row in rows]
    if kind == FieldType.LONG_TEXT:
        return first.long_value
    if kind == FieldType.MONEY:
        return first.text_value
    if kind in NUMERIC_TYPES:
        return _json_number(Decimal(first.text_value))
    if kind == FieldType.USER:
        return int(first.number_value)
    if kind == FieldType.DATE:
        return first.date_value.isoformat()
    if kind == FieldType.BOOLEAN:
        return bool(first.bool_value)
    return first.text_value


def from_text(field: Declared, text: str) -> Any:
    """A value written as text (a CSV cell, a query parameter), cleaned: booleans as
    true/false/yes/no/1/0, multi-picklists separated by ';' (as Salesforce and HubSpot export
    them), users by id."""
    stripped = text.strip()
    if not stripped:
        return None
    kind = FieldType(field.type)
    if kind == FieldType.BOOLEAN:
        word = stripped.casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise InvalidField(where(field), f"{stripped!r} is not true or false (or yes/no, 1/0)")
    if kind == FieldType.MULTI_PICKLIST:
        return clean(field, [part for part in stripped.split(";") if part.strip()])
    if kind == FieldType.USER:
        if not stripped.isdigit():
            raise InvalidField(where(field), f"{stripped!r} is not a user's id")
        return clean(field, int(stripped))
    return clean(field, stripped)


def to_text(field: Declared, value: Any) -> str:
    """The inverse of `from_text` (a CSV cell): from_text(to_text(v)) == v."""
    if value is None or value == []:
        return ""
    if field.type == FieldType.MULTI_PICKLIST:
        return ";".join(value)
    if field.type == FieldType.BOOLEAN:
        return "true" if value else "false"
    return str(value)


def is_empty(value: Any) -> bool:
    return value is None or value == []


def check_options(kind: FieldType, options: list[str] | None, name: str = "options") -> None:
    """A declaration's options: required for choices, distinct (case aside), none otherwise."""
    if kind in CHOICE_TYPES:
        if not options:
            raise InvalidField(name, f"a {kind.value.replace('_', '-')} needs at least one option")
        folded = [option.casefold() for option in options]
        if len(set(folded)) != len(folded):
            raise InvalidField(name, "names the same option twice")
        if any(";" in option for option in options):
            raise InvalidField(name, "an option may not contain ';' (it separates options in CSV)")
    elif options:
        raise InvalidField(name, f"only picklists have options, not a {kind.value} field")


def openapi_schema(field: Any) -> dict[str, Any]:
    """The JSON schema of a field's value (null: no value), for the OpenAPI document."""
    kind = FieldType(field.type)
    schema: dict[str, Any]
    if kind in (FieldType.TEXT, FieldType.URL):
        schema = {"type": "string", "maxLength": TEXT_MAX}
    elif kind == FieldType.LONG_TEXT:
        schema = {"type": "string", "maxLength": LONG_TEXT_MAX}
    elif kind == FieldType.MONEY:
        schema = {"anyOf": [{"type": "number"}, {"type": "string"}], "description": "Money"}
    elif kind in NUMERIC_TYPES:
        schema = {"type": "number"}
    elif kind == FieldType.DATE:
        schema = {"type": "string", "format": "date"}
    elif kind == FieldType.BOOLEAN:
        schema = {"type": "boolean"}
    elif kind == FieldType.PICKLIST:
        schema = {"type": "string", "enum": list(field.options or [])}
    elif kind == FieldType.MULTI_PICKLIST:
        schema = {"type": "array", "items": {"type": "string", "enum": list(field.options or [])}}
    else:
        schema = {"type": "integer", "minimum": 1, "description": "A user's id"}
    described = {
        "title": field.label,
        **({"description": field.help_text} if field.help_text else {}),
    }
    if kind == FieldType.MULTI_PICKLIST:
        return {**schema, **described}
    return {"anyOf": [schema, {"type": "null"}], **described}
