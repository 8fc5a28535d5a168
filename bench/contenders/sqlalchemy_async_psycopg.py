"""SQLAlchemy's ``AsyncSession`` (:mod:`.sqlalchemy_async`) on psycopg 3's
``AsyncConnection`` (``postgresql+psycopg`` with ``create_async_engine``); PostgreSQL
only (on SQLite both SQLAlchemy async contenders would be the same aiosqlite one).
"""

from __future__ import annotations

from . import sqlalchemy_async

LABEL = "SQLAlchemy async (psycopg)"
ASYNC = True
DISTS = {"sqlite": [], "postgresql": ["SQLAlchemy", "psycopg", "greenlet"], "mysql": []}


class Bench(sqlalchemy_async.Bench):
    """The same tests through ``postgresql+psycopg``."""

    schemes = {"postgresql": "postgresql+psycopg"}
