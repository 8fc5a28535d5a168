"""A transactional write: a new invoice with its lines, all or nothing.

:func:`create_invoice` adds an :class:`~examples.chinook.models.Invoice` and its
:class:`~examples.chinook.models.InvoiceLine` rows in the caller's session through the
relationships (``Invoice(customer=customer, lines=[InvoiceLine(...), ...])``: one flush
inserts the invoice, then its lines with its new id), computing the invoice total from the
lines as a ``Decimal``. :func:`write_invoice` runs it in one
transaction and commits; :func:`write_invoice_unknown_track` shows the failure path: a line
referencing a track that does not exist violates the ``TrackId`` foreign key, ormolu
raises its typed :class:`~ormolu.ForeignKeyViolation`, the transaction is rolled back and
the invoice written just before it is gone too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from ormolu import Database, ForeignKeyViolation, Session, func, selectinload

from .models import Album, Customer, Invoice, InvoiceLine

#: A track id that does not exist in Chinook (its ids run from 1 to 3503).
UNKNOWN_TRACK_ID = 999_999


@dataclass(frozen=True)
class LineItem:
    """One line to invoice: a track, its unit price and the quantity bought."""

    track_id: int
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class InvoiceWritten:
    """The outcome of :func:`write_invoice`."""

    invoice_id: int
    customer_id: int
    lines: tuple[LineItem, ...]
    total: Decimal
    invoices_before: int
    invoices_after: int


@dataclass(frozen=True)
class WriteRefused:
    """The outcome of :func:`write_invoice_unknown_track`: the error and the row counts."""

    error: ForeignKeyViolation
    invoices_before: int
    invoices_after: int
    lines_before: int
    lines_after: int


def invoice_total(lines: Sequence[LineItem]) -> Decimal:
    """The total of an invoice: the sum of ``unit_price * quantity`` over its lines.

    Example: ``invoice_total([LineItem(1, Decimal("0.99"), 2)]) == Decimal("1.98")``.
    """
    return sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))


def create_invoice(
    s: Session,
    customer_id: int,
    lines: Sequence[LineItem],
    *,
    invoice_date: datetime | None = None,
) -> Invoice:
    """Add an invoice with ``lines`` for an existing customer to the session ``s``.

    The billing address is copied from the customer and ``total`` is computed from the
    lines. The rows are flushed (so the invoice has its id) but not committed: the caller
    owns the transaction.

    Parameters:
        s: the session whose transaction receives the rows.
        customer_id: an existing customer's id.
        lines: the tracks bought; at least one.
        invoice_date: defaults to today at midnight, like Chinook's own dates.

    Returns the new, flushed :class:`Invoice`.

    Raises:
        ValueError: when ``lines`` is empty.
        ormolu.NoResultFound: when there is no such customer.
        ormolu.ForeignKeyViolation: when a line refers to a track that does not exist.
    """
    if not lines:
        raise ValueError("an invoice needs at least one line")
    customer = s.get_one(Customer, customer_id)
    invoice = Invoice(
        customer=customer,
        invoice_date=invoice_date or datetime.combine(date.today(), time()),
        billing_address=customer.address,
        billing_city=customer.city,
        billing_state=customer.state,
        billing_country=customer.country,
        billing_postal_code=customer.postal_code,
        total=invoice_total(lines),
        # A line names its track by id: a track that does not exist is refused by the
        # database's foreign key (ForeignKeyViolation), not looked up beforehand.
        lines=[
            InvoiceLine(track_id=line.track_id, unit_price=line.unit_price, quantity=line.quantity)
            for line in lines
        ],
    )
    s.add(invoice)  # the lines come along (cascade)
    s.flush()  # the invoice first, then its lines with the new invoice id
    return invoice


def count_invoices(s: Session) -> tuple[int, int]:
    """The numbers of invoices and of invoice lines: ``(invoices, lines)``."""
    invoices = s.query(func.count(Invoice.id)).scalar()
    lines = s.query(func.count(InvoiceLine.id)).scalar()
    return int(invoices or 0), int(lines or 0)


def write_invoice(
    db: Database, customer_id: int = 1, album_id: int = 1, quantities: Sequence[int] = (1, 2, 1)
) -> InvoiceWritten:
    """Invoice the first tracks of an album to a customer, in one committed transaction.

    One track per entry of ``quantities`` is taken from album ``album_id`` (its
    ``tracks`` relationship, in track id order) at its current price. Returns the new
    invoice's id, its lines and total and the invoice counts before and after.
    """
    with db.session() as s:
        before, _ = count_invoices(s)
    with db.session() as s, s.begin():
        album = s.query(Album).where(Album.id == album_id).options(selectinload(Album.tracks)).one()
        lines = tuple(
            LineItem(track.id, track.unit_price, qty)
            for track, qty in zip(album.tracks[: len(quantities)], quantities, strict=True)
        )
        invoice = create_invoice(s, customer_id, lines)
        invoice_id, total = invoice.id, invoice.total
    with db.session() as s:
        after, _ = count_invoices(s)
    return InvoiceWritten(invoice_id, customer_id, lines, total, before, after)


def write_invoice_unknown_track(db: Database, customer_id: int = 1) -> WriteRefused:
    """Try to write an invoice whose second line names a track that does not exist.

    The invoice and its first line are inserted, then the second line's INSERT violates
    the foreign key; the whole transaction is rolled back. Returns the error (a
    :class:`~ormolu.ForeignKeyViolation`) with the invoice and line counts before and
    after, which are equal.
    """
    with db.session() as s:
        invoices_before, lines_before = count_invoices(s)
    lines = (
        LineItem(1, Decimal("0.99"), 1),
        LineItem(UNKNOWN_TRACK_ID, Decimal("0.99"), 1),
    )
    try:
        with db.session() as s, s.begin():
            create_invoice(s, customer_id, lines)
    except ForeignKeyViolation as e:
        error = e
    else:  # pragma: no cover - the database accepted a dangling reference
        raise AssertionError("the foreign key was not enforced")
    with db.session() as s:
        invoices_after, lines_after = count_invoices(s)
    return WriteRefused(error, invoices_before, invoices_after, lines_before, lines_after)
