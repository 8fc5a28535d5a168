"""Execute every ```python block of the guide (docs/*.md) and of README.md.

The blocks of one file run in order in one fresh namespace (a throw-away module, so
classes defined in the examples get a real ``__module__``), compiled with the file name
and line number so that a failure points at the line of the document. One test per file.

A second test runs ``mypy --strict --warn-unreachable`` over the same examples: code that
readers copy should type-check, and an example the checker thinks unreachable would
silently escape checking.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted((ROOT / "docs").glob("*.md"))
if (ROOT / "README.md").exists():
    DOC_FILES.append(ROOT / "README.md")

# A fence line opening a python block, its body, and the closing fence (same indentation).
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """Return ``(first_line_number, source)`` for every ```python block of ``text``."""
    blocks = []
    for m in FENCE.finditer(text):
        first_line = text.count("\n", 0, m.start("body")) + 1
        indent = m.group("indent")
        lines = m.group("body").splitlines(keepends=True)
        body = "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)
        blocks.append((first_line, body))
    return blocks


def as_one_module(blocks: list[tuple[int, str]]) -> str:
    """Join the blocks of a file, padded with blank lines so line numbers match the file."""
    source = ""
    for first_line, body in blocks:
        source += "\n" * (first_line - 1 - source.count("\n")) + body
    return source


def test_blocks_are_found() -> None:
    text = "intro\n```python\nx = 1\n```\n```text\nnot run\n```\n```python\ny = x\n```\n"
    blocks = python_blocks(text)
    assert blocks == [(3, "x = 1\n"), (9, "y = x\n")]
    assert as_one_module(blocks).splitlines()[8] == "y = x"


# Pages whose examples read DATABASE_URL run once per backend.
PER_BACKEND = {"backends.md"}


def _cases() -> list[Any]:
    cases: list[Any] = []
    for path in DOC_FILES:
        rel = path.relative_to(ROOT).as_posix()
        if path.name in PER_BACKEND:
            for backend in ("sqlite", "postgresql", "mysql"):
                cases.append(pytest.param(path, backend, id=f"{rel}[{backend}]"))
        else:
            cases.append(pytest.param(path, None, id=rel))
    return cases


@pytest.mark.parametrize(("path", "backend"), _cases())
def test_doc_examples_run(
    path: Path, backend: str | None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if backend is not None:
        from conftest import selected_backends, server_url

        if backend == "sqlite":
            monkeypatch.setenv("DATABASE_URL", "sqlite://")
        elif backend in selected_backends(request.config):
            monkeypatch.setenv("DATABASE_URL", server_url(backend))
        else:
            pytest.skip(f"--db does not select {backend}")
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    name = f"_ormolu_doc_{path.stem.replace('-', '_')}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # model classes look up foreign-key targets in their module
    try:
        for first_line, source in blocks:
            # Pad with newlines so that line numbers in tracebacks are the document's.
            code = compile("\n" * (first_line - 1) + source, str(path), "exec")
            exec(code, module.__dict__)
    finally:
        del sys.modules[name]


def test_doc_examples_type_check(tmp_path: Path) -> None:
    sources: dict[Path, Path] = {}
    for path in DOC_FILES:
        blocks = python_blocks(path.read_text(encoding="utf-8"))
        if blocks:
            module = tmp_path / f"doc_{path.stem.replace('-', '_').lower()}.py"
            module.write_text(as_one_module(blocks), encoding="utf-8")
            sources[module] = path
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unreachable", "--no-error-summary"]
        + [str(m) for m in sources],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = proc.stdout + proc.stderr
    for module, doc in sources.items():  # point at the documents, not the temporary files
        report = report.replace(str(module), doc.relative_to(ROOT).as_posix())
    assert proc.returncode == 0, report
