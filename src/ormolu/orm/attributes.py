"""``Mapped[T]``: the annotation of a model field, and the descriptor installed for it.

For a relationship (``Mapped[Artist]``, ``Mapped[list[Album]]``) the class attribute is a
:class:`~ormolu.orm.relationships.RelationshipAttribute` instead; the overloads below
tell type checkers so.

At class level ``Track.name`` is a column expression (``ColumnRef[str]``) for queries; on
an instance ``track.name`` is a plain ``str``. Reads are plain instance-dictionary
lookups: the descriptor defines no ``__set__`` at run time (only for type checkers), so
Python finds loaded values in ``__dict__`` without calling it. It runs only when a value
is *missing* (expired after a bulk update, or deferred), and then loads it. Writes go
through ``Model.__setattr__``, which validates and records the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..sql.elements import ColumnRef

if TYPE_CHECKING:
    from .model import Model
    from .related import RelationshipAttribute

T = TypeVar("T")
R = TypeVar("R", bound="Model")


class Mapped(Generic[T]):
    """Annotation for a model field: ``name: Mapped[str] = field(max_length=120)``."""

    __slots__ = ("key", "mapper", "ref")

    def __init__(self, key: str, ref: ColumnRef[T], mapper: Any) -> None:
        self.key = key
        self.ref = ref
        self.mapper = mapper

    # Relationships (Mapped[Model], Mapped[Model | None], Mapped[list[Model]]) are a
    # RelationshipAttribute on the class; everything else a column expression.
    @overload
    def __get__(self: Mapped[list[R]], obj: None, owner: Any) -> RelationshipAttribute[list[R]]: ...
    @overload
    def __get__(self: Mapped[R], obj: None, owner: Any) -> RelationshipAttribute[R]: ...
    @overload
    def __get__(self, obj: None, owner: Any) -> ColumnRef[T]: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> T: ...
    def __get__(self, obj: object | None, owner: Any) -> Any:
        if obj is None:
            return self.ref
        from .state import load_missing_attribute

        return load_missing_attribute(obj, self.key)

    if TYPE_CHECKING:

        def __set__(self, obj: object, value: T) -> None: ...
