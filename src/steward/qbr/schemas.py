"""API shapes: the pack's format and the workspace's pack template."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from steward.core.schemas import InputModel
from steward.qbr.models import DEFAULT_ACCENT, DEFAULT_PRIMARY, SECTIONS

COLOUR = r"^#[0-9A-Fa-f]{6}$"


class QbrFormat(StrEnum):
    PPTX = "pptx"
    PDF = "pdf"


class QbrTemplateIn(InputModel):
    company_name: str | None = Field(default=None, max_length=200)
    primary_color: str = Field(default=DEFAULT_PRIMARY, pattern=COLOUR, description="#rrggbb")
    accent_color: str = Field(default=DEFAULT_ACCENT, pattern=COLOUR, description="#rrggbb")
    sections: list[str] = Field(
        default_factory=lambda: list(SECTIONS),
        description="Which sections the pack holds: " + ", ".join(SECTIONS),
    )

    @field_validator("sections")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in SECTIONS]
        if unknown:
            raise ValueError(f"unknown sections {unknown}; choose from {list(SECTIONS)}")
        return value


class QbrTemplateOut(BaseModel):
    company_name: str | None
    primary_color: str
    accent_color: str
    sections: list[str]
    has_logo: bool
