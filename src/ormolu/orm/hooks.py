"""Hooks and listeners: the names, and the registry of listeners.

Two kinds of user code run inside a flush (see docs/hooks.md for the order):

* **model hooks** — methods a model class defines: ``before_insert``, ``after_insert``,
  ``before_update``, ``after_update``, ``before_delete``, ``after_delete``, each called
  with the object alone (``self``);
* **listeners** — callables registered on a database (``db.listen(event, fn)``: every
  session it opens) or on one session (``session.listen(event, fn)``), called with the
  session: ``before_flush``, ``after_flush``, ``after_commit``, ``after_rollback``.

This module belongs to the model layer: it knows the names and keeps the lists; the
flush (:mod:`ormolu.core.hooks`) calls them. A model defining no hook and sessions
without listeners cost the flush one flag check (:data:`state`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

from ..exceptions import ArgumentError

EventName = Literal["before_flush", "after_flush", "after_commit", "after_rollback"]
"""The events a listener can be registered for."""

HookName = Literal[
    "before_insert", "after_insert", "before_update", "after_update", "before_delete",
    "after_delete",
]  # fmt: skip
"""The model methods a flush calls."""

EVENTS: frozenset[str] = frozenset(get_args(EventName))
MODEL_HOOKS: tuple[str, ...] = get_args(HookName)


class _Flags:
    """Process-wide: whether any model class defines a hook (until one does, a flush
    does not look for them)."""

    __slots__ = ("models",)

    def __init__(self) -> None:
        self.models = False


state = _Flags()


def hooks_of(cls: type, base: type) -> frozenset[str]:
    """The hook methods ``cls`` defines itself or inherits from a class other than
    ``base`` (the ``Model`` class, whose hooks do nothing); marks :data:`state`."""
    found = frozenset(n for n in MODEL_HOOKS if getattr(cls, n, None) is not getattr(base, n))
    if found:
        state.models = True
    return found


class Listeners(dict[str, list[Callable[[Any], object]]]):
    """Listeners by event (a dict: event name -> the listeners in the order registered),
    so that the flush's check for any is a plain truth test in C.

    ``add`` raises :class:`~ormolu.exceptions.ArgumentError` for an unknown event name
    or a listener that is not callable (before anything is registered)."""

    __slots__ = ()

    def add(self, event: str, fn: Callable[[Any], object]) -> None:
        """Register ``fn`` for ``event``."""
        if event not in EVENTS:
            raise ArgumentError(
                f"unknown event {event!r}: listen to one of {', '.join(sorted(EVENTS))} "
                f"(model hooks such as before_insert are methods of the model class)"
            )
        if not callable(fn):
            raise ArgumentError(f"listen({event!r}, ...) needs a callable, got {fn!r}")
        self.setdefault(event, []).append(fn)

    def remove(self, event: str, fn: Callable[[Any], object]) -> None:
        """Unregister ``fn`` for ``event``; raises ArgumentError if it is not registered."""
        fns = self.get(event, [])
        if fn not in fns:
            raise ArgumentError(f"{fn!r} is not listening to {event!r}")
        fns.remove(fn)
        if not fns:
            del self[event]
