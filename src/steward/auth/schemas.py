from __future__ import annotations

from pydantic import Field

from steward.core.schemas import InputModel, Instant, OutputModel


class TokenRequest(InputModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=4096)


class TokenResponse(OutputModel):
    access_token: str
    token_type: str = "bearer"
    token_id: int


class TokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    expires_at: Instant | None = None


class TokenOut(OutputModel):
    id: int
    name: str
    prefix: str
    created_at: Instant
    last_used_at: Instant | None
    expires_at: Instant | None
    revoked_at: Instant | None


class NewTokenOut(TokenOut):
    secret: str = Field(description="Shown once; only its hash is stored")
