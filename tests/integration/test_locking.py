"""SQLite's transaction modes have their effect: ``begin("IMMEDIATE")`` takes the write
lock at BEGIN, so another writer is refused at once, while a deferred ``begin()`` takes no
lock until it reads or writes (https://sqlite.org/lang_transaction.html).

Runs where the dialect has ``transaction_modes`` and a second connection can be opened
(an SQLite file; an in-memory database has a single connection).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ormolu import Database, LockNotAvailable, Mapped, Model, field


class Entry(Model, table="lk_entry"):
    id: Mapped[int] = field(primary_key=True, default=None)
    text: Mapped[str] = ""


@pytest.fixture
def two(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A second Database on the test's SQLite file, with a short busy timeout."""
    if not db.dialect.transaction_modes:
        pytest.skip(f"{db.dialect.name} lacks transaction_modes")
    if request.node.callspec.params["db"].partition("+")[0] != "sqlite-file":
        pytest.skip("an in-memory SQLite database has a single connection")
    db.create_all([Entry])
    other = Database(f"sqlite:///{tmp_path}/t.db", timeout=0.2)
    yield other
    other.dispose()


def write(db: Database, text: str) -> None:
    with db.session() as s:
        s.add(Entry(text=text))


def texts(db: Database) -> list[str]:
    with db.session() as s:
        return s.query(Entry.text).order_by(Entry.id).all()


def test_immediate_takes_the_write_lock_at_begin(db: Database, two: Database) -> None:
    with db.session() as a:
        tx = a.begin("IMMEDIATE")  # nothing read or written yet
        with pytest.raises(LockNotAvailable, match="locked"):
            write(two, "refused")
        assert texts(two) == []  # readers are not blocked
        a.add(Entry(text="holder"))
        tx.commit()
    write(two, "after")
    assert texts(db) == ["holder", "after"]


def test_deferred_begin_takes_no_lock_until_used(db: Database, two: Database) -> None:
    with db.session() as a:
        tx = a.begin()  # DEFERRED
        write(two, "free")  # not blocked
        a.add(Entry(text="later"))
        tx.commit()
    assert texts(db) == ["free", "later"]
