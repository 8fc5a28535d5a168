"""Questions about the Chinook store, answered with ormolu.

Every question is a function ``q_xxx(session) -> list[tuple[...]]`` with a typed result,
so a type checker knows what each row holds. :data:`QUESTIONS` lists them with a title and
column headers; the demo (``python -m examples.chinook``) prints each as a table with the
number of SQL statements it needed, and ``tests/integration/test_chinook.py`` checks each
against hand-written SQL.

The first questions are one query each (joins, aggregates, subqueries, a UNION). The last
ones walk relationships (artist → albums → tracks, invoice → lines → track → album → artist,
the org chart through ``Employee.reports``, playlist ↔ tracks, a rep's customers and their
invoices): they load model objects with ``selectinload``/``joinedload`` and compute the
answer in Python, in a fixed number of statements whatever the number of rows.

Money (``Invoice.total``, ``InvoiceLine.unit_price``) is ``Decimal`` in the models, and the
aggregates of money columns keep that type: ``func.sum(Invoice.total)`` reads back as a
``Decimal`` with two places even though SQLite stores the values as floating point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from ormolu import (
    Database,
    Session,
    aliased,
    case,
    exists,
    extract,
    func,
    joinedload,
    literal,
    select,
    selectinload,
)

from .models import (
    Album,
    Artist,
    Customer,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    MediaType,
    Playlist,
    PlaylistTrack,
    Track,
)

#: The year used by the questions that look at one year of sales.
YEAR = 2025


def q_top_artists_by_tracks(s: Session) -> list[tuple[str | None, int, int]]:
    """The 10 artists with the most tracks: ``(artist, albums, tracks)``.

    Joins Artist → Album → Track, groups by artist and orders by the track count, then the
    name to break ties.
    """
    tracks = func.count(Track.id).label("tracks")
    return (
        s.query(Artist.name, func.count(Album.id, distinct=True), tracks)
        .select_from(Artist)
        .join(Album)
        .join(Track)
        .group_by(Artist.id, Artist.name)
        .order_by(tracks.desc(), Artist.name)
        .limit(10)
        .all()
    )


def q_prolific_artists(s: Session, min_albums: int = 5) -> list[tuple[str | None, int]]:
    """Artists with at least ``min_albums`` albums: ``(artist, albums)`` (GROUP BY/HAVING)."""
    albums = func.count(Album.id).label("albums")
    return (
        s.query(Artist.name, albums)
        .join(Album)
        .group_by(Artist.id, Artist.name)
        .having(func.count(Album.id) >= min_albums)
        .order_by(albums.desc(), Artist.name)
        .all()
    )


def q_revenue_by_country(s: Session) -> list[tuple[str | None, int, Decimal]]:
    """The 10 billing countries with the most revenue: ``(country, invoices, revenue)``."""
    revenue = func.sum(Invoice.total).label("revenue")
    return (
        s.query(Invoice.billing_country, func.count(Invoice.id), revenue)
        .group_by(Invoice.billing_country)
        .order_by(func.round(revenue, 2).desc(), Invoice.billing_country)
        .limit(10)
        .all()
    )


def q_genre_sales(s: Session) -> list[tuple[str | None, int, Decimal]]:
    """The 10 best-selling genres: ``(genre, units sold, revenue)``.

    Revenue is ``sum(unit_price * quantity)`` over invoice lines, a ``Decimal``.
    """
    revenue = func.sum(InvoiceLine.unit_price * InvoiceLine.quantity).label("revenue")
    return (
        s.query(Genre.name, func.sum(InvoiceLine.quantity), revenue)
        .select_from(InvoiceLine)
        .join(Track)
        .join(Genre)
        .group_by(Genre.id, Genre.name)
        .order_by(func.round(revenue, 2).desc(), Genre.name)
        .limit(10)
        .all()
    )


def q_support_rep_sales(s: Session) -> list[tuple[str, int, int, Decimal]]:
    """Each support representative's sales: ``(employee, customers, invoices, total)``.

    Joins Employee → Customer (on ``support_rep_id``) → Invoice.
    """
    total = func.sum(Invoice.total).label("total")
    return (
        s.query(
            Employee.first_name + " " + Employee.last_name,
            func.count(Customer.id, distinct=True),
            func.count(Invoice.id),
            total,
        )
        .join(Customer, Customer.support_rep_id == Employee.id)
        .join(Invoice, Invoice.customer_id == Customer.id)
        .group_by(Employee.id, Employee.first_name, Employee.last_name)
        .order_by(func.round(total, 2).desc(), Employee.id)
        .all()
    )


def q_longest_albums(s: Session) -> list[tuple[str, str | None, int, float]]:
    """The 10 longest albums: ``(album, artist, tracks, minutes)``.

    Minutes are ``sum(milliseconds) / 60000`` rounded to one decimal place in SQL.
    """
    minutes = func.round(func.sum(Track.milliseconds) / 60000.0, 1).label("minutes")
    return (
        s.query(Album.title, Artist.name, func.count(Track.id), minutes)
        .join(Artist)
        .join(Track)
        .group_by(Album.id, Album.title, Artist.name)
        .order_by(minutes.desc(), Album.title)
        .limit(10)
        .all()
    )


def q_customers_without_invoices(s: Session, year: int = YEAR) -> list[tuple[int, str, str | None]]:
    """Customers who bought nothing in ``year``: ``(id, customer, country)``.

    A correlated ``NOT EXISTS`` subquery: the inner SELECT refers to the outer Customer.
    """
    bought = select(Invoice.id).where(
        Invoice.customer_id == Customer.id,
        extract("year", Invoice.invoice_date) == year,
    )
    return (
        s.query(Customer.id, Customer.first_name + " " + Customer.last_name, Customer.country)
        .where(~exists(bought))
        .order_by(Customer.id)
        .all()
    )


def q_customers_without_invoices_not_in(
    s: Session, year: int = YEAR
) -> list[tuple[int, str, str | None]]:
    """The same question as :func:`q_customers_without_invoices`, with ``NOT IN (SELECT)``."""
    buyers = select(Invoice.customer_id).where(extract("year", Invoice.invoice_date) == year)
    return (
        s.query(Customer.id, Customer.first_name + " " + Customer.last_name, Customer.country)
        .where(Customer.id.not_in(buyers))
        .order_by(Customer.id)
        .all()
    )


def q_sales_per_year(s: Session) -> list[tuple[str, int, Decimal, Decimal]]:
    """Sales per year: ``(year, invoices, average invoice, revenue)``.

    The year is ``extract("year", invoice_date)`` (portable across backends). The average
    is cast to the type of ``Invoice.total`` (``NUMERIC(10, 2)``), so it reads back as a
    ``Decimal`` in cents.
    """
    year = extract("year", Invoice.invoice_date).label("year")
    average = func.avg(Invoice.total).cast(Invoice.total.type)
    rows = (
        s.query(year, func.count(Invoice.id), average, func.sum(Invoice.total))
        .group_by(year)
        .order_by(year)
        .all()
    )
    return [(str(y), n, avg, total) for y, n, avg, total in rows]


def q_employee_managers(s: Session) -> list[tuple[str, str | None, str | None]]:
    """Every employee with their manager: ``(employee, title, manager)``.

    A self-join of Employee under the alias ``manager``; an outer join keeps the general
    manager, who reports to no one (``None``), and NULLS FIRST puts that row on top.
    """
    manager = aliased(Employee, "manager")
    rows = (
        s.query(
            Employee.first_name + " " + Employee.last_name,
            Employee.title,
            manager.first_name + " " + manager.last_name,
        )
        .outerjoin(manager, Employee.reports_to == manager.id)
        .order_by(manager.id.asc().nulls_first(), Employee.id)
        .all()
    )
    # The manager's columns are typed like Employee's, but the outer join makes them NULL.
    return [(name, title, boss) for name, title, boss in rows]


def q_biggest_playlists(s: Session) -> list[tuple[int, str | None, int]]:
    """The 10 playlists with the most tracks: ``(id, playlist, tracks)``.

    An outer join so that empty playlists would count as 0.
    """
    tracks = func.count(PlaylistTrack.track_id).label("tracks")
    return (
        s.query(Playlist.id, Playlist.name, tracks)
        .outerjoin(PlaylistTrack)
        .group_by(Playlist.id, Playlist.name)
        .order_by(tracks.desc(), Playlist.id)
        .limit(10)
        .all()
    )


def q_long_tracks_by_genre(s: Session) -> list[tuple[str | None, int, int]]:
    """Genres by number of tracks longer than the average track: ``(genre, longer, all)``.

    The average is a scalar subquery ``(SELECT avg(Milliseconds) FROM Track)``; a
    ``sum(CASE WHEN ... THEN 1 ELSE 0 END)`` counts the longer tracks per genre.
    """
    average_ms = select(func.avg(Track.milliseconds)).scalar_subquery()
    longer = func.sum(case((Track.milliseconds > average_ms, 1), else_=0)).label("longer")
    rows = (
        s.query(Genre.name, longer, func.count(Track.id))
        .join(Track)
        .group_by(Genre.id, Genre.name)
        .having(longer > 0)
        .order_by(longer.desc(), Genre.name)
        .limit(10)
        .all()
    )
    return [(genre, int(n), total) for genre, n, total in rows]


def q_media_type_share(s: Session) -> list[tuple[str, int, float]]:
    """Tracks per kind of media: ``(kind, tracks, percent of all tracks)``.

    The kind is a ``CASE`` over the media type's name; the percentage divides by a scalar
    subquery counting every track.
    """
    kind = case(
        (MediaType.name.contains("video"), "Video"),
        (MediaType.name.contains("Protected"), "Protected audio"),
        else_="Audio",
    ).label("kind")
    all_tracks = select(func.count(Track.id)).scalar_subquery()
    tracks = func.count(Track.id).label("tracks")
    percent = func.round(func.count(Track.id) * 100.0 / all_tracks, 1)
    rows = (
        s.query(kind, tracks, percent)
        .select_from(Track)
        .join(MediaType)
        .group_by(kind)
        .order_by(tracks.desc())
        .all()
    )
    return [(str(k), n, float(p)) for k, n, p in rows]


def q_people_in_country(s: Session, country: str = "Canada") -> list[tuple[str, str, str | None]]:
    """Everyone in ``country``, customers and staff alike: ``(name, role, city)``.

    A ``UNION`` of two queries of the same shape, ordered by the labelled name.
    """
    name = (Customer.last_name + ", " + Customer.first_name).label("name")
    customers = s.query(name, literal("Customer").label("role"), Customer.city).where(
        Customer.country == country
    )
    staff = s.query(
        (Employee.last_name + ", " + Employee.first_name).label("name"),
        literal("Employee").label("role"),
        Employee.city,
    ).where(Employee.country == country)
    rows = customers.union(staff).order_by(name).all()
    return [(n, str(role), city) for n, role, city in rows]


def q_top_customers(s: Session) -> list[tuple[str, str | None, int, Decimal]]:
    """The 10 customers who spent the most: ``(customer, country, invoices, spent)``."""
    spent = func.sum(Invoice.total).label("spent")
    return (
        s.query(
            Customer.first_name + " " + Customer.last_name,
            Customer.country,
            func.count(Invoice.id),
            spent,
        )
        .join(Invoice)
        .group_by(Customer.id, Customer.first_name, Customer.last_name, Customer.country)
        .order_by(func.round(spent, 2).desc(), Customer.id)
        .limit(10)
        .all()
    )


# -- questions answered through relationships ---------------------------------------------
# These load model objects with eager loading options and compute the answer in Python
# from the loaded graph. Each costs a fixed number of statements, whatever the number of
# rows (no N+1): the demo prints it, the tests assert it.


def _full_name(person: Employee | Customer) -> str:
    return f"{person.first_name} {person.last_name}"


def _minutes(milliseconds: int) -> float:
    """Milliseconds as minutes rounded to one decimal place."""
    return round(milliseconds / 60000, 1)


def q_discography(s: Session, artist: str = "Led Zeppelin") -> list[tuple[str, int, float]]:
    """An artist's discography: ``(album, tracks, minutes)`` per album, in album id order.

    Artist → albums → tracks in three SELECTs (the artist, then one ``IN`` query per
    level with ``selectinload(Artist.albums, Album.tracks)``); track counts and minutes
    are computed in Python from the loaded objects.
    """
    found = (
        s.query(Artist)
        .where(Artist.name == artist)
        .options(selectinload(Artist.albums, Album.tracks))
        .one()
    )
    return [
        (album.title, len(album.tracks), _minutes(sum(t.milliseconds for t in album.tracks)))
        for album in found.albums
    ]


def q_invoice_lines(s: Session) -> list[tuple[str, str | None, str | None, Decimal, int]]:
    """The lines of the largest invoice: ``(track, album, artist, unit price, quantity)``.

    Invoice → lines → track → album → artist in two SELECTs: the invoice, then its lines
    by select-in loading with each line's track, album and artist joined into that same
    query (``selectinload(Invoice.lines).joinedload(InvoiceLine.track, Track.album,
    Album.artist)``).
    """
    invoice = (
        s.query(Invoice)
        .options(
            selectinload(Invoice.lines).joinedload(InvoiceLine.track, Track.album, Album.artist)
        )
        .order_by(Invoice.total.desc(), Invoice.id)
        .first()
    )
    assert invoice is not None, "Chinook has invoices"
    rows: list[tuple[str, str | None, str | None, Decimal, int]] = []
    for line in invoice.lines:
        album = line.track.album
        rows.append(
            (
                line.track.name,
                album.title if album is not None else None,
                album.artist.name if album is not None else None,
                line.unit_price,
                line.quantity,
            )
        )
    return rows


def q_org_chart(s: Session) -> list[tuple[str, str | None, int]]:
    """The org chart: ``(employee, title, direct reports)``, each manager followed by
    their reports (depth first, by id), names indented by level.

    Two SELECTs: every employee, then ``selectinload(Employee.reports)`` for all of them;
    walking the tree from the top (no ``reports_to``) reads only loaded collections, so
    it works in a strict session too. (The top is found by its foreign key column, not
    ``employee.manager is None``: a strict session refuses to read an unloaded
    many-to-one even when its key is NULL and no SQL would be needed.)
    """
    staff = s.query(Employee).options(selectinload(Employee.reports)).order_by(Employee.id).all()
    rows: list[tuple[str, str | None, int]] = []

    def walk(employee: Employee, level: int) -> None:
        prefix = "  " * (level - 1) + "└ " if level else ""
        rows.append((prefix + _full_name(employee), employee.title, len(employee.reports)))
        for report in employee.reports:
            walk(report, level + 1)

    for top in (e for e in staff if e.reports_to is None):
        walk(top, 0)
    return rows


def q_playlist_tracks(
    s: Session, playlist: str = "Grunge"
) -> list[tuple[str, str | None, str | None]]:
    """The tracks of a playlist: ``(track, album, artist)`` in track id order.

    Playlist ↔ tracks is a many-to-many through the ``PlaylistTrack`` model. One SELECT:
    ``joinedload(Playlist.tracks, Track.album, Album.artist)`` outer-joins the association
    table, the tracks, their albums and the albums' artists into the playlist's query,
    and ormolu de-duplicates the repeated playlist.

    A joined collection comes in primary-key order, like a select-in one. (Joined rather
    than select-in loading works around a limit of this version of ormolu: a path that
    continues past a select-in loaded many-to-many, ``selectinload(Playlist.tracks,
    Track.album)``, is refused with "loader options need a query of one model".)
    """
    [found] = (
        s.query(Playlist)
        .where(Playlist.name == playlist)
        .options(joinedload(Playlist.tracks, Track.album, Album.artist))
        .all()
    )
    return [
        (
            track.name,
            track.album.title if track.album is not None else None,
            track.album.artist.name if track.album is not None else None,
        )
        for track in found.tracks
    ]


def q_rep_customers(s: Session) -> list[tuple[str, int, int, str, Decimal]]:
    """Each support rep's customers: ``(rep, customers, countries, best customer, spent)``.

    Only employees with customers (``Employee.customers.any()``, an ``EXISTS``); rep →
    customers → invoices in three SELECTs. The best customer spent the most (the lowest
    id wins a tie); sums of ``Invoice.total`` are ``Decimal``.
    """
    reps = (
        s.query(Employee)
        .where(Employee.customers.any())
        .options(selectinload(Employee.customers, Customer.invoices))
        .order_by(Employee.id)
        .all()
    )
    rows: list[tuple[str, int, int, str, Decimal]] = []
    for rep in reps:
        spent = {c.id: sum((i.total for i in c.invoices), Decimal("0.00")) for c in rep.customers}
        best = min(rep.customers, key=lambda c: (-spent[c.id], c.id))
        countries = {c.country for c in rep.customers}
        rows.append(
            (_full_name(rep), len(rep.customers), len(countries), _full_name(best), spent[best.id])
        )
    return rows


class Question(NamedTuple):
    """One entry of :data:`QUESTIONS`: a title, the column headers, the query function."""

    title: str
    headers: tuple[str, ...]
    run: Callable[[Session], Sequence[tuple[Any, ...]]]


#: How the statements that only delimit a transaction begin; :func:`count_statements`
#: leaves them out (``SET TRANSACTION`` and ``START TRANSACTION`` are MySQL's BEGIN).
TRANSACTION_CONTROL = (
    "BEGIN",
    "START TRANSACTION",
    "SET TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
)


def count_statements(sent: Iterable[tuple[str, Any]]) -> int:
    """The number of statements in ``sent`` (what ``db.capture()`` collected) that do
    work: SELECT, INSERT, UPDATE, DELETE... but not transaction control."""
    return sum(1 for sql, _ in sent if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL))


def answer(db: Database, question: Question) -> tuple[list[tuple[Any, ...]], int]:
    """Answer ``question`` in a session of its own: ``(rows, SQL statements needed)``.

    A fresh session means an empty identity map, so the count is the question's own
    cost, not helped by what an earlier question happened to load.
    """
    with db.session() as s, db.capture() as sent:
        rows = list(question.run(s))
    return rows, count_statements(sent)


QUESTIONS: list[Question] = [
    Question(
        "Top 10 artists by number of tracks",
        ("Artist", "Albums", "Tracks"),
        q_top_artists_by_tracks,
    ),
    Question("Artists with at least 5 albums", ("Artist", "Albums"), q_prolific_artists),
    Question(
        "Revenue per billing country (top 10)",
        ("Country", "Invoices", "Revenue"),
        q_revenue_by_country,
    ),
    Question("Best-selling genres", ("Genre", "Units", "Revenue"), q_genre_sales),
    Question(
        "Sales per support representative",
        ("Employee", "Customers", "Invoices", "Total"),
        q_support_rep_sales,
    ),
    Question(
        "The 10 longest albums",
        ("Album", "Artist", "Tracks", "Minutes"),
        q_longest_albums,
    ),
    Question(
        f"Customers without invoices in {YEAR} (NOT EXISTS)",
        ("Id", "Customer", "Country"),
        q_customers_without_invoices,
    ),
    Question(
        f"Customers without invoices in {YEAR} (NOT IN)",
        ("Id", "Customer", "Country"),
        q_customers_without_invoices_not_in,
    ),
    Question(
        "Sales per year",
        ("Year", "Invoices", "Average invoice", "Revenue"),
        q_sales_per_year,
    ),
    Question(
        "Employees and their managers",
        ("Employee", "Title", "Manager"),
        q_employee_managers,
    ),
    Question(
        "Playlists with the most tracks",
        ("Id", "Playlist", "Tracks"),
        q_biggest_playlists,
    ),
    Question(
        "Genres by tracks longer than the average track",
        ("Genre", "Longer than average", "All tracks"),
        q_long_tracks_by_genre,
    ),
    Question("Share of tracks per kind of media", ("Kind", "Tracks", "%"), q_media_type_share),
    Question(
        "Customers and staff in Canada (UNION)",
        ("Name", "Role", "City"),
        q_people_in_country,
    ),
    Question(
        "Top 10 customers by spending",
        ("Customer", "Country", "Invoices", "Spent"),
        q_top_customers,
    ),
    Question(
        "Discography of Led Zeppelin (artist → albums → tracks)",
        ("Album", "Tracks", "Minutes"),
        q_discography,
    ),
    Question(
        "The largest invoice, line by line (invoice → lines → track → album → artist)",
        ("Track", "Album", "Artist", "Unit price", "Quantity"),
        q_invoice_lines,
    ),
    Question(
        "Org chart (employee → reports)",
        ("Employee", "Title", "Reports"),
        q_org_chart,
    ),
    Question(
        "The Grunge playlist (playlist ↔ tracks → album → artist)",
        ("Track", "Album", "Artist"),
        q_playlist_tracks,
    ),
    Question(
        "Support reps and their customers (employee → customers → invoices)",
        ("Support rep", "Customers", "Countries", "Best customer", "Spent"),
        q_rep_customers,
    ),
]
"""Every question, in the order the demo prints them."""
