"""FROM clauses and SELECT statements: tables, aliases, joins, subqueries, UNION.

A :class:`Select` is immutable: every builder method returns a new statement, so a base
query can be shared and refined. Entities in the column list may be expressions or any
object with an ``__ormolu_entity__()`` method (a model class or an alias of one), which
expands into that entity's columns; the ORM uses the same list to build objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ..exceptions import ArgumentError
from ..schema.types import BOOLEAN, INTEGER, SQLType
from . import coercions, joins
from .elements import (
    BindParam,
    ClauseElement,
    ColumnRef,
    Expr,
    Key,
    Label,
    Ordering,
    and_,
)

if TYPE_CHECKING:
    from typing import Self

    from .cte import CTE

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
    """Return the FROM object for a table, alias, subquery, model class or aliased model.

    Raises ArgumentError (a TypeError) for anything else."""
    if isinstance(target, FromClause):
        return target
    entity = getattr(target, "__ormolu_entity__", None)
    if entity is not None:
        return entity().source  # type: ignore[no-any-return]
    raise ArgumentError(
        f"cannot select from {target!r}: expected a model, an aliased() model, a subquery or a CTE"
    )


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
    """One ``[LEFT OUTER] JOIN target ON condition`` step of a SELECT, attached to the
    FROM item ``left`` (see :mod:`ormolu.sql.joins`)."""

    __slots__ = ("left", "onclause", "outer", "target")
    __visit_name__ = "join"

    def __init__(
        self, target: FromClause, onclause: Expr[Any], outer: bool, left: FromClause | None
    ) -> None:
        self.target, self.onclause, self.outer, self.left = target, onclause, outer, left

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        left = None if self.left is None else _name_key(self.left)
        return ("join", self.outer, self.target._from_key(binds), self.onclause._key(binds), left)


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

    def col(self, expr: Expr[T]) -> ColumnRef[T]:
        """The column of this subquery that selects ``expr`` (the same object passed to
        the inner query), typed like it: ``sq.col(Track.album_id)`` is a
        ``ColumnRef[int | None]`` where ``sq.c.album_id`` is ``ColumnRef[Any]``.

        Raises ArgumentError when the inner query does not select ``expr``."""
        return _column_for(self, self.select, expr)


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
    """``EXISTS (select)``; tables of the enclosing query are correlated as
    :meth:`Select.correlate` describes."""
    if not isinstance(select, Select):
        raise ArgumentError(f"exists() takes a select(...) or a query's statement, got {select!r}")
    return Exists(select)


def _name_key(f: FromClause) -> Key:
    """A FROM object's identity in a cache key, without its bound values."""
    return (type(f).__name__, f.name)


def _column_for(source: Any, select: Any, expr: Expr[T]) -> ColumnRef[T]:
    for name, col in zip(select.column_names(), select._columns):
        if col is expr or (isinstance(col, Label) and col.expr is expr):
            return source.c[name]  # type: ignore[no-any-return]
    raise ArgumentError(
        f"{getattr(source, 'name', '?')!r} does not select {coercions.shown(expr)}; its "
        f"columns are {', '.join(select.column_names())}"
    )


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
            raise ArgumentError(f"cannot select {e!r}: expected a model, a column or an expression")
    return tuple(raw), tuple(cols)


