"""Optimistic locking (``field(version=True)``) on every backend and both front ends:
two sessions editing one row, the second write refused with StaleDataError and nothing
of its flush written; integer, UUID and datetime versions; relationships; bulk paths."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from ormolu import (
    ConfigurationError,
    Mapped,
    Model,
    ObjectDeletedError,
    StaleDataError,
    field,
    relationship,
    status_of,
)


class Doc(Model, table="ver_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    version: Mapped[int] = field(version=True)


class UDoc(Model, table="ver_udoc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    rev: Mapped[uuid.UUID] = field(version=True)


class TDoc(Model, table="ver_tdoc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    changed: Mapped[datetime] = field(version=True, timezone=True)


class Plain(Model, table="ver_plain"):
    """Not versioned: written in the same flush as a stale Doc."""

    id: Mapped[int] = field(primary_key=True, default=None)
    n: Mapped[int] = 0


class Folder(Model, table="ver_folder"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)
    version: Mapped[int] = field(version=True)
    files: Mapped[list[File]] = relationship(back_populates="folder")


class File(Model, table="ver_file"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)
    folder_id: Mapped[int] = field(foreign_key="Folder.id", default=None)
    folder: Mapped[Folder] = relationship(back_populates="files")
    version: Mapped[int] = field(version=True)


class Card(Model, table="ver_card"):
    """Versioned, with a JSON field and a stamping hook: the features together."""

    id: Mapped[int] = field(primary_key=True, default=None)
    tags: Mapped[list[str]] = field(default_factory=list)
    edits: Mapped[int] = 0
    version: Mapped[int] = field(version=True)

    def before_update(self) -> None:
        self.edits += 1


MODELS = [Doc, UDoc, TDoc, Plain, Folder, File, Card]


@pytest.fixture
def fdb(db: Any) -> Any:
    db.create_all(MODELS)
    return db


def _two_copies(db: Any, model: Any, pk: Any) -> tuple[Any, Any, Any, Any]:
    """Two sessions with the same row loaded (each read transaction ended: on SQLite a
    reader's lock would block the other's COMMIT)."""
    a, b = db.session(), db.session()
    obj_a = a.get(model, pk)
    a.commit()
    obj_b = b.get(model, pk)
    b.commit()
    return a, obj_a, b, obj_b


def _add(db: Any, *objs: Any) -> None:
    with db.session() as s:
        s.add_all(objs)


def test_an_integer_version_starts_at_one_and_counts_updates(fdb: Any) -> None:
    doc = Doc(title="a")
    assert doc.version == 1
    _add(fdb, doc)
    with fdb.session() as s:
        d = s.get(Doc, doc.id)
        d.title = "b"
        with fdb.capture() as sent:
            s.flush()
        assert d.version == 2
        d.title = "c"
    updates = [(sql, p) for sql, p in sent if sql.startswith("UPDATE")]
    assert len(updates) == 1
    sql, params = updates[0]
    assert "version" in sql.split("WHERE")[1]  # WHERE id = ? AND version = ?
    assert list(params)[-1] == 1
    with fdb.session() as s:
        assert s.get(Doc, doc.id).version == 3  # type: ignore[union-attr]


def test_a_stale_update_raises_and_writes_nothing_of_the_flush(fdb: Any) -> None:
    doc = Doc(title="original")
    _add(fdb, doc)
    a, doc_a, b, doc_b = _two_copies(fdb, Doc, doc.id)
    doc_a.title = "first"
    a.commit()
    assert doc_a.version == 2
    other = Plain(n=1)
    b.add(other)
    doc_b.title = "second"
    with pytest.raises(StaleDataError) as err:
        b.flush()
    e = err.value
    assert e.model == "Doc" and e.key == doc.id and e.version == 1
    assert "Doc with primary key" in str(e) and isinstance(e, ObjectDeletedError)
    # the session is as before the flush: still dirty, version as read, the other
    # object still pending
    assert doc_b.version == 1 and doc_b.title == "second" and b.dirty == [doc_b]
    assert status_of(other) == "pending" and other.id is None
    b.rollback()
    b.close()
    a.close()
    with fdb.session() as s:
        assert s.query(Plain).all() == []
        got = s.get(Doc, doc.id)
        assert (got.title, got.version) == ("first", 2)  # type: ignore[union-attr]


def test_after_refresh_the_update_goes_through(fdb: Any) -> None:
    doc = Doc(title="x")
    _add(fdb, doc)
    a, doc_a, b, doc_b = _two_copies(fdb, Doc, doc.id)
    doc_a.title = "a"
    a.commit()
    doc_b.title = "b"
    with pytest.raises(StaleDataError):
        b.commit()
    b.rollback()
    b.refresh(doc_b)
    assert (doc_b.title, doc_b.version) == ("a", 2)
    doc_b.title = "b"
    b.commit()
    assert doc_b.version == 3
    a.close()
    b.close()


def test_a_stale_delete_raises(fdb: Any) -> None:
    doc = Doc(title="x")
    _add(fdb, doc)
    a, doc_a, b, doc_b = _two_copies(fdb, Doc, doc.id)
    doc_a.title = "changed"
    a.commit()
    b.delete(doc_b)
    with pytest.raises(StaleDataError, match="DELETE expected version 1"):
        b.commit()
    assert b.deleted == [doc_b] and status_of(doc_b) == "persistent"
    b.rollback()
    # a row deleted by the other session: the UPDATE is stale too
    a.delete(doc_a)
    a.commit()
    doc_b.title = "late"
    with pytest.raises(StaleDataError):
        b.commit()
    b.rollback()
    a.close()
    b.close()
    with fdb.session() as s:
        assert s.query(Doc).all() == []


@pytest.mark.parametrize("model", [UDoc, TDoc])
def test_uuid_and_datetime_versions_are_regenerated(fdb: Any, model: Any) -> None:
    obj = model(title="x")
    key = "rev" if model is UDoc else "changed"
    first = getattr(obj, key)
    assert isinstance(first, uuid.UUID if model is UDoc else datetime)
    _add(fdb, obj)
    a, obj_a, b, obj_b = _two_copies(fdb, model, obj.id)
    assert getattr(obj_a, key) == first
    obj_a.title = "a"
    a.commit()
    second = getattr(obj_a, key)
    assert second != first
    obj_b.title = "b"
    with pytest.raises(StaleDataError):
        b.commit()
    b.rollback()
    assert getattr(obj_b, key) == first
    a.close()
    b.close()
    with fdb.session() as s:
        got = s.get(model, obj.id)
        assert got.title == "a" and getattr(got, key) == second


def test_a_version_sent_back_by_a_client_is_checked(fdb: Any) -> None:
    doc = Doc(title="x")
    _add(fdb, doc)
    with fdb.session() as s:
        s.get(Doc, doc.id).title = "y"  # version 2 now  # type: ignore[union-attr]
    with fdb.session() as s:
        d = s.get(Doc, doc.id)
        assert d is not None
        d.version = 1  # the version the client's form was rendered with
        d.title = "from the stale form"
        with pytest.raises(StaleDataError, match="expected version 1"):
            s.flush()
        s.rollback()
        assert d.version == 2
        d.version = 2
        d.title = "from a fresh form"
        s.commit()
        assert d.version == 3


def test_merge_of_a_stale_detached_object_raises(fdb: Any) -> None:
    doc = Doc(title="x")
    _add(fdb, doc)
    with fdb.session() as s:
        detached = s.get(Doc, doc.id)
    with fdb.session() as s:
        s.get(Doc, doc.id).title = "moved on"  # type: ignore[union-attr]
    assert detached is not None
    detached.title = "stale edit"
    with fdb.session() as s:
        s.merge(detached)
        with pytest.raises(StaleDataError):
            s.flush()
        s.rollback()


def test_relationships_bump_only_the_rows_they_update(fdb: Any) -> None:
    with fdb.session() as s:
        home, work = Folder(name="home"), Folder(name="work")
        f = File(name="f", folder=home)
        s.add_all([home, work, f])
    assert (home.version, work.version, f.version) == (1, 1, 1)
    with fdb.session() as s:
        home_, work_, f_ = s.get(Folder, home.id), s.get(Folder, work.id), s.get(File, f.id)
        assert home_ is not None and work_ is not None and f_ is not None
        f_.folder = work_  # the file's own row changes: its version moves, the folders' not
        s.load([home_, work_], Folder.files)
        work_.files.append(File(name="g"))  # a new child: an INSERT, no folder UPDATE
    with fdb.session() as s:
        versions = {(o.name, o.version) for o in s.query(Folder).all()}
        assert versions == {("home", 1), ("work", 1)}
        files = {(o.name, o.folder_id, o.version) for o in s.query(File).all()}
        assert files == {("f", work.id, 2), ("g", work.id, 1)}
    # a stale child write fails the flush that also writes its folder
    a, file_a, b, file_b = _two_copies(fdb, File, f.id)
    file_a.name = "renamed"
    a.commit()
    folder_b = b.get(Folder, home.id)
    folder_b.name = "house"
    file_b.name = "other name"
    with pytest.raises(StaleDataError, match="File with primary key"):
        b.commit()
    b.rollback()
    a.close()
    b.close()
    with fdb.session() as s:
        assert s.get(Folder, home.id).name == "home"  # type: ignore[union-attr]


def test_bulk_paths(fdb: Any) -> None:
    with fdb.session() as s:
        assert s.insert_many(Doc, [{"title": "a"}, {"title": "b"}]) == 2
        assert sorted(d.version for d in s.query(Doc).all()) == [1, 1]
    with fdb.session() as s:
        # query.update() neither checks nor moves versions unless told to
        assert s.query(Doc).where(Doc.title == "a").update(title="a2") == 1
        assert (
            s.query(Doc)
            .where(Doc.title == "b")
            .update({Doc.title: "b2", Doc.version: Doc.version + 1})
            == 1
        )
    with fdb.session() as s:
        got = {(d.title, d.version) for d in s.query(Doc).all()}
        # matched rows, not changed ones, on every driver (CLIENT.FOUND_ROWS on
        # PyMySQL and asyncmy): what the version checks count
        assert s.query(Doc).where(Doc.title == "a2").update(title="a2") == 1
    assert got == {("a2", 1), ("b2", 2)}
    # the unit of work's many-row flush checks each row
    with fdb.session() as s:
        docs = s.query(Doc).order_by(Doc.id).all()
        for d in docs:
            d.title += "!"
        with fdb.capture() as sent:
            s.flush()
        assert [d.version for d in docs] == [2, 3]
    assert sum(sql.startswith("UPDATE") for sql, _ in sent) == 2


def test_version_declarations_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="one version field at most"):

        class Two(Model, table="ver_two"):
            id: Mapped[int] = field(primary_key=True, default=None)
            v1: Mapped[int] = field(version=True)
            v2: Mapped[int] = field(version=True)

    with pytest.raises(ConfigurationError, match="neither nullable nor a key"):

        class Nullable(Model, table="ver_null"):
            id: Mapped[int] = field(primary_key=True, default=None)
            v: Mapped[int | None] = field(version=True)

    with pytest.raises(ConfigurationError, match="an int, a UUID or a datetime"):

        class Text(Model, table="ver_text"):
            id: Mapped[int] = field(primary_key=True, default=None)
            v: Mapped[str] = field(version=True, max_length=10)

    with pytest.raises(ConfigurationError, match="an int, a UUID or a datetime"):

        class Seconds(Model, table="ver_secs"):
            id: Mapped[int] = field(primary_key=True, default=None)
            v: Mapped[datetime] = field(version=True, storage="unixepoch")


def test_a_clock_that_does_not_move_still_gives_a_new_version() -> None:
    from ormolu.orm.versioning import next_version

    spec = TDoc.__mapper__.fields["changed"]
    future = datetime(9000, 1, 1, tzinfo=UTC)
    assert next_version(spec, future) > future


def test_a_json_change_in_place_and_a_hook_share_the_versioned_update(fdb: Any) -> None:
    card = Card(tags=["a"])
    _add(fdb, card)
    a, card_a, b, card_b = _two_copies(fdb, Card, card.id)
    card_a.tags.append("from a")
    with fdb.capture() as sent:
        a.commit()
    updates = [sql for sql, _ in sent if sql.startswith("UPDATE")]
    assert len(updates) == 1 and "tags" in updates[0] and "edits" in updates[0]
    assert (card_a.version, card_a.edits) == (2, 1)
    card_b.tags.append("from b")
    with pytest.raises(StaleDataError):
        b.commit()
    assert card_b.tags == ["a", "from b"] and card_b.edits == 0 and card_b.version == 1
    b.rollback()
    assert card_b.tags == ["a"]
    a.close()
    b.close()
    with fdb.session() as s:
        got = s.get(Card, card.id)
        assert got is not None and (got.tags, got.edits, got.version) == (["a", "from a"], 1, 2)
