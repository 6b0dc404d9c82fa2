"""API shapes shared by every domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused (so computed fields cannot be written)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=300, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
PositiveId = Annotated[int, Field(ge=1, le=2**53)]


Amount = Annotated[
    Decimal,
    Field(
        ge=0, le=Decimal("1e13"), max_digits=15, decimal_places=2, description="Money, 2 decimals"
    ),
]
