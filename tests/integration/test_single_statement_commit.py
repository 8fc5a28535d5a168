"""A commit whose whole transaction is one row's INSERT, UPDATE or DELETE sends that one
statement (the connection is in autocommit mode) instead of BEGIN, statement, COMMIT."""

from __future__ import annotations

import pytest

from ormolu import Database, Mapped, Model, UniqueViolation, field, status_of


class Note(Model, table="ssc_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str] = field(max_length=40, unique=True)


def sent(statements: list[tuple[str, object]]) -> list[str]:
    return [sql.split()[0].upper() for sql, _ in statements]


def test_one_row_is_one_statement(db: Database) -> None:
    db.create_all([Note])
    s = db.session()
    with db.capture() as statements:
        note = Note(body="a")
        s.add(note)
        s.commit()
    assert sent(statements) == ["INSERT"]
    assert status_of(note) == "persistent" and note.id is not None
    with db.capture() as statements:
        note.body = "b"
        s.commit()
        s.delete(note)
        s.commit()
    assert sent(statements) == ["UPDATE", "DELETE"]
    with db.capture() as statements:
        s.add_all([Note(body="c"), Note(body="d")])  # two rows: one transaction
        s.commit()
    assert sent(statements)[0] in ("BEGIN", "START") and sent(statements)[-1] == "COMMIT"
    s.close()
    with db.session() as other:  # what was committed is there
        assert sorted(other.query(Note.body).all()) == ["c", "d"]


def test_a_failed_single_statement_leaves_nothing_and_the_session_usable(db: Database) -> None:
    db.create_all([Note])
    with db.session() as s:
        s.add(Note(body="x"))
    s = db.session()
    dup = Note(body="x")
    s.add(dup)
    with pytest.raises(UniqueViolation) as caught:
        s.commit()
    assert caught.value.model == "Note"  # named, as by any failed flush
    assert status_of(dup) == "pending" and dup.id is None  # as before the commit
    assert s.new == [dup]
    dup.body = "y"
    s.commit()
    assert s.new == [] and s.get(Note, dup.id) is dup  # in the identity map
    s.close()
    with db.session() as other:
        assert sorted(other.query(Note.body).all()) == ["x", "y"]
