"""A small in-process cache of rendered responses, keyed by the workspace revision."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class ResponseCache:
    """LRU of bytes. Keys must include the revision, so a write makes old entries unreachable."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class FigureCache(Generic[M]):
    """Computed figures (a pydantic model), kept as JSON per key in an LRU: analytics a page
    shows (survival fits, Monte Carlo forecasts) are computed once per state of the data they
    read, never per request. The key must name that state (a revision or a fingerprint of
    the tables read), the reader's book and every argument. Concurrent first requests for
    one key compute once; every caller gets its own copy."""

    def __init__(self, model: type[M], max_entries: int = 64) -> None:
        self.model = model
        self._entries = ResponseCache(max_entries)
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], M]) -> M:
        cached = self._entries.get(key)
        if cached is None:
            with self._lock:
                computing = self._computing.setdefault(key, threading.Lock())
            with computing:
                cached = self._entries.get(key)
                if cached is None:
                    try:
                        figures = compute()
                        self._entries.put(key, figures.model_dump_json().encode())
                        return figures
                    finally:
                        with self._lock:
                            self._computing.pop(key, None)
        return self.model.model_validate_json(cached)

    def clear(self) -> None:
        self._entries.clear()
