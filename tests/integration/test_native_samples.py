"""Round trip on the Chinook sample loaded natively into each server (its own
PostgreSQL and MySQL scripts, not the SQLite file): load the script into a database of
the test's own → reflect → ``ormolu inspect`` → lint and type-check the models →
``create_all`` them into the test's empty database → reflect → the same state; and a
the rows copied through the generated models read back equal.

The scripts (tests/data/chinook, MIT, see LICENSE.md there) are byte-for-byte copies of
lerocha/chinook-database's; they start by dropping, creating and switching to their own
database (``\\c`` is a psql meta-command), which :func:`statements` leaves out: the test
loads them into a database it names, creates and drops itself."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asyncdb import in_process
from test_sample_roundtrip import _parents_first, _referenced_rows_first, load_module, models_of

from ormolu import Database
from ormolu.cli.inspect import write_models
from ormolu.orm.registry import configure
from ormolu.schema.state import SchemaState, state_from_tables
from ormolu.url import URL

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "tests" / "data" / "chinook"
# the rows of the 11 tables (tests/data/chinook; the same in the SQLite file)
CHINOOK_ROWS = 347 + 275 + 59 + 8 + 25 + 412 + 2240 + 5 + 18 + 8715 + 3503
SCRIPTS = {"postgresql": "Chinook_PostgreSql.sql", "mysql": "Chinook_MySql.sql"}
# The scripts' own database handling, left out (the test makes its own database).
_OWN_DATABASE = re.compile(r"^\s*(DROP\s+DATABASE|CREATE\s+DATABASE|USE\s|\\c\s)", re.I)


def statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script``, split at each ``;`` outside string literals and
    comments, without the script's DROP/CREATE DATABASE, USE and ``\\c`` lines.

    The scripts' literals double their quotes (``'O''Reilly'``) and use no backslash
    escapes, so a quote toggles the string state."""
    buf: list[str] = []
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c == "'":
            end = script.index("'", i + 1) + 1
            buf.append(script[i:end])
            i = end
        elif script.startswith("/*", i):
            i = script.index("*/", i) + 2
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end
        elif c == ";":
            yield from _kept("".join(buf))
            buf, i = [], i + 1
        else:
            buf.append(c)
            i += 1
    yield from _kept("".join(buf))


def _kept(stmt: str) -> Iterator[str]:
    stmt = stmt.strip()
    if stmt and not _OWN_DATABASE.match(stmt):
        yield stmt


def _url(base: URL, database: str) -> str:
    auth = quote(base.user or "", safe="")
    if base.password:
        auth += ":" + quote(base.password, safe="")
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{auth}{'@' if auth else ''}{base.host}{port}/{database}"


def _connect(url: URL, dialect: str, database: str | None) -> Any:
    """A raw autocommit driver connection (CREATE/DROP DATABASE cannot run in the
    transaction every ormolu session opens; the script loads fastest without one)."""
    if dialect == "postgresql":
        import psycopg

        return psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.user, password=url.password,
            dbname=database or "postgres", autocommit=True, connect_timeout=5,
        )  # fmt: skip
    import pymysql

    return pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.user or "root",
        password=url.password or "", database=database, autocommit=True,
        connect_timeout=5, charset="utf8mb4",
    )  # fmt: skip


@pytest.fixture
def native(db: Database) -> Iterator[Database]:
    """Chinook loaded by its own script into a new database on ``db``'s server."""
    if in_process(db):
        pytest.skip("the sample's native scripts are for database servers")
    dialect = db.dialect.name
    script = SCRIPTS.get(dialect)
    if script is None:  # pragma: no cover - a server dialect without a Chinook script
        pytest.skip(f"no native Chinook script for {dialect}")
    name = f"ormolu_chinook_{secrets.token_hex(4)}"
    q = '"' if dialect == "postgresql" else "`"
    admin = _connect(db.url, dialect, None)
    admin.cursor().execute(f"CREATE DATABASE {q}{name}{q}")
    try:
        conn = _connect(db.url, dialect, name)
        cur = conn.cursor()
        for stmt in statements((CHINOOK / script).read_text(encoding="utf-8")):
            cur.execute(stmt)
        conn.close()
        loaded = Database(_url(db.url, name))
        try:
            yield loaded
        finally:
            loaded.dispose()
    finally:
        force = " WITH (FORCE)" if dialect == "postgresql" else ""
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {q}{name}{q}{force}")
        admin.close()


def reflect(db: Database) -> SchemaState:
    with db.session() as s:
        state: SchemaState = s.run(db.dialect.reflector().reflect())
    return state


def test_statements_split_outside_literals() -> None:
    script = "/* a; b */\nDROP DATABASE x;\nINSERT INTO t VALUES (N'a;''b'); -- c;\nUSE `x`;"
    assert list(statements(script)) == ["INSERT INTO t VALUES (N'a;''b')"]


@pytest.mark.sync_only("a schema round trip: the front end plays no part in it")
def test_native_chinook_round_trip(db: Database, native: Database, tmp_path: Path) -> None:
    source = reflect(native)
    assert len(source.tables) == 11
    code = write_models(source, native.dialect, "chinook")
    path = tmp_path / f"native_chinook_{db.dialect.name}.py"
    path.write_text(code, encoding="utf-8")
    venv = Path(sys.executable).parent
    config = ["--config", str(ROOT / "pyproject.toml")]
    for cmd in (
        [str(venv / "ruff"), "check", *config, str(path)],
        [str(venv / "ruff"), "format", "--check", *config, str(path)],
        [str(venv / "mypy"), "--strict", str(path)],
    ):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
    module = load_module(code, path, path.stem)
    models = models_of(module)
    for m in models:
        configure(m.__mapper__)
    tables = [m.__mapper__.table for m in models]
    assert source.differences(state_from_tables(native.dialect, tables)) == []
    db.create_all(models)
    assert reflect(db).differences(source) == []
    # every row of each table through the generated models, parents first
    copied: dict[str, list[dict[str, Any]]] = {}
    with native.session() as read, db.session() as write:
        for model in _parents_first(models):
            rows = read.query(model).dicts().all()
            rows = _referenced_rows_first(model, rows)
            copied[model.__mapper__.table.name] = rows
            write.insert_many(model, rows)
    assert sum(map(len, copied.values())) == CHINOOK_ROWS
    with db.session() as s:
        for model in models:
            pk = model.__mapper__.pk_keys

            def key(row: dict[str, Any], pk: list[str] = pk) -> tuple[Any, ...]:
                return tuple(row[k] for k in pk)

            expected = sorted(copied[model.__mapper__.table.name], key=key)
            assert sorted(s.query(model).dicts().all(), key=key) == expected
