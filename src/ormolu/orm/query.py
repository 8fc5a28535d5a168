"""``Query``: a SELECT bound to a session, with typed results.

Builder methods (``where``, ``join``, ``order_by``...) return a new query; execution
methods (``all``, ``first``, ``one``, ``scalar``, ``count``, iteration) autoflush the
session, run the compiled statement and load rows through the cached row loader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..exceptions import InvalidRequestError, MultipleResultsFound, NoResultFound
from ..sql.compiler import compile_statement
from ..sql.cte import CTE
from ..sql.dml import Delete, Update
from ..sql.elements import ColumnRef, Expr, Ordering, coerce
from ..sql.functions import func
from ..sql.selectable import CompoundSelect, Select, Subquery, exists
from .loading import rows_converter
from .mapper import EntityInfo
from .state import without_gc
from .strategies import (
    LoadOption,
    LoadPlan,
    Node,
    ResultGroup,
    assemble_joined,
    build_plan,
    joined_select,
)

if TYPE_CHECKING:
    from typing import Self

    from ..session.session import Session

T = TypeVar("T")


class Query(Generic[T]):
    """A query over models/columns; see :meth:`ormolu.Session.query`.

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
        session: Session,
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
            columns = {c.key: c for c in ent.columns}
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

    def for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> Self:
        """Lock the selected rows (``FOR UPDATE``) where the backend has row locks."""
        return self._with(
            self._select("for_update").for_update(nowait=nowait, skip_locked=skip_locked)
        )

    def correlate(self, *froms: Any) -> Self:
        """For a query used as a subquery: the enclosing query's tables it refers to
        (``correlate(None)``: none); see :meth:`Select.correlate` for the automatic rule."""
        return self._with(self._select("correlate").correlate(*froms))

    def correlate_except(self, *froms: Any) -> Self:
        """Correlate automatically except the tables named (see :meth:`Select.correlate`)."""
        return self._with(self._select("correlate_except").correlate_except(*froms))

    def _compound(self, op: str, others: tuple[Query[Any], ...]) -> Self:
        stmts = [o._select(op) for o in others]
        return self._with(getattr(self._select(op), op)(*stmts))

    def union(self, *others: Query[Any]) -> Self:
        """``UNION`` with other queries of the same shape (duplicates removed)."""
        return self._compound("union", others)

    def union_all(self, *others: Query[Any]) -> Self:
        """``UNION ALL`` with other queries of the same shape."""
        return self._compound("union_all", others)

    def intersect(self, *others: Query[Any]) -> Self:
        """``INTERSECT``: rows every query returns."""
        return self._compound("intersect", others)

    def intersect_all(self, *others: Query[Any]) -> Self:
        """``INTERSECT ALL`` (ConfigurationError where the backend lacks it)."""
        return self._compound("intersect_all", others)

    def except_(self, *others: Query[Any]) -> Self:
        """``EXCEPT``: rows of this query that the others do not return."""
        return self._compound("except_", others)

    def except_all(self, *others: Query[Any]) -> Self:
        """``EXCEPT ALL`` (ConfigurationError where the backend lacks it)."""
        return self._compound("except_all", others)

    def dicts(self) -> Query[dict[str, Any]]:
        """Rows as ``dict``s keyed by column/label name, without building objects."""
        return cast("Query[dict[str, Any]]", self._with(self.stmt, "dicts"))

    def tuples(self) -> Query[tuple[Any, ...]]:
        """Rows as plain tuples of column values, without building objects."""
        return cast("Query[tuple[Any, ...]]", self._with(self.stmt, "tuples"))

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
        compiled, params = compile_statement(self.session.dialect, self.stmt)
        return compiled.sql, params

    def __str__(self) -> str:
        sql, params = self.sql()
        return f"{sql}\n-- parameters: {params!r}"

    # -- execution ------------------------------------------------------------------------
    def _plan(self) -> tuple[LoadPlan | None, ResultGroup | None]:
        """The relationship loading plan of an object query (None when nothing is to be
        loaded eagerly or forbidden) and the result group its objects join (None for a
        model without relationships, which needs none)."""
        if self.mode != "objects":
            return None, None
        ents = self.stmt._entities
        ent = ents[0] if len(ents) == 1 else None
        if not isinstance(ent, EntityInfo):
            if self._options:
                raise InvalidRequestError(
                    "loader options need a query of one model: query(Model).options(...)"
                )
            return None, None
        mapper = ent.mapper
        if not self._options and not mapper.eager_relationships:
            return None, (ResultGroup() if mapper.relationship_decls else None)
        plan = build_plan(mapper, self._options)
        return plan, ResultGroup(plan.strict, plan.raise_keys)

    def _run(self, stmt: Any = None, stream: int = 0, bulk: bool = False) -> tuple[Any, Any]:
        """Execute; return the cursor and the row loader (``bulk``: the loader of a whole
        list of rows)."""
        session = self.session
        session._check_open()
        session._autoflush()
        stmt = self.stmt if stmt is None else stmt
        compiled, params = compile_statement(session.dialect, stmt)
        if stream:
            cursor = session._stream(compiled, params, stream)
        else:
            cursor = session._execute_compiled(compiled, params)
        if bulk:
            ents = stmt._entities
            if self.mode != "objects":
                return cursor, rows_converter(compiled, ents, session.dialect, self.mode)
            # Objects: convert the values column by column first (as for tuples), then
            # build the objects from the converted rows.
            convert = rows_converter(compiled, ents, session.dialect, "tuples")
            load_all = session._loader(compiled, ents, "many")
            return cursor, lambda rows: load_all(convert(rows))
        load = session._loader(compiled, stmt._entities, self.mode)
        if self.mode == "dicts":
            keys = compiled.keys
            inner = load
            load = lambda row: dict(zip(keys, inner(row)))  # noqa: E731
        return cursor, load

    def _grouped(self, group: ResultGroup | None, load_all: Any, rows: list[Any]) -> list[Any]:
        """``load_all(rows)`` with new objects joining ``group`` (see ``_load_group``)."""
        if group is None:
            return load_all(rows)  # type: ignore[no-any-return]
        session = self.session
        prev, session._load_group = session._load_group, group
        try:
            return load_all(rows)  # type: ignore[no-any-return]
        finally:
            session._load_group = prev

    def _fetch(self, stmt: Any = None, limit: int | None = None) -> list[Any]:
        """Run an object query (``limit`` rows at most: 1 for first(), 2 for one()) and
        load the relationships its plan asks for."""
        if limit is not None:
            return self._fetch_objects(stmt, limit)
        # a whole result: the cyclic garbage collector is paused meanwhile (see without_gc)
        return without_gc(self._fetch_objects, stmt, limit)

    def _fetch_objects(self, stmt: Any, limit: int | None) -> list[Any]:
        plan, group = self._plan()
        base = self.stmt if stmt is None else stmt
        if plan is not None and any(n.strategy == "joined" for n in plan.nodes.values()):
            return self._fetch_joined(base, plan, group, limit)
        if limit is None:
            # The rows are converted all at once, column by column (see rows_converter).
            cursor, convert = self._run(base, bulk=True)
            objs = self._grouped(group, convert, cursor.fetchall())
        else:
            cursor, load = self._run(base)
            rows = cursor.fetchmany(limit)
            objs = self._grouped(group, lambda rs: [load(r) for r in rs], rows)
        if plan is not None and objs:
            self._load_nodes(objs, plan.nodes)
        return objs

    def _fetch_joined(
        self, base: Any, plan: LoadPlan, group: ResultGroup | None, limit: int | None
    ) -> list[Any]:
        mapper = self.stmt._entities[0].mapper
        stmt, steps, collection = joined_select(self._select("joinedload"), mapper, plan)
        if collection and (base._limit is not None or base._offset is not None):
            names = ", ".join(repr(s.node.rel.name) for s in steps if s.node.rel.uselist)
            raise InvalidRequestError(
                f"joinedload of a collection ({names}) cannot be combined with limit(), "
                f"offset() or first(): the join repeats each parent once per child; "
                f"use selectinload instead"
            )
        if base is not self.stmt:  # first(): the same limit on the joined statement
            stmt = stmt.limit(1) if base._limit is not None else stmt
        q: Query[Any] = Query(self.session, stmt, "objects")
        cursor, load = q._run(stmt)
        rows = self._grouped(group, lambda rs: [load(r) for r in rs], cursor.fetchall())
        parents = assemble_joined(rows, steps)
        if limit is not None and len(parents) > limit:
            parents = parents[:limit]
        # select-in nodes: at the top level, and below joined ones
        self._load_nodes(parents, {k: n for k, n in plan.nodes.items() if n.strategy != "joined"})
        for step in steps:
            below = {k: n for k, n in step.node.children.items() if n.strategy != "joined"}
            if below:
                children = [r[step.child_index] for r in rows if r[step.child_index] is not None]
                self._load_nodes(_unique(children), below)
        return parents

    def _load_nodes(self, objs: list[Any], nodes: dict[str, Node]) -> None:
        """Load the eager relationships ``nodes`` of already loaded ``objs`` with select-in
        queries (a joined node reached here, on objects already loaded, too); what lies
        below each node rides along as options of those queries."""
        session = self.session
        for node in nodes.values():
            if node.strategy in ("selectin", "joined"):
                session._load_relationship(node.rel, objs, node.children)

    def all(self) -> list[T]:
        """Every row."""
        if self.mode == "objects":
            return self._fetch()
        cursor, convert = self._run(bulk=True)
        return cast("list[T]", without_gc(lambda: convert(cursor.fetchall())))

    def __iter__(self) -> Iterator[T]:
        """Iterate over the rows, fetched 1,000 at a time (streamed from the server where
        other statements may run meanwhile; see :meth:`yield_per`)."""
        if self.session.dialect.concurrent_streaming:
            return self.yield_per(1000)
        return iter(self.all())

    def yield_per(self, size: int) -> Iterator[T]:
        """Iterate, fetching ``size`` rows at a time; objects no longer referenced by user
        code can be freed as iteration goes, so memory stays bounded. On PostgreSQL this
        uses a server-side cursor; on MySQL an unbuffered one (a statement run inside the
        loop, such as a lazy load, first reads the rest of the result into memory).
        Select-in eager loads run per chunk."""
        plan, group = self._plan()
        if plan is not None and any(n.strategy == "joined" for n in plan.nodes.values()):
            yield from self.all()
            return
        cursor, load = self._run(stream=size)
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                return
            if group is None:
                for r in rows:
                    yield load(r)
                continue
            group = ResultGroup(group.strict, group.raise_keys)  # a lazy load batches per chunk
            objs = self._grouped(group, lambda rs: [load(r) for r in rs], rows)
            if plan is not None:
                self._load_nodes(objs, plan.nodes)
            yield from objs

    def first(self) -> T | None:
        """The first row (LIMIT 1), or ``None``."""
        if self.mode == "objects":
            objs = self._fetch(self.stmt.limit(1), 1)
            return objs[0] if objs else None
        cursor, load = self._run(self.stmt.limit(1))
        row = cursor.fetchone()
        return None if row is None else load(row)

    def _at_most_two(self) -> list[Any]:
        if self.mode == "objects":
            return self._fetch(None, 2)
        cursor, load = self._run()
        return [load(r) for r in cursor.fetchmany(2)]

    def one_or_none(self) -> T | None:
        """The only row, or ``None``; MultipleResultsFound if there are several."""
        rows = self._at_most_two()
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected at most one row, got several: {self.sql()[0]}")
        return cast(T, rows[0]) if rows else None

    def one(self) -> T:
        """Exactly one row: NoResultFound for none, MultipleResultsFound for several."""
        rows = self._at_most_two()
        if not rows:
            raise NoResultFound(f"expected one row, got none: {self.sql()[0]}")
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected one row, got several: {self.sql()[0]}")
        return cast(T, rows[0])

    def scalar(self) -> T | None:
        """The first column of the first row, or ``None`` (for a query of one model, the
        first object, as :meth:`first`)."""
        if self.mode == "objects" and any(isinstance(e, EntityInfo) for e in self.stmt._entities):
            return self.first()
        session = self.session
        session._autoflush()
        compiled, params = compile_statement(session.dialect, self.stmt)
        row = session._execute_compiled(compiled, params).fetchone()
        if row is None:
            return None
        proc = session.dialect.result_processor(compiled.types[0]) if compiled.types else None
        return cast("T | None", row[0] if proc is None else proc(row[0]))

    def count(self) -> int:
        """The number of rows this query returns (``SELECT count(*) FROM (query)``)."""
        stmt: Select[Any] = Select((func.count(),)).select_from(
            self.stmt.order_by(None).subquery("counted")
        )
        counted: Query[int] = Query(self.session, stmt, "objects")
        return int(counted.scalar() or 0)

    def exists(self) -> bool:
        """Whether the query returns any row (``SELECT EXISTS (query)``)."""
        found: Query[bool] = Query(self.session, Select((exists(self._select("exists")),)))
        return bool(found.scalar())

    # -- bulk writes ----------------------------------------------------------------------
    def _target(self, what: str) -> Any:
        stmt = self._select(what)
        ents = [e for e in stmt._entities if isinstance(e, EntityInfo)]
        if len(ents) != 1 or stmt._group_by or stmt._limit is not None or stmt._distinct:
            raise InvalidRequestError(
                f"{what}() needs a query of exactly one model with WHERE conditions and joins only"
            )
        return ents[0]

    def update(self, values: Mapping[Any, Any] | None = None, **kw: Any) -> int:
        """``UPDATE ... SET ... WHERE <this query's conditions>``; returns the row count.
        A query with joins updates its model's rows that the joins and conditions select
        (rendered per backend, see :mod:`ormolu.sql.compile_dml`).

        ``values`` maps fields (``Track.unit_price`` or ``"unit_price"``) to values or
        expressions. Values are validated like assignments. Objects of the model in the
        session are expired, so they reload on next access.
        """
        ent = self._target("update")
        mapper = ent.mapper
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
        source = self._select("update")
        stmt = Update(mapper.table, sets, source.where_clause(), source)
        count = self._execute_write(stmt)
        self._expire_model(mapper)
        return count

    def delete(self) -> int:
        """``DELETE FROM ... WHERE <this query's conditions>``; returns the row count.
        Objects of the model in the session are expired (a deleted one raises
        ObjectDeletedError on next access)."""
        ent = self._target("delete")
        source = self._select("delete")
        stmt = Delete(ent.mapper.table, source.where_clause(), source)
        count = self._execute_write(stmt)
        self._expire_model(ent.mapper)
        return count

    def _execute_write(self, stmt: Any) -> int:
        session = self.session
        session._autoflush()
        compiled, params = compile_statement(session.dialect, stmt)
        cur = session._execute_compiled(compiled, params)
        session._levels[-1].has_writes = True
        return int(cur.rowcount)

    def _expire_model(self, mapper: Any) -> None:
        session = self.session
        for obj in list(session._identity_map.values()):
            if type(obj).__mapper__ is mapper:
                session.expire(obj)


def _unique(objs: list[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for o in objs:
        if id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out
