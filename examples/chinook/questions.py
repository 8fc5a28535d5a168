"""Questions about the Chinook store, each answered with one ormolu query.

Every question is a function ``q_xxx(session) -> list[tuple[...]]`` with a typed result,
so a type checker knows what each row holds. :data:`QUESTIONS` lists them with a title and
column headers; the demo (``python -m examples.chinook``) prints each as a table, and
``tests/integration/test_chinook.py`` checks each against hand-written SQL.

Money (``Invoice.total``, ``InvoiceLine.unit_price``) is ``Decimal`` in the models, and the
aggregates of money columns keep that type: ``func.sum(Invoice.total)`` reads back as a
``Decimal`` with two places even though SQLite stores the values as floating point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from ormolu import Session, aliased, case, exists, extract, func, literal, select

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


class Question(NamedTuple):
    """One entry of :data:`QUESTIONS`: a title, the column headers, the query function."""

    title: str
    headers: tuple[str, ...]
    run: Callable[[Session], Sequence[tuple[Any, ...]]]


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
]
"""Every question, in the order the demo prints them."""
