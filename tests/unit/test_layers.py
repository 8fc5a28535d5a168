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
        ("postgresql+aiopg://u@h/db", r"no driver 'aiopg' for postgresql"),
        ("postgresql+asyncpg://u@h/db", r"asyncio driver for postgresql.*sync drivers: psycopg"),
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


# -- the seam between the model layer and the session ---------------------------------------
ORM = PACKAGE / "orm"
UPPER = ("ormolu.core", "ormolu.session", "ormolu.engine")


def session_privates_used(path: Path) -> list[str]:
    """``file:line: expr`` for each attribute access in ``path`` that reaches a private
    (``_name``) of a session: an expression mentioning ``session`` followed by ``._x``."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if node.attr.startswith("__") and node.attr.endswith("__"):
                continue
            owner = ast.unparse(node.value)
            if "session" in owner.lower():
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {owner}.{node.attr}")
    return found


def runtime_imports_of_upper_layers(path: Path) -> list[str]:
    """``file:line: module`` for each import in ``path``, outside ``if TYPE_CHECKING``, of
    the layers above the model layer (the core's state and operations, the front ends)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            typing_only.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative to ormolu/orm/<file>: 1 is ormolu.orm, 2 is ormolu
                parts = ["ormolu", "orm"][: 3 - node.level]
                module = ".".join([*parts, module]) if module else ".".join(parts)
            names = [module]
        else:
            names = [a.name for a in node.names]
        found += [
            f"{path.relative_to(PACKAGE)}:{node.lineno}: {n}" for n in names if n.startswith(UPPER)
        ]
    return found


def test_the_model_layer_touches_no_session_private() -> None:
    files = sorted(ORM.glob("*.py"))
    assert len(files) > 10
    assert [hit for f in files for hit in session_privates_used(f)] == []


def test_the_model_layer_imports_nothing_above_it_at_run_time() -> None:
    """orm/ sits below the core's state and the front ends: it reaches them only through
    the session state's public methods (``InstanceState.session``), never by import."""
    files = sorted(ORM.glob("*.py"))
    assert [hit for f in files for hit in runtime_imports_of_upper_layers(f)] == []


def test_the_seam_checkers_find_what_they_look_for(tmp_path: Path) -> None:
    probe = PACKAGE / "orm" / "_probe_for_test.py"
    probe.write_text(
        "from ..core.state import SessionState\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..session.session import Session\n"
        "def f(st):\n    return st.session._identity_map\n"
    )
    try:
        assert session_privates_used(probe) == [
            "orm/_probe_for_test.py:6: st.session._identity_map"
        ]
        assert runtime_imports_of_upper_layers(probe) == [
            "orm/_probe_for_test.py:1: ormolu.core.state"
        ]
    finally:
        probe.unlink()
