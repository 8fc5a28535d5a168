"""Typing expectations for the async front end, checked by ``mypy --strict``: the same
shapes as the sync API (``tests/typing/check_queries.py``), awaited.

Only type-checked: nothing here runs (the async front end is exercised by the integration
suite under both front ends). What mypy must reject is in ``tests/test_typing_rejects.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, assert_type

from ormolu import (
    AsyncDatabase,
    AsyncQuery,
    AsyncSession,
    Mapped,
    Model,
    field,
    func,
    relationship,
    selectinload,
)


class AArtist(Model, table="typing_async_artist"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=120)
    albums: Mapped[list[AAlbum]] = relationship(back_populates="artist")


class AAlbum(Model, table="typing_async_album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=160)
    price: Mapped[Decimal] = field(max_digits=6, decimal_places=2, default=Decimal(0))
    artist_id: Mapped[int] = field(foreign_key="AArtist.id", default=None)
    artist: Mapped[AArtist] = relationship(back_populates="albums")


async def results(db: AsyncDatabase) -> None:
    await db.create_all([AArtist, AAlbum])
    async with db.session() as s:
        assert_type(s, AsyncSession)
        s.add(AArtist(name="x"))  # no await: plain calls
        await s.flush()
        q = s.query(AAlbum).where(AAlbum.price < 9).options(selectinload(AAlbum.artist))
        assert_type(q, AsyncQuery[AAlbum])
        assert_type(await q.all(), list[AAlbum])
        assert_type(await q.first(), AAlbum | None)
        assert_type(await q.one(), AAlbum)
        assert_type(await q.one_or_none(), AAlbum | None)
        assert_type(await q.count(), int)
        assert_type(await q.exists(), bool)
        assert_type(await s.query(AAlbum.title, AAlbum.price).all(), list[tuple[str, Decimal]])
        assert_type(await s.query(func.count(AAlbum.id)).one(), int)
        assert_type(await s.query(AAlbum).dicts().all(), list[dict[str, Any]])
        assert_type(await s.get(AArtist, 1), AArtist | None)
        assert_type(await s.get_one(AArtist, 1), AArtist)
        rows = s.query(AAlbum).stream(100)
        assert_type(rows, AsyncIterator[AAlbum])
        async for album in rows:
            assert_type(album, AAlbum)
        artists = await s.query(AArtist).all()
        await s.load(artists, AArtist.albums)
        async with s.begin_nested():
            s.delete(artists[0])
        assert_type(await s.insert_many(AArtist, [{"name": "y"}]), int)
        await s.commit()
    await db.close()
