"""The core's operations against a fake runner: no database.

A ``Script`` answers each step an operation yields (rows for a SELECT, the generated keys
of an INSERT ... RETURNING, a row count), records what was sent, and can fail a chosen
statement with a mapped ormolu error, which ``run_sync`` throws into the operation. So the
flush's statement order, savepoint and undo, the transaction's BEGIN/COMMIT/ROLLBACK and
the select-in loader are checked without I/O, the way the async front end will drive
them.
"""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import Mapped, Model, UniqueViolation, field, relationship, status_of
from ormolu.core import reads
from ormolu.core import transaction as tx
from ormolu.core.flush import flush_op
from ormolu.core.loads import load
from ormolu.core.state import SessionState
from ormolu.dialects.postgresql import PostgreSQLDialect
from ormolu.orm.state import PERSISTENT, STATE_KEY, new_state
from ormolu.protocol import EMPTY, ROWCOUNT, ROWS, Execute, Op, Reply, run_sync


class Band(Model, table="op_band"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)
    albums: Mapped[list[Record]] = relationship(back_populates="band")


class Record(Model, table="op_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=40)
    band_id: Mapped[int] = field(foreign_key="Band.id", default=None)
    band: Mapped[Band] = relationship(back_populates="albums")


class Script:
    """Answers steps: ``answers`` maps a statement's start to a function of the step
    returning the Reply; ``fail`` names a statement start to fail with UniqueViolation."""

    def __init__(self, answers: dict[str, Any] | None = None, fail: str | None = None) -> None:
        self.sent: list[str] = []
        self.answers = answers or {}
        self.fail = fail
        self.keys = iter(range(1, 1000))

    def run(self, step: Any) -> Reply:
        sql = step.sql
        self.sent.append(sql)
        if self.fail is not None and sql.startswith(self.fail):
            raise UniqueViolation("duplicate key value", sql=sql)
        for start, answer in self.answers.items():
            if sql.startswith(start):
                return answer(step)  # type: ignore[no-any-return]
        if step.want == ROWS and "RETURNING" in sql:  # generated keys, one per row
            rows = sql.count("(%s") or 1
            return Reply([(next(self.keys),) for _ in range(rows)])
        if step.want == ROWCOUNT:
            return Reply([], len(step.params) if step.many else 1)
        return EMPTY


def session_state() -> SessionState:
    return SessionState(PostgreSQLDialect(), frontend=None)


def persistent(state: SessionState, obj: Any, key: int) -> Any:
    """``obj`` as if loaded by ``state``: persistent with primary key ``key``."""
    mapper = type(obj).__mapper__
    obj.__dict__["id"] = key
    obj.__dict__[STATE_KEY] = new_state(obj, state, (mapper, key), PERSISTENT)
    state.identity_map[(mapper, key)] = obj
    return obj


def verbs(sent: list[str]) -> list[str]:
    return [" ".join(sql.split()[:3]).replace('"', "") for sql in sent]


def test_a_flush_begins_the_transaction_and_inserts_parents_first() -> None:
    state = session_state()
    band = Band(name="Can")
    band.albums.append(Record(title="Tago Mago"))
    state.add(band)
    script = Script()
    run_sync(script.run, flush_op(state))
    assert verbs(script.sent) == ["BEGIN", "INSERT INTO op_band", "INSERT INTO op_record"]
    record = band.albums[0]
    assert (band.id, record.id, record.band_id) == (1, 2, 1)  # keys read back, FK filled in
    assert status_of(band) == status_of(record) == "persistent" and state.new == {}


def test_a_failed_flush_rolls_back_to_its_savepoint_and_restores_the_objects() -> None:
    state = session_state()
    old = persistent(state, Band(name="Faust"), 7)
    run_sync(Script().run, tx.begin_tx(state))
    state.levels[-1].has_writes = True  # the transaction holds an earlier write
    old.name = "Faust IV"
    newcomer = Band(name="Neu!")
    state.add(newcomer)
    script = Script(fail="INSERT")
    with pytest.raises(UniqueViolation) as info:
        run_sync(script.run, flush_op(state))
    assert "while inserting Band(id=None, name='Neu!')" in str(info.value)
    assert verbs(script.sent) == [
        "SAVEPOINT ormolu_flush_1",
        "UPDATE op_band SET",  # (updates that need no new row go first)
        "INSERT INTO op_band",
        "ROLLBACK TO SAVEPOINT",
        "RELEASE SAVEPOINT ormolu_flush_1",
    ]
    # as before the flush: pending again, the change still to be written
    assert status_of(newcomer) == "pending" and newcomer.id is None
    assert old.name == "Faust IV" and list(state.dirty.values()) == [old]
    assert state.in_tx  # the transaction and its earlier write go on


def test_a_failed_first_write_rolls_the_read_only_transaction_back() -> None:
    state = session_state()
    state.add(Band(name="Cluster"))
    script = Script(fail="INSERT")
    with pytest.raises(UniqueViolation):
        run_sync(script.run, flush_op(state))
    assert verbs(script.sent) == ["BEGIN", "INSERT INTO op_band", "ROLLBACK"]
    assert not state.in_tx


def test_delete_and_add_of_one_key_deletes_first() -> None:
    state = session_state()
    old = persistent(state, Band(name="Harmonia"), 3)
    state.delete(old)
    replacement = Band(id=3, name="Harmonia")
    state.add(replacement)
    assert run_sync(Script().run, reads.get(state, Band, 3)) is replacement  # autoflush
    # and with autoflush off, get finds the pending object without any statement
    state2 = session_state()
    state2.autoflush = False
    state2.delete(persistent(state2, Band(name="x"), 4))
    pending = Band(id=4, name="y")
    state2.add(pending)
    script = Script()
    assert run_sync(script.run, reads.get(state2, Band, 4)) is pending
    assert script.sent == []
    run_sync(script.run, flush_op(state2))
    assert verbs(script.sent)[1:3] == ["DELETE FROM op_band", "INSERT INTO op_band"]


def test_commit_after_a_read_only_unit_of_work_sends_nothing() -> None:
    """On a backend whose statements each read a fresh snapshot, reads need no BEGIN."""
    state = session_state()
    script = Script(answers={"SELECT": lambda step: Reply([(5, "Popol Vuh")])})
    band = run_sync(script.run, reads.get(state, Band, 5))
    assert band.name == "Popol Vuh"
    run_sync(script.run, tx.commit(state))
    assert verbs(script.sent) == ["SELECT op_band.id, op_band.name"]  # and no BEGIN


def test_rollback_restores_touched_objects_and_expires_those_loaded_after_a_write() -> None:
    state = session_state()
    before = persistent(state, Band(name="Amon Düül"), 1)
    script = Script(answers={"SELECT": lambda step: Reply([(2, "written")])})
    run_sync(script.run, tx.begin_tx(state))
    before.name = "changed"
    state.levels[-1].has_writes = True  # e.g. a bulk UPDATE
    after = run_sync(script.run, reads.get(state, Band, 2))  # loaded after the write
    run_sync(script.run, tx.rollback(state))
    assert before.name == "Amon Düül"  # restored from its journal entry
    assert "name" not in after.__dict__  # expired: its value may be gone with the rollback
    assert script.sent[-1] == "ROLLBACK"


def test_a_savepoint_rollback_undoes_only_what_it_did() -> None:
    state = session_state()
    kept = persistent(state, Band(name="Agitation Free"), 1)
    script = Script()
    level = run_sync(script.run, tx.begin_nested(state))
    kept.name = "inside"
    added = Band(name="Guru Guru")
    state.add(added)
    run_sync(script.run, tx.rollback_savepoint(state, level))
    assert verbs(script.sent) == [
        "BEGIN",
        "SAVEPOINT ormolu_sp_1",
        "ROLLBACK TO SAVEPOINT",
        "RELEASE SAVEPOINT ormolu_sp_1",
    ]
    assert kept.name == "Agitation Free" and status_of(added) == "transient"
    assert len(state.levels) == 1 and state.in_tx


def test_load_runs_one_select_in_statement_for_all_objects() -> None:
    state = session_state()
    bands = [persistent(state, Band(name=f"b{i}"), i) for i in (1, 2, 3)]

    def records(step: Execute) -> Reply:
        if state.dialect.in_list_as_array:  # "band_id" = ANY(%s), one array parameter
            assert "= ANY(" in step.sql and step.params == [[1, 2, 3]]
        else:
            assert step.params == [1, 2, 3]
        return Reply([(10, "r1", 1), (11, "r2", 1), (12, "r3", 3)])

    script = Script(answers={"SELECT": records})
    run_sync(script.run, load(state, bands, (Band.albums,)))
    assert len(script.sent) == 1
    assert [[r.title for r in b.albums] for b in bands] == [["r1", "r2"], [], ["r3"]]
    assert bands[0].albums[0].band is bands[0]  # the reverse side too, without SQL


def test_the_driver_error_thrown_in_leaves_the_generator_closed() -> None:
    def op() -> Op[str]:
        try:
            yield Execute("INSERT x")
        finally:
            yield Execute("CLEANUP")
        return "unreachable"

    script = Script(fail="INSERT")
    with pytest.raises(UniqueViolation):
        run_sync(script.run, op())
    assert script.sent == ["INSERT x", "CLEANUP"]
