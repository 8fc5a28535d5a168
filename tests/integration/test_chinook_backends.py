"""The Chinook demo on every backend: the same data, the same questions, the same answers.

The data is loaded from the bundled SQLite file into each backend through ormolu
(``examples/chinook/load.py``: ``create_all`` + ``insert_many``, the relationship-bearing
models included), then every question of the demo must give exactly the answer it gives on
the bundled file itself, in as many SQL statements. The demo program is also run against
each server with ``--url``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ormolu import Database, ForeignKeyViolation

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.chinook import BUNDLED_DB  # noqa: E402
from examples.chinook.load import load_chinook  # noqa: E402
from examples.chinook.models import ALL_MODELS, Invoice, InvoiceLine  # noqa: E402
from examples.chinook.questions import QUESTIONS, answer  # noqa: E402
from examples.chinook.write import write_invoice, write_invoice_unknown_track  # noqa: E402

EXPECTED_ROWS = {
    "Album": 347, "Artist": 275, "Customer": 59, "Employee": 8, "Genre": 25, "Invoice": 412,
    "InvoiceLine": 2240, "MediaType": 5, "Playlist": 18, "PlaylistTrack": 8715, "Track": 3503,
}  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> list[tuple[list[Any], int]]:
    """Every question's answer and statement count on the bundled file, opened read-only."""
    db = Database(f"sqlite:///file:{BUNDLED_DB.resolve()}?mode=ro")
    answers = [answer(db, question) for question in QUESTIONS]
    db.dispose()
    return answers


def typed(value: Any) -> Any:
    """``value`` with the type of every scalar in it, so that ``835 == Decimal(835)`` or
    ``1.0 == 1`` cannot pass for the same answer."""
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def test_loaded_data_gives_the_same_answers(
    db: Database, reference: list[tuple[list[Any], int]]
) -> None:
    counts = load_chinook(db)
    assert counts == EXPECTED_ROWS
    for question, expected in zip(QUESTIONS, reference, strict=True):
        # the same rows in the same order, in as many statements (no N+1 on any backend)
        assert typed(answer(db, question)) == typed(expected), question.title
    with db.session() as s:
        for question, (rows, _) in zip(QUESTIONS, reference, strict=True):
            # all in one session too
            assert typed(question.run(s)) == typed(rows), question.title
        # every model reads back every row: types convert on this backend
        for model in ALL_MODELS:
            assert s.query(model).count() == EXPECTED_ROWS[model.__mapper__.table.name]


def test_writes_work_after_loading(db: Database) -> None:
    """Keys generated after explicitly keyed rows were loaded continue past them (the
    identity sequence is moved on PostgreSQL), and a refused write leaves nothing."""
    load_chinook(db)
    written = write_invoice(db)
    assert written.invoice_id == 413
    assert written.invoices_after == written.invoices_before + 1
    refused = write_invoice_unknown_track(db)
    assert isinstance(refused.error, ForeignKeyViolation)
    assert (refused.invoices_after, refused.lines_after) == (
        refused.invoices_before,
        refused.lines_before,
    )
    with db.session() as s:
        assert s.query(Invoice).count() == 413
        assert s.query(InvoiceLine).count() == EXPECTED_ROWS["InvoiceLine"] + len(written.lines)


def run_demo(*args: str) -> str:
    """The output of ``python -m examples.chinook *args`` (which must succeed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "examples.chinook", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def answers_and_write(output: str) -> str:
    """The part of the demo's output that must be the same on every backend: every
    answer table and the written invoice (not the load line, the driver's own error
    message for the refused write, or the timing)."""
    start = output.index(QUESTIONS[0].title)
    end = output.index("A line for an unknown track was refused")
    return output[start:end]


@pytest.fixture(scope="module")
def sqlite_demo_output() -> str:
    """The demo's output on (a fresh copy of) the bundled SQLite file."""
    return run_demo()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_demo_runs_against_a_server(
    backend: str, request: pytest.FixtureRequest, sqlite_demo_output: str
) -> None:
    """``python -m examples.chinook --url <server>`` loads the data and prints exactly the
    answers (and writes exactly the invoice) it prints on the bundled SQLite file."""
    from conftest import selected_backends, server_url

    if backend not in selected_backends(request.config):
        pytest.skip(f"--db does not select {backend}")
    url = server_url(backend)
    output = run_demo("--url", url)
    out = " ".join(output.split())  # rich wraps long lines in a pipe
    assert "loaded 15,607 rows into 11 tables" in out
    for question in QUESTIONS:
        assert question.title in out
        counted = re.search(r"(\d+) SQL statements?\b", out[out.index(question.title) :])
        assert counted is not None, question.title
    assert "nothing was written" in out
    assert answers_and_write(output) == answers_and_write(sqlite_demo_output)
    assert "Invoice 413 for customer" in answers_and_write(output)
    Database(url).drop_all(ALL_MODELS)
