"""A custom field's declaration, and its values (one typed row per value)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin


class Entity(StrEnum):
    """The records a custom field can be declared on (the value of `custom_fields.entity`)."""

    ACCOUNT = "account"
    CONTACT = "contact"
    OPPORTUNITY = "opportunity"
    CONTRACT = "contract"


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    BOOLEAN = "boolean"
    PICKLIST = "picklist"
    MULTI_PICKLIST = "multi_picklist"
    USER = "user"
    URL = "url"


class ChurnUse(StrEnum):
    """How an account field feeds the churn model (`custom_fields.churn_feature`; null: not).

    HISTORY: each training snapshot reads the value the field had on its day, rebuilt from the
    audit trail (a value recorded later is unknown then, so nothing learned later leaks into
    the past). FIXED: the field never changes once set (a region, a sales channel), so today's
    value stands for every day; choose it only for such fields."""

    HISTORY = "history"
    FIXED = "fixed"


# Types whose values are compared as numbers (filters __gt/__gte/__lt/__lte, sorting).
NUMERIC_TYPES = frozenset({FieldType.NUMBER, FieldType.MONEY, FieldType.PERCENT})
# Types a value of is chosen from the field's options.
CHOICE_TYPES = frozenset({FieldType.PICKLIST, FieldType.MULTI_PICKLIST})
# Types the churn model can learn from: numbers (yes/no as 1/0) and one choice (a category).
CHURN_TYPES = NUMERIC_TYPES | {FieldType.BOOLEAN, FieldType.PICKLIST}


class CustomField(TimestampMixin, ArchivableMixin, Base):
    """One field the workspace declared on one kind of record. Values are keyed by the field's
    id, so renaming its key or label keeps them; archiving hides the field and keeps them."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "key", name="uq_custom_fields_entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    # The API's name for it: `custom_fields: {key: value}`, `cf.<key>=…` in list filters.
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The value a new record gets when none is given (already validated against the type).
    default: Mapped[Any] = mapped_column(JSON, nullable=True)
    help_text: Mapped[str | None] = mapped_column(String(500))
    # The allowed values of a picklist or multi-picklist, in display order.
    options: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # An account field the churn model learns from (ChurnUse), or null.
    churn_feature: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CustomValue(Base):
    """One value of one field on one record; a multi-picklist has a row per chosen option
    (ordinal 0, 1, …). Exactly one typed column is set, by the field's type:

    - text, URL, picklist, multi-picklist: `text_value` (indexed);
    - long text: `long_value` (not indexed: a B-tree entry holds at most about 2.7 kB);
    - number, money, percent: `number_value` (compared and sorted) and `text_value`, the exact
      decimal as written (so 0.1 + 0.2 never shows up as 0.30000000000000004);
    - user: `number_value` (the user's id);
    - date: `date_value`; boolean: `bool_value`.

    Records are read through their own tables (which the book policy filters): a value is
    only ever looked up by the ids of records the reader could already read."""

    __tablename__ = "custom_values"
    __table_args__ = (
        # A filter on a field is one range scan of one of these, returning record ids.
        Index("ix_custom_values_text", "field_id", "text_value", "record_id"),
        Index("ix_custom_values_number", "field_id", "number_value", "record_id"),
        Index("ix_custom_values_date", "field_id", "date_value", "record_id"),
        Index("ix_custom_values_record", "record_id", "field_id"),
    )

    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    text_value: Mapped[str | None] = mapped_column(String(2000))
    long_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[float | None] = mapped_column(Float)
    date_value: Mapped[date | None] = mapped_column(Date)
    bool_value: Mapped[bool | None] = mapped_column(Boolean)
