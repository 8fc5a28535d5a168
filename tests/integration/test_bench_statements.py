"""The concurrency benchmark's contender ``raw-async-ormolu-sql`` (``bench/
concurrency_requests.py``) claims to send exactly the statements ormolu sends for the
three requests, so that its distance from the plain raw contender is the cost of the SQL
itself and its distance from ormolu is ormolu's own. These tests hold it to that: the
SQL texts, in order, against what ``db.capture()`` records of ormolu's requests, and the
same responses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from asyncdb import async_url, run

from ormolu import AsyncDatabase, Database

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.concurrency_requests import Ormolu, RawOrmoluStatements  # noqa: E402
from examples.chinook.load import load_chinook  # noqa: E402

# The scenario is written for psycopg's parameter style and PostgreSQL's array form of
# IN (the ``= ANY(%s)`` ormolu sends for a list of keys).
pytestmark = [
    pytest.mark.requires("in_list_as_array"),
    pytest.mark.sync_only("compares the bench's raw SQL with what ormolu's async front end sends"),
]

REQUESTS: list[tuple[str, list[Any]]] = [
    ("invoice", [5]),
    ("genre_tracks", [3]),
    ("checkout", [7, [11, 12, 13, 14, 15]]),
]


class _Capturing:
    """psycopg's ``AsyncConnection.execute``, recording each statement's text."""

    def __init__(self, conn: Any, seen: list[str]) -> None:
        self._conn = conn
        self._seen = seen

    async def execute(self, sql: str, params: Any = None) -> Any:
        self._seen.append(sql)
        return await self._conn.execute(sql, params)


def test_the_raw_contender_sends_ormolus_statements_and_gives_its_responses(
    db: Database,
) -> None:
    load_chinook(db)
    url = async_url(db)
    if "+" in url.partition("://")[0]:
        pytest.skip("the raw contender runs on psycopg's AsyncConnection")

    async def main() -> None:
        orm = Ormolu()
        orm.db = AsyncDatabase(url, pool_size=1, max_overflow=0)
        raw = RawOrmoluStatements()
        u = db.url
        await raw.open({"host": u.host, "port": u.port or 5432, "user": u.user,
                        "dbname": u.database}, 1)  # fmt: skip
        conn = raw.queue.get_nowait()
        raw_seen: list[str] = []
        raw.queue.put_nowait(_Capturing(conn, raw_seen))
        try:
            for kind, args in REQUESTS:
                with orm.db.capture() as captured:
                    ours = await getattr(orm, kind)(*args)
                raw_seen.clear()
                theirs = await getattr(raw, kind)(*args)
                assert raw_seen == [sql for sql, _ in captured], kind
                if kind == "checkout":
                    # a new invoice each: its key differs, its total does not
                    assert theirs["invoice_id"] == ours["invoice_id"] + 1
                    assert theirs["total"] == ours["total"]
                else:
                    assert theirs == ours, kind
        finally:
            raw.queue.get_nowait()
            raw.queue.put_nowait(conn)
            await raw.close()
            await orm.db.close()

    run(main())
