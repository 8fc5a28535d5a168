"""JSON fields changed in place: ``doc.data["k"] = 1``, ``doc.tags.append("x")``,
``doc.data["a"]["b"].pop()`` are written by the next flush.

How. A JSON field (``Mapped[dict[...]]`` / ``Mapped[list[...]]``) gets a data descriptor,
:class:`JsonMapped`: on an instance, reading the field hands out the value as a
:class:`TrackedDict` / :class:`TrackedList` — a copy made on first access, with every
nested dict and list tracked too. Each tracked container knows the object and field it
belongs to; every method that changes it tells the object's session *before* the
change (:meth:`ormolu.core.state.SessionState.record_mutation`), which records a plain
deep copy of the document as it was — once per flush, however many changes follow — as
the value the UPDATE replaces and as what a rollback restores. Values put into a
tracked container are tracked too, and checked to be JSON-serialisable (ValidationError,
naming model and field, before any change).

Why this way. Nothing changes for models without JSON fields: their reads stay plain
``__dict__`` lookups and their hydration is untouched (loaded documents stay plain until
first read). The alternative, a snapshot of every loaded document compared at each
flush, would cost a deep copy per loaded row and a comparison per object per flush.

What is not seen: a dict or list that was never read through the object (one you
assigned, then changed through your own reference: ``d = {}; doc.data = d; d["k"] = 1``
is written only if the flush comes before the first read of ``doc.data``, which then
copies it) — change the document through the attribute. A document assigned from
another object (``b.data = a.data``) is copied when assigned: the two objects do not
share it. ``copy.copy``/``deepcopy``/pickle give plain containers.

A tracked document holds its object (so that ``session.get(Doc, 1).tags.append(x)``
is written like ``session.get(Doc, 1).title = x``, although the identity map holds
clean objects weakly): an object whose document was read is freed by the garbage
collector rather than as soon as the last reference to it goes.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any, SupportsIndex

from ..exceptions import ValidationError
from .attributes import Mapped
from .state import DETACHED, STATE_KEY, load_missing_attribute

_TRACKED_SLOTS = ("__weakref__", "_key", "_owner", "_root")


def _changing(c: Any) -> None:
    """``c`` (a tracked container) is about to change: tell its object's session."""
    obj = c._owner
    key = c._key
    d = obj.__dict__
    root = c if c._root is None else c._root()
    current = d.get(key)
    if root is None or current is not root:
        return  # no longer the object's value (replaced, or rolled back)
    st = d.get(STATE_KEY)
    if st is None:
        return  # transient: the INSERT writes the whole document anyway
    session = st.session
    if session is not None:
        session.record_mutation(obj, st, key, current)
    elif st.status == DETACHED:  # written when the object is added to a session again
        m = st.modified
        if m is None:
            st.modified = {key: plain(current)}
        elif key not in m or m[key] is current:
            m[key] = plain(current)


def plain(value: Any) -> Any:
    """A deep copy of a JSON value in plain dicts and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _track(value: Any, owner: Any, key: str, root: Any) -> Any:
    """``value`` (copied) as tracked containers belonging to ``owner.<key>``; ``root``:
    the weak reference to the document's top container (``None``: this is the top)."""
    if isinstance(value, dict):
        out: Any = TrackedDict.__new__(TrackedDict)
    elif isinstance(value, list):
        out = TrackedList.__new__(TrackedList)
    else:
        return value
    out._owner, out._key, out._root = owner, key, root
    inner = weakref.ref(out) if root is None else root
    if type(out) is TrackedDict:
        dict.update(out, {k: _track(v, owner, key, inner) for k, v in value.items()})
    else:
        list.extend(out, [_track(v, owner, key, inner) for v in value])
    return out


