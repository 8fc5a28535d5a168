"""ormolu through its natural public API: ``session.add``/``commit``, ``insert_many``,
``query().where().all()``, ``get``, ``dicts()``, ``tuples()``, attribute assignment and
``delete`` + ``commit``.

Also the home of the two extra measurements of the report (:func:`stream_memory`,
:func:`compile_times`), which run in their own processes.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import datetime
from typing import Any

from ormolu import Database, Mapped, Model, field, select

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W
from . import ormolu_relations

LABEL = "ormolu"
DISTS = {"sqlite": ["ormolu"], "postgresql": ["ormolu", "psycopg"], "mysql": ["ormolu", "PyMySQL"]}


class Journal(Model, table="journal"):
    """The small-table model."""

    id: Mapped[int] = field(primary_key=True, default=None)
    timestamp: Mapped[datetime]
    level: Mapped[int] = field(index=True)
    text: Mapped[str] = field(max_length=255, index=True)


def open_database(cfg: DbConfig) -> Database:
    """A Database for ``cfg``; on SQLite with ``synchronous = NORMAL`` like everyone.

    ormolu has no per-connection setup hook, so the pragma is set on the pooled connection
    directly (with the driver's ``setup``, which runs a connect-time statement): a
    single-threaded program gets that connection back every time (``settings()`` checks
    it).
    """
    db = Database(cfg.url())
    if cfg.kind == "sqlite":
        conn = db.pool.acquire()
        # (setup() since the operation protocol; before it, execute(): --baseline runs both)
        (getattr(conn, "setup", None) or conn.execute)("PRAGMA synchronous = NORMAL")
        db.pool.release(conn)
    return db


class Bench:
    """ormolu's Session API."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.db = open_database(cfg)

    def insert_single(self, w: W) -> int:
        s = self.db.session()
        for ts, level, text in w.rows_a:
            s.add(Journal(timestamp=ts, level=level, text=text))
            s.commit()
        s.close()
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        with self.db.session() as s:
            for ts, level, text in w.rows_b:
                s.add(Journal(timestamp=ts, level=level, text=text))
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        with self.db.session() as s:
            return s.insert_many(
                Journal, [{"timestamp": ts, "level": lv, "text": tx} for ts, lv, tx in w.rows_c]
            )

    def filter_large(self, w: W) -> int:
        count = 0
        with self.db.session() as s:
            for level in LEVELS:
                count += len(s.query(Journal).where(Journal.level == level).all())
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        with self.db.session() as s:
            for level, offset in w.small:
                q = s.query(Journal).where(Journal.level == level)
                count += len(q.limit(SMALL_LIMIT).offset(offset).all())
        return count

    def get(self, w: W) -> int:
        count = 0
        with self.db.session() as s:
            for pk in w.get_ids:
                if s.get(Journal, pk) is not None:
                    count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        with self.db.session() as s:
            for level in LEVELS:
                count += len(s.query(Journal).where(Journal.level == level).dicts().all())
        return count

    def tuples(self, w: W) -> int:
        count = 0
        with self.db.session() as s:
            for level in LEVELS:
                count += len(s.query(Journal).where(Journal.level == level).tuples().all())
        return count

    def update_whole(self, w: W) -> int:
        lo, hi = w.update_whole_ids
        with self.db.session() as s:
            objs = s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
        return len(objs)

    def update_field(self, w: W) -> int:
        lo, hi = w.update_field_ids
        with self.db.session() as s:
            objs = s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                o.level = J_LEVEL
        return len(objs)

    def delete(self, w: W) -> int:
        lo, hi = w.delete_ids
        with self.db.session() as s:
            objs = s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                s.delete(o)
        return len(objs)

    def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        with self.db.session() as s:
            return {p: s.execute(f"PRAGMA {p}").scalar() for p in ("journal_mode", "synchronous")}

    def close(self) -> None:
        self.db.dispose()

    # -- relation tests (the models and queries are in ormolu_relations) ------------------
    def load_parents(self, w: W) -> int:
        return ormolu_relations.load_parents(self.db)

    def load_many_to_many(self, w: W) -> int:
        return ormolu_relations.load_many_to_many(self.db, w.many_to_many_ids)


# -- extra measurements -------------------------------------------------------------------
def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    """Current resident set size in MB (from /proc on Linux, else the peak)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return _peak_rss_mb()


def stream_memory(cfg: DbConfig, rows: int, how: str = "iterate") -> dict[str, Any]:
    """Iterate over the ``rows`` rows already in the table — ``for obj in
    session.query(Journal)`` (``how="iterate"``) or ``query.yield_per(1000)``
    (``"yield_per"``) — and return how much the process's memory grew during the
    iteration (peak RSS from ``getrusage``, and the current RSS sampled every 10,000 rows)
    and the time it took. (Plain iteration streams only where the dialect can stream while
    other statements run, ``concurrent_streaming``; on MySQL it is ``all()``.)"""
    db = open_database(cfg)
    with db.session() as s:
        s.query(Journal).limit(10).all()  # warm up: imports, compile cache, connection
        peak_before = _peak_rss_mb()
        before = highest = _current_rss_mb()
        started = time.perf_counter()
        seen = 0
        q = s.query(Journal)
        for obj in q if how == "iterate" else q.yield_per(1000):
            seen += 1
            if seen % 10_000 == 0:
                highest = max(highest, _current_rss_mb())
            if obj.id <= 0:
                raise AssertionError("bad row")
        elapsed = time.perf_counter() - started
        peak_after = _peak_rss_mb()
    db.dispose()
    return {
        "how": how,
        "rows": seen,
        "expected": rows,
        "rss_before_mb": round(before, 1),
        "rss_growth_mb": round(highest - before, 1),
        "peak_rss_growth_mb": round(peak_after - peak_before, 1),
        "seconds": round(elapsed, 3),
    }


def compile_times(cfg: DbConfig) -> dict[str, float]:
    """Cached compile time (µs) of the query shapes the workload uses and of a typical
    one, through ``ormolu.sql.compiler.measure_compile``."""
    from ormolu.sql.compiler import measure_compile

    db = open_database(cfg)
    shapes = {
        "filter by level (D, G, H)": select(Journal).where(Journal.level == 10),
        "filter + LIMIT/OFFSET (E)": select(Journal)
        .where(Journal.level == 10)
        .limit(SMALL_LIMIT)
        .offset(100),
        "get by primary key (F)": select(Journal).where(Journal.id == 42),
        "id range (I, J, K)": select(Journal).where(Journal.id >= 1, Journal.id <= 1000),
        "typical: filter + ORDER BY + LIMIT": select(Journal)
        .where(Journal.level >= 20, Journal.text.contains("cache"))
        .order_by(Journal.timestamp.desc())
        .limit(50),
    }
    # measure_compile averages 1,000 cached compiles; the best of 7 such runs filters out
    # the collector and other noise.
    out = {
        name: round(min(measure_compile(db.dialect, stmt) for _ in range(7)) * 1e6, 2)
        for name, stmt in shapes.items()
    }
    db.dispose()
    return out
