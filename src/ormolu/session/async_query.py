"""``AsyncQuery``: a query of the async front end — the shared builder plus awaited
terminals (the operations of :mod:`ormolu.core.reads` and :mod:`ormolu.core.writes`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from ..core import planning, reads, writes
from ..exceptions import MultipleResultsFound, NoResultFound
from ..orm.query import QueryBuilder
from ..orm.strategies import ResultGroup

if TYPE_CHECKING:
    from .async_session import AsyncSession

T = TypeVar("T")


class AsyncQuery(QueryBuilder[T]):
    """A query bound to an :class:`~ormolu.AsyncSession`: built like :class:`~ormolu.Query`
    (no I/O), run with ``await q.all()``, ``await q.first()``, ``await q.one()``, ...,
    or streamed with ``async for row in q.stream()``.

    Example::

        tracks = await s.query(Track).where(Track.milliseconds > 300_000).all()
        async for track in s.query(Track).order_by(Track.id).stream(500):
            ...
    """

    __slots__ = ()
    session: AsyncSession

    def dicts(self) -> AsyncQuery[dict[str, Any]]:
        """Rows as ``dict``s keyed by column/label name, without building objects."""
        return cast("AsyncQuery[dict[str, Any]]", self._with(self.stmt, "dicts"))

    def tuples(self) -> AsyncQuery[tuple[Any, ...]]:
        """Rows as plain tuples of column values, without building objects."""
        return cast("AsyncQuery[tuple[Any, ...]]", self._with(self.stmt, "tuples"))

    async def _fetch(self, stmt: Any = None, limit: int = 0) -> list[Any]:
        s = self.session
        stmt = self.stmt if stmt is None else stmt
        return await s._run(reads.fetch(s.state, stmt, self.mode, self._options, limit))

    async def all(self) -> list[T]:
        """Every row."""
        return await self._fetch()

    async def first(self) -> T | None:
        """The first row (LIMIT 1), or ``None``."""
        rows = await self._fetch(self.stmt.limit(1), 1)
        return rows[0] if rows else None

    async def one_or_none(self) -> T | None:
        """The only row, or ``None``; MultipleResultsFound if there are several."""
        rows = await self._fetch(None, 2)
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected at most one row, got several: {self.sql()[0]}")
        return cast(T, rows[0]) if rows else None

    async def one(self) -> T:
        """Exactly one row: NoResultFound for none, MultipleResultsFound for several."""
        rows = await self._fetch(None, 2)
        if not rows:
            raise NoResultFound(f"expected one row, got none: {self.sql()[0]}")
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected one row, got several: {self.sql()[0]}")
        return cast(T, rows[0])

    async def scalar(self) -> Any:
        """The first column of the first row, or ``None``."""
        return await self.session._run(reads.fetch_scalar(self.session.state, self.stmt))

    async def count(self) -> int:
        """The number of rows this query returns."""
        stmt = self._count_statement()
        return int(await self.session._run(reads.fetch_scalar(self.session.state, stmt)) or 0)

    async def exists(self) -> bool:
        """Whether the query returns any row."""
        stmt = self._exists_statement()
        return bool(await self.session._run(reads.fetch_scalar(self.session.state, stmt)))

    async def stream(self, size: int = 1000) -> AsyncIterator[T]:
        """Rows fetched ``size`` at a time from a server-side cursor (constant memory);
        select-in eager loads run per chunk. Leave the loop early with ``break`` inside
        ``async with contextlib.aclosing(q.stream()) as rows:`` to close the cursor at once.
        """
        s = self.session
        state = s.state
        stmt, options, columns = planning.prepare(self.stmt, self._options)
        plans, group = planning.plan_for(stmt, self.mode, options)
        planning.check_columns(stmt, self._options, plans)
        if planning.joins(plans):
            for row in await self.all():
                yield row
            return
        handle, load, _ = await s._run(reads.open_stream(state, stmt, self.mode, size))
        try:
            while True:
                rows = await s._run(reads.fetch_chunk(state, handle, size))
                if not rows:
                    return
                if group is None:
                    for r in rows:
                        yield load(r)
                    continue
                group = ResultGroup(group.strict, group.raise_keys)
                objs = reads._grouped(state, group, reads._load_each(load), rows)
                if plans:
                    await s._run(planning.load_plans(state, plans, objs, columns))
                for o in objs:
                    yield o
        finally:
            if not state.closed and s._conn is not None:
                await s._run(reads.close_stream(handle))

    def yield_per(self, size: int) -> NoReturn:
        """Refused: ``yield_per()`` is the sync front end's; an async query streams with
        ``async for row in query.stream(size)``."""
        raise TypeError(
            f"yield_per() is the sync Query's: an AsyncQuery streams with "
            f"'async for row in query.stream({size})'"
        )

    if not TYPE_CHECKING:  # (hidden from type checkers, so that they reject a plain for)

        def __iter__(self) -> NoReturn:
            raise TypeError(
                "an AsyncQuery is not iterable: use 'async for row in query.stream()' or "
                "'await query.all()'"
            )

    # -- bulk writes ----------------------------------------------------------------------
    async def update(self, values: Mapping[Any, Any] | None = None, **kw: Any) -> int:
        """``UPDATE ... WHERE <this query's conditions>`` (see :meth:`Query.update`)."""
        mapper, stmt = self._update_statement(values, kw)
        return int(await self.session._run(writes.bulk_write(self.session.state, mapper, stmt)))

    async def delete(self) -> int:
        """``DELETE ... WHERE <this query's conditions>`` (see :meth:`Query.delete`)."""
        mapper, stmt = self._delete_statement()
        return int(await self.session._run(writes.bulk_write(self.session.state, mapper, stmt)))
