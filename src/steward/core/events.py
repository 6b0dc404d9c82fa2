"""Domain events: how a lower domain lets a higher one react without importing it.

The publishing domain defines the event (a frozen dataclass in its `events.py`) and calls
`publish` where it happens; a reacting domain declares its handler in `handlers.py`:

    @handles(ContractCreated)
    def start_onboarding(event: ContractCreated) -> None: ...

Handlers run synchronously, in the publisher's transaction when the event carries its
session, so a failure rolls back the whole write. The composition root subscribes the handlers
of every registered domain (`subscribe_all`); publishing before that is an error rather than a
silent loss (a contract without its onboarding project).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from steward.core.declarations import found_in, mark

E = TypeVar("E")
H = TypeVar("H", bound=Callable[[Any], None])


@dataclass(frozen=True)
class Handler:
    event: type
    run: Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
        self.wired = False

    def subscribe_all(self, handlers: Iterable[Handler]) -> None:
        """Replaces the subscriptions (idempotent for the same handlers)."""
        self._handlers.clear()
        for handler in handlers:
            self._handlers[handler.event].append(handler.run)
        self.wired = True

    def publish(self, event: object) -> None:
        if not self.wired:
            raise RuntimeError(
                f"{type(event).__name__} published before the domains were assembled"
                " (steward.app.assemble)"
            )
        for run in self._handlers.get(type(event), ()):
            run(event)


bus = EventBus()


def publish(event: object) -> None:
    bus.publish(event)


def handles(event: type[E]) -> Callable[[H], H]:
    """Declares a function as a handler of `event` (collected by the composition root)."""

    def declare(function: H) -> H:
        mark(function, Handler(event, function))
        return function

    return declare


def handlers_of(module: ModuleType) -> list[Handler]:
    """The handlers a handlers module declares itself."""
    return found_in(module, Handler)
