"""SQLAlchemy models of the Chinook tables the concurrency scenario touches, mapped onto
the tables ``examples/chinook`` creates (its quoted, mixed-case table and column names):
artist, album, track, customer, invoice and invoice line, with the relationships the
requests load (``Track.album``, ``Album.artist``, ``Invoice.customer``, ``Invoice.lines``,
``InvoiceLine.track``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """The declarative base."""


class Artist(Base):
    """An artist."""

    __tablename__ = "Artist"
    id: Mapped[int] = mapped_column("ArtistId", primary_key=True)
    name: Mapped[str | None] = mapped_column("Name", String(120))


class Album(Base):
    """An album, by one artist."""

    __tablename__ = "Album"
    id: Mapped[int] = mapped_column("AlbumId", primary_key=True)
    title: Mapped[str] = mapped_column("Title", String(160))
    artist_id: Mapped[int] = mapped_column("ArtistId", ForeignKey("Artist.ArtistId"))
    artist: Mapped[Artist] = relationship()


class Track(Base):
    """A track, on an album, of a genre."""

    __tablename__ = "Track"
    id: Mapped[int] = mapped_column("TrackId", primary_key=True)
    name: Mapped[str] = mapped_column("Name", String(200))
    album_id: Mapped[int | None] = mapped_column("AlbumId", ForeignKey("Album.AlbumId"))
    genre_id: Mapped[int | None] = mapped_column("GenreId")
    unit_price: Mapped[Decimal] = mapped_column("UnitPrice", Numeric(10, 2))
    album: Mapped[Album | None] = relationship()


class Customer(Base):
    """A customer, with the billing address an invoice copies."""

    __tablename__ = "Customer"
    id: Mapped[int] = mapped_column("CustomerId", primary_key=True)
    first_name: Mapped[str] = mapped_column("FirstName", String(40))
    last_name: Mapped[str] = mapped_column("LastName", String(20))
    address: Mapped[str | None] = mapped_column("Address", String(70))
    city: Mapped[str | None] = mapped_column("City", String(40))
    state: Mapped[str | None] = mapped_column("State", String(40))
    country: Mapped[str | None] = mapped_column("Country", String(40))
    postal_code: Mapped[str | None] = mapped_column("PostalCode", String(10))
    email: Mapped[str] = mapped_column("Email", String(60))


class Invoice(Base):
    """A customer's purchase with its lines."""

    __tablename__ = "Invoice"
    id: Mapped[int] = mapped_column("InvoiceId", primary_key=True)
    customer_id: Mapped[int] = mapped_column("CustomerId", ForeignKey("Customer.CustomerId"))
    invoice_date: Mapped[datetime] = mapped_column("InvoiceDate")
    billing_address: Mapped[str | None] = mapped_column("BillingAddress", String(70))
    billing_city: Mapped[str | None] = mapped_column("BillingCity", String(40))
    billing_state: Mapped[str | None] = mapped_column("BillingState", String(40))
    billing_country: Mapped[str | None] = mapped_column("BillingCountry", String(40))
    billing_postal_code: Mapped[str | None] = mapped_column("BillingPostalCode", String(10))
    total: Mapped[Decimal] = mapped_column("Total", Numeric(10, 2))
    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice")


class InvoiceLine(Base):
    """One track bought on an invoice."""

    __tablename__ = "InvoiceLine"
    id: Mapped[int] = mapped_column("InvoiceLineId", primary_key=True)
    invoice_id: Mapped[int] = mapped_column("InvoiceId", ForeignKey("Invoice.InvoiceId"))
    track_id: Mapped[int] = mapped_column("TrackId", ForeignKey("Track.TrackId"))
    unit_price: Mapped[Decimal] = mapped_column("UnitPrice", Numeric(10, 2))
    quantity: Mapped[int] = mapped_column("Quantity")
    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    track: Mapped[Track] = relationship()
