"""The three requests of the concurrency scenario, written once per contender.

Each contender is a class with ``open(url, pool)`` / ``close()`` and three coroutines,
each a realistic web request that builds the same JSON-able response:

* ``invoice(invoice_id)``: the invoice with its customer and its lines with their
  tracks -> ``{"id", "customer", "total", "lines": [{"track", "unit_price",
  "quantity"}]}``;
* ``genre_tracks(genre_id)``: the first 50 tracks of a genre (by id) with their album and
  its artist -> ``[{"id", "name", "album", "artist"}]``;
* ``checkout(customer_id, track_ids)``: one transaction: read the customer (the billing
  address is copied) and the 5 tracks (their prices), insert an invoice with its total
  and its 5 lines -> ``{"invoice_id", "total"}``.

The ORMs use their idiomatic eager loading with the same plan (the customer, a track's
album and the album's artist joined; the lines loaded select-in). The raw driver sends
2, 1 and 6 statements (BEGIN, the customer, the tracks, the invoice, the lines in one
multi-row INSERT, COMMIT); ormolu the same numbers (checked with ``db.capture()``), its
checkout reading the customer and the tracks before its BEGIN (its transaction begins
at the first write); SQLAlchemy's sessions add their BEGIN and ROLLBACK around reads.
Every contender has a pool of ``pool`` connections (no overflow): the raw driver an
``asyncio.Queue`` of psycopg ``AsyncConnection``s, ormolu ``AsyncDatabase(pool_size=...)``,
SQLAlchemy ``create_async_engine(pool_size=...)``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

INVOICE_DATE = datetime(2026, 1, 1)
Response = Any


def _line(track: str, unit_price: Decimal, quantity: int) -> dict[str, Any]:
    return {"track": track, "unit_price": str(unit_price), "quantity": quantity}


def _invoice(iid: int, customer: str, total: Decimal, lines: list[Any]) -> dict[str, Any]:
    return {"id": iid, "customer": customer, "total": str(total), "lines": lines}


# -- raw psycopg ------------------------------------------------------------------------
class RawPsycopg:
    """Hand-written SQL on a queue of psycopg ``AsyncConnection``s in autocommit mode."""

    label = "raw psycopg async"
    dists = ["psycopg"]

    async def open(self, url: dict[str, Any], pool: int) -> None:
        import psycopg

        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(pool):
            self.queue.put_nowait(await psycopg.AsyncConnection.connect(**url, autocommit=True))

    async def close(self) -> None:
        while not self.queue.empty():
            await self.queue.get_nowait().close()

    async def invoice(self, invoice_id: int) -> Response:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(
                'SELECT i."InvoiceId", i."Total", c."FirstName", c."LastName", c."Email" '
                'FROM "Invoice" i JOIN "Customer" c ON c."CustomerId" = i."CustomerId" '
                'WHERE i."InvoiceId" = %s',
                (invoice_id,),
            )
            iid, total, first, last, email = await cur.fetchone()
            cur = await conn.execute(
                'SELECT t."Name", l."UnitPrice", l."Quantity" FROM "InvoiceLine" l '
                'JOIN "Track" t ON t."TrackId" = l."TrackId" WHERE l."InvoiceId" = %s '
                'ORDER BY l."InvoiceLineId"',
                (invoice_id,),
            )
            lines = [_line(*r) for r in await cur.fetchall()]
        finally:
            self.queue.put_nowait(conn)
        return _invoice(iid, f"{first} {last} <{email}>", total, lines)

    async def genre_tracks(self, genre_id: int) -> Response:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(
                'SELECT t."TrackId", t."Name", a."Title", r."Name" FROM "Track" t '
                'LEFT JOIN "Album" a ON a."AlbumId" = t."AlbumId" '
                'LEFT JOIN "Artist" r ON r."ArtistId" = a."ArtistId" '
                'WHERE t."GenreId" = %s ORDER BY t."TrackId" LIMIT 50',
                (genre_id,),
            )
            rows = await cur.fetchall()
        finally:
            self.queue.put_nowait(conn)
        return [{"id": i, "name": n, "album": al, "artist": ar} for i, n, al, ar in rows]

    async def checkout(self, customer_id: int, track_ids: list[int]) -> Response:
        conn = await self.queue.get()
        try:
            await conn.execute("BEGIN")
            try:
                cur = await conn.execute(
                    'SELECT "Address", "City", "State", "Country", "PostalCode" '
                    'FROM "Customer" WHERE "CustomerId" = %s',
                    (customer_id,),
                )
                address = await cur.fetchone()
                cur = await conn.execute(
                    'SELECT "TrackId", "UnitPrice" FROM "Track" WHERE "TrackId" = ANY(%s)',
                    (track_ids,),
                )
                prices = await cur.fetchall()
                total = sum((p for _, p in prices), Decimal("0.00"))
                cur = await conn.execute(
                    'INSERT INTO "Invoice" ("CustomerId", "InvoiceDate", "BillingAddress", '
                    '"BillingCity", "BillingState", "BillingCountry", "BillingPostalCode", '
                    '"Total") VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING "InvoiceId"',
                    (customer_id, INVOICE_DATE, *address, total),
                )
                (invoice_id,) = await cur.fetchone()
                values = ", ".join(["(%s, %s, %s, %s)"] * len(prices))
                await conn.execute(
                    'INSERT INTO "InvoiceLine" ("InvoiceId", "TrackId", "UnitPrice", '
                    f'"Quantity") VALUES {values}',
                    [v for tid, p in prices for v in (invoice_id, tid, p, 1)],
                )
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        finally:
            self.queue.put_nowait(conn)
        return {"invoice_id": invoice_id, "total": str(total)}


# -- raw psycopg, ormolu's statements ---------------------------------------------------
_CUSTOMER_COLS = (
    '"{t}"."CustomerId", "{t}"."FirstName", "{t}"."LastName", "{t}"."Company", '
    '"{t}"."Address", "{t}"."City", "{t}"."State", "{t}"."Country", "{t}"."PostalCode", '
    '"{t}"."Phone", "{t}"."Fax", "{t}"."Email", "{t}"."SupportRepId"'
)
_TRACK_COLS = (
    '"{t}"."TrackId", "{t}"."Name", "{t}"."AlbumId", "{t}"."MediaTypeId", "{t}"."GenreId", '
    '"{t}"."Composer", "{t}"."Milliseconds", "{t}"."Bytes", "{t}"."UnitPrice"'
)
WIDE_INVOICE = (
    'SELECT "Invoice"."InvoiceId", "Invoice"."CustomerId", "Invoice"."InvoiceDate", '
    '"Invoice"."BillingAddress", "Invoice"."BillingCity", "Invoice"."BillingState", '
    '"Invoice"."BillingCountry", "Invoice"."BillingPostalCode", "Invoice"."Total", '
    + _CUSTOMER_COLS.format(t="j1_Customer")
    + ' FROM "Invoice" LEFT OUTER JOIN "Customer" AS "j1_Customer" ON '
    '"Invoice"."CustomerId" = "j1_Customer"."CustomerId" WHERE "Invoice"."InvoiceId" = %s'
)
WIDE_LINES = (
    'SELECT "InvoiceLine"."InvoiceLineId", "InvoiceLine"."InvoiceId", '
    '"InvoiceLine"."TrackId", "InvoiceLine"."UnitPrice", "InvoiceLine"."Quantity", '
    + _TRACK_COLS.format(t="j1_Track")
    + ' FROM "InvoiceLine" LEFT OUTER JOIN "Track" AS "j1_Track" ON '
    '"InvoiceLine"."TrackId" = "j1_Track"."TrackId" WHERE "InvoiceLine"."InvoiceId" IN (%s) '
    'ORDER BY "InvoiceLine"."InvoiceLineId"'
)
WIDE_GENRE = (
    "SELECT "
    + _TRACK_COLS.format(t="Track")
    + ', "j1_Album"."AlbumId", "j1_Album"."Title", "j1_Album"."ArtistId", '
    '"j2_Artist"."ArtistId", "j2_Artist"."Name" FROM "Track" LEFT OUTER JOIN "Album" AS '
    '"j1_Album" ON "Track"."AlbumId" = "j1_Album"."AlbumId" LEFT OUTER JOIN "Artist" AS '
    '"j2_Artist" ON "j1_Album"."ArtistId" = "j2_Artist"."ArtistId" WHERE '
    '"Track"."GenreId" = %s ORDER BY "Track"."TrackId" LIMIT %s'
)
WIDE_CUSTOMER = (
    "SELECT " + _CUSTOMER_COLS.format(t="Customer") + ' FROM "Customer" WHERE '
    '"Customer"."CustomerId" = %s'
)
WIDE_TRACKS = (
    "SELECT " + _TRACK_COLS.format(t="Track") + ' FROM "Track" WHERE "Track"."TrackId" = ANY(%s)'
)
WIDE_INSERT_INVOICE = (
    'INSERT INTO "Invoice" ("CustomerId", "InvoiceDate", "BillingAddress", "BillingCity", '
    '"BillingState", "BillingCountry", "BillingPostalCode", "Total") VALUES (%s, %s, %s, '
    '%s, %s, %s, %s, %s) RETURNING "InvoiceId"'
)


class RawOrmoluStatements(RawPsycopg):
    """Raw psycopg sending exactly the statements ormolu sends (every column of each
    model, the joins aliased, the lines' keys returned, the reads before the BEGIN;
    checked against ``db.capture()``), the responses built from its tuples as the raw
    contender builds them: the part of ormolu's gap that is the SQL itself (wider rows
    for psycopg to read, for the server to send), not ormolu's Python."""

    label = "raw psycopg async, ormolu's statements"

    async def invoice(self, invoice_id: int) -> Response:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(WIDE_INVOICE, (invoice_id,))
            inv = await cur.fetchone()
            cur = await conn.execute(WIDE_LINES, (invoice_id,))
            lines = [_line(r[6], r[3], r[4]) for r in await cur.fetchall()]
        finally:
            self.queue.put_nowait(conn)
        return _invoice(inv[0], f"{inv[10]} {inv[11]} <{inv[20]}>", inv[8], lines)

    async def genre_tracks(self, genre_id: int) -> Response:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(WIDE_GENRE, (genre_id, 50))
            rows = await cur.fetchall()
        finally:
            self.queue.put_nowait(conn)
        return [{"id": r[0], "name": r[1], "album": r[10], "artist": r[13]} for r in rows]

    async def checkout(self, customer_id: int, track_ids: list[int]) -> Response:
        conn = await self.queue.get()
        try:
            cur = await conn.execute(WIDE_CUSTOMER, (customer_id,))
            c = await cur.fetchone()
            cur = await conn.execute(WIDE_TRACKS, (track_ids,))
            tracks = await cur.fetchall()
            total = sum((t[8] for t in tracks), Decimal("0.00"))
            await conn.execute("BEGIN")
            try:
                cur = await conn.execute(
                    WIDE_INSERT_INVOICE, (customer_id, INVOICE_DATE, *c[4:9], total)
                )
                (invoice_id,) = await cur.fetchone()
                values = ", ".join(["(%s, %s, %s, %s)"] * len(tracks))
                cur = await conn.execute(
                    'INSERT INTO "InvoiceLine" ("InvoiceId", "TrackId", "UnitPrice", '
                    f'"Quantity") VALUES {values} RETURNING "InvoiceLineId"',
                    [v for t in tracks for v in (invoice_id, t[0], t[8], 1)],
                )
                await cur.fetchall()
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        finally:
            self.queue.put_nowait(conn)
        return {"invoice_id": invoice_id, "total": str(total)}


