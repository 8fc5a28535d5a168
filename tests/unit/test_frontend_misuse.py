"""Mixing up the two front ends gets an error naming the right call (no database)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ormolu import AsyncDatabase, Database, Mapped, Model, field


class Thing(Model, table="fm_thing"):
    id: Mapped[int] = field(primary_key=True, default=None)


def test_a_sync_query_is_not_awaited_or_async_iterated() -> None:
    s = Database().session()
    q: Any = s.query(Thing)

    async def misuse() -> None:
        await q

    with pytest.raises(TypeError, match=r"without await .* AsyncDatabase"):
        asyncio.run(misuse())
    with pytest.raises(TypeError, match=r"'async for' needs an AsyncSession"):
        q.__aiter__()
    with pytest.raises(TypeError, match=r"streams with yield_per\(100\)"):
        q.stream(100)
    s.close()


def test_a_sync_session_is_not_used_with_async_with() -> None:
    async def misuse() -> None:
        async with Database().session():  # type: ignore[attr-defined]
            pass

    with pytest.raises(TypeError, match=r"AsyncDatabase\(url\)"):
        asyncio.run(misuse())


def test_an_async_query_is_not_iterated_or_streamed_with_yield_per() -> None:
    db = AsyncDatabase()
    s = db.session()
    q = s.query(Thing)
    with pytest.raises(TypeError, match=r"async for row in query.stream"):
        iter(q)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"stream\(50\)"):
        q.yield_per(50)
    with pytest.raises(TypeError, match="'async with'"), s:  # type: ignore[attr-defined]
        pass
