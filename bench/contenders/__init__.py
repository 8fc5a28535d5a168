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
* ``close()``.

An asynchronous contender sets ``ASYNC = True``; its ``setup``, test methods, ``settings``
and ``close`` are coroutines, all run inside one ``asyncio.run``.
"""

from __future__ import annotations

# (key, module) in report order; the raw driver first: it is the reference.
CONTENDERS: tuple[tuple[str, str], ...] = (
    ("raw", "raw_driver"),
    ("ormolu", "ormolu_orm"),
    ("sqlalchemy-orm", "sqlalchemy_orm"),
    ("sqlalchemy-core", "sqlalchemy_core"),
    ("peewee", "peewee_orm"),
    ("django", "django_orm"),
    ("pony", "pony_orm"),
    ("tortoise", "tortoise_orm"),
)
MODULES = dict(CONTENDERS)

# The drivers each kind of database needs (in addition to a contender's own DISTS).
DRIVER_DISTS = {"sqlite": [], "postgresql": ["psycopg"], "mysql": ["PyMySQL"]}

SQLITE_PRAGMAS = ("journal_mode", "synchronous")
