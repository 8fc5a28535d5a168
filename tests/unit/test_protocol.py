"""The operation protocol's sync runner, against a fake driver (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from ormolu.exceptions import UniqueViolation
from ormolu.protocol import EMPTY, ROWS, Execute, Op, Reply, run_sync


class FakeConnection:
    """Answers each Execute from a script; raises for statements listed in ``fail``."""

    def __init__(self, fail: tuple[str, ...] = ()) -> None:
        self.sent: list[str] = []
        self.fail = fail

    def run(self, step: Any) -> Reply:
        self.sent.append(step.sql)
        if step.sql in self.fail:
            raise UniqueViolation("duplicate key", sql=step.sql)
        if step.want == ROWS:
            return Reply([(len(self.sent),)])
        return EMPTY


def savepoint(body: Op[Any]) -> Op[Any]:
    yield Execute("SAVEPOINT sp")
    try:
        result = yield from body
    except UniqueViolation:
        yield Execute("ROLLBACK TO SAVEPOINT sp")
        raise
    yield Execute("RELEASE SAVEPOINT sp")
    return result


def insert_two() -> Op[int]:
    yield Execute("INSERT a")
    yield Execute("INSERT b")
    reply = yield Execute("SELECT n", want=ROWS)
    return int(reply.rows[0][0])


def test_an_operation_returns_what_its_generator_returns() -> None:
    conn = FakeConnection()
    assert run_sync(conn.run, savepoint(insert_two())) == 4
    assert conn.sent == ["SAVEPOINT sp", "INSERT a", "INSERT b", "SELECT n", "RELEASE SAVEPOINT sp"]


def test_a_driver_error_is_thrown_into_the_operation_which_undoes_its_savepoint() -> None:
    conn = FakeConnection(fail=("INSERT b",))
    with pytest.raises(UniqueViolation):
        run_sync(conn.run, savepoint(insert_two()))
    assert conn.sent == ["SAVEPOINT sp", "INSERT a", "INSERT b", "ROLLBACK TO SAVEPOINT sp"]


def test_an_operation_may_handle_the_error_and_go_on() -> None:
    def tolerant() -> Op[str]:
        try:
            yield Execute("INSERT b")
        except UniqueViolation:
            reply = yield Execute("SELECT n", want=ROWS)
            return f"recovered at {reply.rows[0][0]}"
        return "no error"

    conn = FakeConnection(fail=("INSERT b",))
    assert run_sync(conn.run, tolerant()) == "recovered at 2"


def test_a_failure_of_the_step_after_a_handled_error_is_thrown_in_too() -> None:
    def twice() -> Op[list[str]]:
        seen = []
        for sql in ("INSERT b", "INSERT b", "INSERT a"):
            try:
                yield Execute(sql)
            except UniqueViolation:
                seen.append(sql)
        return seen

    conn = FakeConnection(fail=("INSERT b",))
    assert run_sync(conn.run, twice()) == ["INSERT b", "INSERT b"]
    assert conn.sent == ["INSERT b", "INSERT b", "INSERT a"]
