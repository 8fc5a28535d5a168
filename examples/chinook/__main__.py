"""``python -m examples.chinook``: print answers to questions about the Chinook store,
then write an invoice in a transaction and show a refused write.

By default the bundled database is copied to ``examples/chinook/work/chinook.db`` and the
copy is opened, so the original stays untouched and every run starts from the same data.
``--url postgresql://...`` or ``--url mysql://...`` loads the Chinook data into that
(empty) database through ormolu first, then asks the same questions; ``--url sqlite:///...``
opens an SQLite file that already holds the data.

Each question runs in a session of its own inside ``db.capture()``; the caption under its
table says how many SQL statements it needed (transaction control not counted).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ormolu import Database

from . import BUNDLED_DB, WORK_DB
from .load import load_chinook
from .questions import QUESTIONS, answer
from .write import write_invoice, write_invoice_unknown_track


def working_copy(source: Path = BUNDLED_DB, target: Path = WORK_DB) -> Path:
    """Copy the bundled database to ``target`` (replacing an older copy); return ``target``.

    ``shutil.copyfile`` copies the bytes only: the bundled file is read-only and the copy
    must not inherit that mode, or the demo could not write to it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target, *(target.with_name(target.name + s) for s in ("-journal", "-wal"))):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _statements(n: int) -> str:
    """``"1 SQL statement"``, ``"3 SQL statements"``."""
    return f"{n} SQL statement{'' if n == 1 else 's'}"


def _table(
    headers: Sequence[str], rows: Sequence[tuple[Any, ...]], caption: str | None = None
) -> Table:
    table = Table(caption=caption, caption_style="dim", caption_justify="left")
    first = rows[0] if rows else ()
    for i, header in enumerate(headers):
        numeric = i < len(first) and isinstance(first[i], int | float | Decimal)
        table.add_column(header, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m examples.chinook", description=__doc__)
    parser.add_argument(
        "--url",
        help="database URL (default: a fresh copy of the bundled SQLite file at "
        "examples/chinook/work/chinook.db); a server database is loaded with the data first",
    )
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{working_copy()}"
    console = Console()
    started = time.perf_counter()
    db = Database(url)
    try:
        if not url.startswith("sqlite"):
            counts = load_chinook(db)
            console.print(
                f"[dim]loaded {sum(counts.values()):,} rows into {len(counts)} tables of "
                f"{db.url}[/dim]",
                highlight=False,
            )
        for question in QUESTIONS:
            rows, statements = answer(db, question)
            console.print(f"[bold]{question.title}[/bold]", highlight=False)
            console.print(_table(question.headers, rows, caption=_statements(statements)))
            console.print()

        console.rule("A transactional write")
        written = write_invoice(db)
        console.print(
            f"Invoice {written.invoice_id} for customer {written.customer_id}: "
            f"{len(written.lines)} lines, total {written.total} "
            f"(invoices: {written.invoices_before} → {written.invoices_after})"
        )
        lines = [(x.track_id, x.unit_price, x.quantity) for x in written.lines]
        console.print(_table(("Track", "Unit price", "Quantity"), lines))

        refused = write_invoice_unknown_track(db)
        console.print(
            f"A line for an unknown track was refused: {type(refused.error).__name__}: "
            f"{refused.error} (caused by {type(refused.error.__cause__).__name__}); "
            f"invoices {refused.invoices_before} → {refused.invoices_after}, "
            f"invoice lines {refused.lines_before} → {refused.lines_after}: nothing was written"
        )
    finally:
        db.dispose()
    console.print(f"[dim]done in {time.perf_counter() - started:.2f} s[/dim]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
