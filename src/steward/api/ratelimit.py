"""Requests per API client: each API token, each tracking-API write key, and each shared
plan's personal link has its own moving window (the `limits` library). Over it, 429 with
Retry-After; nothing is done.

The windows live in this process, or in Redis when STEWARD_BROKER_URL is a Redis URL, so
that every server process counts against the same window."""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from steward.config import Settings
from steward.core.errors import TooManyRequests


class ClientRateLimits:
    def __init__(self, settings: Settings) -> None:
        storage: Storage = MemoryStorage()
        if settings.broker_url.startswith(("redis://", "rediss://")):
            shared = storage_from_string(settings.broker_url)
            assert isinstance(shared, Storage)  # the synchronous Redis storage
            storage = shared
        self._limiter = MovingWindowRateLimiter(storage)
        self._rates: dict[str, RateLimitItem] = {
            "api token": parse(settings.api_rate_limit),
            "write key": parse(settings.ingest_rate_limit),
            "shared link": parse(settings.shared_link_rate_limit),
        }

    def hit(self, kind: str, credential: str) -> None:
        """Counts one request of the client holding `credential` (kept only as a digest)."""
        rate = self._rates[kind]
        client = hashlib.sha256(credential.encode()).hexdigest()[:32]
        if self._limiter.hit(rate, kind, client):
            return
        reset_at = self._limiter.get_window_stats(rate, kind, client).reset_time
        raise TooManyRequests(
            f"this {kind} is over its limit of {rate.amount} requests per "
            f"{rate.get_expiry()} seconds; retry later",
            retry_after=max(1, math.ceil(reset_at - time.time())),
        )
