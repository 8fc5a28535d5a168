"""``Query``: a query of the sync front end — the shared builder plus terminals that run.

Every terminal is a short method: it builds the operation (:mod:`ormolu.core.reads`,
:mod:`ormolu.core.writes`) and has the session run it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from ..core import planning, reads, writes
from ..exceptions import MultipleResultsFound, NoResultFound
from ..orm.mapper import EntityInfo
from ..orm.query import QueryBuilder
from ..orm.strategies import ResultGroup

if TYPE_CHECKING:
    from .session import Session

T = TypeVar("T")


class Query(QueryBuilder[T]):
    """A query over models/columns, bound to a :class:`~ormolu.Session`; see
    :meth:`ormolu.Session.query`. Builder methods return a new query; the terminals
    (``all``, ``first``, ``one``, ``one_or_none``, ``scalar``, ``count``, ``exists``,
    iteration, ``update``, ``delete``) flush pending changes first (with autoflush) and run
    it.

    Example::

        long_tracks = (
            s.query(Track)
            .where(Track.milliseconds > 300_000, Track.name.contains("Live"))
            .order_by(Track.milliseconds.desc())
            .limit(10)
            .all()
        )  # list[Track]
    """

    __slots__ = ()
    session: Session

    def dicts(self) -> Query[dict[str, Any]]:
        """Rows as ``dict``s keyed by column/label name, without building objects."""
        return cast("Query[dict[str, Any]]", self._with(self.stmt, "dicts"))

    def tuples(self) -> Query[tuple[Any, ...]]:
        """Rows as plain tuples of column values, without building objects."""
        return cast("Query[tuple[Any, ...]]", self._with(self.stmt, "tuples"))

    def _fetch(self, stmt: Any = None, limit: int = 0) -> list[Any]:
        s = self.session
        return s._run(
            reads.fetch(
                s.state, self.stmt if stmt is None else stmt, self.mode, self._options, limit
            )
        )

    def all(self) -> list[T]:
        """Every row."""
        return self._fetch()

    def first(self) -> T | None:
        """The first row (LIMIT 1), or ``None``."""
        rows = self._fetch(self.stmt.limit(1), 1)
        return rows[0] if rows else None

    def one_or_none(self) -> T | None:
        """The only row, or ``None``; MultipleResultsFound if there are several."""
        rows = self._fetch(None, 2)
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected at most one row, got several: {self.sql()[0]}")
        return cast(T, rows[0]) if rows else None

    def one(self) -> T:
        """Exactly one row: NoResultFound for none, MultipleResultsFound for several."""
        rows = self._fetch(None, 2)
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
        return cast(
            "T | None", self.session._run(reads.fetch_scalar(self.session.state, self.stmt))
        )

    def count(self) -> int:
        """The number of rows this query returns (``SELECT count(*) FROM (query)``)."""
        value = self.session._run(reads.fetch_scalar(self.session.state, self._count_statement()))
        return int(value or 0)

    def exists(self) -> bool:
        """Whether the query returns any row (``SELECT EXISTS (query)``)."""
        return bool(
            self.session._run(reads.fetch_scalar(self.session.state, self._exists_statement()))
        )

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
        s = self.session
        state = s.state
        stmt, options, columns = planning.prepare(self.stmt, self._options)
        plans, group = planning.plan_for(stmt, self.mode, options)
        planning.check_columns(stmt, self._options, plans)
        if planning.joins(plans):
            yield from self.all()
            return
        handle, load, _ = s._run(reads.open_stream(state, stmt, self.mode, size))
        try:
            while True:
                rows = s._run(reads.fetch_chunk(state, handle, size))
                if not rows:
                    return
                if group is None:
                    for r in rows:
                        yield load(r)
                    continue
                group = ResultGroup(group.strict, group.raise_keys)  # lazy loads batch per chunk
                objs = reads._grouped(state, group, reads._load_each(load), rows)
                if plans:
                    s._run(planning.load_plans(state, plans, objs, columns))
                yield from objs
        finally:
            if not state.closed and s._conn is not None:
                s._run(reads.close_stream(handle))

    # -- the async front end's calls, refused with the right one -------------------------
    def __await__(self) -> NoReturn:
        raise TypeError(
            "a Query of a sync Session is not awaitable: call its terminals (query.all(), "
            ".first(), ...) without await — or use AsyncDatabase for 'await query.all()'"
        )

    def __aiter__(self) -> NoReturn:
        raise TypeError(
            "a Query of a sync Session is iterated with 'for row in query' (or "
            "query.yield_per(n)); 'async for' needs an AsyncSession's query.stream()"
        )

    def stream(self, size: int = 1000) -> NoReturn:
        """Refused: ``stream()`` is the async front end's; a sync query streams with
        :meth:`yield_per`."""
        raise TypeError(f"stream() is AsyncQuery's: a sync Query streams with yield_per({size})")

    # -- bulk writes ----------------------------------------------------------------------
    def update(self, values: Mapping[Any, Any] | None = None, **kw: Any) -> int:
        """``UPDATE ... SET ... WHERE <this query's conditions>``; returns the row count.

        ``values`` maps fields (``Track.unit_price`` or ``"unit_price"``) to values or
        expressions. Values are validated like assignments. Objects of the model in the
        session are expired, so they reload on next access.
        """
        mapper, stmt = self._update_statement(values, kw)
        return int(self.session._run(writes.bulk_write(self.session.state, mapper, stmt)))

    def delete(self) -> int:
        """``DELETE FROM ... WHERE <this query's conditions>``; returns the row count.
        Objects of the model in the session are expired (a deleted one raises
        ObjectDeletedError on next access)."""
        mapper, stmt = self._delete_statement()
        return int(self.session._run(writes.bulk_write(self.session.state, mapper, stmt)))
