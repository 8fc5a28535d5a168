"""Models of the Chinook sample database (a digital music store).

The tables and columns keep Chinook's PascalCase names (``Track.TrackId``); the attributes
are snake_case (``Track.id``), mapped with ``field(column=...)``. Types follow the schema:
``NVARCHAR(n)`` is ``str`` with ``max_length=n``, ``NUMERIC(10,2)`` money is ``Decimal``
with ``max_digits=10, decimal_places=2``, ``DATETIME`` is ``datetime``, and nullable
columns are ``X | None``. Every foreign key of the schema is declared, including the
self-reference ``Employee.reports_to`` and the composite primary key of ``PlaylistTrack``.

Relationships sit beside the foreign key columns, which keep their names
(``Album.artist_id`` and ``Album.artist``): artist ↔ albums ↔ tracks, a track's genre and
media type, customer ↔ invoices ↔ lines → track, the org chart (``Employee.manager`` ↔
``Employee.reports``, self-referential through ``ReportsTo``), a support rep's customers,
and playlists ↔ tracks (many-to-many through the ``PlaylistTrack`` model). A foreign key
column a relationship can set has ``default=None``, so ``InvoiceLine(track=track, ...)``
needs no ``track_id``.

Schema and data: https://github.com/lerocha/chinook-database (MIT licence, see
``data/LICENSE.md``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ormolu import Mapped, Model, field, many_to_many, relationship


class Artist(Model, table="Artist"):
    """A recording artist."""

    id: Mapped[int] = field(primary_key=True, column="ArtistId", default=None)
    name: Mapped[str | None] = field(max_length=120, column="Name", default=None)
    albums: Mapped[list[Album]] = relationship(back_populates="artist")


class Album(Model, table="Album"):
    """An album by one artist."""

    id: Mapped[int] = field(primary_key=True, column="AlbumId", default=None)
    title: Mapped[str] = field(max_length=160, column="Title")
    artist_id: Mapped[int] = field(
        column="ArtistId", foreign_key="Artist.id", index=True, default=None
    )
    artist: Mapped[Artist] = relationship(back_populates="albums")
    tracks: Mapped[list[Track]] = relationship(back_populates="album")


class Genre(Model, table="Genre"):
    """A musical genre."""

    id: Mapped[int] = field(primary_key=True, column="GenreId", default=None)
    name: Mapped[str | None] = field(max_length=120, column="Name", default=None)


class MediaType(Model, table="MediaType"):
    """A file format (MPEG audio, AAC, protected video, ...)."""

    id: Mapped[int] = field(primary_key=True, column="MediaTypeId", default=None)
    name: Mapped[str | None] = field(max_length=120, column="Name", default=None)


class Track(Model, table="Track"):
    """A track for sale, on an album (optional) with a genre (optional) and a media type."""

    id: Mapped[int] = field(primary_key=True, column="TrackId", default=None)
    name: Mapped[str] = field(max_length=200, column="Name")
    album_id: Mapped[int | None] = field(
        column="AlbumId", foreign_key="Album.id", index=True, default=None
    )
    media_type_id: Mapped[int] = field(
        column="MediaTypeId", foreign_key="MediaType.id", index=True, default=None
    )
    genre_id: Mapped[int | None] = field(
        column="GenreId", foreign_key="Genre.id", index=True, default=None
    )
    composer: Mapped[str | None] = field(max_length=220, column="Composer", default=None)
    milliseconds: Mapped[int] = field(column="Milliseconds")
    bytes: Mapped[int | None] = field(column="Bytes", default=None)
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, column="UnitPrice")
    album: Mapped[Album | None] = relationship(back_populates="tracks")
    genre: Mapped[Genre | None] = relationship()
    media_type: Mapped[MediaType] = relationship()
    playlists: Mapped[list[Playlist]] = many_to_many(
        through="PlaylistTrack", back_populates="tracks"
    )


class Playlist(Model, table="Playlist"):
    """A named list of tracks."""

    id: Mapped[int] = field(primary_key=True, column="PlaylistId", default=None)
    name: Mapped[str | None] = field(max_length=120, column="Name", default=None)
    tracks: Mapped[list[Track]] = many_to_many(through="PlaylistTrack", back_populates="playlists")


class PlaylistTrack(Model, table="PlaylistTrack"):
    """The association of playlists and tracks (composite primary key)."""

    playlist_id: Mapped[int] = field(
        primary_key=True, column="PlaylistId", foreign_key="Playlist.id", index=True
    )
    track_id: Mapped[int] = field(
        primary_key=True, column="TrackId", foreign_key="Track.id", index=True
    )


class Employee(Model, table="Employee"):
    """A store employee; ``reports_to`` references the employee's manager."""

    id: Mapped[int] = field(primary_key=True, column="EmployeeId", default=None)
    last_name: Mapped[str] = field(max_length=20, column="LastName")
    first_name: Mapped[str] = field(max_length=20, column="FirstName")
    title: Mapped[str | None] = field(max_length=30, column="Title", default=None)
    reports_to: Mapped[int | None] = field(
        column="ReportsTo", foreign_key="Employee.id", index=True, default=None
    )
    birth_date: Mapped[datetime | None] = field(column="BirthDate", default=None)
    hire_date: Mapped[datetime | None] = field(column="HireDate", default=None)
    address: Mapped[str | None] = field(max_length=70, column="Address", default=None)
    city: Mapped[str | None] = field(max_length=40, column="City", default=None)
    state: Mapped[str | None] = field(max_length=40, column="State", default=None)
    country: Mapped[str | None] = field(max_length=40, column="Country", default=None)
    postal_code: Mapped[str | None] = field(max_length=10, column="PostalCode", default=None)
    phone: Mapped[str | None] = field(max_length=24, column="Phone", default=None)
    fax: Mapped[str | None] = field(max_length=24, column="Fax", default=None)
    email: Mapped[str | None] = field(max_length=60, column="Email", default=None)
    manager: Mapped[Employee | None] = relationship(
        back_populates="reports", foreign_key="reports_to"
    )
    reports: Mapped[list[Employee]] = relationship(
        back_populates="manager", foreign_key="reports_to"
    )
    customers: Mapped[list[Customer]] = relationship(back_populates="support_rep")


