"""ormolu's asyncio front end on its asyncpg driver (``postgresql+asyncpg://``): the same
code as :mod:`.ormolu_async`, the same models; only the URL's driver differs. PostgreSQL
only (``pip install 'ormolu[asyncpg]'``)."""

from __future__ import annotations

from . import ormolu_async

LABEL = "ormolu async (asyncpg)"
ASYNC = True
DISTS = {"postgresql": ["ormolu", "asyncpg"]}


class Bench(ormolu_async.Bench):
    """:class:`ormolu_async.Bench` with ``postgresql+asyncpg://``."""

    scheme = "postgresql+asyncpg"
