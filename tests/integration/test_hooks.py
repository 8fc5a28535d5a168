"""Model hooks and session/database listeners, on every backend and both front ends:
their order, changes they make written by the same flush (an ``updated_at`` stamp in the
same UPDATE, audit rows in the same transaction), and a hook that raises failing the
flush with nothing written and every object as before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pytest
from frontend import AsyncFacade

from ormolu import ArgumentError, Mapped, Model, field, status_of

LOG: list[Any] = []
STAMP = datetime(2024, 5, 6, 7, 8, 9)  # before_insert's
STAMP2 = datetime(2024, 6, 7, 8, 9, 10)  # before_update's


class Boom(Exception):
    pass


class Audit(Model, table="hk_audit"):
    id: Mapped[int] = field(primary_key=True, default=None)
    what: Mapped[str] = field(max_length=100)


class Note(Model, table="hk_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    updated_at: Mapped[datetime | None] = None

    # which hook raises (set by a test), and whether after_insert changes the object
    fail: ClassVar[str | None] = None

    def _hook(self, name: str) -> None:
        LOG.append((name, self.title))
        if Note.fail == name:
            raise Boom(name)

    def before_insert(self) -> None:
        self._hook("before_insert")
        self.updated_at = STAMP

    def after_insert(self) -> None:
        self._hook("after_insert")

    def before_update(self) -> None:
        self._hook("before_update")
        self.updated_at = STAMP2

    def after_update(self) -> None:
        self._hook("after_update")

    def before_delete(self) -> None:
        self._hook("before_delete")

    def after_delete(self) -> None:
        self._hook("after_delete")


class Stamped(Model, table="hk_stamped"):
    """A model whose after_insert changes it (written by a further round)."""

    id: Mapped[int] = field(primary_key=True, default=None)
    code: Mapped[str | None] = field(max_length=20, default=None)

    def after_insert(self) -> None:
        self.code = f"S-{self.id}"


@pytest.fixture
def fdb(db: Any) -> Any:
    db.create_all([Audit, Note, Stamped])
    LOG.clear()
    Note.fail = None
    yield db
    Note.fail = None


def _titles(db: Any) -> list[tuple[str, Any]]:
    with db.session() as s:
        return [(n.title, n.updated_at) for n in s.query(Note).order_by(Note.id).all()]


def _audit(db: Any) -> list[str]:
    with db.session() as s:
        return [a.what for a in s.query(Audit).order_by(Audit.id).all()]


def _seed(db: Any, *titles: str) -> None:
    with db.session() as s:
        s.add_all([Note(title=t) for t in titles])
    LOG.clear()


def test_hooks_and_listeners_run_in_the_documented_order(fdb: Any) -> None:
    _seed(fdb, "old", "gone")
    fdb.listen("before_flush", lambda s: LOG.append("db before_flush"))
    fdb.listen("after_flush", lambda s: LOG.append("db after_flush"))
    fdb.listen("after_commit", lambda s: LOG.append("db after_commit"))
    with fdb.session() as s:
        s.listen("before_flush", lambda s: LOG.append("session before_flush"))
        s.listen("after_commit", lambda s: LOG.append("session after_commit"))
        old, gone = s.query(Note).order_by(Note.id).all()
        s.add(Note(title="new"))
        old.title = "changed"
        s.delete(gone)
    assert LOG == [
        "db before_flush",
        "session before_flush",
        ("before_insert", "new"),
        ("before_update", "changed"),
        ("before_delete", "gone"),
        ("after_insert", "new"),
        ("after_update", "changed"),
        ("after_delete", "gone"),
        "db after_flush",
        "db after_commit",
        "session after_commit",
    ]
    assert _titles(fdb) == [("changed", STAMP2), ("new", STAMP)]


def test_a_stamp_set_in_before_update_goes_in_the_same_update(fdb: Any) -> None:
    _seed(fdb, "a")
    with fdb.session() as s:
        note = s.query(Note).one()
        note.title = "b"
        with fdb.capture() as sent:
            s.flush()
    updates = [sql for sql, _ in sent if sql.startswith("UPDATE")]
    assert len(updates) == 1 and "updated_at" in updates[0] and "title" in updates[0]
    assert _titles(fdb) == [("b", STAMP2)]


def test_before_update_runs_only_for_changed_objects(fdb: Any) -> None:
    _seed(fdb, "a", "b")
    with fdb.session() as s:
        a, _b = s.query(Note).order_by(Note.id).all()
        a.title = "a2"
    assert LOG == [("before_update", "a2"), ("after_update", "a2")]


def test_an_audit_log_written_by_a_listener_shares_the_transaction(fdb: Any) -> None:
    def audit(s: Any) -> None:
        for obj in s.new:
            if isinstance(obj, Note):
                s.add(Audit(what=f"insert {obj.title}"))
        for obj in s.dirty:
            s.add(Audit(what=f"update {obj.title}"))
        for obj in s.deleted:
            s.add(Audit(what=f"delete {obj.title}"))

    fdb.listen("before_flush", audit)
    with fdb.session() as s:
        s.add(Note(title="a"))
        s.flush()
        s.rollback()  # the note and its audit row go together
    assert _audit(fdb) == [] and _titles(fdb) == []
    with fdb.session() as s:
        s.add(Note(title="a"))
    with fdb.session() as s:
        s.query(Note).one().title = "b"
    with fdb.session() as s:
        s.delete(s.query(Note).one())
    assert _audit(fdb) == ["insert a", "update b", "delete b"]
    assert _titles(fdb) == []


@pytest.mark.parametrize("hook", ["before_insert", "after_insert"])
def test_a_failing_insert_hook_writes_nothing_and_keeps_the_objects_pending(
    fdb: Any, hook: str
) -> None:
    fdb.listen("before_flush", lambda s: s.add(Audit(what="flush")))
    with fdb.session() as s:
        a, b = Note(title="a"), Note(title="b")
        s.add_all([a, b])
        Note.fail = hook
        with pytest.raises(Boom):
            s.flush()
        assert [status_of(a), status_of(b)] == ["pending", "pending"]
        assert a.id is None and b.id is None
        assert a.updated_at is None  # the stamp of the failed flush is undone
        assert s.new == [a, b]  # (the listener's audit row went with the flush)
        Note.fail = None
        s.commit()
        assert status_of(a) == "persistent" and a.id is not None
    assert _titles(fdb) == [("a", STAMP), ("b", STAMP)]
    assert _audit(fdb) == ["flush"]


def test_a_hook_failing_on_a_later_object_keeps_the_order_of_adding(fdb: Any) -> None:
    with fdb.session() as s:
        first, second, third = Note(title="first"), Note(title="bad"), Note(title="third")
        s.add_all([first, second, third])
        original = Note._hook

        def fail_on_bad(self: Note, name: str) -> None:
            original(self, name)
            if self.title == "bad" and name == "before_insert":
                raise Boom(name)

        Note._hook = fail_on_bad  # type: ignore[method-assign]
        try:
            with pytest.raises(Boom):
                s.flush()
        finally:
            Note._hook = original  # type: ignore[method-assign]
        assert s.new == [first, second, third]
        assert first.updated_at is None  # its stamp (made before the failure) undone
        second.title = "good"
    assert [t for t, _ in _titles(fdb)] == ["first", "good", "third"]


@pytest.mark.parametrize("hook", ["before_update", "after_update", "before_delete", "after_delete"])
def test_a_failing_update_or_delete_hook_writes_nothing(fdb: Any, hook: str) -> None:
    _seed(fdb, "keep", "drop")
    with fdb.session() as s:
        s.add(Note(title="other"))
        s.flush()  # a prior write: the failing flush rolls back to its savepoint
        keep, drop = s.query(Note).where(Note.title != "other").order_by(Note.id).all()
        keep.title = "kept"
        s.delete(drop)
        Note.fail = hook
        with pytest.raises(Boom):
            s.flush()
        assert keep.title == "kept" and keep.updated_at == STAMP  # (not STAMP2)
        assert s.dirty == [keep] and s.deleted == [drop]
        assert status_of(drop) == "persistent"
        Note.fail = None
    # the session committed on leaving the block: the retried flush wrote it all once
    assert sorted(_titles(fdb)) == [("kept", STAMP2), ("other", STAMP)]


def test_a_failing_hook_undoes_what_the_hooks_changed(fdb: Any) -> None:
    _seed(fdb, "a")
    with fdb.session() as s:
        note = s.query(Note).one()
        note.title = "b"
        Note.fail = "after_update"
        with pytest.raises(Boom):
            s.flush()
        assert note.updated_at == STAMP  # before_update's stamp, undone
        s.rollback()
        assert note.title == "a"
    assert _titles(fdb) == [("a", STAMP)]


def test_changes_made_by_after_insert_are_written_by_the_same_flush(fdb: Any) -> None:
    with fdb.session() as s:
        objs = [Stamped(), Stamped()]
        s.add_all(objs)
        s.flush()
        assert s.new == [] and s.dirty == []
        codes = [o.code for o in objs]
    assert codes == [f"S-{objs[0].id}", f"S-{objs[1].id}"]
    with fdb.session() as s:
        assert sorted(o.code for o in s.query(Stamped).all()) == sorted(codes)


def test_after_rollback_and_session_listeners(fdb: Any) -> None:
    calls: list[str] = []

    def on_rollback(s: Any) -> None:
        calls.append("rollback")

    fdb.listen("after_rollback", on_rollback)
    with fdb.session() as s:
        s.add(Note(title="a"))
        s.rollback()
        assert calls == ["rollback"]
        fdb.unlisten("after_rollback", on_rollback)
        s.add(Note(title="b"))
        s.rollback()
        assert calls == ["rollback"]
        with pytest.raises(ArgumentError, match="unknown event 'before_insert'"):
            s.listen("before_insert", on_rollback)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match="not listening"):
            s.unlisten("after_commit", on_rollback)


@pytest.mark.sync_only("runs both front ends itself (the fdb fixture)")
def test_listeners_receive_the_front_end_session(fdb: Any) -> None:
    seen: list[Any] = []
    fdb.listen("before_flush", seen.append)
    with fdb.session() as s:
        s.add(Note(title="a"))
    from ormolu import AsyncSession, Session

    assert len(seen) == 1
    assert isinstance(seen[0], AsyncSession if isinstance(fdb, AsyncFacade) else Session)


@pytest.mark.sync_only("a listener is a plain call: on the async front end it cannot await")
def test_after_commit_runs_once_the_connection_is_given_back(fdb: Any) -> None:
    counts: list[int] = []

    def count_in_another_session(s: Any) -> None:
        with s.db.session() as other:  # (an in-memory SQLite has one connection)
            counts.append(other.query(Note).count())

    with fdb.session() as s:
        s.listen("after_commit", count_in_another_session)  # (not db's: it would recurse)
        s.add(Note(title="a"))
    assert counts == [1]