class Customer(Model, table="Customer"):
    """A customer, looked after by a support representative (an employee)."""

    id: Mapped[int] = field(primary_key=True, column="CustomerId", default=None)
    first_name: Mapped[str] = field(max_length=40, column="FirstName")
    last_name: Mapped[str] = field(max_length=20, column="LastName")
    company: Mapped[str | None] = field(max_length=80, column="Company", default=None)
    address: Mapped[str | None] = field(max_length=70, column="Address", default=None)
    city: Mapped[str | None] = field(max_length=40, column="City", default=None)
    state: Mapped[str | None] = field(max_length=40, column="State", default=None)
    country: Mapped[str | None] = field(max_length=40, column="Country", default=None)
    postal_code: Mapped[str | None] = field(max_length=10, column="PostalCode", default=None)
    phone: Mapped[str | None] = field(max_length=24, column="Phone", default=None)
    fax: Mapped[str | None] = field(max_length=24, column="Fax", default=None)
    email: Mapped[str] = field(max_length=60, column="Email")
    support_rep_id: Mapped[int | None] = field(
        column="SupportRepId", foreign_key="Employee.id", index=True, default=None
    )
    support_rep: Mapped[Employee | None] = relationship(back_populates="customers")
    invoices: Mapped[list[Invoice]] = relationship(back_populates="customer")


class Invoice(Model, table="Invoice"):
    """A customer's purchase; ``total`` is the sum of its lines."""

    id: Mapped[int] = field(primary_key=True, column="InvoiceId", default=None)
    customer_id: Mapped[int] = field(
        column="CustomerId", foreign_key="Customer.id", index=True, default=None
    )
    invoice_date: Mapped[datetime] = field(column="InvoiceDate")
    billing_address: Mapped[str | None] = field(
        max_length=70, column="BillingAddress", default=None
    )
    billing_city: Mapped[str | None] = field(max_length=40, column="BillingCity", default=None)
    billing_state: Mapped[str | None] = field(max_length=40, column="BillingState", default=None)
    billing_country: Mapped[str | None] = field(
        max_length=40, column="BillingCountry", default=None
    )
    billing_postal_code: Mapped[str | None] = field(
        max_length=10, column="BillingPostalCode", default=None
    )
    total: Mapped[Decimal] = field(max_digits=10, decimal_places=2, column="Total")
    customer: Mapped[Customer] = relationship(back_populates="invoices")
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice")


class InvoiceLine(Model, table="InvoiceLine"):
    """One track bought on an invoice, at a unit price and quantity."""

    id: Mapped[int] = field(primary_key=True, column="InvoiceLineId", default=None)
    invoice_id: Mapped[int] = field(
        column="InvoiceId", foreign_key="Invoice.id", index=True, default=None
    )
    track_id: Mapped[int] = field(
        column="TrackId", foreign_key="Track.id", index=True, default=None
    )
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, column="UnitPrice")
    quantity: Mapped[int] = field(column="Quantity")
    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    track: Mapped[Track] = relationship()


ALL_MODELS: list[type[Model]] = [
    Artist,
    Album,
    Genre,
    MediaType,
    Track,
    Playlist,
    PlaylistTrack,
    Employee,
    Customer,
    Invoice,
    InvoiceLine,
]
"""Every Chinook model, parents before children (the order ``create_all`` needs)."""
