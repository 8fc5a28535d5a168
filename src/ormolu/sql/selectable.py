"""FROM clauses and SELECT statements: tables, aliases, joins, subqueries, UNION.

A :class:`Select` is immutable: every builder method returns a new statement, so a base
query can be shared and refined. Entities in the column list may be expressions or any
object with an ``__ormolu_entity__()`` method (a model class or an alias of one), which
expands into that entity's columns; the ORM uses the same list to build objects.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ..exceptions import ConfigurationError
from ..schema.types import BOOLEAN, INTEGER, SQLType
from .elements import (
    BindParam,
    ClauseElement,
    ColumnRef,
    Expr,
    Key,
    Ordering,
    and_,
    coerce,
)

if TYPE_CHECKING:
    from typing import Self

T = TypeVar("T")


class EntityInfo(Protocol):
    """What an entity (model class or alias) exposes to the SQL layer."""

    source: FromClause
    columns: tuple[ColumnRef[Any], ...]
    cache_key: Key


class FromClause(ClauseElement):
    """Something that can stand in a FROM list: table, alias, subquery."""

    __slots__ = ()
    name: str

    def _from_key(self, binds: list[BindParam[Any]]) -> Key:
        raise NotImplementedError

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return self._from_key(binds)

    def foreign_keys(self) -> Sequence[tuple[ColumnRef[Any], FromClause, str]]:
        """``(local column, referenced FROM object's table, referenced column name)``."""
        return ()

    def base_table(self) -> Any:
        """The table this FROM object reads (itself for a table)."""
        return None


def resolve_from(target: Any) -> FromClause:
    """Return the FROM object for a table, alias, subquery, model class or aliased model."""
    if isinstance(target, FromClause):
        return target
    entity = getattr(target, "__ormolu_entity__", None)
    if entity is not None:
        return entity().source  # type: ignore[no-any-return]
    raise TypeError(f"cannot select from {target!r}")


class Alias(FromClause):
    """A table under another name (``FROM "Employee" AS "manager"``), for self-joins."""

    __slots__ = ("name", "table")
    __visit_name__ = "alias"

    def __init__(self, table: Any, name: str) -> None:
        self.table = table
        self.name = name

    def _from_key(self, binds: list[BindParam[Any]]) -> Key:
        return ("alias", self.table.name, self.name)

    def column(self, name: str) -> ColumnRef[Any]:
        """The aliased column named ``name`` (database name)."""
        col = self.table.columns_by_name[name]
        return ColumnRef(self, col.name, col.type, col.key, col)

    def foreign_keys(self) -> Sequence[tuple[ColumnRef[Any], FromClause, str]]:
        return [(self.column(c.name), t, n) for c, t, n in self.table.foreign_keys()]

    def base_table(self) -> Any:
        return self.table


class Join(ClauseElement):
    """One ``[LEFT OUTER] JOIN target ON condition`` step of a SELECT."""

    __slots__ = ("onclause", "outer", "target")
    __visit_name__ = "join"

    def __init__(self, target: FromClause, onclause: Expr[Any], outer: bool) -> None:
        self.target, self.onclause, self.outer = target, onclause, outer

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("join", self.outer, self.target._from_key(binds), self.onclause._key(binds))


class _Columns:
    """Attribute access to a subquery's columns: ``sq.c.total``."""

    def __init__(self, cols: dict[str, ColumnRef[Any]]) -> None:
        self._cols = cols

    def __getattr__(self, name: str) -> ColumnRef[Any]:
        try:
            return self._cols[name]
        except KeyError:
            raise AttributeError(
                f"subquery has no column {name!r}; it has {', '.join(self._cols)}"
            ) from None

    def __getitem__(self, name: str) -> ColumnRef[Any]:
        return self._cols[name]

    def __iter__(self) -> Iterator[ColumnRef[Any]]:
        return iter(self._cols.values())


class Subquery(FromClause):
    """A SELECT used in FROM: ``(SELECT ...) AS name``; columns via ``.c``."""

    __slots__ = ("c", "name", "select")
    __visit_name__ = "subquery"

    def __init__(self, select: Select[Any] | CompoundSelect[Any], name: str) -> None:
        self.select = select
        self.name = name
        self.c = _Columns(
            {k: ColumnRef(self, k, t, k) for k, t in zip(select.column_names(), select.types())}
        )

    def _from_key(self, binds: list[BindParam[Any]]) -> Key:
        return ("subquery", self.name, self.select._key(binds))

    def base_table(self) -> Any:
        return self  # two subqueries are the same FROM only if they are the same object


class ScalarSubquery(Expr[T]):
    """``(SELECT one_column ...)`` used as a value."""

    __slots__ = ("select", "type")
    __visit_name__ = "scalar_subquery"

    def __init__(self, select: Select[Any]) -> None:
        self.select = select
        cols = select._columns
        self.type = cols[0].type if cols else BOOLEAN

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("scalar", self.select._key(binds))


class Exists(Expr[bool]):
    """``EXISTS (SELECT ...)``."""

    __slots__ = ("select",)
    __visit_name__ = "exists"
    type = BOOLEAN

    def __init__(self, select: Select[Any]) -> None:
        self.select = select

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("exists", self.select._key(binds))


def exists(select: Select[Any]) -> Expr[bool]:
    """``EXISTS (select)``; tables of the enclosing query are correlated automatically."""
    return Exists(select)


def _expand(entities: Sequence[Any]) -> tuple[tuple[Any, ...], tuple[Expr[Any], ...]]:
    raw: list[Any] = []
    cols: list[Expr[Any]] = []
    for e in entities:
        info = getattr(e, "__ormolu_entity__", None)
        if info is not None:
            ent = info()
            raw.append(ent)
            cols.extend(ent.columns)
        elif isinstance(e, Expr):
            raw.append(e)
            cols.append(e)
        elif isinstance(e, Select):
            sq = e.scalar_subquery()
            raw.append(sq)
            cols.append(sq)
        else:
            raise TypeError(f"cannot select {e!r}: expected a model, a column or an expression")
    return tuple(raw), tuple(cols)


class _Statement(ClauseElement, Generic[T]):
    """Shared ORDER BY / LIMIT / OFFSET handling of SELECT and compound SELECT."""

    # Statements have no __slots__: they are built rarely and copied with copy.copy.
    _order_by: tuple[Ordering, ...]
    _limit: BindParam[int] | None
    _offset: BindParam[int] | None

    def _clone(self) -> Self:
        return copy.copy(self)

    def order_by(self, *clauses: Expr[Any] | Ordering | None) -> Self:
        """Append ORDER BY terms (``Track.name``, ``Track.name.desc()``, ``.nulls_last()``).

        ``order_by(None)`` clears the ordering.
        """
        new = self._clone()
        if len(clauses) == 1 and clauses[0] is None:
            new._order_by = ()
            return new
        new._order_by = self._order_by + tuple(
            c if isinstance(c, Ordering) else Ordering(coerce(c), False)
            for c in clauses
            if c is not None
        )
        return new

    def limit(self, n: int | None) -> Self:
        """At most ``n`` rows (``None`` removes the limit). Raises ``ValueError`` if negative."""
        new = self._clone()
        new._limit = None if n is None else BindParam(_check_count("limit", n), INTEGER)
        return new

    def offset(self, n: int | None) -> Self:
        """Skip the first ``n`` rows. Raises ``ValueError`` if negative."""
        new = self._clone()
        new._offset = None if n is None else BindParam(_check_count("offset", n), INTEGER)
        return new

    def _tail_key(self, binds: list[BindParam[Any]]) -> Key:
        return (
            tuple(o._key(binds) for o in self._order_by),
            None if self._limit is None else self._limit._key(binds),
            None if self._offset is None else self._offset._key(binds),
        )

    def column_names(self) -> list[str]:
        raise NotImplementedError

    def types(self) -> list[SQLType]:
        raise NotImplementedError

    def subquery(self, name: str = "anon") -> Subquery:
        """This statement as a FROM item named ``name``; its columns are ``.c.<name>``."""
        return Subquery(self, name)  # type: ignore[arg-type]


def _check_count(what: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{what} must be a non-negative int, got {n!r}")
    return n


class Select(_Statement[T]):
    """``SELECT`` statement. Build with :func:`select`; every method returns a new one."""

    __visit_name__ = "select"

    def __init__(self, entities: Sequence[Any]) -> None:
        if not entities:
            raise TypeError("select() needs at least one model, column or expression")
        self._entities, self._columns = _expand(entities)
        self._where: tuple[Expr[Any], ...] = ()
        self._joins: tuple[Join, ...] = ()
        self._from: tuple[FromClause, ...] = ()
        self._group_by: tuple[Expr[Any], ...] = ()
        self._having: tuple[Expr[Any], ...] = ()
        self._order_by = ()
        self._limit = None
        self._offset = None
        self._distinct = False
        self._for_update: tuple[bool, bool] | None = None

    # -- building ------------------------------------------------------------------
    def where(self, *conditions: Expr[Any] | bool) -> Self:
        """Add WHERE conditions, joined with AND."""
        new = self._clone()
        new._where = self._where + tuple(coerce(c, BOOLEAN) for c in conditions)
        return new

    filter = where

    def select_from(self, *froms: Any) -> Self:
        """Set the FROM list explicitly (tables, models, aliases, subqueries)."""
        new = self._clone()
        new._from = self._from + tuple(resolve_from(f) for f in froms)
        return new

    def join(
        self, target: Any, onclause: Expr[Any] | None = None, *, isouter: bool = False
    ) -> Self:
        """``JOIN target ON onclause``; with no ``onclause`` it is inferred from the single
        foreign key between ``target`` and the tables already in the query.

        Raises :class:`~ormolu.exceptions.ConfigurationError` when no or several foreign
        keys could serve.
        """
        hook = getattr(target, "__ormolu_join__", None)
        if hook is not None and onclause is None:
            # a relationship attribute: its target (through its association table)
            new = self
            for item, on in hook():
                new = new.join(item, on, isouter=isouter)
            return new
        tgt = resolve_from(target)
        on = onclause if onclause is not None else self._infer_onclause(tgt)
        new = self._clone()
        new._joins = (*self._joins, Join(tgt, coerce(on, BOOLEAN), isouter))
        return new

    def outerjoin(self, target: Any, onclause: Expr[Any] | None = None) -> Self:
        """``LEFT OUTER JOIN target ON onclause``."""
        return self.join(target, onclause, isouter=True)

    def group_by(self, *exprs: Expr[Any]) -> Self:
        """Add GROUP BY terms."""
        new = self._clone()
        new._group_by = self._group_by + tuple(coerce(e) for e in exprs)
        return new

    def having(self, *conditions: Expr[Any]) -> Self:
        """Add HAVING conditions, joined with AND."""
        new = self._clone()
        new._having = self._having + tuple(coerce(c, BOOLEAN) for c in conditions)
        return new

    def distinct(self, flag: bool = True) -> Self:
        """``SELECT DISTINCT``."""
        new = self._clone()
        new._distinct = flag
        return new

    def for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> Self:
        """``FOR UPDATE [NOWAIT | SKIP LOCKED]`` (ignored where the backend locks whole
        databases instead of rows, as SQLite does)."""
        new = self._clone()
        new._for_update = (nowait, skip_locked)
        return new

    def scalar_subquery(self) -> Expr[T]:
        """This one-column SELECT as a value: ``(SELECT max(x) FROM ...)``."""
        return ScalarSubquery(self)

    def exists(self) -> Expr[bool]:
        """``EXISTS (this select)``."""
        return Exists(self)

    def union(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self UNION other ...`` (duplicates removed)."""
        return CompoundSelect("UNION", (self, *others))

    def union_all(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self UNION ALL other ...``."""
        return CompoundSelect("UNION ALL", (self, *others))

    def intersect(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self INTERSECT other ...``."""
        return CompoundSelect("INTERSECT", (self, *others))

    def except_(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self EXCEPT other ...``."""
        return CompoundSelect("EXCEPT", (self, *others))

    # -- introspection -------------------------------------------------------------
    def froms(self) -> list[FromClause]:
        """The FROM objects this statement reads, in order (join targets excluded)."""
        if self._from:
            out = list(self._from)
        else:
            out = []
            seen: set[int] = set()
            sources = [f for c in self._columns for f in c._froms()]
            sources += [f for w in self._where for f in w._froms()]
            for f in sources:
                if id(f) not in seen and not any(_same_from(f, o) for o in out):
                    seen.add(id(f))
                    out.append(f)
        joined = [j.target for j in self._joins]
        return [f for f in out if not any(_same_from(f, j) for j in joined)]

    def column_names(self) -> list[str]:
        names: list[str] = []
        for i, c in enumerate(self._columns):
            name = getattr(c, "key", None) or getattr(c, "name", None) or f"col_{i + 1}"
            names.append(name if name not in names else f"{name}_{i + 1}")
        return names

    def types(self) -> list[SQLType]:
        return [c.type for c in self._columns]

    def _infer_onclause(self, target: FromClause) -> Expr[Any]:
        # Like SQLAlchemy: the leftmost FROM object linked to the target by a foreign key
        # wins; several keys between that pair are ambiguous.
        left = self.froms() + [j.target for j in self._joins]
        # The target is no left side of its own join (its self-references would match).
        left = [f for f in left if not _same_from(f, target)]
        names = ", ".join(getattr(f, "name", "?") for f in left)
        for lf in left:
            candidates: list[Expr[Any]] = []
            for col, ref_table, ref_name in target.foreign_keys():
                if _same_table(ref_table, lf):
                    candidates.append(col == _column_of(lf, ref_name))
            for col, ref_table, ref_name in lf.foreign_keys():
                if _same_table(ref_table, target):
                    candidates.append(col == _column_of(target, ref_name))
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                raise ConfigurationError(
                    f"cannot infer how to join {target.name!r} to {lf.name!r}: several "
                    f"foreign keys link them; pass the ON condition explicitly"
                )
        raise ConfigurationError(
            f"cannot infer how to join {target.name!r} to {names}: no foreign key links "
            f"them; pass the ON condition, e.g. join(Target, Target.x_id == X.id)"
        )

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        ents = tuple(
            e.cache_key if not isinstance(e, Expr) else e._key(binds) for e in self._entities
        )
        return (
            "select",
            self._distinct,
            ents,
            tuple(f._from_key(binds) for f in self._from),
            tuple(j._key(binds) for j in self._joins),
            tuple(w._key(binds) for w in self._where),
            tuple(g._key(binds) for g in self._group_by),
            tuple(h._key(binds) for h in self._having),
            self._tail_key(binds),
            self._for_update,
        )

    def where_clause(self) -> Expr[Any] | None:
        """All WHERE conditions joined with AND, or ``None``."""
        return and_(*self._where) if self._where else None


def _same_from(a: FromClause, b: FromClause) -> bool:
    return a is b or (type(a) is type(b) and a.name == b.name and a.base_table() is b.base_table())


def _same_table(table: Any, f: FromClause) -> bool:
    return f.base_table() is table


def _column_of(f: FromClause, name: str) -> ColumnRef[Any]:
    if isinstance(f, Alias):
        return f.column(name)
    return f.columns_by_name[name].ref  # type: ignore[attr-defined, no-any-return]


class CompoundSelect(_Statement[T]):
    """``select UNION select ...`` (also UNION ALL, INTERSECT, EXCEPT)."""

    __visit_name__ = "compound"

    def __init__(self, op: str, selects: Sequence[Select[Any]]) -> None:
        widths = {len(s._columns) for s in selects}
        if len(widths) != 1:
            raise ValueError(f"{op}: every SELECT must have the same number of columns")
        self.op = op
        self.selects = tuple(selects)
        self._order_by = ()
        self._limit = None
        self._offset = None

    @property
    def _entities(self) -> tuple[Any, ...]:
        return self.selects[0]._entities

    @property
    def _columns(self) -> tuple[Expr[Any], ...]:
        return self.selects[0]._columns

    def column_names(self) -> list[str]:
        return self.selects[0].column_names()

    def types(self) -> list[SQLType]:
        return self.selects[0].types()

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("compound", self.op, *[s._key(binds) for s in self.selects], self._tail_key(binds))


def select(*entities: Any) -> Select[Any]:
    """A SELECT of models, columns or expressions (usable as subquery, or run through a
    session with ``session.execute``/``session.query``).

    Example: ``select(Album.id).where(Album.title.contains("Live"))``.
    """
    return Select(entities)