# -- ormolu -----------------------------------------------------------------------------
class Ormolu:
    """ormolu's ``AsyncSession`` on the Chinook models of ``examples/chinook``."""

    label = "ormolu async"
    dists = ["ormolu", "psycopg"]
    scheme = "postgresql"  # psycopg's AsyncConnection, the default

    async def open(self, url: dict[str, Any], pool: int) -> None:
        from ormolu import AsyncDatabase

        self.db = AsyncDatabase(_url(self.scheme, url), pool_size=pool, max_overflow=0)

    async def close(self) -> None:
        await self.db.close()

    async def invoice(self, invoice_id: int) -> Response:
        from examples.chinook.models import Invoice, InvoiceLine
        from ormolu import joinedload, selectinload

        async with self.db.session() as s:
            inv = (
                await s.query(Invoice)
                .where(Invoice.id == invoice_id)
                .options(
                    joinedload(Invoice.customer),
                    selectinload(Invoice.lines).joinedload(InvoiceLine.track),
                )
                .one()
            )
            c = inv.customer
            lines = [
                _line(li.track.name, li.unit_price, li.quantity)
                for li in sorted(inv.lines, key=lambda li: li.id)
            ]
            return _invoice(inv.id, f"{c.first_name} {c.last_name} <{c.email}>", inv.total, lines)

    async def genre_tracks(self, genre_id: int) -> Response:
        from examples.chinook.models import Album, Track
        from ormolu import joinedload

        async with self.db.session() as s:
            tracks = (
                await s.query(Track)
                .where(Track.genre_id == genre_id)
                .order_by(Track.id)
                .limit(50)
                .options(joinedload(Track.album).joinedload(Album.artist))
                .all()
            )
            return [
                {
                    "id": t.id,
                    "name": t.name,
                    "album": t.album.title if t.album else None,
                    "artist": t.album.artist.name if t.album else None,
                }
                for t in tracks
            ]

    async def checkout(self, customer_id: int, track_ids: list[int]) -> Response:
        from examples.chinook.models import Customer, Invoice, InvoiceLine, Track

        async with self.db.session() as s:
            c = await s.get_one(Customer, customer_id)
            tracks = await s.query(Track).where(Track.id.in_(track_ids)).all()
            inv = Invoice(
                customer=c,
                invoice_date=INVOICE_DATE,
                billing_address=c.address,
                billing_city=c.city,
                billing_state=c.state,
                billing_country=c.country,
                billing_postal_code=c.postal_code,
                total=sum((t.unit_price for t in tracks), Decimal("0.00")),
                lines=[InvoiceLine(track=t, unit_price=t.unit_price, quantity=1) for t in tracks],
            )
            s.add(inv)
        return {"invoice_id": inv.id, "total": str(inv.total)}


