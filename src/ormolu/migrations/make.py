"""Writing migrations: ``make`` (autogenerate), ``merge`` (two heads into one), ``init``.

``make_migration`` compares the models with the database (reflected; the database must
be at the head revision) or, with ``offline=True``, with the state the existing migrations
build, and writes the difference as a new migration file (:mod:`.writer`). Renames must be
confirmed (``renames``) or declined; destructive operations need ``allow_destructive``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..schema.state import SchemaState, state_from_tables
from .autodetect import RenameCandidates, diff, with_inverses
from .operations import Operation
from .revisions import MigrationError
from .runner import APPLIED, Migrator
from .writer import write_migration

if TYPE_CHECKING:
    from ..schema.table import Table

INIT_README = """Migrations of this project, written by `ormolu migrate make` and applied with
`ormolu migrate up`. Each file is a revision; `down_revision` names the one before it.
"""


def init_folder(folder: Path) -> bool:
    """Create the migrations folder (and a README); False if it existed already."""
    if folder.is_dir():
        return False
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(INIT_README, encoding="utf-8")
    return True


def current_state(m: Migrator, offline: bool) -> SchemaState:
    """The state to compare the models with: the database (which must be at the head),
    or the migrations replayed."""
    graph = m.graph()
    head = graph.head()
    if offline:
        return m.replay(graph, graph.ancestors(head) if head else ())
    records = m.records()
    graph.check_known(list(records))
    pending = [r for r in graph.order() if r not in records or records[r].state != APPLIED]
    if pending:
        raise MigrationError(
            f"the database is not at the head revision (not applied: {', '.join(pending)}); "
            f"run `ormolu migrate up` first, or compare with the migrations (--offline)"
        )
    return m.database_state()


def make_migration(
    m: Migrator,
    tables: Sequence[Table],
    message: str,
    *,
    renames: Sequence[str] = (),
    declined: Sequence[str] = (),
    allow_destructive: bool = False,
    offline: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> tuple[Path | None, list[Operation]]:
    """Write a migration turning the current state into the models' (see the module
    docstring); return its path (None when nothing changed) and its operations.

    ``confirm(candidate)``, when given, is asked about each rename candidate (the CLI's
    interactive question); without it unconfirmed candidates raise RenameCandidates.
    Raises MigrationError for destructive operations without ``allow_destructive``."""
    old = current_state(m, offline)
    new = state_from_tables(m.dialect, tables)
    renames, declined = list(renames), list(declined)
    while True:
        try:
            ops = diff(old, new, m.ctx, renames=renames, declined=declined)
            break
        except RenameCandidates as exc:
            if confirm is None:
                raise
            for cand in exc.candidates:
                (renames if confirm(cand) else declined).append(cand)
    if not ops:
        return None, []
    bad = [op for op in ops if op.destructive]
    if bad and not allow_destructive:
        raise MigrationError(
            "the migration would lose data: "
            + "; ".join(op.describe() for op in bad)
            + "; write it with --allow-destructive if that is meant"
        )
    downgrade, _ = with_inverses(ops, old, m.ctx)
    graph = m.graph()
    rev = graph.new_revision(message)
    text = write_migration(rev, graph.head(), message, ops, downgrade)
    path = m.folder / f"{rev}.py"
    path.write_text(text, encoding="utf-8")
    return path, ops


def merge_heads(m: Migrator, message: str = "merge") -> Path:
    """Write a migration joining the two heads (no operations)."""
    graph = m.graph()
    heads = graph.heads()
    if len(heads) < 2:
        raise MigrationError(f"there is nothing to merge: one head ({', '.join(heads) or 'none'})")
    rev = graph.new_revision(message)
    path = m.folder / f"{rev}.py"
    path.write_text(write_migration(rev, tuple(heads), message, [], []), encoding="utf-8")
    return path


def check(m: Migrator, tables: Sequence[Table]) -> list[str]:
    """How the database differs from the models, one line each (empty: they agree)."""
    db_state = m.database_state()
    return db_state.differences(state_from_tables(m.dialect, tables))