def _checked(c: Any, value: Any) -> Any:
    """``value`` checked to be JSON, tracked as part of ``c``'s document."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        model = type(c._owner).__name__
        raise ValidationError(model, c._key, value, f"not JSON-serialisable: {exc}") from None
    return _track(value, c._owner, c._key, weakref.ref(c) if c._root is None else c._root)


class TrackedDict(dict[Any, Any]):
    """A JSON object that belongs to a model field: changing it marks the field changed
    (see the module docstring). It is a ``dict`` in every other respect."""

    __slots__ = _TRACKED_SLOTS
    _owner: Any
    _key: str
    _root: Any

    def __setitem__(self, k: Any, v: Any) -> None:
        v = _checked(self, v)
        _changing(self)
        dict.__setitem__(self, k, v)

    def __delitem__(self, k: Any) -> None:
        _changing(self)
        dict.__delitem__(self, k)

    def update(self, *args: Any, **kw: Any) -> None:
        new = {k: _checked(self, v) for k, v in dict(*args, **kw).items()}
        _changing(self)
        dict.update(self, new)

    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[misc]
        self.update(other)
        return self

    def setdefault(self, k: Any, default: Any = None) -> Any:
        if k in self:
            return self[k]
        self[k] = default
        return dict.__getitem__(self, k)

    def pop(self, *args: Any) -> Any:
        _changing(self)
        return dict.pop(self, *args)

    def popitem(self) -> tuple[Any, Any]:
        _changing(self)
        return dict.popitem(self)

    def clear(self) -> None:
        _changing(self)
        dict.clear(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (dict, (dict(self),))


class TrackedList(list[Any]):
    """A JSON array that belongs to a model field: changing it marks the field changed
    (see the module docstring). It is a ``list`` in every other respect."""

    __slots__ = _TRACKED_SLOTS
    _owner: Any
    _key: str
    _root: Any

    def __setitem__(self, i: Any, v: Any) -> None:
        v = [_checked(self, x) for x in v] if isinstance(i, slice) else _checked(self, v)
        _changing(self)
        list.__setitem__(self, i, v)

    def __delitem__(self, i: Any) -> None:
        _changing(self)
        list.__delitem__(self, i)

    def append(self, v: Any) -> None:
        v = _checked(self, v)
        _changing(self)
        list.append(self, v)

    def extend(self, values: Any) -> None:
        new = [_checked(self, v) for v in values]
        _changing(self)
        list.extend(self, new)

    def __iadd__(self, values: Any) -> TrackedList:  # type: ignore[misc]
        self.extend(values)
        return self

    def __imul__(self, n: SupportsIndex) -> TrackedList:
        _changing(self)
        list.__imul__(self, n)
        return self

    def insert(self, i: SupportsIndex, v: Any) -> None:
        v = _checked(self, v)
        _changing(self)
        list.insert(self, i, v)

    def pop(self, i: SupportsIndex = -1) -> Any:
        _changing(self)
        return list.pop(self, i)

    def remove(self, v: Any) -> None:
        _changing(self)
        list.remove(self, v)

    def clear(self) -> None:
        _changing(self)
        list.clear(self)

    def sort(self, *args: Any, **kw: Any) -> None:
        _changing(self)
        list.sort(self, *args, **kw)

    def reverse(self) -> None:
        _changing(self)
        list.reverse(self)

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (list, (list(self),))


class JsonMapped(Mapped[Any]):
    """The descriptor of a JSON field: reads hand out the tracked document (see the
    module docstring); sets go through ``Model.__setattr__`` like any field's."""

    __slots__ = ()

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self.ref
        d = obj.__dict__
        key = self.key
        try:
            v = d[key]
        except KeyError:
            v = load_missing_attribute(obj, key)
        t = type(v)
        if t is TrackedDict or t is TrackedList:
            if v._root is None and v._key == key and v._owner is obj:
                return v
        elif t is not dict and t is not list:
            return v
        v = d[key] = _track(v, obj, key, None)
        return v

    def __set__(self, obj: Any, value: Any) -> None:
        # (only reached through object.__setattr__: Model.__setattr__ handles sets)
        obj.__dict__[self.key] = value


def json_coerce(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON field's ``coerce`` that takes a plain copy of a tracked document (one read
    from another object, or from this one): an object's document is its own."""

    def coerce_json(value: Any) -> Any:
        value = coerce(value)
        t = type(value)
        return plain(value) if t is TrackedDict or t is TrackedList else value

    return coerce_json


# The container types of JSON documents, plain and tracked (the flush compares values of
# these types strictly: 1 == True in Python, not in JSON).
JSON_TYPES = frozenset({dict, list, TrackedDict, TrackedList})


def same_json(a: Any, b: Any) -> bool:
    """Whether JSON values ``a`` and ``b`` are the same document (``1``, ``1.0`` and
    ``True`` differ; tracked and plain containers of equal content do not)."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for k, v in a.items():
            if k not in b or not same_json(v, b[k]):
                return False
        return list(a) == list(b)  # (the key order is written too)
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