def _url(scheme: str, url: dict[str, Any]) -> str:
    return f"{scheme}://{url['user']}@{url['host']}:{url['port']}/{url['dbname']}"


class OrmoluAsyncpg(Ormolu):
    """The same requests, the same models, on ormolu's asyncpg driver."""

    label = "ormolu async (asyncpg)"
    dists = ["ormolu", "asyncpg"]
    scheme = "postgresql+asyncpg"


# -- SQLAlchemy -------------------------------------------------------------------------
class SQLAlchemy:
    """SQLAlchemy's ``AsyncSession`` (``async_sessionmaker(expire_on_commit=False)``) on
    hand-mapped Chinook models (:mod:`.concurrency_models`), asyncpg."""

    label = "SQLAlchemy async (asyncpg)"
    dists = ["SQLAlchemy", "asyncpg", "greenlet"]
    scheme = "postgresql+asyncpg"

    async def open(self, url: dict[str, Any], pool: int) -> None:
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        self.engine = create_async_engine(_url(self.scheme, url), pool_size=pool, max_overflow=0)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def close(self) -> None:
        await self.engine.dispose()

    async def invoice(self, invoice_id: int) -> Response:
        from sqlalchemy import select
        from sqlalchemy.orm import joinedload, selectinload

        from .concurrency_models import Invoice, InvoiceLine

        async with self.session() as s:
            stmt = (
                select(Invoice)
                .where(Invoice.id == invoice_id)
                .options(
                    joinedload(Invoice.customer),
                    selectinload(Invoice.lines).joinedload(InvoiceLine.track),
                )
            )
            inv = (await s.scalars(stmt)).one()
            c = inv.customer
            lines = [
                _line(li.track.name, li.unit_price, li.quantity)
                for li in sorted(inv.lines, key=lambda li: li.id)
            ]
            return _invoice(inv.id, f"{c.first_name} {c.last_name} <{c.email}>", inv.total, lines)

    async def genre_tracks(self, genre_id: int) -> Response:
        from sqlalchemy import select
        from sqlalchemy.orm import joinedload

        from .concurrency_models import Album, Track

        async with self.session() as s:
            stmt = (
                select(Track)
                .where(Track.genre_id == genre_id)
                .order_by(Track.id)
                .limit(50)
                .options(joinedload(Track.album).joinedload(Album.artist))
            )
            tracks = (await s.scalars(stmt)).all()
            return [
                {
                    "id": t.id,
                    "name": t.name,
                    "album": t.album.title if t.album else None,
                    "artist": t.album.artist.name if t.album else None,
                }
                for t in tracks
            ]

    async def checkout(self, customer_id: int, track_ids: list[int]) -> Response:
        from sqlalchemy import select

        from .concurrency_models import Customer, Invoice, InvoiceLine, Track

        async with self.session() as s, s.begin():
            c = await s.get_one(Customer, customer_id)
            tracks = (await s.scalars(select(Track).where(Track.id.in_(track_ids)))).all()
            inv = Invoice(
                customer=c,
                invoice_date=INVOICE_DATE,
                billing_address=c.address,
                billing_city=c.city,
                billing_state=c.state,
                billing_country=c.country,
                billing_postal_code=c.postal_code,
                total=sum((t.unit_price for t in tracks), Decimal("0.00")),
                lines=[InvoiceLine(track=t, unit_price=t.unit_price, quantity=1) for t in tracks],
            )
            s.add(inv)
        return {"invoice_id": inv.id, "total": str(inv.total)}


class SQLAlchemyPsycopg(SQLAlchemy):
    """The same on psycopg 3's ``AsyncConnection``."""

    label = "SQLAlchemy async (psycopg)"
    dists = ["SQLAlchemy", "psycopg", "greenlet"]
    scheme = "postgresql+psycopg"


CONTENDERS: dict[str, type[Any]] = {
    "raw-async": RawPsycopg,
    "raw-async-ormolu-sql": RawOrmoluStatements,
    "ormolu-async": Ormolu,
    "ormolu-asyncpg": OrmoluAsyncpg,
    "sqlalchemy-async": SQLAlchemy,
    "sqlalchemy-async-psycopg": SQLAlchemyPsycopg,
}
