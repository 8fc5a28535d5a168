"""``RelatedList``: the list a one-to-many or many-to-many collection is loaded into.

It is a plain ``list`` whose mutating methods tell :mod:`ormolu.orm.sync` what was added
and removed, so that the other side of the relationship, foreign keys and association
rows follow at the next flush. Reading it costs what reading a list costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar

if TYPE_CHECKING:
    from .relationships import Relationship

T = TypeVar("T")


class RelatedList(list[T]):
    """A relationship collection: ``artist.albums.append(album)`` sets ``album.artist``
    (and its foreign key) too; ``playlist.tracks.remove(t)`` deletes the association row
    at the next flush. Raises ValidationError when an item is not an instance of the
    related model (the list is then unchanged)."""

    __slots__ = ("_owner", "_rel")

    def __init__(self, owner: Any, rel: Relationship, items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self._owner = owner
        self._rel = rel

    def _added(self, item: Any) -> None:
        from .sync import collection_add

        collection_add(self._owner, self._rel, item)

    def _removed(self, item: Any) -> None:
        from .sync import collection_remove

        collection_remove(self._owner, self._rel, item)

    def _check(self, items: Iterable[Any]) -> list[Any]:
        from .sync import check_item

        out = list(items)
        for item in out:
            check_item(self._rel, item, self._owner)
        return out

    def append(self, item: T) -> None:
        self._check((item,))
        super().append(item)
        self._added(item)

    def extend(self, items: Iterable[T]) -> None:
        for item in self._check(items):
            self.append(item)

    def __iadd__(self, items: Iterable[T]) -> RelatedList[T]:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: T) -> None:
        self._check((item,))
        super().insert(index, item)
        self._added(item)

    def remove(self, item: T) -> None:
        from .sync import check_removal

        check_removal(self._owner, self._rel, item)
        super().remove(item)
        self._removed(item)

    def pop(self, index: SupportsIndex = -1) -> T:
        from .sync import check_removal

        check_removal(self._owner, self._rel, self[index])
        item = super().pop(index)
        self._removed(item)
        return item

    def clear(self) -> None:
        while self:
            self.pop()

    def __setitem__(self, index: Any, value: Any) -> None:
        from .sync import check_removal

        old = self[index]
        old_items = old if isinstance(index, slice) else [old]
        new_items = self._check(value if isinstance(index, slice) else (value,))
        for o in old_items:
            if not any(o is n for n in new_items):
                check_removal(self._owner, self._rel, o)
        super().__setitem__(index, value)
        for o in old_items:
            if not any(o is n for n in new_items):
                self._removed(o)
        for n in new_items:
            if not any(n is o for o in old_items):
                self._added(n)

    def __delitem__(self, index: Any) -> None:
        from .sync import check_removal

        old = self[index]
        old_items = old if isinstance(index, slice) else [old]
        for o in old_items:
            check_removal(self._owner, self._rel, o)
        super().__delitem__(index)
        for o in old_items:
            self._removed(o)

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (list, (list(self),))


def empty_lists(rel: Relationship, owners: list[Any]) -> list[RelatedList[Any]]:
    """An empty :class:`RelatedList` of ``rel`` for each of ``owners``, in order: what
    ``RelatedList(owner, rel)`` builds, without a Python ``__init__`` call per list (a
    select-in load builds one per parent, then fills it with ``list.append``).

    Example: ``empty_lists(Book.tags.property, books)[0]._owner is books[0]``."""
    new = list.__new__
    out: list[RelatedList[Any]] = []
    append = out.append
    for owner in owners:
        items = new(RelatedList)
        items._owner = owner
        items._rel = rel
        append(items)
    return out