class _Statement(ClauseElement, Generic[T]):
    """Shared ORDER BY / LIMIT / OFFSET handling of SELECT and compound SELECT."""

    # Statements have no __slots__: they are built rarely and copied by their __dict__.
    _order_by: tuple[Ordering, ...]
    _limit: BindParam[int] | None
    _offset: BindParam[int] | None

    def _clone(self) -> Self:
        # what copy.copy does for a plain object (no __slots__, __copy__ or __reduce__
        # here), without its generic protocol: every builder method clones
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def order_by(self, *clauses: Expr[Any] | Ordering | None) -> Self:
        """Append ORDER BY terms (``Track.name``, ``Track.name.desc()``, ``.nulls_last()``).

        ``order_by(None)`` clears the ordering. A string or other non-expression raises
        ArgumentError (it would sort by a constant, that is not at all).
        """
        new = self._clone()
        if len(clauses) == 1 and clauses[0] is None:
            new._order_by = ()
            return new
        new._order_by = self._order_by + tuple(
            coercions.expect_ordering(c, "order_by()") for c in clauses
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

    def cte(self, name: str, *, recursive: bool = False) -> CTE:
        """This statement as a common table expression named ``name`` (``WITH name AS
        (...)``), usable as a FROM item; ``recursive=True`` starts a recursive one, to be
        completed with :meth:`CTE.union_all`. See :mod:`ormolu.sql.cte`."""
        from .cte import CTE

        return CTE(self, name, recursive)  # type: ignore[arg-type]


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
        self._for_update: tuple[bool, bool, bool] | None = None
        # None: automatic correlation; ("only", froms) / ("except", froms)
        self._correlate: tuple[str, tuple[FromClause, ...]] | None = None

    # -- building ------------------------------------------------------------------
    def where(self, *conditions: Expr[bool] | Expr[bool | None]) -> Self:
        """Add WHERE conditions, joined with AND.

        Raises ArgumentError for a Python ``bool``, a ``str`` or any other non-condition:
        use :func:`~ormolu.text` for raw SQL and :func:`~ormolu.true` for a constant."""
        new = self._clone()
        new._where = self._where + tuple(
            coercions.expect_condition(c, "where()") for c in conditions
        )
        return new

    filter = where

    def select_from(self, *froms: Any) -> Self:
        """Set the FROM list explicitly (tables, models, aliases, subqueries, CTEs)."""
        new = self._clone()
        new._from = self._from + tuple(resolve_from(f) for f in froms)
        return new

    def join(
        self, target: Any, onclause: Expr[Any] | None = None, *, isouter: bool = False
    ) -> Self:
        """``JOIN target ON onclause``. With no ``onclause`` the left side is the one FROM
        item linked to ``target`` by one foreign key; ``target`` may be a relationship
        (``join(Album.artist)``), whose condition is known. See :mod:`ormolu.sql.joins`
        for the rules.

        Raises :class:`~ormolu.exceptions.ArgumentError` when the left side is not
        determined (no or several candidates), when the ON condition names a table that
        does not precede the join, and when ``target`` is in the FROM clause already.
        """
        hook = getattr(target, "__ormolu_join__", None)
        if hook is not None and onclause is None:
            # a relationship attribute: its target (through its association table)
            new = self
            for item, on in hook():
                new = new.join(item, on, isouter=isouter)
            return new
        tgt = resolve_from(target)
        left: FromClause | None
        if onclause is None:
            on, left = joins.infer_onclause(self, tgt)
        else:
            on = coercions.expect_condition(onclause, "join()")
            left = joins.left_of_onclause(self, tgt, on)
        joins.check_new_target(self, tgt, left)
        new = self._clone()
        new._joins = (*self._joins, Join(tgt, on, isouter, left))
        return new

    def outerjoin(self, target: Any, onclause: Expr[Any] | None = None) -> Self:
        """``LEFT OUTER JOIN target ON onclause``."""
        return self.join(target, onclause, isouter=True)

    def group_by(self, *exprs: Expr[Any]) -> Self:
        """Add GROUP BY terms (ArgumentError for strings and other non-expressions)."""
        new = self._clone()
        new._group_by = self._group_by + tuple(
            coercions.expect_expression(e, "group_by()") for e in exprs
        )
        return new

    def having(self, *conditions: Expr[bool] | Expr[bool | None]) -> Self:
        """Add HAVING conditions, joined with AND (refused like :meth:`where`'s)."""
        new = self._clone()
        new._having = self._having + tuple(
            coercions.expect_condition(c, "having()") for c in conditions
        )
        return new

    def distinct(self, flag: bool = True) -> Self:
        """``SELECT DISTINCT``."""
        new = self._clone()
        new._distinct = flag
        return new

    def for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, read: bool = False
    ) -> Self:
        """``FOR UPDATE [NOWAIT | SKIP LOCKED]`` (ignored where the backend locks whole
        databases instead of rows, as SQLite does); ``read=True`` takes shared locks
        instead (``FOR SHARE``; MySQL/MariaDB ``LOCK IN SHARE MODE``), which other
        readers may share but writers wait for. A locking read sees the latest committed
        row even where plain reads see the transaction's snapshot (InnoDB)."""
        new = self._clone()
        new._for_update = (nowait, skip_locked, read)
        return new

    def correlate(self, *froms: Any) -> Self:
        """Say which tables of an enclosing query this subquery refers to.

        The rule without it (SQLAlchemy's auto-correlation): a SELECT used as a value or
        condition (``scalar_subquery()``, ``exists()``, ``in_()``) leaves out of its FROM
        clause every FROM item it shares with an enclosing query, so ``Track.album_id ==
        Album.id`` inside it refers to the outer album row. Two exceptions: a table the
        subquery joins (the left side of its JOIN) stays, and when *every* FROM item
        would be left out none is (``select(func.avg(Track.milliseconds))`` inside a
        query of tracks averages all tracks). A SELECT in a FROM clause (``subquery()``,
        a CTE) never correlates.

        ``correlate(Album)`` correlates exactly the tables named (the others stay in the
        subquery's FROM clause), ``correlate(None)`` none at all. Raises ArgumentError at
        compile time for a table the subquery joins.
        """
        new = self._clone()
        if len(froms) == 1 and froms[0] is None:
            new._correlate = ("only", ())
        else:
            new._correlate = ("only", tuple(resolve_from(f) for f in froms))
        return new

    def correlate_except(self, *froms: Any) -> Self:
        """Correlate automatically (see :meth:`correlate`), except the tables named:
        those stay in this subquery's FROM clause even when the enclosing query has
        them."""
        new = self._clone()
        new._correlate = ("except", tuple(resolve_from(f) for f in froms))
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
        """``self INTERSECT other ...`` (rows in every SELECT, duplicates removed)."""
        return CompoundSelect("INTERSECT", (self, *others))

    def intersect_all(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self INTERSECT ALL other ...`` (duplicates kept as often as in each side;
        ConfigurationError at compile time where the backend lacks it)."""
        return CompoundSelect("INTERSECT ALL", (self, *others))

    def except_(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self EXCEPT other ...`` (rows of this SELECT in none of the others)."""
        return CompoundSelect("EXCEPT", (self, *others))

    def except_all(self, *others: Select[Any]) -> CompoundSelect[T]:
        """``self EXCEPT ALL other ...`` (ConfigurationError at compile time where the
        backend lacks it)."""
        return CompoundSelect("EXCEPT ALL", (self, *others))

    # -- introspection -------------------------------------------------------------
    def froms(self) -> list[FromClause]:
        """The FROM items this statement starts from, in order (tables joined excluded):
        ``select_from()``'s, else the tables of the columns and WHERE conditions."""
        if self._from:
            out = list(self._from)
        else:
            out = []
            sources = [f for c in self._columns for f in c._froms()]
            sources += [f for w in self._where for f in w._froms()]
            for f in sources:
                if joins.index_of(out, f) < 0:
                    out.append(f)
        joined = [j.target for j in self._joins]
        return [f for f in out if joins.index_of(joined, f) < 0]

    def column_names(self) -> list[str]:
        names: list[str] = []
        for i, c in enumerate(self._columns):
            name = getattr(c, "key", None) or getattr(c, "name", None) or f"col_{i + 1}"
            names.append(name if name not in names else f"{name}_{i + 1}")
        return names

    def types(self) -> list[SQLType]:
        return [c.type for c in self._columns]

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        ents = tuple(
            e.cache_key if not isinstance(e, Expr) else e._key(binds) for e in self._entities
        )
        correlate = None
        if self._correlate is not None:
            kind, items = self._correlate
            correlate = (kind, tuple(_name_key(f) for f in items))
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
            correlate,
        )

    def where_clause(self) -> Expr[Any] | None:
        """All WHERE conditions joined with AND, or ``None``."""
        return and_(*self._where) if self._where else None


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
