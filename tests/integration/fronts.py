"""The ``front`` fixture: the test's database through each front end — the sync
:class:`~ormolu.Database` itself, and an :class:`~ormolu.AsyncDatabase` on the same URL
seen through the sync API (tests/frontend.py's adapter: every coroutine runs to its end
on the test's own event loop). Import it into a test module: ``from fronts import
front``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from ormolu import AsyncDatabase, Database
from tests.frontend import AsyncFacade


@pytest.fixture(params=["sync", "async"])
def front(request: pytest.FixtureRequest, db: Database) -> Iterator[Any]:
    """``db`` (sync), or an AsyncDatabase on its URL behind the sync API (async)."""
    if request.param == "sync":
        yield db
        return
    loop = asyncio.new_event_loop()
    facade = AsyncFacade(AsyncDatabase(str(db.url)), loop)
    try:
        yield facade
    finally:
        facade.close_loop()


def is_async(front: Any) -> bool:
    """Whether ``front`` is the async front end."""
    return isinstance(front, AsyncFacade)
