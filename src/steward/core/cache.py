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

    def __init__(self, model: type[M], max_entries: int = 64, *, shared: bool = False) -> None:
        """`shared=True` keeps the figures themselves and hands every caller the same
        object, for large read-only results (a dry run over 80,000 accounts took 600 ms to
        re-read from JSON); its callers must not change what they get."""
        self.model = model
        self.shared = shared
        self._entries = ResponseCache(max_entries)
        self._objects: OrderedDict[Hashable, M] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], M]) -> M:
        if self.shared:
            return self._get_shared(key, compute)
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

    def _get_shared(self, key: Hashable, compute: Callable[[], M]) -> M:
        with self._lock:
            kept = self._objects.get(key)
            if kept is not None:
                self._objects.move_to_end(key)
                return kept
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                kept = self._objects.get(key)
            if kept is not None:
                return kept
            try:
                figures = compute()
                with self._lock:
                    self._objects[key] = figures
                    while len(self._objects) > self._max_entries:
                        self._objects.popitem(last=False)
                return figures
            finally:
                with self._lock:
                    self._computing.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        with self._lock:
            self._objects.clear()
