"""The identity map: identity key → object, holding the objects weakly.

It behaves like ``weakref.WeakValueDictionary`` for the few operations the session needs,
but is cheaper on the hot path (hydrating a row): each entry is a plain ``weakref.ref``
whose callback is a ``functools.partial`` carrying the key, both built in C, where
``WeakValueDictionary`` runs two Python-level constructors (``KeyedRef``) per entry. The
row loader uses :attr:`IdentityMap.data` and :meth:`IdentityMap.remember` directly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from typing import Any


class IdentityMap:
    """``key -> object`` for live objects only; an entry disappears with its object."""

    __slots__ = ("__weakref__", "_forget", "data")

    def __init__(self) -> None:
        # key -> weak reference to the object (dead entries are removed by the callback)
        self.data: dict[Any, weakref.ref[Any]] = {}
        self._forget = _forgetter(self)

    def remember(self, key: Any, obj: Any) -> None:
        """Map ``key`` to ``obj`` (weakly)."""
        self.data[key] = weakref.ref(obj, partial(self._forget, key))

    def get(self, key: Any, default: Any = None) -> Any:
        """The live object for ``key``, or ``default``."""
        wr = self.data.get(key)
        if wr is None:
            return default
        obj = wr()
        return default if obj is None else obj

    def __getitem__(self, key: Any) -> Any:
        obj = self.get(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __setitem__(self, key: Any, obj: Any) -> None:
        self.remember(key, obj)

    def __delitem__(self, key: Any) -> None:
        del self.data[key]

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.data)

    def values(self) -> list[Any]:
        """The live objects (a list: the map may change while the caller iterates)."""
        return [o for wr in list(self.data.values()) if (o := wr()) is not None]


def _forgetter(imap: IdentityMap) -> Callable[[Any, Any], None]:
    # The callback refers to the map weakly, so the map is freed by reference counting
    # rather than kept alive in a cycle (map -> ref -> callback -> map) until a collection.
    selfref = weakref.ref(imap)

    def forget(key: Any, wr: Any) -> None:
        m = selfref()
        if m is not None and m.data.get(key) is wr:
            del m.data[key]

    return forget
