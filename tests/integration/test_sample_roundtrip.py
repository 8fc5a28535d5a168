"""Reflection and ``ormolu inspect`` round trips on the Chinook, Northwind and Sakila
sample databases, on every backend: reflect the sample (SQLite) → write models → lint
and type-check them → ``create_all`` them → copy every row through them → reflect → the
state equals the models' state, and the same again from the new database."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ormolu import Database
from ormolu.cli.inspect import write_models
from ormolu.orm.registry import configure
from ormolu.schema.state import SchemaState, state_from_tables

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "examples" / "chinook" / "data" / "Chinook_Sqlite.sqlite"
SAMPLES = ROOT / "tests" / "data"
SAKILA = SAMPLES / "sakila" / "sakila.db"
NORTHWIND_SQL = SAMPLES / "northwind"


def _northwind(tmp: Path) -> Path:
    path = tmp / "northwind.db"
    if not path.exists():
        conn = sqlite3.connect(path)
        conn.executescript((NORTHWIND_SQL / "create.sql").read_text(encoding="utf-8"))
        conn.executescript((NORTHWIND_SQL / "update.sql").read_text(encoding="utf-8"))
        conn.commit()
        conn.close()
    return path


def source(name: str, tmp: Path) -> Path:
    if name == "chinook":
        return CHINOOK
    if name == "sakila":
        return SAKILA
    return _northwind(tmp)


def reflect(db: Database) -> SchemaState:
    with db.session() as s:
        state: SchemaState = s.run(db.dialect.reflector().reflect())
    return state


def load_module(code: str, path: Path, name: str) -> ModuleType:
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_MODULES: dict[str, ModuleType] = {}


def models_of(module: ModuleType) -> list[Any]:
    return [
        v for v in vars(module).values()
        if isinstance(v, type) and getattr(v, "__mapper__", None) is not None
        and v.__module__ == module.__name__
    ]  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """The models ``inspect`` writes for each sample (from SQLite), checked by ruff and
    mypy --strict once."""
    tmp = tmp_path_factory.mktemp("samples")
    out = {}
    for name in ("chinook", "northwind", "sakila"):
        src = source(name, tmp)
        db = Database(f"sqlite:///file:{src.resolve()}?mode=ro")
        code = write_models(reflect(db), db.dialect, name)
        db.dispose()
        path = tmp / f"{name}_models.py"
        path.write_text(code, encoding="utf-8")
        out[name] = (src, code)
    files = [str(tmp / f"{n}_models.py") for n in out]
    venv = Path(sys.executable).parent
    for cmd in (
        [str(venv / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), *files],
        [str(venv / "ruff"), "format", "--check", "--config", str(ROOT / "pyproject.toml"), *files],
        [str(venv / "mypy"), "--strict", *files],
    ):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.mark.parametrize("sample", ["chinook", "northwind", "sakila"])
def test_inspect_round_trip(
    sample: str, db: Database, tmp_path: Path, generated: dict[str, tuple[Path, str]]
) -> None:
    src_path, code = generated[sample]
    if sample == "sakila":
        # SQLite keeps Sakila's MySQL types; elsewhere the models name portable stand-ins
        assert (
            'DeclaredType("YEAR", python_type=int, dialect="sqlite", portable=Integer(2))' in code
        )
    # one module per sample for all backends: model names are global to the process, and
    # a foreign key of a cycle (Sakila's store and staff) resolves by name
    module = _MODULES.get(sample) or load_module(code, tmp_path / f"rt_{sample}.py", f"rt_{sample}")
    _MODULES[sample] = module
    models = models_of(module)
    for m in models:
        configure(m.__mapper__)  # resolve the foreign keys (create_all would)
    tables = [m.__mapper__.table for m in models]
    src = Database(f"sqlite:///file:{src_path.resolve()}?mode=ro")
    assert reflect(src).differences(state_from_tables(src.dialect, tables)) == []
    db.create_all(models)
    created = reflect(db)
    assert created.differences(state_from_tables(db.dialect, tables)) == []
    # every row through the generated models (Sakila's store and staff reference each
    # other: its rows would need deferred foreign keys, so only its schema is compared)
    if sample == "sakila":
        return
    counts = {}
    with src.session() as read, db.session() as write:
        for model in _parents_first(models):
            rows = _referenced_rows_first(model, read.query(model).dicts().all())
            counts[model.__mapper__.table.name] = write.insert_many(model, rows) if rows else 0
    with db.session() as s:
        for model in models:
            assert s.query(model).count() == counts[model.__mapper__.table.name]
    src.dispose()
    # and again from the new database: inspect it, create those models, same state
    again = write_models(created, db.dialect, sample)
    assert "class" in again
    assert reflect(db).differences(created) == []


def _referenced_rows_first(model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of a table with a foreign key to itself (Northwind's Employees.ReportsTo)
    ordered so that each row comes after the row it references: InnoDB checks such a key
    row by row even within one multi-row INSERT."""
    mapper = model.__mapper__
    if len(mapper.pk_keys) != 1:
        return rows
    pk = mapper.pk_keys[0]
    fks = [
        c.key
        for c in mapper.table.columns
        if c.foreign_key is not None and c.foreign_key.column is not None
        and c.foreign_key.column.table is mapper.table
    ]  # fmt: skip
    if not fks:
        return rows
    by_key = {r[pk]: r for r in rows}
    done: set[Any] = set()
    out: list[dict[str, Any]] = []

    def visit(row: dict[str, Any], depth: int = 0) -> None:
        if row[pk] in done or depth > len(rows):
            return
        for k in fks:
            parent = by_key.get(row.get(k))
            if parent is not None and parent is not row:
                visit(parent, depth + 1)
        done.add(row[pk])
        out.append(row)

    for r in rows:
        visit(r)
    return out


def _parents_first(models: list[Any]) -> list[Any]:
    from ormolu.schema.table import sort_tables

    by_table = {m.__mapper__.table: m for m in models}
    return [by_table[t] for t in sort_tables(list(by_table))]
