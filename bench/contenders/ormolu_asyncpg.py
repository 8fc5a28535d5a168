"""ormolu's asyncio front end on asyncpg: :mod:`.ormolu_async` exactly, with the URL
``postgresql+asyncpg://`` (ormolu's asyncpg driver, ``pip install 'ormolu[asyncpg]'``)
instead of ``postgresql://`` (psycopg's ``AsyncConnection``). PostgreSQL only."""

from __future__ import annotations

from ormolu import AsyncDatabase

from . import ormolu_async

LABEL = "ormolu async (asyncpg)"
ASYNC = True
DISTS = {"sqlite": [], "postgresql": ["ormolu", "asyncpg"], "mysql": []}


class Bench(ormolu_async.Bench):
    """:class:`.ormolu_async.Bench` on a ``postgresql+asyncpg://`` AsyncDatabase."""

    async def setup(self) -> None:
        self.db = AsyncDatabase(self.cfg.url("postgresql+asyncpg"))
