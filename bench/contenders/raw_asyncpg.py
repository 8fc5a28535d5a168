"""The second async floor on PostgreSQL: asyncpg, with the statements of :mod:`.raw_async`
in asyncpg's ``$n`` paramstyle: ``fetch`` for rows, ``fetchval`` for a key, ``execute``
for a statement whose result is not read, ``executemany`` (pipelined) for I-K. asyncpg
prepares and caches each statement on first use (its default), and its rows are
``Record`` objects (tuple-like: H keeps them as they are, as SQLAlchemy's ``Row``).
"""

from __future__ import annotations

from typing import Any

from . import raw_async

LABEL = "raw asyncpg"
ASYNC = True
DISTS = {"sqlite": [], "postgresql": ["asyncpg"], "mysql": []}


class Bench(raw_async.Bench):
    """raw_async's tests on an asyncpg connection (PostgreSQL only)."""

    def __init__(self, cfg: Any) -> None:
        if cfg.kind != "postgresql":
            raise ValueError("asyncpg is a PostgreSQL driver")
        super().__init__(cfg)

    def ph(self, i: int) -> str:
        return f"${i}"

    async def setup(self) -> None:
        import asyncpg

        cfg = self.cfg
        self.label = "raw asyncpg"
        self.conn = await asyncpg.connect(
            host=cfg.host, port=cfg.port, user=cfg.user, database=cfg.database
        )
        self._sql()

    async def _rows(self, sql: str, params: Any) -> list[Any]:
        return await self.conn.fetch(sql, *params)  # type: ignore[no-any-return]

    async def _exec(self, sql: str, params: Any = ()) -> None:
        await self.conn.execute(sql, *params)

    async def _key(self, sql: str, params: Any) -> int:
        return await self.conn.fetchval(sql, *params)  # type: ignore[no-any-return]

    async def _many(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        await self.conn.executemany(sql, params)

    async def settings(self) -> dict[str, Any]:
        return {}
