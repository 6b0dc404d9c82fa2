"""API shapes of usage sources."""

from __future__ import annotations

from pydantic import BaseModel, Field

from steward.core.schemas import InputModel, Instant


class SourceIn(InputModel):
    name: str = Field(min_length=1, max_length=120)


class SourceOut(BaseModel):
    id: int
    name: str
    key_prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: Instant
    revoked_at: Instant | None
    events: int
    last_event_at: Instant | None


class SourceCreated(SourceOut):
    write_key: str = Field(description="Shown once: only its hash is kept")


class UnmatchedGroupOut(BaseModel):
    group_id: str
    events: int
    last_seen: Instant
