"""The class attribute of a relationship (``Album.artist``, ``Artist.albums``) in queries:
joins, ``has()``/``any()``, and comparisons with objects.

Comparisons (SQLAlchemy's relationship operators, with one rule made explicit):

================================  ==========================================================
``Pet.owner == owner``            ``pet.owner_id = <owner's key>`` (each column of a
                                  composite key)
``Pet.owner != owner``            ``pet.owner_id != <key> OR pet.owner_id IS NULL``: pets of
                                  *other owners and of none* (SQL's ``!=`` alone would skip
                                  the pets without an owner, since ``NULL != x`` is NULL)
``Pet.owner.is_(None)``           ``pet.owner_id IS NULL`` (any column of a composite key);
                                  ``== None`` too; ``is_not(None)``: every column set
``Pet.owner.in_([a, b])``         ``pet.owner_id IN (...)``; ``not_in`` also matches NULL
``User.profile == p`` (reverse    ``EXISTS (SELECT 1 FROM profile WHERE profile.user_id =
one-to-one)``                     user.id AND profile.id = <p's key>)``; ``!=``: NOT EXISTS
``Artist.albums.contains(album)``  ``EXISTS (...)`` over the target (or the association
                                  table of a many-to-many); ``~`` negates it
``filter_by(owner=owner)``        the same as ``Pet.owner == owner``
================================  ==========================================================

The object must be an instance of the relationship's target model. Its key is read when
the query is built; an object that is pending in a session (added, not flushed yet) is
read when the query runs, after its autoflush has given it a key. A transient object
(in no session) without a key raises :class:`~ormolu.exceptions.ArgumentError`: nothing
in the database can be related to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..exceptions import ArgumentError, InvalidRequestError
from ..sql.elements import DeferredBind, Expr, and_, false, literal, not_, or_, true
from ..sql.selectable import Select, exists
from .relationships import MANY_TO_MANY, MANY_TO_ONE, columns_of

if TYPE_CHECKING:
    from .mapper import Mapper
    from .relationships import Relationship

T = TypeVar("T")


class RelationshipAttribute(Generic[T]):
    """What ``Album.artist`` / ``Artist.albums`` is on the class: an argument for
    ``join()``, ``selectinload()``, ``joinedload()``, the source of ``has()`` / ``any()``
    conditions, and comparisons with objects (``Album.artist == acdc``; see
    :mod:`ormolu.orm.related`). On an instance, reading an unloaded relationship loads it
    (see :mod:`ormolu.orm.strategies`); values once loaded are plain instance attributes.
    """

    __slots__ = ("key", "mapper")

    def __init__(self, key: str, mapper: Mapper) -> None:
        self.key = key
        self.mapper = mapper

    @property
    def property(self) -> Relationship:
        """The resolved :class:`Relationship` (resolving it on first use)."""
        return self.mapper.relationship(self.key)

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        from .strategies import lazy_load

        return lazy_load(obj, self.mapper.relationship(self.key))

    def __repr__(self) -> str:
        return f"{self.mapper.name}.{self.key}"

    __hash__ = object.__hash__

    # -- joins -----------------------------------------------------------------------
    def __ormolu_join__(self) -> list[tuple[Any, Expr[bool]]]:
        """The (FROM item, ON condition) pairs that join this relationship's target."""
        rel = self.property
        pcols = columns_of(rel.parent.cls)
        if rel.parent is rel.target:
            from .model import aliased

            target: Any = aliased(rel.target.cls, f"{rel.target.table.name}_{rel.key}")
        else:
            target = rel.target.cls
        tcols = columns_of(target)
        if rel.direction == MANY_TO_MANY:
            left, right = rel.secondary_conditions(pcols, tcols)
            return [(rel.secondary, left), (target, right)]
        return [(target, rel.condition(pcols, tcols))]

    # -- EXISTS ----------------------------------------------------------------------
    def _exists(
        self, conditions: tuple[Any, ...], values: dict[str, Any], what: str, keys: Any = None
    ) -> Expr[bool]:
        """``EXISTS`` a related row matching ``conditions``, ``field=value`` filters and
        ``keys`` (a function of the inner target's columns giving more conditions)."""
        rel = self.property
        if rel.parent is rel.target:
            if conditions:
                raise InvalidRequestError(
                    f"{rel.name}.{what}() on a self-referential relationship takes keyword "
                    f"filters only ({what}(name='x')): a positional condition cannot tell the "
                    f"inner {rel.target.name} from the outer one"
                )
            from .model import aliased

            inner: Any = aliased(rel.target.cls, f"{rel.target.table.name}_{what}")
        else:
            inner = rel.target.cls
        tcols = columns_of(inner)
        pcols = columns_of(rel.parent.cls)
        terms: list[Any] = []
        for k, v in values.items():
            if k not in tcols:
                raise InvalidRequestError(
                    f"{rel.target.name} has no field {k!r} (fields: {', '.join(tcols)})"
                )
            terms.append(tcols[k] == v)
        terms.extend(conditions)
        if keys is not None:
            terms.append(keys(tcols))
        stmt: Select[Any] = Select((literal(1),))
        if rel.direction == MANY_TO_MANY:
            left, right = rel.secondary_conditions(pcols, tcols)
            stmt = stmt.select_from(inner).join(rel.secondary, right).where(left)
        else:
            stmt = stmt.select_from(inner).where(rel.condition(pcols, tcols))
        if terms:
            stmt = stmt.where(*terms)
        return exists(stmt)

    def has(self, *conditions: Expr[bool], **values: Any) -> Expr[bool]:
        """``EXISTS`` a related row matching ``conditions`` and ``field=value`` filters,
        for a scalar relationship: ``query(Album).where(Album.artist.has(name="AC/DC"))``.
        Raises InvalidRequestError on a collection (use :meth:`any`)."""
        if self.property.uselist:
            raise InvalidRequestError(f"{self!r} is a collection: use {self!r}.any(...)")
        return self._exists(conditions, values, "has")

    def any(self, *conditions: Expr[bool], **values: Any) -> Expr[bool]:
        """``EXISTS`` a related row matching ``conditions`` and filters, for a
        collection: ``query(Artist).where(Artist.albums.any(Album.title.contains("Live")))``.
        Raises InvalidRequestError on a scalar relationship (use :meth:`has`)."""
        if not self.property.uselist:
            raise InvalidRequestError(f"{self!r} is not a collection: use {self!r}.has(...)")
        return self._exists(conditions, values, "any")

    # -- comparisons -----------------------------------------------------------------
    def __eq__(self, other: object) -> Expr[bool]:  # type: ignore[override]
        """``Pet.owner == owner``: related to that object (``== None``: to none)."""
        if other is None:
            return self.is_(None)
        if isinstance(other, str | RelationshipAttribute):
            # not a comparison with a row (a loader option's "*", `attr in [...]`):
            # Python's own comparison (identity); where() refuses the bool it gives
            return NotImplemented
        rel = self._scalar("==")
        if rel.direction == MANY_TO_ONE:
            return and_(*self._local_terms(rel, other, "=="))
        return self._exists((), {}, "eq", self._pk_terms(rel, [other], "=="))

    def __ne__(self, other: object) -> Expr[bool]:  # type: ignore[override]
        """``Pet.owner != owner``: related to another object *or to none*."""
        if other is None:
            return self.is_not(None)
        if isinstance(other, str | RelationshipAttribute):
            return NotImplemented
        rel = self._scalar("!=")
        if rel.direction == MANY_TO_ONE:
            cols = self._local_columns(rel)
            terms = [c != v for c, v in zip(cols, self._values(rel, other, "!="))]
            terms += [c.is_(None) for c in cols if c.column is None or c.column.nullable]
            return or_(*terms)
        return not_(self._exists((), {}, "eq", self._pk_terms(rel, [other], "!=")))

    def is_(self, other: None) -> Expr[bool]:
        """``Pet.owner.is_(None)``: related to no object (a many-to-one's key column is
        NULL; for a composite key any column). ArgumentError for another value."""
        rel = self._none_only(other, "is_")
        if rel.direction == MANY_TO_ONE:
            return or_(*[c.is_(None) for c in self._local_columns(rel)])
        return not_(self._exists((), {}, "none"))

    def is_not(self, other: None) -> Expr[bool]:
        """``Pet.owner.is_not(None)``: related to some object."""
        rel = self._none_only(other, "is_not")
        if rel.direction == MANY_TO_ONE:
            return and_(*[c.is_not(None) for c in self._local_columns(rel)])
        return self._exists((), {}, "none")

    def in_(self, objects: Iterable[Any]) -> Expr[bool]:
        """``Pet.owner.in_([a, b])``: related to one of the objects (an empty list is
        always false)."""
        rel = self._scalar("in_")
        objs = self._objects(objects, "in_")
        if not objs:
            return false()
        if rel.direction != MANY_TO_ONE:
            return self._exists((), {}, "in", self._pk_terms(rel, objs, "in_"))
        cols = self._local_columns(rel)
        if len(cols) == 1:
            column: Expr[Any] = cols[0]
            return column.in_([self._values(rel, o, "in_")[0] for o in objs])
        return or_(*[and_(*self._local_terms(rel, o, "in_")) for o in objs])

    def not_in(self, objects: Iterable[Any]) -> Expr[bool]:
        """``Pet.owner.not_in([a, b])``: related to none of them, or to nothing."""
        rel = self._scalar("not_in")
        objs = self._objects(objects, "not_in")
        if not objs:
            return true()
        if rel.direction != MANY_TO_ONE:
            return not_(self._exists((), {}, "in", self._pk_terms(rel, objs, "not_in")))
        nulls = [c.is_(None) for c in self._local_columns(rel)]
        return or_(not_(self.in_(objs)), *nulls)

    def contains(self, obj: Any) -> Expr[bool]:
        """``Artist.albums.contains(album)``: the collection holds that object
        (``EXISTS``; ``~`` for "does not"). Raises ArgumentError on a scalar relationship
        (compare it with ``==``)."""
        rel = self.property
        if not rel.uselist:
            raise ArgumentError(f"{self!r} is not a collection: compare it, {self!r} == obj")
        if rel.direction == MANY_TO_MANY:
            return self._secondary_exists(rel, obj)
        return self._exists((), {}, "contains", self._pk_terms(rel, [obj], "contains"))

    # -- helpers ---------------------------------------------------------------------
    def _scalar(self, op: str) -> Relationship:
        rel = self.property
        if rel.uselist:
            raise ArgumentError(
                f"{self!r} {op} ...: {self!r} is a collection; use {self!r}.contains(obj) or "
                f"{self!r}.any(...)"
            )
        return rel

    def _none_only(self, other: Any, op: str) -> Relationship:
        rel = self._scalar(op)
        if other is not None:
            raise ArgumentError(
                f"{self!r}.{op}() takes None; compare with an object using "
                f"{'!=' if op == 'is_not' else '=='}"
            )
        return rel

    def _objects(self, objects: Any, op: str) -> list[Any]:
        if isinstance(objects, str | bytes) or not hasattr(objects, "__iter__"):
            raise ArgumentError(f"{self!r}.{op}() takes a list of objects, got {objects!r}")
        return list(objects)

    def _local_columns(self, rel: Relationship) -> list[Any]:
        pcols = columns_of(rel.parent.cls)
        return [pcols[k] for k in rel.local_keys]

    def _local_terms(self, rel: Relationship, obj: Any, op: str) -> list[Expr[bool]]:
        cols = self._local_columns(rel)
        return [c == v for c, v in zip(cols, self._values(rel, obj, op))]

    def _values(self, rel: Relationship, obj: Any, op: str) -> list[Any]:
        """The values (or deferred binds, typed by the local columns) of ``obj``'s keys
        that the parent's columns hold."""
        self._check_object(rel, obj, op)
        cols = self._local_columns(rel)
        return [_key_value(self, rel, obj, key, col, op) for key, col in zip(rel.remote_keys, cols)]

    def _pk_terms(self, rel: Relationship, objs: list[Any], op: str) -> Any:
        """A function of the inner target's columns: its primary key in ``objs``' keys."""
        target = rel.target
        for o in objs:
            self._check_object(rel, o, op)

        def terms(tcols: dict[str, Any]) -> Expr[bool]:
            pk = [tcols[k] for k in target.pk_keys]
            per = [
                and_(*[c == _key_value(self, rel, o, k, c, op) for k, c in zip(target.pk_keys, pk)])
                for o in objs
            ]
            return or_(*per)

        return terms

    def _secondary_exists(self, rel: Relationship, obj: Any) -> Expr[bool]:
        self._check_object(rel, obj, "contains")
        assert rel.secondary is not None
        pcols = columns_of(rel.parent.cls)
        terms = [pcols[k] == c.ref for k, c in zip(rel.local_keys, rel.sec_local)]
        terms += [
            c.ref == _key_value(self, rel, obj, k, c.ref, "contains")
            for k, c in zip(rel.remote_keys, rel.sec_remote)
        ]
        stmt: Select[Any] = Select((literal(1),)).select_from(rel.secondary).where(*terms)
        return exists(stmt.correlate_except(rel.secondary))

    def _check_object(self, rel: Relationship, obj: Any, op: str) -> None:
        if not isinstance(obj, rel.target.cls):
            hint = ""
            if not hasattr(type(obj), "__mapper__"):
                cols = ", ".join(f"{rel.parent.name}.{k}" for k in rel.local_keys)
                hint = f"; to compare a key value, compare the column ({cols})"
            raise ArgumentError(f"{self!r} {op} {obj!r}: expected a {rel.target.name} object{hint}")


def _key_value(attr: Any, rel: Relationship, obj: Any, key: str, col: Any, op: str) -> Any:
    """``obj``'s value of ``key`` for a comparison with ``col``: the value now, or, for
    a pending object whose key the flush generates, a bind read when the query runs."""
    from .state import status_of

    d = obj.__dict__
    value = d[key] if key in d else getattr(obj, key)
    if value is not None:
        return value
    status = status_of(obj)
    if status == "pending":

        def read() -> Any:
            late = obj.__dict__.get(key)
            if late is None:
                raise ArgumentError(
                    f"{attr!r} {op} {obj!r}: the object still has no {key!r} when the query "
                    f"runs; flush the session that holds it first"
                )
            return late

        return DeferredBind(read, col.type)
    raise ArgumentError(
        f"{attr!r} {op} {obj!r}: the object has no {key!r} ({status}, so no row can be "
        f"related to it); add it to the session and flush, or compare with a stored object"
    )
