"""Kept figures: computed once per key however many ask at once; copies by default, the one
object in shared mode; the least recently used key goes first."""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import BaseModel

from steward.core.cache import FigureCache


class Figures(BaseModel):
    values: list[int]


@pytest.mark.parametrize("shared", [False, True])
def test_concurrent_first_requests_compute_once(shared: bool) -> None:
    cache = FigureCache(Figures, max_entries=2, shared=shared)
    calls: list[int] = []

    def compute() -> Figures:
        calls.append(1)
        time.sleep(0.05)
        return Figures(values=[1, 2, 3])

    got: list[Figures] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get("k", compute))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and all(g == Figures(values=[1, 2, 3]) for g in got)
    again = cache.get("k", compute)
    assert (again is got[0]) is shared  # shared: the same object; else each caller's own copy


@pytest.mark.parametrize("shared", [False, True])
def test_the_least_recently_used_key_is_dropped(shared: bool) -> None:
    cache = FigureCache(Figures, max_entries=2, shared=shared)
    computed: list[str] = []

    def make(key: str) -> Figures:
        computed.append(key)
        return Figures(values=[len(computed)])

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, lambda key=key: make(key))  # type: ignore[misc]
    # a, b computed; a kept warm; c evicts b; a still kept; b computed again.
    assert computed == ["a", "b", "c", "b"]
