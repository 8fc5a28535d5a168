"""CTEs, window functions and set operations on the Chinook data, on every backend.

The data is loaded into each backend through ormolu (as ``test_chinook_backends.py``
does); every answer must equal the one hand-written SQL gives on the bundled SQLite file
(read with the standard library's ``sqlite3``, money rounded to cents).
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ormolu import (
    ConfigurationError,
    Database,
    Session,
    func,
    literal,
    select,
    types,
)

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.chinook import BUNDLED_DB  # noqa: E402
from examples.chinook.load import load_chinook  # noqa: E402
from examples.chinook.models import Customer, Employee, Genre, Invoice, Track  # noqa: E402

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def raw() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{BUNDLED_DB.resolve()}?mode=ro", uri=True)
    yield conn
    conn.close()


def cents(value: Any) -> Any:
    return Decimal(str(round(value, 2))).quantize(CENT) if isinstance(value, float) else value


# -- the questions, in ormolu ---------------------------------------------------------------
def employee_tree(s: Session) -> list[tuple[int, str, int]]:
    """Walk ``Employee.reports_to`` from the top: (id, last name, depth), by depth."""
    depth0 = literal(0).cast(types.Integer()).label("depth")
    tree = (
        select(Employee.id, Employee.last_name, depth0)
        .where(Employee.reports_to.is_(None))
        .cte("tree", recursive=True)
    )
    tree = tree.union_all(
        select(Employee.id, Employee.last_name, (tree.c.depth + 1).label("depth")).join(
            tree, Employee.reports_to == tree.c.id
        )
    )
    return (
        s.query(tree.c.id, tree.c.last_name, tree.c.depth).order_by(tree.c.depth, tree.c.id).all()
    )


def longest_per_genre(s: Session) -> list[tuple[str | None, str, int, int]]:
    """The three longest tracks of each genre (ties share a rank): a window function in a
    CTE, filtered in the query that selects from it (top N per group)."""
    ranked = (
        select(
            Genre.name,
            Track.name.label("track"),
            Track.milliseconds,
            Track.id,
            func.rank()
            .over(partition_by=Track.genre_id, order_by=Track.milliseconds.desc())
            .label("r"),
        )
        .select_from(Track)
        .join(Genre)
        .cte("ranked")
    )
    return (
        s.query(ranked.c.name, ranked.c.track, ranked.c.milliseconds, ranked.c.r)
        .where(ranked.c.r <= 3)
        .order_by(ranked.c.name, ranked.c.r, ranked.c.id)
        .all()
    )


def running_totals(s: Session) -> list[tuple[int, int, Decimal, Decimal]]:
    """Each customer's invoices with the running total of what they spent."""
    running = func.sum(Invoice.total).over(
        partition_by=Invoice.customer_id,
        order_by=(Invoice.invoice_date, Invoice.id),
        rows=(None, 0),
    )
    return (
        s.query(Invoice.customer_id, Invoice.id, Invoice.total, running)
        .order_by(Invoice.customer_id, Invoice.invoice_date, Invoice.id)
        .all()
    )


def previous_invoice(s: Session) -> list[tuple[int, int, int | None]]:
    """For each invoice, the previous invoice of the same customer (lag)."""
    prev = func.lag(Invoice.id).over(
        partition_by=Invoice.customer_id, order_by=(Invoice.invoice_date, Invoice.id)
    )
    return (
        s.query(Invoice.customer_id, Invoice.id, prev)
        .where(Invoice.customer_id <= 3)
        .order_by(Invoice.customer_id, Invoice.invoice_date, Invoice.id)
        .all()
    )


def countries(s: Session, how: str) -> list[str | None]:
    """Countries of customers combined with those of employees (a set operation)."""
    customers = s.query(Customer.country)
    employees = s.query(Employee.country)
    return getattr(customers, how)(employees).order_by(Customer.country).all()  # type: ignore[no-any-return]


# -- the same questions, in hand-written SQL on the bundled file ------------------------------
EXPECTED_SQL = {
    "tree": """
        WITH RECURSIVE tree(id, last_name, depth) AS (
          SELECT EmployeeId, LastName, 0 FROM Employee WHERE ReportsTo IS NULL
          UNION ALL
          SELECT e.EmployeeId, e.LastName, t.depth + 1
          FROM Employee e JOIN tree t ON e.ReportsTo = t.id)
        SELECT id, last_name, depth FROM tree ORDER BY depth, id""",
    "genre": """
        SELECT name, track, ms, r FROM (
          SELECT g.Name AS name, t.Name AS track, t.Milliseconds AS ms, t.TrackId AS id,
                 RANK() OVER (PARTITION BY t.GenreId ORDER BY t.Milliseconds DESC) AS r
          FROM Track t JOIN Genre g ON g.GenreId = t.GenreId)
        WHERE r <= 3 ORDER BY name, r, id""",
    "running": """
        SELECT CustomerId, InvoiceId, Total,
               SUM(Total) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate, InvoiceId
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        FROM Invoice ORDER BY CustomerId, InvoiceDate, InvoiceId""",
    "lag": """
        SELECT CustomerId, InvoiceId,
               LAG(InvoiceId) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate, InvoiceId)
        FROM Invoice WHERE CustomerId <= 3 ORDER BY CustomerId, InvoiceDate, InvoiceId""",
    "union": "SELECT Country FROM Customer UNION SELECT Country FROM Employee ORDER BY 1",
    "union_all": "SELECT Country FROM Customer UNION ALL SELECT Country FROM Employee ORDER BY 1",
    "intersect": "SELECT Country FROM Customer INTERSECT SELECT Country FROM Employee ORDER BY 1",
    "except_": "SELECT Country FROM Customer EXCEPT SELECT Country FROM Employee ORDER BY 1",
}


def expected(raw: sqlite3.Connection, name: str) -> list[Any]:
    rows = raw.execute(EXPECTED_SQL[name]).fetchall()
    out = [tuple(cents(v) for v in r) for r in rows]
    return [r[0] for r in out] if len(rows[0]) == 1 else out


def test_analytics_match_hand_written_sql(db: Database, raw: sqlite3.Connection) -> None:
    load_chinook(db)
    with db.session() as s:
        tree = employee_tree(s)
        assert tree == expected(raw, "tree")
        assert [d for _, _, d in tree] == [0, 1, 1, 2, 2, 2, 2, 2]
        assert longest_per_genre(s) == expected(raw, "genre")
        totals = running_totals(s)
        assert totals == expected(raw, "running")
        assert all(type(r[3]) is Decimal for r in totals)
        assert previous_invoice(s) == expected(raw, "lag")
        # (text ordering follows each backend's collation: compared as sorted lists)
        for how in ("union", "union_all", "except_"):
            assert sorted(countries(s, how)) == sorted(expected(raw, how)), how  # type: ignore[type-var]
        if db.dialect.supports_intersect_except:
            assert sorted(countries(s, "intersect")) == sorted(expected(raw, "intersect"))  # type: ignore[type-var]
        if db.dialect.supports_set_op_all:
            # INTERSECT ALL keeps each value min(times on the left, times on the right)
            left = Counter(r[0] for r in raw.execute("SELECT Country FROM Customer"))
            right = Counter(r[0] for r in raw.execute("SELECT Country FROM Employee"))
            assert Counter(countries(s, "intersect_all")) == left & right
        else:
            with pytest.raises(ConfigurationError, match="INTERSECT ALL"):
                countries(s, "intersect_all")
