"""The runner: applying and reverting migrations, and the migrations table.

The table ``ormolu_migrations`` holds one row per revision that ran: ``state`` is
``applied``, or ``upgrading`` / ``downgrading`` with ``steps`` operations done of
``total`` when a migration stopped half-way. Where DDL is transactional
(``Dialect.transactional_ddl``: PostgreSQL, SQLite) a migration runs in one transaction
with its row, so it happens whole or not at all. Where each DDL statement commits
implicitly (MySQL, MariaDB) each operation is recorded (and committed) as it completes,
so a failure reports exactly what ran, and ``up`` resumes after the last operation that
completed while ``down`` reverts just those (a migration's ``downgrade`` mirrors its
``upgrade``, see :func:`~ormolu.migrations.autodetect.inverse`).

Every statement goes through :meth:`Session.run` as an operation of the protocol; data
migrations (:class:`~.operations.RunPython`) get the runner's session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import OrmoluError
from ..protocol import NONE, ROWS, Execute, Op
from ..schema import types as t
from ..schema.ddl import create_table_sql
from ..schema.state import SchemaState
from ..schema.table import Column, Table
from .operations import Context, Operation, RunPython, RunSQL
from .rebuild import Rebuild
from .revisions import MigrationError, Revision, RevisionGraph

if TYPE_CHECKING:
    from ..engine import Database
    from ..session.session import Session

TABLE = "ormolu_migrations"
APPLIED, UPGRADING, DOWNGRADING = "applied", "upgrading", "downgrading"

ProgressFactory = Callable[[str], Callable[[int, int], None]]
"""``factory(label)`` returns a ``progress(done, total)`` callback for one table rebuild."""


def _table() -> Table:
    return Table(
        TABLE,
        [
            Column("revision", t.String(191), primary_key=True, autoincrement=False),
            Column("state", t.String(16), nullable=False),
            Column("steps", t.Integer(4), nullable=False),
            Column("total", t.Integer(4), nullable=False),
            Column("applied_at", t.String(32), nullable=False),
        ],
    )


@dataclass
class Record:
    """One row of the migrations table."""

    revision: str
    state: str
    steps: int
    total: int
    applied_at: str


class Migrator:
    """Applies the migrations of ``folder`` to ``db``.

    ``echo(line)`` receives a line per operation; ``progress`` makes progress callbacks
    for table rebuilds (the CLI's progress bar). Raises MigrationError for the problems
    of :class:`~.revisions.MigrationError`; a failed statement is re-raised as
    MigrationError saying what ran, with the database's error as its cause.
    """

    def __init__(
        self,
        db: Database,
        folder: Path | str,
        *,
        echo: Callable[[str], None] | None = None,
        progress: ProgressFactory | None = None,
    ) -> None:
        self.db = db
        self.folder = Path(folder)
        self.dialect = db.dialect
        self.ctx = Context(db.dialect)
        self.echo = echo or (lambda line: None)
        self.progress = progress

    # -- the table ---------------------------------------------------------------------
    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Op[list[Any]]:
        if not params and self.dialect.paramstyle == "format":
            sql = sql.replace("%", "%%")
        reply = yield Execute(
            sql, params, want=ROWS if sql.lstrip()[:6].upper() == "SELECT" else NONE
        )
        return reply.rows

    def _ph(self, n: int) -> str:
        return ", ".join([self.dialect.placeholder] * n)

    def ensure_table(self) -> None:
        """Create the migrations table if it is missing."""
        sql = create_table_sql(self.dialect, _table(), if_not_exists=True)
        with self.db.session() as s:
            s.run(self._exec(sql))

    def records(self, s: Session | None = None) -> dict[str, Record]:
        """The rows of the migrations table (empty when there is none)."""
        if s is None:
            self.ensure_table()
            with self.db.session() as s2:
                return self.records(s2)
        q = self.dialect.quote
        rows = s.run(
            self._exec(
                f"SELECT {q('revision')}, {q('state')}, {q('steps')}, {q('total')}, "
                f"{q('applied_at')} FROM {q(TABLE)}"
            )
        )
        return {r[0]: Record(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in rows}

    def _record(self, s: Session, rev: str, state: str, steps: int, total: int) -> None:
        q = self.dialect.quote
        s.run(self._exec(f"DELETE FROM {q(TABLE)} WHERE {q('revision')} = {self._ph(1)}", [rev]))
        if state:
            now = datetime.now(UTC).isoformat(sep=" ", timespec="seconds")
            s.run(
                self._exec(
                    f"INSERT INTO {q(TABLE)} ({q('revision')}, {q('state')}, {q('steps')}, "
                    f"{q('total')}, {q('applied_at')}) VALUES ({self._ph(5)})",
                    [rev, state, steps, total, now],
                )
            )

    # -- reading -------------------------------------------------------------------------
    def graph(self) -> RevisionGraph:
        return RevisionGraph(self.folder)

    def database_state(self, s: Session | None = None) -> SchemaState:
        """The reflected schema, without the migrations table."""
        if s is None:
            with self.db.session() as s2:
                return self.database_state(s2)
        state: SchemaState = s.run(self.ctx.reflector.reflect())
        return SchemaState.build([t for t in state.tables if t.name != TABLE], state.enums)

    def replay(self, graph: RevisionGraph, upto: Iterable[str]) -> SchemaState:
        """The state after the given revisions, computed from their operations alone."""
        wanted = set(upto)
        state = SchemaState()
        for rev in graph.order():
            if rev in wanted:
                for op in graph.revisions[rev].upgrade():
                    state = op.apply(state, self.ctx)
        return state

    def status(self) -> list[tuple[Revision, Record | None]]:
        """Every revision in order, with its row of the migrations table (or None)."""
        graph = self.graph()
        records = self.records()
        graph.check_known(list(records))
        return [(graph.revisions[r], records.get(r)) for r in graph.order()]

    # -- applying ------------------------------------------------------------------------
    def upgrade(self, target: str | None = None) -> list[str]:
        """Apply every revision up to ``target`` (default: the head); return those applied."""
        graph = self.graph()
        records = self.records()
        graph.check_known(list(records))
        goal = graph.resolve(target or "head") if graph.revisions else None
        if goal is None:
            return []
        wanted = graph.ancestors(goal)
        done = []
        for rev in graph.order():
            rec = records.get(rev)
            if rev not in wanted or (rec is not None and rec.state == APPLIED):
                continue
            self._apply(graph.revisions[rev], rec, up=True)
            done.append(rev)
        return done

    def downgrade(self, target: str | None = None) -> list[str]:
        """Revert revisions after ``target`` (``"base"``: all; default: the last one
        applied); return those reverted, last first."""
        graph = self.graph()
        records = self.records()
        graph.check_known(list(records))
        order = [r for r in graph.order() if r in records]
        if not order:
            return []
        if target is None:
            revert = [order[-1]]
        elif target == "base":
            revert = list(reversed(order))
        else:
            keep = graph.ancestors(graph.resolve(target))
            revert = [r for r in reversed(order) if r not in keep]
        for rev in revert:
            self._apply(graph.revisions[rev], records[rev], up=False)
        return revert

    def _apply(self, revision: Revision, rec: Record | None, *, up: bool) -> None:
        """Run one revision's upgrade (``up``) or downgrade, resuming a half-done one."""
        ups, downs = revision.upgrade(), revision.downgrade()
        ops = ups if up else downs
        start = 0
        if rec is not None and rec.state != APPLIED:
            if (rec.state == UPGRADING) == up:
                start = rec.steps  # resume after the last completed operation
            else:  # undo the part that ran: the mirror image of the completed operations
                if len(ups) != len(downs):
                    raise MigrationError(
                        f"revision {revision.revision} stopped half-way ({rec.steps} of "
                        f"{rec.total} operations {rec.state}) and its upgrade and downgrade "
                        f"do not mirror each other; finish or undo it by hand"
                    )
                start = len(ops) - rec.steps
        elif rec is None and not up:
            return
        verb = "upgrade" if up else "downgrade"
        self.echo(f"{verb} {revision.revision}: {revision.message}")
        if self.dialect.transactional_ddl:
            self._run_transactional(revision, ops, start, up)
        else:
            self._run_step_by_step(revision, ops, start, up)

    def _steps_of(self, op: Operation, state: SchemaState) -> list[Any]:
        return op.steps(state, self.ctx)

    def _run_op(self, s: Session, op: Operation, state: SchemaState) -> SchemaState:
        self.echo(f"  {op.describe()}")
        if isinstance(op, RunPython):
            op.function(s)
            s.flush()
            return self.database_state(s)
        for step in self._steps_of(op, state):
            if isinstance(step, Rebuild):
                progress = self.progress(f"rebuild {step.old.name}") if self.progress else None
                s.run(step.run(self.dialect, progress))
            else:
                s.run(self._exec(step))
        if isinstance(op, RunSQL):
            return self.database_state(s)
        return op.apply(state, self.ctx)

    def _fail(
        self,
        revision: Revision,
        op: Operation,
        index: int,
        total: int,
        exc: BaseException,
        ran: str,
    ) -> MigrationError:
        return MigrationError(
            f"revision {revision.revision} failed at operation {index + 1} of {total} "
            f"({op.describe()}): {exc}; {ran}"
        )

    def _run_transactional(
        self, revision: Revision, ops: list[Operation], start: int, up: bool
    ) -> None:
        r = self.ctx.reflector
        with self.db.session() as s:
            state = self.database_state(s)
            rebuilds = self._rebuilds(ops[start:], state)
            token = s.run(r.begin_migration(rebuilds))
            i = start
            try:
                for i in range(start, len(ops)):
                    state = self._run_op(s, ops[i], state)
                self._record(s, revision.revision, APPLIED if up else "", len(ops), len(ops))
                s.flush()
                s.run(r.end_migration(token))
            except BaseException as exc:
                s.run(r.abort_migration(token))
                s.rollback()
                if isinstance(exc, OrmoluError) and not isinstance(exc, MigrationError):
                    op = ops[i] if i < len(ops) else ops[-1]
                    raise self._fail(
                        revision, op, i, len(ops), exc,
                        "the migration was rolled back: nothing of it was applied",
                    ) from exc  # fmt: skip
                raise

    def _rebuilds(self, ops: list[Operation], state: SchemaState) -> bool:
        """Whether any of ``ops`` rebuilds a table (then foreign keys are switched off)."""
        if self.dialect.supports_alter_column:
            return False
        for op in ops:
            try:
                if any(isinstance(st, Rebuild) for st in op.steps(state, self.ctx)):
                    return True
                state = op.apply(state, self.ctx)
            except (OrmoluError, KeyError):
                return True  # a hand-written file: assume it may
        return False

    def _run_step_by_step(
        self, revision: Revision, ops: list[Operation], start: int, up: bool
    ) -> None:
        mode = UPGRADING if up else DOWNGRADING
        state = self.database_state()
        for i in range(start, len(ops)):
            with self.db.session() as s:
                self._record(s, revision.revision, mode, i, len(ops))
            try:
                with self.db.session() as s:
                    state = self._run_op(s, ops[i], state)
            except OrmoluError as exc:
                with self.db.session() as s:
                    self._record(s, revision.revision, mode, i, len(ops))
                ran = (
                    f"operations 1 to {i} of it ran and are recorded; `ormolu migrate "
                    f"{'up' if up else 'down'}` resumes at operation {i + 1}, `ormolu migrate "
                    f"{'down' if up else 'up'}` undoes the ones that ran"
                    if i
                    else "none of its operations ran"
                )
                raise self._fail(revision, ops[i], i, len(ops), exc, ran) from exc
            with self.db.session() as s:
                self._record(s, revision.revision, mode, i + 1, len(ops))
        with self.db.session() as s:
            self._record(s, revision.revision, APPLIED if up else "", len(ops), len(ops))

    # -- the SQL script ------------------------------------------------------------------
    def sql(self, target: str | None = None, *, start: str | None = None) -> str:
        """The SQL script applying the revisions after ``start`` (default: none) up to
        ``target`` (default: the head), for a DBA; the database is not read. Data
        migrations (RunPython) cannot be written as SQL and are listed as comments."""
        graph = self.graph()
        goal = graph.resolve(target or "head")
        done = graph.ancestors(graph.resolve(start)) if start else set()
        state = self.replay(graph, done)
        d = self.dialect
        q = d.quote
        out = [
            f"-- ormolu migrations for {d.name}, up to {goal}",
            create_table_sql(d, _table(), True) + ";",
        ]
        for rev in graph.order():
            if rev not in graph.ancestors(goal) or rev in done:
                continue
            revision = graph.revisions[rev]
            ops = revision.upgrade()
            out.append(f"\n-- {rev}: {revision.message}")
            if d.transactional_ddl:
                out.append(d.begin_statements(None, None)[0] + ";")
            for op in ops:
                out.append(f"-- {op.describe()}")
                if isinstance(op, RunPython):
                    out.append("-- (a data migration in Python: run it with `ormolu migrate up`)")
                for step in op.steps(state, self.ctx):
                    for sql in step.statements(d) if isinstance(step, Rebuild) else [step]:
                        out.append(sql + ";")
                state = op.apply(state, self.ctx)
            now = d.render_literal(datetime.now(UTC).isoformat(sep=" ", timespec="seconds"))
            out.append(
                f"INSERT INTO {q(TABLE)} ({q('revision')}, {q('state')}, {q('steps')}, "
                f"{q('total')}, {q('applied_at')}) VALUES ({d.render_literal(rev)}, "
                f"'{APPLIED}', {len(ops)}, {len(ops)}, {now});"
            )
            if d.transactional_ddl:
                out.append("COMMIT;")
        return "\n".join(out) + "\n"
