"""The Chinook demo against the real Chinook database.

Every question of ``examples/chinook/questions.py`` is answered a second time with
hand-written SQL through the standard library's ``sqlite3`` module, and the two answers
must be equal (money compared as ``Decimal`` rounded to cents). The transactional write,
the refused write, the demo program and the untouched bundled file are tested as well.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ormolu import Database, ForeignKeyViolation, IntegrityError, NoResultFound, Session

ROOT = Path(__file__).resolve().parents[2]
# The examples are not an installed package: import them from the repository root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.chinook import BUNDLED_DB  # noqa: E402
from examples.chinook import questions as q  # noqa: E402
from examples.chinook.models import (  # noqa: E402
    ALL_MODELS,
    Artist,
    Employee,
    Invoice,
    InvoiceLine,
    PlaylistTrack,
)
from examples.chinook.write import (  # noqa: E402
    UNKNOWN_TRACK_ID,
    LineItem,
    create_invoice,
    write_invoice,
    write_invoice_unknown_track,
)

BUNDLED_SHA256 = "7651ba378ac2fcd0dfc3c66fb101f7a7eed3ba39a612ec642b96e20702061f15"
CENT = Decimal("0.01")


def money(value: float | None) -> Decimal | None:
    """A float money value from ``sqlite3`` as a Decimal in cents."""
    if value is None:
        return None
    return Decimal(str(round(value, 2))).quantize(CENT)


def copy_db(directory: Path) -> Path:
    """A writable copy of the bundled database in ``directory``."""
    target = directory / "chinook.db"
    shutil.copyfile(BUNDLED_DB, target)  # copyfile: the bundled file's mode is read-only
    return target


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy shared by the read-only question tests."""
    return copy_db(tmp_path_factory.mktemp("chinook"))


