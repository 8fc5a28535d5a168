"""The architecture's rules that a grep can check: the core names no database.

Outside ``dialects/`` and ``drivers/`` (and ``url.py``, whose grammar has SQLite's special
path forms), a database or driver name may appear only in docstrings and comments: every
difference between backends is a dialect capability flag or lives in a backend's folder,
and the URL scheme is mapped to a backend in ``drivers/registry.py`` alone.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from ormolu import ConfigurationError, Database

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ormolu"
VENDOR = re.compile(r"postgres|mysql|mariadb|sqlite|psycopg|pymysql", re.IGNORECASE)
CORE = [
    "__init__.py", "engine.py", "pool.py", "exceptions.py", "sql", "orm", "session", "schema",
    "migrations", "cli",
]  # fmt: skip


def docstring_lines(tree: ast.AST) -> set[int]:
    """Line numbers of every module, class and function docstring."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def vendor_names_in_code(path: Path, root: Path = PACKAGE) -> list[str]:
    """``file:line: token`` for each code token (not a comment or docstring) naming a
    vendor."""
    source = path.read_text(encoding="utf-8")
    docs = docstring_lines(ast.parse(source))
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docs):
            continue
        if VENDOR.search(tok.string):
            found.append(f"{path.relative_to(root)}:{tok.start[0]}: {tok.string[:60]}")
    return found


def core_files() -> list[Path]:
    files: list[Path] = []
    for name in CORE:
        path = PACKAGE / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_the_core_names_no_database_outside_docstrings() -> None:
    assert len(core_files()) > 20
    offenders = [hit for path in core_files() for hit in vendor_names_in_code(path)]
    assert offenders == []


def test_the_checker_finds_a_vendor_name_in_code(tmp_path: Path) -> None:
    sample = tmp_path / "probe.py"
    sample.write_text('"""About SQLite."""\n# MySQL\nif name == "postgresql":\n    pass\n')
    assert vendor_names_in_code(sample, tmp_path) == ['probe.py:3: "postgresql"']


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://u@h/db", r"scheme 'oracle' \(supported: sqlite, postgresql, mysql\)"),
        ("mysql+mysqldb://u@h/db", r"no driver 'mysqldb' for mysql \(available: pymysql\)"),
        ("postgresql+asyncpg://u@h/db", r"no driver 'asyncpg' for postgresql"),
        ("sqlite:///x.db?journal=wal", r"unknown SQLite URL option\(s\) 'journal'"),
        ("sqlite:///x.db?timeout=soon", r"'timeout' must be a number"),
    ],
)  # fmt: skip
def test_unknown_backends_drivers_and_options_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Database(url)


@pytest.mark.parametrize(
    "url",
    ["postgres://u@127.0.0.1/db", "postgresql+psycopg://u@127.0.0.1/db",
     "mariadb://u@127.0.0.1/db", "mysql+pymysql://u@127.0.0.1/db", "sqlite+sqlite3://"],
)  # fmt: skip
def test_scheme_aliases_and_explicit_default_drivers(url: str) -> None:
    Database(url)  # no connection is made until a session needs one
