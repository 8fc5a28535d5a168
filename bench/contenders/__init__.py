"""The contenders: one module each, all with the same interface.

A contender module defines ``LABEL`` (its column title), ``DISTS`` (per database kind, the
distributions it needs, whose versions the report shows) and a class ``Bench``:

* ``Bench(cfg)`` connects and maps the ``journal`` table (not timed);
* one method per test — ``insert_single``, ``insert_batch``, ``bulk_insert``,
  ``filter_large``, ``filter_small``, ``get``, ``dicts``, ``tuples``, ``update_whole``,
  ``update_field``, ``delete`` — taking the :class:`~bench.workload.Workload` and returning
  the number of rows it handled (timed);
* the relation tests, same signature, read-only, on tables the harness filled beforehand
  (``author``, ``book``, ``tag``, ``book_tag``; see ``bench/dbsetup.py``), each in the
  library's idiomatic *eager* style (select-in / prefetch, no lazy loading per parent):
  ``load_parents`` (L: every author with its books; touch every book; return authors +
  books) and ``load_many_to_many`` (M: the books with ids in ``w.many_to_many_ids`` with
  their tags; touch every tag; return books + book-tag links). A contender that cannot
  run one of them leaves the method out or names the reason in a ``not_available``
  attribute (``{"M": "why"}``): that test is reported as n/a with the reason;
* ``settings()`` returns the SQLite pragmas in force on its connection (``{}`` elsewhere),
  so the report can show that everyone ran with the same settings;
* ``close()``;
* optionally ``server_statements()``: the server's own count of statements received on
  the contender's connection (the raw driver's MariaDB ``Questions``), which the counting
  run records beside the proxy's count as a cross-check.

A contender connects with the host, port and path of the ``DbConfig`` it is given and
nothing else: the counting run hands it a proxy's port (servers) or counts through
``sqlite3.connect`` (SQLite), so it needs no hook to be counted (``bench/counting.py``).

An asynchronous contender sets ``ASYNC = True``; ``Bench(cfg)`` only stores the config,
and its ``setup``, test methods, ``settings`` and ``close`` are coroutines, all run inside
one ``asyncio.run`` by the worker's async loop, which does the same bookkeeping (timing,
statement counts, memory) as the sync one: Tortoise, Piccolo, ormolu's and SQLAlchemy's
``AsyncSession`` and the async floors (``raw-async``, ``raw-asyncpg``).

Two suites share the harness (``--suite``): ``sync`` (the default: the raw driver is 1.00)
and ``async`` (:data:`ASYNC_SUITE`: psycopg's ``AsyncConnection`` / aiosqlite is 1.00, and
the sync raw driver and ormolu run beside it so the report can show what async costs).
"""

from __future__ import annotations

# (key, module) in report order; the raw driver first: it is the reference.
CONTENDERS: tuple[tuple[str, str], ...] = (
    ("raw", "raw_driver"),
    ("raw-per-row", "raw_per_row"),
    ("ormolu", "ormolu_orm"),
    # the same contender on another checkout of ormolu (``--baseline DIR``): the before of
    # a before/after in one run; never run otherwise
    ("ormolu-base", "ormolu_orm"),
    ("sqlalchemy-orm", "sqlalchemy_orm"),
    ("sqlalchemy-core", "sqlalchemy_core"),
    ("peewee", "peewee_orm"),
    ("django", "django_orm"),
    ("pony", "pony_orm"),
    ("tortoise", "tortoise_orm"),
    # the async suite's own contenders (--suite async)
    ("raw-async", "raw_async"),
    ("raw-asyncpg", "raw_asyncpg"),
    ("ormolu-async", "ormolu_async"),
    ("ormolu-asyncpg", "ormolu_asyncpg"),
    ("sqlalchemy-async", "sqlalchemy_async"),
    ("sqlalchemy-async-psycopg", "sqlalchemy_async_psycopg"),
    ("piccolo", "piccolo_orm"),
)
MODULES = dict(CONTENDERS)
# The sync suite: the classic comparison (every sync peer, and Tortoise).
SYNC_SUITE = (
    "raw", "raw-per-row", "ormolu", "ormolu-base", "sqlalchemy-orm", "sqlalchemy-core",
    "peewee", "django", "pony", "tortoise",
)  # fmt: skip
# The async suite, in report order: its floors, ormolu async, the async peers, then the
# sync raw driver and sync ormolu (not peers: the overhead table compares each async
# contender with its sync twin on the same backend).
ASYNC_SUITE = (
    "raw-async", "raw-asyncpg", "ormolu-async", "ormolu-asyncpg", "sqlalchemy-async",
    "sqlalchemy-async-psycopg", "tortoise", "piccolo", "raw", "ormolu",
)  # fmt: skip
ASYNC_FLOORS = ("raw-async", "raw-asyncpg")
# Contenders that exist on some backends only (asyncpg is PostgreSQL's; on SQLite both
# SQLAlchemy async contenders would be the same aiosqlite one).
ONLY_ON = {
    "raw-asyncpg": ("postgresql",),
    "ormolu-asyncpg": ("postgresql",),
    "sqlalchemy-async-psycopg": ("postgresql",),
}
# The async suite runs on these backends (its floors are written for them).
ASYNC_DBS = ("sqlite", "postgresql")
# The floors: the raw driver (the reference, 1.00) and its statement-per-row variant. Both
# run in every benchmark; neither is a "peer".
FLOORS = ("raw", "raw-per-row")

# The drivers each kind of database needs (in addition to a contender's own DISTS).
DRIVER_DISTS = {"sqlite": [], "postgresql": ["psycopg"], "mysql": ["PyMySQL"]}

SQLITE_PRAGMAS = ("journal_mode", "synchronous")