@pytest.fixture(scope="module")
def db(db_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{db_path}")
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture(scope="module")
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    yield conn
    conn.close()


@pytest.fixture
def fresh_path(tmp_path: Path) -> Path:
    """A copy of its own for a test that writes."""
    return copy_db(tmp_path)


@pytest.fixture
def fresh_db(fresh_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{fresh_path}")
    yield database
    database.dispose()


# -- the questions, answered again in plain SQL -------------------------------------------

Convert = Callable[[Any], Any]
KEEP = None  # in the converter tuples below: the value as sqlite3 returns it


def media_share(raw: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Media kinds classified in Python, percentages rounded by SQLite like the query."""
    total = raw.execute("SELECT count(*) FROM Track").fetchone()[0]
    counts: dict[str, int] = {}
    for name, n in raw.execute(
        "SELECT mt.Name, count(*) FROM Track t "
        "JOIN MediaType mt ON mt.MediaTypeId = t.MediaTypeId GROUP BY mt.MediaTypeId"
    ):
        lower = (name or "").lower()
        kind = (
            "Video" if "video" in lower else "Protected audio" if "protected" in lower else "Audio"
        )
        counts[kind] = counts.get(kind, 0) + n
    rows = sorted(counts.items(), key=lambda kv: -kv[1])
    return [
        (kind, n, raw.execute("SELECT round(? * 100.0 / ?, 1)", (n, total)).fetchone()[0])
        for kind, n in rows
    ]


DISCOGRAPHY_SQL = """
    SELECT al.Title, count(t.TrackId), round(coalesce(sum(t.Milliseconds), 0) / 60000.0, 1)
    FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId
    LEFT JOIN Track t ON t.AlbumId = al.AlbumId
    WHERE ar.Name = :artist GROUP BY al.AlbumId ORDER BY al.AlbumId"""


def discography(raw: sqlite3.Connection, artist: str = "Led Zeppelin") -> list[tuple[Any, ...]]:
    return list(raw.execute(DISCOGRAPHY_SQL, {"artist": artist}))


# question function -> (SQL, one converter per column) or a function of the connection
EXPECTED: dict[Any, tuple[str, tuple[Convert | None, ...]] | Callable[..., Any]] = {
    q.q_top_artists_by_tracks: (
        """SELECT ar.Name, count(DISTINCT al.AlbumId), count(t.TrackId) AS n
           FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
           JOIN Track t ON t.AlbumId = al.AlbumId
           GROUP BY ar.ArtistId ORDER BY n DESC, ar.Name LIMIT 10""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_prolific_artists: (
        """SELECT ar.Name, count(*) AS n FROM Artist ar
           JOIN Album al ON al.ArtistId = ar.ArtistId
           GROUP BY ar.ArtistId HAVING count(*) >= 5 ORDER BY n DESC, ar.Name""",
        (KEEP, KEEP),
    ),
    q.q_revenue_by_country: (
        """SELECT BillingCountry, count(*), sum(Total) AS r FROM Invoice
           GROUP BY BillingCountry ORDER BY round(r, 2) DESC, BillingCountry LIMIT 10""",
        (KEEP, KEEP, money),
    ),
    q.q_genre_sales: (
        """SELECT g.Name, sum(il.Quantity), sum(il.UnitPrice * il.Quantity) AS r
           FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId
           JOIN Genre g ON g.GenreId = t.GenreId
           GROUP BY g.GenreId ORDER BY round(r, 2) DESC, g.Name LIMIT 10""",
        (KEEP, KEEP, money),
    ),
    q.q_support_rep_sales: (
        """SELECT e.FirstName || ' ' || e.LastName, count(DISTINCT c.CustomerId),
                  count(i.InvoiceId), sum(i.Total) AS t
           FROM Employee e JOIN Customer c ON c.SupportRepId = e.EmployeeId
           JOIN Invoice i ON i.CustomerId = c.CustomerId
           GROUP BY e.EmployeeId ORDER BY round(t, 2) DESC, e.EmployeeId""",
        (KEEP, KEEP, KEEP, money),
    ),
    q.q_longest_albums: (
        """SELECT al.Title, ar.Name, count(*), round(sum(t.Milliseconds) / 60000.0, 1) AS m
           FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId
           JOIN Track t ON t.AlbumId = al.AlbumId
           GROUP BY al.AlbumId ORDER BY m DESC, al.Title LIMIT 10""",
        (KEEP, KEEP, KEEP, KEEP),
    ),
    q.q_customers_without_invoices: (
        f"""SELECT CustomerId, FirstName || ' ' || LastName, Country FROM Customer
            WHERE CustomerId NOT IN (
                SELECT CustomerId FROM Invoice
                WHERE InvoiceDate >= '{q.YEAR}-01-01' AND InvoiceDate < '{q.YEAR + 1}-01-01')
            ORDER BY CustomerId""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_customers_without_invoices_not_in: (
        f"""SELECT c.CustomerId, c.FirstName || ' ' || c.LastName, c.Country
            FROM Customer c LEFT JOIN Invoice i ON i.CustomerId = c.CustomerId
                AND i.InvoiceDate >= '{q.YEAR}-01-01' AND i.InvoiceDate < '{q.YEAR + 1}-01-01'
            WHERE i.InvoiceId IS NULL ORDER BY c.CustomerId""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_sales_per_year: (
        """SELECT substr(InvoiceDate, 1, 4) AS y, count(*), avg(Total), sum(Total)
           FROM Invoice GROUP BY y ORDER BY y""",
        (KEEP, KEEP, money, money),
    ),
    q.q_employee_managers: (
        """SELECT e.FirstName || ' ' || e.LastName, e.Title, m.FirstName || ' ' || m.LastName
           FROM Employee e LEFT JOIN Employee m ON m.EmployeeId = e.ReportsTo
           ORDER BY m.EmployeeId IS NOT NULL, m.EmployeeId, e.EmployeeId""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_biggest_playlists: (
        """SELECT p.PlaylistId, p.Name, count(pt.TrackId) AS n
           FROM Playlist p LEFT JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId
           GROUP BY p.PlaylistId ORDER BY n DESC, p.PlaylistId LIMIT 10""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_long_tracks_by_genre: (
        """WITH a AS (SELECT avg(Milliseconds) AS ms FROM Track)
           SELECT g.Name, sum(t.Milliseconds > a.ms) AS longer, count(*)
           FROM Genre g JOIN Track t ON t.GenreId = g.GenreId CROSS JOIN a
           GROUP BY g.GenreId HAVING longer > 0 ORDER BY longer DESC, g.Name LIMIT 10""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_media_type_share: media_share,
    q.q_people_in_country: (
        """SELECT LastName || ', ' || FirstName AS name, 'Customer', City FROM Customer
           WHERE Country = 'Canada'
           UNION
           SELECT LastName || ', ' || FirstName, 'Employee', City FROM Employee
           WHERE Country = 'Canada'
           ORDER BY name""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_top_customers: (
        """SELECT c.FirstName || ' ' || c.LastName, c.Country, count(*), sum(i.Total) AS s
           FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId
           GROUP BY c.CustomerId ORDER BY round(s, 2) DESC, c.CustomerId LIMIT 10""",
        (KEEP, KEEP, KEEP, money),
    ),
    # -- the questions answered through relationships --
    q.q_discography: discography,
    q.q_invoice_lines: (
        """SELECT t.Name, al.Title, ar.Name, il.UnitPrice, il.Quantity
           FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId
           LEFT JOIN Album al ON al.AlbumId = t.AlbumId
           LEFT JOIN Artist ar ON ar.ArtistId = al.ArtistId
           WHERE il.InvoiceId = (SELECT InvoiceId FROM Invoice
                                 ORDER BY Total DESC, InvoiceId LIMIT 1)
           ORDER BY il.InvoiceLineId""",
        (KEEP, KEEP, KEEP, money, KEEP),
    ),
    q.q_org_chart: (
        """WITH RECURSIVE tree(id, level, path) AS (
               SELECT EmployeeId, 0, printf('%06d', EmployeeId) FROM Employee
               WHERE ReportsTo IS NULL
               UNION ALL
               SELECT e.EmployeeId, tree.level + 1,
                      tree.path || '/' || printf('%06d', e.EmployeeId)
               FROM Employee e JOIN tree ON e.ReportsTo = tree.id)
           SELECT CASE WHEN tree.level = 0 THEN ''
                       ELSE substr('                    ', 1, 2 * (tree.level - 1)) || '└ '
                  END || e.FirstName || ' ' || e.LastName,
                  e.Title,
                  (SELECT count(*) FROM Employee r WHERE r.ReportsTo = e.EmployeeId)
           FROM tree JOIN Employee e ON e.EmployeeId = tree.id
           ORDER BY tree.path""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_playlist_tracks: (
        """SELECT t.Name, al.Title, ar.Name
           FROM Playlist p JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId
           JOIN Track t ON t.TrackId = pt.TrackId
           LEFT JOIN Album al ON al.AlbumId = t.AlbumId
           LEFT JOIN Artist ar ON ar.ArtistId = al.ArtistId
           WHERE p.Name = 'Grunge' ORDER BY t.TrackId""",
        (KEEP, KEEP, KEEP),
    ),
    q.q_rep_customers: (
        """WITH spent AS (
               SELECT c.CustomerId, c.SupportRepId, c.Country,
                      c.FirstName || ' ' || c.LastName AS name, coalesce(sum(i.Total), 0) AS s
               FROM Customer c LEFT JOIN Invoice i ON i.CustomerId = c.CustomerId
               GROUP BY c.CustomerId),
           ranked AS (
               SELECT *, row_number() OVER (
                   PARTITION BY SupportRepId ORDER BY round(s, 2) DESC, CustomerId) AS n
               FROM spent)
           SELECT e.FirstName || ' ' || e.LastName, count(*), count(DISTINCT r.Country),
                  max(CASE WHEN r.n = 1 THEN r.name END), max(CASE WHEN r.n = 1 THEN r.s END)
           FROM Employee e JOIN ranked r ON r.SupportRepId = e.EmployeeId
           GROUP BY e.EmployeeId ORDER BY e.EmployeeId""",
        (KEEP, KEEP, KEEP, KEEP, money),
    ),
}

#: The SQL statements each question needs (transaction control not counted). A question
#: answered through relationships costs a fixed number, whatever the number of rows:
#: artist, albums, tracks = 3; the invoice, then its lines with track, album and artist
#: joined = 2; every employee, then their reports = 2; the playlist with everything
#: joined = 1; reps (with an EXISTS), customers, invoices = 3.
STATEMENTS = {
    q.q_discography: 3,
    q.q_invoice_lines: 2,
    q.q_org_chart: 2,
    q.q_playlist_tracks: 1,
    q.q_rep_customers: 3,
}


def expected_rows(raw: sqlite3.Connection, run: Any) -> list[tuple[Any, ...]]:
    """The answer to a question computed by hand-written SQL."""
    spec = EXPECTED[run]
    if callable(spec):
        return list(spec(raw))
    sql, converters = spec
    return [
        tuple(v if conv is None else conv(v) for v, conv in zip(row, converters, strict=True))
        for row in raw.execute(sql)
    ]


def test_every_question_has_an_expected_answer() -> None:
    assert len(q.QUESTIONS) >= 10
    assert {question.run for question in q.QUESTIONS} == set(EXPECTED)
    for question in q.QUESTIONS:
        assert question.title and question.headers
        assert question.run.__doc__, f"{question.run.__name__} has no docstring"


@pytest.mark.parametrize("question", q.QUESTIONS, ids=lambda x: x.run.__name__)
def test_question_matches_handwritten_sql(
    question: q.Question, session: Session, raw: sqlite3.Connection
) -> None:
    actual = question.run(session)
    expected = expected_rows(raw, question.run)
    assert actual, "the question has an answer on Chinook"
    assert actual == expected
    for row in actual:
        assert isinstance(row, tuple)
        assert len(row) == len(question.headers)
    # Equal is not enough for money: a float 0.1 == Decimal("0.1") is False, but a float
    # sneaking through would compare unequal only by luck. Check the types column by column.
    for got_row, want_row in zip(actual, expected, strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            if want is not None:
                assert type(got) is type(want), (got, want)


@pytest.mark.parametrize("question", q.QUESTIONS, ids=lambda x: x.run.__name__)
def test_question_statement_counts(question: q.Question, db: Database) -> None:
    """Each question costs exactly the statements listed in STATEMENTS (1 otherwise)."""
    rows, statements = q.answer(db, question)
    assert rows
    assert statements == STATEMENTS.get(question.run, 1)


def test_at_least_four_questions_walk_relationships() -> None:
    assert len(STATEMENTS) >= 4
    assert set(STATEMENTS) <= {question.run for question in q.QUESTIONS}


@pytest.mark.parametrize("artist", ["Led Zeppelin", "Iron Maiden", "AC/DC", "Aerosmith"])
def test_discography_costs_three_selects_whatever_its_size(
    artist: str, db: Database, raw: sqlite3.Connection
) -> None:
    """No N+1: 1 album or 21 albums with 213 tracks, always artist + albums + tracks."""
    with db.session() as s, db.capture() as sent:
        rows = q.q_discography(s, artist)
    assert rows == discography(raw, artist)
    work = [sql for sql, _ in sent if not sql.startswith(q.TRANSACTION_CONTROL)]
    assert len(work) == q.count_statements(sent) == 3
    assert all(sql.startswith("SELECT") for sql in work)


def test_lazy_loading_the_discography_is_batched_too(db: Database) -> None:
    """Without loader options, walking artist → albums → tracks lazily still costs one
    statement per level: the first album's tracks are loaded for every album at once."""
    with db.session() as s, db.capture() as sent:
        artist = s.query(Artist).where(Artist.name == "Iron Maiden").one()
        tracks = sum(len(album.tracks) for album in artist.albums)
    assert tracks == 213
    assert q.count_statements(sent) == 3


def test_strict_session_proves_the_questions_load_eagerly(db: Database) -> None:
    """In a strict session any lazy load raises: the relationship questions must have
    loaded everything they read with their options."""
    for run in STATEMENTS:
        with db.session(strict=True) as s:
            assert run(s)


def test_rep_customers_agree_with_the_sql_aggregate(session: Session) -> None:
    through_relationships = {rep: n for rep, n, *_ in q.q_rep_customers(session)}
    aggregated = {rep: n for rep, n, *_ in q.q_support_rep_sales(session)}
    assert through_relationships == aggregated


def test_count_statements_leaves_out_transaction_control() -> None:
    sent = [
        ("BEGIN", ()), ("START TRANSACTION", ()), ("SET TRANSACTION ISOLATION LEVEL x", ()),
        ("SELECT 1", ()), ("  select 2", ()), ("SAVEPOINT a", ()), ("INSERT INTO t", ()),
        ("RELEASE SAVEPOINT a", ()), ("ROLLBACK TO SAVEPOINT a", ()), ("COMMIT", ()),
        ("ROLLBACK", ()), ("UPDATE t SET x = 1", ()),
    ]  # fmt: skip
    assert q.count_statements(sent) == 4


def test_money_aggregates_are_decimal_in_cents(session: Session) -> None:
    for _, _, revenue in q.q_revenue_by_country(session):
        assert isinstance(revenue, Decimal)
        assert revenue == revenue.quantize(CENT)
        assert revenue.as_tuple().exponent == -2


def test_customers_without_invoices_other_years(session: Session) -> None:
    for year in (2021, 2023, 1999):
        exists_form = q.q_customers_without_invoices(session, year)
        not_in_form = q.q_customers_without_invoices_not_in(session, year)
        assert exists_form == not_in_form
    assert len(q.q_customers_without_invoices(session, 1999)) == 59  # every customer


def test_question_sql_is_parameterised(db: Database, session: Session) -> None:
    """The year travels as a bound parameter, never formatted into the SQL text."""
    with db.capture() as captured:
        q.q_customers_without_invoices(session, 2022)
    sql, params = captured[-1]
    assert "2022" not in sql
    assert 2022 in list(params)


# -- models --------------------------------------------------------------------------------


def test_models_match_the_schema(raw: sqlite3.Connection) -> None:
    tables = {
        r[0]
        for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    assert {m.__table__.name for m in ALL_MODELS} == tables
    for model in ALL_MODELS:
        table = model.__table__
        info = raw.execute(f'PRAGMA table_info("{table.name}")').fetchall()
        assert [c.name for c in table.columns] == [r[1] for r in info], table.name
        for col, (_, _, _, notnull, _, pk) in zip(table.columns, info, strict=True):
            assert col.primary_key == bool(pk), (table.name, col.name)
            assert col.nullable == (not notnull and not pk), (table.name, col.name)
        fks = {
            (r[3], r[2], r[4])
            for r in raw.execute(f'PRAGMA foreign_key_list("{table.name}")').fetchall()
        }
        ours = set()
        for col in table.columns:
            fk = col.foreign_key
            if fk is not None:
                assert fk.column is not None and fk.column.table is not None
                ours.add((col.name, fk.column.table.name, fk.column.name))
        assert ours == fks, table.name


def test_composite_key_self_reference_and_datetimes(session: Session) -> None:
    link = session.get_one(PlaylistTrack, (1, 3402))
    assert (link.playlist_id, link.track_id) == (1, 3402)
    assert session.get(PlaylistTrack, {"playlist_id": 2, "track_id": 1}) is None
    boss = session.get_one(Employee, 1)
    assert boss.reports_to is None
    assert isinstance(boss.hire_date, datetime)
    assert boss.hire_date == datetime(2002, 8, 14)
    staff = session.query(Employee.id).where(Employee.reports_to == boss.id).all()
    assert sorted(staff) == [2, 6]


# -- writes --------------------------------------------------------------------------------


def counts(path: Path) -> tuple[int, int]:
    """Invoices and invoice lines, counted with sqlite3."""
    conn = sqlite3.connect(path)
    try:
        invoices = conn.execute("SELECT count(*) FROM Invoice").fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM InvoiceLine").fetchone()[0]
    finally:
        conn.close()
    return invoices, lines


def test_write_invoice(fresh_db: Database, fresh_path: Path) -> None:
    invoices_before, lines_before = counts(fresh_path)
    written = write_invoice(fresh_db, customer_id=5, album_id=3, quantities=(2, 1, 3))
    assert written.invoices_before == invoices_before
    assert written.invoices_after == invoices_before + 1
    assert counts(fresh_path) == (invoices_before + 1, lines_before + 3)

    conn = sqlite3.connect(fresh_path)
    try:
        customer_id, total, country = conn.execute(
            "SELECT CustomerId, Total, BillingCountry FROM Invoice WHERE InvoiceId = ?",
            (written.invoice_id,),
        ).fetchone()
        lines = conn.execute(
            "SELECT TrackId, UnitPrice, Quantity FROM InvoiceLine WHERE InvoiceId = ? "
            "ORDER BY InvoiceLineId",
            (written.invoice_id,),
        ).fetchall()
        customer_country = conn.execute(
            "SELECT Country FROM Customer WHERE CustomerId = 5"
        ).fetchone()[0]
        album_tracks = [
            r[0]
            for r in conn.execute(
                "SELECT TrackId FROM Track WHERE AlbumId = 3 ORDER BY TrackId LIMIT 3"
            )
        ]
    finally:
        conn.close()
    assert customer_id == 5
    assert country == customer_country
    assert [t for t, _, _ in lines] == album_tracks
    assert [(t, money(p), n) for t, p, n in lines] == [
        (x.track_id, x.unit_price, x.quantity) for x in written.lines
    ]
    line_sum = sum((money(p) * n for _, p, n in lines), Decimal(0))
    assert isinstance(written.total, Decimal)
    assert written.total == line_sum == money(total)

    with fresh_db.session() as s:
        invoice = s.get_one(Invoice, written.invoice_id)
        assert isinstance(invoice.total, Decimal)
        assert invoice.total == line_sum
        loaded = s.query(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).all()
        assert sum((x.unit_price * x.quantity for x in loaded), Decimal(0)) == invoice.total
        # the same rows through the relationships the write went through
        assert invoice.customer.id == 5 and invoice in invoice.customer.invoices
        assert invoice.lines == loaded
        assert [x.track.album_id for x in invoice.lines] == [3, 3, 3]


def test_failing_write_raises_foreign_key_violation(fresh_db: Database, fresh_path: Path) -> None:
    before = counts(fresh_path)
    lines = [LineItem(1, Decimal("0.99"), 1), LineItem(UNKNOWN_TRACK_ID, Decimal("0.99"), 2)]
    with pytest.raises(ForeignKeyViolation) as info:  # noqa: SIM117 - the order matters
        with fresh_db.session() as s, s.begin():
            create_invoice(s, 1, lines)
    error = info.value
    assert isinstance(error, IntegrityError)
    assert isinstance(error.__cause__, sqlite3.IntegrityError)
    assert error.sql is not None and "InvoiceLine" in error.sql
    assert counts(fresh_path) == before
    with fresh_db.session() as s:
        assert s.query(Invoice).count() == before[0]
        assert s.query(InvoiceLine).count() == before[1]


def test_write_invoice_unknown_track_reports_nothing_written(
    fresh_db: Database, fresh_path: Path
) -> None:
    before = counts(fresh_path)
    refused = write_invoice_unknown_track(fresh_db)
    assert isinstance(refused.error, ForeignKeyViolation)
    assert isinstance(refused.error.__cause__, sqlite3.IntegrityError)
    assert refused.invoices_before == refused.invoices_after == before[0]
    assert refused.lines_before == refused.lines_after == before[1]
    assert counts(fresh_path) == before


def test_create_invoice_refuses_bad_input(fresh_db: Database, fresh_path: Path) -> None:
    before = counts(fresh_path)
    with fresh_db.session() as s:
        with pytest.raises(ValueError, match="at least one line"):
            create_invoice(s, 1, [])
        with pytest.raises(NoResultFound):
            create_invoice(s, 99_999, [LineItem(1, Decimal("0.99"), 1)])
    assert counts(fresh_path) == before


# -- the demo program ----------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examples.chinook", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "160", "PYTHONIOENCODING": "utf-8"},
    )


def demo_statement_counts(stdout: str) -> dict[str, int]:
    """Each question's title -> the statement count printed under its table."""
    out = " ".join(stdout.split())  # rich may wrap long lines
    found: dict[str, int] = {}
    for question in q.QUESTIONS:
        start = out.index(question.title) + len(question.title)
        match = re.compile(r"(\d+) SQL statements?\b").search(out, start)
        assert match is not None, question.title
        found[question.title] = int(match.group(1))
    return found


def assert_demo_output(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    for question in q.QUESTIONS:
        assert question.title in result.stdout
    assert demo_statement_counts(result.stdout) == {
        question.title: STATEMENTS.get(question.run, 1) for question in q.QUESTIONS
    }
    assert "3 SQL statements" in result.stdout  # the discography, on one line
    assert "ForeignKeyViolation" in result.stdout
    assert "nothing was written" in result.stdout


def test_demo_runs_and_leaves_the_bundled_file_alone() -> None:
    assert sha256(BUNDLED_DB) == BUNDLED_SHA256
    result = run_demo()
    assert_demo_output(result)
    assert (ROOT / "examples" / "chinook" / "work" / "chinook.db").exists()
    assert sha256(BUNDLED_DB) == BUNDLED_SHA256


def test_demo_with_url(tmp_path: Path) -> None:
    path = copy_db(tmp_path)
    result = run_demo("--url", f"sqlite:///{path}")
    assert_demo_output(result)
    assert counts(path)[0] == 413  # the demo's invoice went into this copy
    assert sha256(BUNDLED_DB) == BUNDLED_SHA256


def test_bundled_file_is_unchanged() -> None:
    assert sha256(BUNDLED_DB) == BUNDLED_SHA256


def test_sequence_type_of_questions() -> None:
    """Each registry entry is a (title, headers, function) triple."""
    for title, headers, run in q.QUESTIONS:
        assert isinstance(title, str)
        assert isinstance(headers, Sequence)
        assert callable(run)
