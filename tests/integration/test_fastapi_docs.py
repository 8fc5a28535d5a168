"""docs/fastapi.md, run as written against PostgreSQL, MariaDB and a SQLite file.

The page's code is the test: its ```python blocks are executed in order (as
tests/test_docs.py does, where the page runs on its default SQLite file) with
DATABASE_URL naming this test's database. The page itself sends 50 concurrent POSTs,
GETs and read-modify-write POSTs to its async app and to its sync app through
``httpx.AsyncClient`` and asserts every answer; this test then checks the database
afterwards with a connection of its own."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from asyncdb import run
from conftest import server_url
from fastapi import Depends, FastAPI
from test_docs import ROOT, python_blocks

from ormolu import AsyncDatabase, AsyncSession, Database, Mapped, Model, field

PAGE = ROOT / "docs" / "fastapi.md"
SQLITE_SETTINGS = "?journal_mode=wal&busy_timeout=5000&begin=immediate"


def run_page(url: str, monkeypatch: pytest.MonkeyPatch, upto: int | None = None) -> dict[str, Any]:
    """Execute the page's blocks (the first ``upto`` of them) with DATABASE_URL=url;
    return its namespace."""
    monkeypatch.setenv("DATABASE_URL", url)
    module = types.ModuleType("_ormolu_fastapi_page")
    module.__file__ = str(PAGE)
    sys.modules[module.__name__] = module
    try:
        for first_line, source in python_blocks(PAGE.read_text(encoding="utf-8"))[:upto]:
            exec(compile("\n" * (first_line - 1) + source, str(PAGE), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql", "mysql"])
def test_fastapi_page_under_concurrent_requests(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from conftest import selected_backends

    if backend not in selected_backends(request.config):
        pytest.skip(f"--db does not select {backend}")
    if backend == "sqlite-file":
        url = f"sqlite:///{tmp_path}/app.db{SQLITE_SETTINGS}"
    else:
        url = server_url(backend)
    page = run_page(url, monkeypatch)
    Post = page["Post"]
    # what the page's requests left: 50 posts from the sync app (it ran last, on fresh
    # tables), each written once, the first liked 50 times
    check = Database(url)
    try:
        with check.session() as s:
            rows = s.query(Post).order_by(Post.id).all()
            assert sorted(p.title for p in rows) == sorted(f"post {i}" for i in range(50))
            assert [p.id for p in rows] == sorted(page["sync_result"]["ids"])
            assert {p.id: p.likes for p in rows if p.likes} == {page["sync_result"]["ids"][0]: 50}
            assert all(p.body == "text" for p in rows)
        assert page["async_result"]["likes"] == 50 and page["sync_result"]["likes"] == 50
        assert len(set(page["async_result"]["ids"])) == 50
        if backend == "sqlite-file":
            with check.session() as s:  # the URL's settings were in force
                assert s.execute("PRAGMA journal_mode").scalar() == "wal"
                assert s.execute("PRAGMA busy_timeout").scalar() == 5000
    finally:
        check.drop_all([Post])
        check.dispose()


class Slot(Model, table="api_slot"):
    id: Mapped[int] = field(primary_key=True, autoincrement=False)


def test_scope_function_makes_a_failed_commit_an_error_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's dependency (scope="function") against the default scope: a COMMIT that
    # fails (here its flush: two rows with one key) must not follow a 201 to the client.
    page = run_page(f"sqlite:///{tmp_path}/app.db", monkeypatch, upto=2)  # the async app
    assert "async_session" in page and "sync_app" not in page
    url = f"sqlite:///{tmp_path}/slots.db{SQLITE_SETTINGS}"
    Database(url).create_all([Slot])
    page["adb"] = AsyncDatabase(url)  # what the page's async_session() opens sessions on
    app = FastAPI()

    async def add_twice(s: AsyncSession) -> dict[str, str]:
        s.add(Slot(id=1))
        s.add(Slot(id=1))  # written (and refused) only when the session commits
        return {"status": "created"}

    async def with_page_dependency(s: AsyncSession) -> dict[str, str]:
        return await add_twice(s)

    async def with_default_scope(s: AsyncSession) -> dict[str, str]:
        return await add_twice(s)

    # (set as objects: this module's string annotations cannot name the page's values)
    with_page_dependency.__annotations__["s"] = page["AsyncSessionDep"]
    with_default_scope.__annotations__["s"] = Annotated[
        AsyncSession, Depends(page["async_session"])
    ]
    app.post("/function", status_code=201)(with_page_dependency)
    app.post("/request", status_code=201)(with_default_scope)

    async def main() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            function = (await client.post("/function")).status_code
            request = (await client.post("/request")).status_code
        await page["adb"].close()
        return function, request

    function_status, request_status = run(main())
    assert function_status == 500  # the client learns the write failed
    assert request_status == 201  # the default scope answered before the COMMIT failed
    with Database(url).session() as s:
        assert s.query(Slot).count() == 0
