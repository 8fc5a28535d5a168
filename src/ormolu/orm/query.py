"""``QueryBuilder``: the building half of a query — a SELECT bound to a session.

Builder methods (``where``, ``join``, ``order_by``...) return a new query of the same
class and never touch the database. The front ends add the terminals that run it: the
sync :class:`ormolu.Query` (``session/query.py``), whose ``all()`` returns the rows, and
the async one, whose ``all()`` is awaited. Both share everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..exceptions import InvalidRequestError
from ..sql.compiler import compile_statement
from ..sql.cte import CTE
from ..sql.dml import Delete, Update
from ..sql.elements import ColumnRef, Expr, Ordering, coerce
from ..sql.functions import func
from ..sql.selectable import CompoundSelect, Select, Subquery, exists
from .columns import ColumnOption, column_plan, with_columns
from .mapper import EntityInfo
from .strategies import (
    LoadOption,
)

if TYPE_CHECKING:
    from typing import Self

T = TypeVar("T")


class QueryBuilder(Generic[T]):
    """The builder methods of a query over models/columns; see :meth:`ormolu.Session.query`.

    Example::

        long_tracks = (
            s.query(Track)
            .where(Track.milliseconds > 300_000, Track.name.contains("Live"))
            .order_by(Track.milliseconds.desc())
            .limit(10)
            .all()
        )  # list[Track]
    """

    __slots__ = ("_options", "mode", "session", "stmt")

    def __init__(
        self,
        session: Any,
        stmt: Select[Any] | CompoundSelect[Any],
        mode: str = "objects",
        options: tuple[Any, ...] = (),
    ) -> None:
        self.session = session
        self.stmt = stmt
        self.mode = mode
        self._options = options

    def _with(self, stmt: Any, mode: str | None = None) -> Self:
        return type(self)(self.session, stmt, mode or self.mode, self._options)

    def options(self, *options: LoadOption | ColumnOption) -> Self:
        """Loading strategies for relationships of the queried models
        (:func:`~ormolu.selectinload`, :func:`~ormolu.joinedload`,
        :func:`~ormolu.lazyload`, :func:`~ormolu.raiseload`; each applies to every model
        entity of the query it starts at) and the fields to load
        (:func:`~ormolu.load_only`, :func:`~ormolu.defer`, :func:`~ormolu.undefer`;
        for every object of that model the query loads, its relationship loads too).

        Raises InvalidRequestError for anything else (when the query runs: for an option
        that names no model the query loads).

        Example::

            s.query(Artist).options(selectinload(Artist.albums, Album.tracks)).all()
            s.query(Article).options(load_only(Article.title)).all()
        """
        for o in options:
            if not isinstance(o, LoadOption | ColumnOption):
                raise InvalidRequestError(
                    f"options() takes selectinload(...), joinedload(...), lazyload(...), "
                    f"raiseload(...), load_only(...), defer(...) or undefer(...), got {o!r}"
                )
        return type(self)(self.session, self.stmt, self.mode, self._options + options)

    def _select(self, what: str) -> Select[Any]:
        if not isinstance(self.stmt, Select):
            raise InvalidRequestError(
                f"{what}() cannot follow union(); wrap it: query.subquery() and select from it"
            )
        return self.stmt

    # -- building (each returns a new Query) ----------------------------------------------
    def where(self, *conditions: Expr[bool] | Expr[bool | None]) -> Self:
        """Add WHERE conditions (joined with AND).

        Raises :class:`~ormolu.exceptions.ArgumentError` for a Python ``bool``, a ``str``
        or anything else that is not an SQL condition (see :meth:`Select.where`)."""
        return self._with(self._select("where").where(*conditions))

    filter = where

    def filter_by(self, **values: Any) -> Self:
        """``filter_by(name="AC/DC", artist=acdc)``: equality on the first entity's fields
        and relationships (a relationship compares with an object, or ``None``, like
        ``Album.artist == acdc``). Values are checked like any comparison's.

        Raises InvalidRequestError naming the model when a name does not exist."""
        stmt = self._select("filter_by")
        ent = next((e for e in stmt._entities if isinstance(e, EntityInfo)), None)
        rels: dict[str, Any] = {}
        if ent is not None:
            columns = ent.all_columns()  # (deferred fields filter too)
            name = ent.mapper.name
            if ent.source is ent.mapper.table:  # (an alias has no relationship attributes)
                rels = {k: getattr(ent.mapper.cls, k) for k in ent.mapper.relationship_decls}
        else:  # a query of columns: the fields of the first column's table
            first = next((c for c in stmt._columns if isinstance(c, ColumnRef)), None)
            table = getattr(first, "source", None)
            if first is None or not hasattr(table, "columns_by_key"):
                raise InvalidRequestError("filter_by() needs a model or a column of one")
            columns = {k: c.ref for k, c in table.columns_by_key.items()}  # type: ignore[union-attr]
            name = table.name  # type: ignore[union-attr]
        conds = []
        for key, value in values.items():
            col = columns.get(key)
            if col is not None:
                conds.append(col.is_(None) if value is None else col == value)
            elif key in rels:
                conds.append(rels[key] == value)
            else:
                raise InvalidRequestError(
                    f"{name} has no field {key!r} (fields: {', '.join([*columns, *rels])})"
                )
        return self.where(*conds)

    def join(
        self, target: Any, onclause: Expr[Any] | None = None, *, isouter: bool = False
    ) -> Self:
        """``JOIN target ON onclause``; ``target`` may be a relationship
        (``join(Album.artist)``, ``join(Playlist.tracks)`` through its association table),
        which needs no ON condition. Without one the left side is the single FROM item a
        foreign key links to ``target``; see :meth:`Select.join` for the rules and the
        ArgumentError raised when they do not determine it."""
        return self._with(self._select("join").join(target, onclause, isouter=isouter))

    def outerjoin(self, target: Any, onclause: Expr[Any] | None = None) -> Self:
        """``LEFT OUTER JOIN``; entities of the outer side load as ``None`` when absent."""
        return self.join(target, onclause, isouter=True)

    def select_from(self, *froms: Any) -> Self:
        """Set the FROM list explicitly (models, aliases, subqueries, CTEs)."""
        return self._with(self._select("select_from").select_from(*froms))

    def group_by(self, *exprs: Expr[Any]) -> Self:
        """GROUP BY terms (ArgumentError for strings and other non-expressions)."""
        return self._with(self._select("group_by").group_by(*exprs))

    def having(self, *conditions: Expr[bool] | Expr[bool | None]) -> Self:
        """HAVING conditions (refused like :meth:`where`'s)."""
        return self._with(self._select("having").having(*conditions))

    def order_by(self, *clauses: Expr[Any] | Ordering | None) -> Self:
        """ORDER BY terms; ``order_by(None)`` clears them (ArgumentError for strings)."""
        return self._with(self.stmt.order_by(*clauses))

    def limit(self, n: int | None) -> Self:
        """At most ``n`` rows."""
        return self._with(self.stmt.limit(n))

    def offset(self, n: int | None) -> Self:
        """Skip ``n`` rows."""
        return self._with(self.stmt.offset(n))

    def distinct(self, flag: bool = True) -> Self:
        """SELECT DISTINCT."""
        return self._with(self._select("distinct").distinct(flag))

    def for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, read: bool = False
    ) -> Self:
        """Lock the selected rows (``FOR UPDATE``) where the backend has row locks;
        ``read=True`` takes shared locks (``FOR SHARE``, see :meth:`Select.for_update`)."""
        stmt = self._select("for_update")
        return self._with(stmt.for_update(nowait=nowait, skip_locked=skip_locked, read=read))

    def correlate(self, *froms: Any) -> Self:
        """For a query used as a subquery: the enclosing query's tables it refers to
        (``correlate(None)``: none); see :meth:`Select.correlate` for the automatic rule."""
        return self._with(self._select("correlate").correlate(*froms))

    def correlate_except(self, *froms: Any) -> Self:
        """Correlate automatically except the tables named (see :meth:`Select.correlate`)."""
        return self._with(self._select("correlate_except").correlate_except(*froms))

    def _compound(self, op: str, others: tuple[QueryBuilder[Any], ...]) -> Self:
        stmts = [o._select(op) for o in others]
        return self._with(getattr(self._select(op), op)(*stmts))

    def union(self, *others: QueryBuilder[Any]) -> Self:
        """``UNION`` with other queries of the same shape (duplicates removed)."""
        return self._compound("union", others)

    def union_all(self, *others: QueryBuilder[Any]) -> Self:
        """``UNION ALL`` with other queries of the same shape."""
        return self._compound("union_all", others)

    def intersect(self, *others: QueryBuilder[Any]) -> Self:
        """``INTERSECT``: rows every query returns."""
        return self._compound("intersect", others)

    def intersect_all(self, *others: QueryBuilder[Any]) -> Self:
        """``INTERSECT ALL`` (ConfigurationError where the backend lacks it)."""
        return self._compound("intersect_all", others)

    def except_(self, *others: QueryBuilder[Any]) -> Self:
        """``EXCEPT``: rows of this query that the others do not return."""
        return self._compound("except_", others)

    def except_all(self, *others: QueryBuilder[Any]) -> Self:
        """``EXCEPT ALL`` (ConfigurationError where the backend lacks it)."""
        return self._compound("except_all", others)

    # -- as SQL ---------------------------------------------------------------------------
    @property
    def statement(self) -> Select[T] | CompoundSelect[T]:
        """The underlying SELECT statement."""
        return self.stmt

    def subquery(self, name: str = "anon") -> Subquery:
        """This query as a FROM item; its columns are ``.c.<name>``."""
        return self.stmt.subquery(name)

    def cte(self, name: str, *, recursive: bool = False) -> CTE:
        """This query as a common table expression named ``name`` (``WITH name AS
        (...)``), to select from or join in other queries; ``recursive=True`` starts a
        recursive one (complete it with ``.union_all(select(...))``). See
        :mod:`ormolu.sql.cte`."""
        return self.stmt.cte(name, recursive=recursive)

    def scalar_subquery(self) -> Expr[T]:
        """This one-column query as a value."""
        return self._select("scalar_subquery").scalar_subquery()

    def sql(self) -> tuple[str, list[Any]]:
        """The compiled SQL text and parameter list (as sent to the driver)."""
        stmt = self.stmt
        colopts = [o for o in self._options if isinstance(o, ColumnOption)]
        if colopts and isinstance(stmt, Select):  # (the fields the query will load)
            stmt = with_columns(stmt, column_plan(colopts))
        compiled, params = compile_statement(self.session.dialect, stmt)
        return compiled.sql, params

    def __str__(self) -> str:
        sql, params = self.sql()
        return f"{sql}\n-- parameters: {params!r}"

    # -- statements the terminals run (shared by the sync and async front ends) ---------
    def _count_statement(self) -> Select[Any]:
        """``SELECT count(*) FROM (query)``."""
        return Select((func.count(),)).select_from(self.stmt.order_by(None).subquery("counted"))

    def _exists_statement(self) -> Select[Any]:
        """``SELECT EXISTS (query)``."""
        return Select((exists(self._select("exists")),))

    def _target(self, what: str) -> Any:
        stmt = self._select(what)
        ents = [e for e in stmt._entities if isinstance(e, EntityInfo)]
        if len(ents) != 1 or stmt._group_by or stmt._limit is not None or stmt._distinct:
            raise InvalidRequestError(
                f"{what}() needs a query of exactly one model with WHERE conditions and joins only"
            )
        return ents[0]

    def _update_statement(
        self, values: Mapping[Any, Any] | None, kw: dict[str, Any]
    ) -> tuple[Any, Update]:
        """The mapper and ``UPDATE ... SET ... WHERE <this query's conditions>``; values
        validated like assignments (before any SQL). A query with joins updates its
        model's rows that the joins and conditions select (rendered per backend, see
        :mod:`ormolu.sql.compile_dml`)."""
        mapper = self._target("update").mapper
        items = {**(values or {}), **kw}
        if not items:
            raise InvalidRequestError("update() needs values")
        sets = []
        for k, v in items.items():
            key = k.key if isinstance(k, ColumnRef) else k
            spec = mapper.fields.get(key)
            if spec is None:
                raise InvalidRequestError(f"{mapper.name} has no field {key!r}")
            if not isinstance(v, Expr):
                v = spec.validate(v)
            sets.append((spec.column.ref, coerce(v, spec.type)))
        source = self._select("update")  # its joins make a multi-table UPDATE
        return mapper, Update(mapper.table, sets, source.where_clause(), source)

    def _delete_statement(self) -> tuple[Any, Delete]:
        """The mapper and ``DELETE FROM ... WHERE <this query's conditions>``."""
        mapper = self._target("delete").mapper
        source = self._select("delete")
        return mapper, Delete(mapper.table, source.where_clause(), source)
