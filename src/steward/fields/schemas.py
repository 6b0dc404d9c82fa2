from __future__ import annotations

from typing import Any

from pydantic import Field

from steward.core.schemas import InputModel, Instant, OutputModel
from steward.fields.models import ChurnUse, Entity, FieldType

# A record's custom fields, in its create and update bodies and in its answers.
CUSTOM_FIELDS_IN: Any = Field(
    None,
    description="Custom fields by key (GET /api/v1/custom-fields lists them); on an update, only "
    "the keys sent change, and null clears one",
)
CUSTOM_FIELDS_OUT: Any = Field(
    default_factory=dict, description="Every live custom field by key (null or [] when empty)"
)

CHURN_FEATURE: Any = Field(
    None,
    description="Account fields of type number, money, percent, boolean or picklist only: "
    "'history' (the churn model reads the value each past day had, from the audit trail) or "
    "'fixed' (the field never changes, so today's value stands for every day); null: not a "
    "churn feature. The next training uses it; a trained model keeps its own feature list.",
)

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
Key = Field(
    pattern=KEY_PATTERN,
    description="The API's name: lower case letters, digits and '_', starting with a letter",
)


class FieldCreate(InputModel):
    entity: Entity
    key: str = Key
    label: str = Field(min_length=1, max_length=120)
    type: FieldType
    required: bool = False
    default: Any = Field(None, description="Given to a new record that names no value")
    help_text: str | None = Field(None, max_length=500)
    options: list[str] | None = Field(
        None, max_length=500, description="The allowed values of a picklist or multi-picklist"
    )
    position: int = Field(0, ge=0, le=10_000, description="Order on forms (lower first)")
    churn_feature: ChurnUse | None = CHURN_FEATURE


class FieldUpdate(InputModel):
    """Only the fields sent change. Values are kept by the field's id: renaming the key or the
    label keeps them."""

    # A default of its own: `Key` has none, and a PATCH without a key was once refused as
    # "key: Field required" (so no field could be changed without renaming it too).
    key: str | None = Field(None, pattern=KEY_PATTERN, description="A new key (keeps the values)")
    label: str | None = Field(None, min_length=1, max_length=120)
    type: FieldType | None = Field(None, description="Only while the field holds no value")
    required: bool | None = None
    default: Any = None
    help_text: str | None = Field(None, max_length=500)
    options: list[str] | None = Field(None, max_length=500)
    position: int | None = Field(None, ge=0, le=10_000)
    churn_feature: ChurnUse | None = CHURN_FEATURE


class FieldOut(OutputModel):
    id: int
    entity: Entity
    key: str
    label: str
    type: FieldType
    required: bool
    default: Any
    help_text: str | None
    options: list[str] | None
    position: int
    churn_feature: ChurnUse | None
    archived_at: Instant | None
    created_at: Instant
    updated_at: Instant


class FieldChange(OutputModel):
    """What importing a declaration file does (or, in a dry run, would do) to one field."""

    entity: str
    key: str
    outcome: str = Field(
        description="created, updated (what), renamed, archived, restored, unchanged, or "
        "'error: …' (then nothing is written)"
    )


class FieldsImport(OutputModel):
    dry_run: bool
    changes: list[FieldChange]
