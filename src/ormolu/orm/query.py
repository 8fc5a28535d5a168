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
from ..sql.dml import Delete, Update
from ..sql.elements import ColumnRef, Expr, Ordering, coerce
from ..sql.functions import func
from ..sql.selectable import CompoundSelect, Select, Subquery, exists
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

    def options(self, *options: LoadOption) -> Self:
        """Loading strategies for relationships of the queried model:
        :func:`~ormolu.selectinload`, :func:`~ormolu.joinedload`,
        :func:`~ormolu.lazyload`, :func:`~ormolu.raiseload`.

        Example::

            s.query(Artist).options(selectinload(Artist.albums, Album.tracks)).all()
        """
        for o in options:
            if not isinstance(o, LoadOption):
                raise InvalidRequestError(
                    f"options() takes selectinload(...), joinedload(...), lazyload(...) or "
                    f"raiseload(...), got {o!r}"
                )
        return type(self)(self.session, self.stmt, self.mode, self._options + options)

    def _select(self, what: str) -> Select[Any]:
        if not isinstance(self.stmt, Select):
            raise InvalidRequestError(
                f"{what}() cannot follow union(); wrap it: query.subquery() and select from it"
            )
        return self.stmt

    # -- building (each returns a new Query) ----------------------------------------------
    def where(self, *conditions: Expr[Any] | bool) -> Self:
        """Add WHERE conditions (joined with AND)."""
        return self._with(self._select("where").where(*conditions))

    filter = where

    def filter_by(self, **values: Any) -> Self:
        """``filter_by(name="AC/DC")``: equality on the first entity's fields.

        Raises InvalidRequestError naming the model when a field does not exist.
        """
        stmt = self._select("filter_by")
        ent = next((e for e in stmt._entities if isinstance(e, EntityInfo)), None)
        if ent is not None:
            columns = {c.key: c for c in ent.columns}
            name = ent.mapper.name
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
            if col is None:
                raise InvalidRequestError(
                    f"{name} has no field {key!r} (fields: {', '.join(columns)})"
                )
            conds.append(col == value)
        return self.where(*conds)

    def join(
        self, target: Any, onclause: Expr[Any] | None = None, *, isouter: bool = False
    ) -> Self:
        """``JOIN target ON onclause`` (inferred from a single foreign key when omitted);
        ``target`` may be a relationship (``join(Album.artist)``, ``join(Playlist.tracks)``
        through its association table), which needs no ON condition."""
        return self._with(self._select("join").join(target, onclause, isouter=isouter))

    def outerjoin(self, target: Any, onclause: Expr[Any] | None = None) -> Self:
        """``LEFT OUTER JOIN``; entities of the outer side load as ``None`` when absent."""
        return self.join(target, onclause, isouter=True)

    def select_from(self, *froms: Any) -> Self:
        """Set the FROM list explicitly."""
        return self._with(self._select("select_from").select_from(*froms))

    def group_by(self, *exprs: Expr[Any]) -> Self:
        """GROUP BY terms."""
        return self._with(self._select("group_by").group_by(*exprs))

    def having(self, *conditions: Expr[Any]) -> Self:
        """HAVING conditions."""
        return self._with(self._select("having").having(*conditions))

    def order_by(self, *clauses: Expr[Any] | Ordering | None) -> Self:
        """ORDER BY terms; ``order_by(None)`` clears them."""
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

    def for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> Self:
        """Lock the selected rows (``FOR UPDATE``) where the backend has row locks."""
        return self._with(
            self._select("for_update").for_update(nowait=nowait, skip_locked=skip_locked)
        )

    def union(self, *others: QueryBuilder[Any]) -> Self:
        """``UNION`` with other queries of the same shape."""
        return self._with(self._select("union").union(*[o._select("union") for o in others]))

    def union_all(self, *others: QueryBuilder[Any]) -> Self:
        """``UNION ALL`` with other queries of the same shape."""
        return self._with(
            self._select("union_all").union_all(*[o._select("union") for o in others])
        )

    # -- as SQL ---------------------------------------------------------------------------
    @property
    def statement(self) -> Select[T] | CompoundSelect[T]:
        """The underlying SELECT statement."""
        return self.stmt

    def subquery(self, name: str = "anon") -> Subquery:
        """This query as a FROM item; its columns are ``.c.<name>``."""
        return self.stmt.subquery(name)

    def scalar_subquery(self) -> Expr[T]:
        """This one-column query as a value."""
        return self._select("scalar_subquery").scalar_subquery()

    def sql(self) -> tuple[str, list[Any]]:
        """The compiled SQL text and parameter list (as sent to the driver)."""
        compiled, params = compile_statement(self.session.dialect, self.stmt)
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
        if len(ents) != 1 or stmt._joins or stmt._group_by or stmt._limit is not None:
            raise InvalidRequestError(
                f"{what}() needs a query of exactly one model with WHERE conditions only"
            )
        return ents[0]

    def _update_statement(
        self, values: Mapping[Any, Any] | None, kw: dict[str, Any]
    ) -> tuple[Any, Update]:
        """The mapper and ``UPDATE ... SET ... WHERE <this query's conditions>``; values
        validated like assignments (before any SQL)."""
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
        return mapper, Update(mapper.table, sets, self._select("update").where_clause())

    def _delete_statement(self) -> tuple[Any, Delete]:
        """The mapper and ``DELETE FROM ... WHERE <this query's conditions>``."""
        mapper = self._target("delete").mapper
        return mapper, Delete(mapper.table, self._select("delete").where_clause())
