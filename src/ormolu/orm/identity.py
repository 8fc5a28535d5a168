"""The identity map: identity key → object, holding the objects weakly.

It behaves like ``weakref.WeakValueDictionary`` for the few operations the session needs,
but costs less on the hot path (hydrating a row): the value stored for a key is the
object's :class:`~ormolu.orm.state.InstanceState`, which *is* a weak reference to the
object, so an entry needs no allocation of its own; the state's callback removes the
entry when the object dies. The row loader uses :attr:`IdentityMap.data` directly.
"""

from __future__ import annotations

from typing import Any

from .state import STATE_KEY, InstanceState


class IdentityMap:
    """``key -> object`` for live objects only; an entry disappears with its object.

    An object is always stored under its state's ``key`` (the callback removes that key).
    """

    __slots__ = ("data",)

    def __init__(self) -> None:
        # key -> the object's state (a weak reference to it)
        self.data: dict[Any, InstanceState] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        """The live object for ``key``, or ``default``."""
        st = self.data.get(key)
        if st is None:
            return default
        obj = st()
        return default if obj is None else obj

    def __getitem__(self, key: Any) -> Any:
        obj = self.get(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __setitem__(self, key: Any, obj: Any) -> None:
        st = obj.__dict__[STATE_KEY]
        assert st.key == key, "an object is mapped under its state's key"
        self.data[key] = st

    def __delitem__(self, key: Any) -> None:
        del self.data[key]

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.data)

    def values(self) -> list[Any]:
        """The live objects (a list: the map may change while the caller iterates)."""
        return [o for st in list(self.data.values()) if (o := st()) is not None]
