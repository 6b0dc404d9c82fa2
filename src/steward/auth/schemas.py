from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from steward.core.schemas import InputModel, OutputModel


class TokenRequest(InputModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=4096)


class TokenResponse(OutputModel):
    access_token: str
    token_type: str = "bearer"
    token_id: int


class TokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    expires_at: AwareDatetime | None = None


class TokenOut(OutputModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    secret: str = Field(description="Shown once; only its hash is stored")
