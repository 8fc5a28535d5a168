"""The SQLite table rebuild as an operation of the protocol (see
:mod:`ormolu.migrations.rebuild` for the procedure, from https://sqlite.org/lang_altertable.html
section 7, "Making Other Kinds Of Table Schema Changes"), and the switching of foreign
key enforcement around a migration's transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...exceptions import DatabaseError, IntegrityError
from ...protocol import ROWCOUNT, ROWS, Execute, Op
from ...schema.sqlnorm import tokenize

if TYPE_CHECKING:
    from ...migrations.rebuild import Progress, Rebuild
    from ..base import Dialect

CHUNK = 20_000  # rows per INSERT ... SELECT: a progress step without slowing the copy


def rebuild_table(rb: Rebuild, d: Dialect, progress: Progress | None = None) -> Op[int]:
    """The rebuild as an operation; returns the number of rows copied.

    Raises IntegrityError when the copied rows break a constraint of the new
    definition or a foreign key (``PRAGMA foreign_key_check``)."""
    from ...migrations import ddl

    q = d.quote
    name = rb.old.name
    reply = yield Execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view') "
        "AND sql IS NOT NULL",
        want=ROWS,
    )
    triggers = [r[2] for r in reply.rows if r[0] == "trigger" and _names(r[2], name, True)]
    views = [(r[1], r[2]) for r in reply.rows if r[0] == "view" and _names(r[2], name)]
    total = int((yield Execute(f"SELECT count(*) FROM {q(name)}", want=ROWS)).rows[0][0])
    yield Execute(ddl.create_table(d, rb.new, rb.temp_name))
    copied = 0
    if progress is not None:
        progress(0, total)
    bounds = (yield Execute(f"SELECT min(rowid), max(rowid) FROM {q(name)}", want=ROWS)).rows
    low, high = bounds[0] if bounds and bounds[0][0] is not None else (None, None)
    if low is None or high is None:
        copied = (yield Execute(rb.copy_sql(d), want=ROWCOUNT)).rowcount
    else:
        start = int(low)
        while start <= int(high):
            end = start + CHUNK
            sql = rb.copy_sql(d, " WHERE rowid >= ? AND rowid < ?")
            reply = yield Execute(sql, [start, end], want=ROWCOUNT)
            copied += max(reply.rowcount, 0)
            start = end
            if progress is not None:
                progress(min(copied, total), total)
    if copied != total:
        raise IntegrityError(
            f"rebuilding table {name!r}: copied {copied} of {total} rows", sql=None
        )
    for view_name, _ in views:
        yield Execute(f"DROP VIEW {q(view_name)}")
    yield Execute(f"DROP TABLE {q(name)}")
    yield Execute(f"ALTER TABLE {q(rb.temp_name)} RENAME TO {q(rb.new.name)}")
    for ix in sorted(rb.new.indexes, key=_n):
        yield Execute(ddl.create_index(d, rb.new.name, ix))
    for sql in triggers:
        yield Execute(sql)
    for _, sql in views:
        yield Execute(sql)
    return copied


def _n(ix: object) -> str:
    return getattr(ix, "name", "")


def _names(sql: str, table: str, on_table: bool = False) -> bool:
    """Whether the CREATE TRIGGER/VIEW text names ``table`` (a trigger: ON that table)."""
    try:
        tokens = tokenize(sql)
    except ValueError:
        return False
    lowered = table.lower()
    for i, tok in enumerate(tokens):
        if tok.kind in ("id", "word") and tok.text.lower() == lowered:
            if not on_table:
                return True
            if i > 0 and tokens[i - 1].text.upper() == "ON":
                return True
    return False


def foreign_keys_off() -> Op[bool]:
    """Turn foreign key enforcement off for a migration's transaction; return whether
    it was on. ``PRAGMA foreign_keys`` has no effect inside a transaction
    (https://sqlite.org/foreignkeys.html#fk_enable), so the empty transaction the
    session began is ended first and a new one begun after."""
    on = bool((yield Execute("PRAGMA foreign_keys", want=ROWS)).rows[0][0])
    if on:
        yield Execute("COMMIT")
        yield Execute("PRAGMA foreign_keys = OFF")
        yield Execute("BEGIN")
    return on


def commit_and_restore(was_on: bool) -> Op[None]:
    """Check every foreign key, commit, and turn enforcement back on (the session then
    commits an empty transaction)."""
    bad = (yield Execute("PRAGMA foreign_key_check", want=ROWS)).rows
    if bad:
        table, rowid, parent, _ = bad[0]
        raise IntegrityError(
            f"the migration broke {len(bad)} foreign key reference(s), e.g. row {rowid} "
            f"of {table!r} references a missing row of {parent!r}",
            sql="PRAGMA foreign_key_check",
        )
    if was_on:
        yield Execute("COMMIT")
        yield Execute("PRAGMA foreign_keys = ON")
        yield Execute("BEGIN")


def rollback_and_restore(was_on: bool) -> Op[None]:
    """After a failure: roll back, and turn enforcement back on."""
    if not was_on:
        return
    try:
        yield Execute("ROLLBACK")
    except DatabaseError:
        pass  # SQLite already ended the transaction (an error with ON CONFLICT ROLLBACK)
    yield Execute("PRAGMA foreign_keys = ON")
    yield Execute("BEGIN")
