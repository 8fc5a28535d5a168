"""Many-to-many select-in loading on every backend (sync and async): the fast path (each
distinct target row hydrated once, collections filled in place) gives what the general
path gives — shared target objects, duplicate links, empty collections, objects already
in the identity map with changes or expired fields, collections already loaded — and
the collections it builds record changes like any other."""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import Database, Mapped, Model, field, many_to_many, selectinload
from ormolu.orm import loading
from ormolu.orm.collections import RelatedList, empty_lists
from ormolu.orm.state import STATE_KEY


class MsBook(Model, table="ms_book"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=60)
    tags: Mapped[list[MsTag]] = many_to_many(through="MsLink")


class MsTag(Model, table="ms_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)


class MsLink(Model, table="ms_link"):
    """An association model with a key of its own: the same pair may be linked twice."""

    id: Mapped[int] = field(primary_key=True, default=None)
    book_id: Mapped[int] = field(foreign_key="MsBook.id", index=True)
    tag_id: Mapped[int] = field(foreign_key="MsTag.id", index=True)


# book -> its tag ids (book 4 has none, book 3 links tag 2 twice)
LINKS = {1: [1, 2, 3], 2: [2, 3], 3: [2, 2, 5], 4: [], 5: [1, 5]}


@pytest.fixture
def mdb(db: Database) -> Database:
    db.create_all([MsBook, MsTag, MsLink])
    with db.session() as s:
        s.add_all([MsTag(id=i, name=f"tag {i}") for i in range(1, 6)])
        s.add_all([MsBook(id=b, title=f"book {b}") for b in LINKS])
        s.flush()
        s.add_all([MsLink(book_id=b, tag_id=t) for b, tags in LINKS.items() for t in tags])
    return db


def load_books(s: Any) -> list[MsBook]:
    q = s.query(MsBook).order_by(MsBook.id).options(selectinload(MsBook.tags))
    return q.all()  # type: ignore[no-any-return]


def shape(books: list[MsBook]) -> list[tuple[int, list[tuple[int, str]]]]:
    return [(b.id, [(t.id, t.name) for t in b.tags]) for b in books]


def shape_of_links() -> list[tuple[int, list[tuple[int, str]]]]:
    return [(b, [(t, f"tag {t}") for t in sorted(tags)]) for b, tags in LINKS.items()]


def test_fast_path_matches_the_general_path(mdb: Database, monkeypatch: Any) -> None:
    with mdb.session() as s:
        fast = load_books(s)
        got = shape(fast)
        # the same tag object wherever it is linked, and it is the identity map's
        shared = [t for b in fast for t in b.tags if t.id == 2]
        assert len(shared) == 4 and all(t is shared[0] for t in shared)
        assert s.get(MsTag, 2) is shared[0]
        assert all(type(b.tags) is RelatedList for b in fast)
    monkeypatch.setattr(loading, "DISTINCT_PROBE", 0)  # every row through the row loader
    with mdb.session() as s:
        general = load_books(s)
        assert shape(general) == got
    assert got == shape_of_links()  # duplicate links kept, ordered by the tag key, [] for book 4


def test_objects_in_the_identity_map_keep_their_changes(mdb: Database) -> None:
    with mdb.session(autoflush=False) as s:
        t2 = s.get(MsTag, 2)
        t3 = s.get(MsTag, 3)
        assert t2 is not None and t3 is not None
        t2.name = "renamed"  # pending change: the load must not overwrite it
        s.expire(t3)  # expired fields: the load fills them from its rows
        books = load_books(s)
        by_id = {b.id: b for b in books}
        assert by_id[1].tags[1] is t2 and t2.name == "renamed"
        assert by_id[2].tags[1] is t3 and "name" in t3.__dict__ and t3.name == "tag 3"
        assert t2.__dict__[STATE_KEY].modified and not t3.__dict__[STATE_KEY].modified
        s.rollback()
        assert t2.name == "tag 2"


def test_loaded_collections_record_changes_and_are_not_reloaded(mdb: Database) -> None:
    with mdb.session() as s:
        books = load_books(s)
        b4 = books[3]
        assert b4.tags == [] and type(b4.tags) is RelatedList
        tag1 = s.get(MsTag, 1)
        b4.tags.append(tag1)  # an association row at the flush
        books[0].tags.remove(books[0].tags[2])  # tag 3: its row goes
        kept = books[1].tags
        kept.append(tag1)
        again = load_books(s)  # (autoflush writes the changes first)
        assert again[1].tags is kept  # a loaded collection is left as it is
    with mdb.session() as s:
        assert shape(load_books(s))[:4] == [
            (1, [(1, "tag 1"), (2, "tag 2")]),
            (2, [(1, "tag 1"), (2, "tag 2"), (3, "tag 3")]),
            (3, [(2, "tag 2"), (2, "tag 2"), (5, "tag 5")]),
            (4, [(1, "tag 1")]),
        ]


def test_chunked_loads_fill_every_collection(mdb: Database) -> None:
    # more books than one statement takes: the collections span several statements
    with mdb.session() as s:
        s.add_all([MsBook(id=100 + i, title=f"extra {i}") for i in range(30)])
        s.flush()
        s.add_all([MsLink(book_id=100 + i, tag_id=1 + i % 5) for i in range(30)])
    mdb.dialect.max_bind_parameters = 17  # 7 keys per IN list
    try:
        with mdb.session() as s, mdb.capture() as sent:
            books = load_books(s)
            extra = [b for b in books if b.id >= 100]
            assert [[t.id for t in b.tags] for b in extra] == [[1 + i % 5] for i in range(30)]
            assert extra[0].tags[0] is extra[5].tags[0]
            assert shape(books[:5]) == shape_of_links()
        assert sum(1 for sql, _ in sent if "ms_link" in sql) == 5  # 35 keys
    finally:
        del mdb.dialect.max_bind_parameters


def test_empty_lists_are_what_the_constructor_builds() -> None:
    rel = MsBook.tags.property
    owners = [MsBook(title="a"), MsBook(title="b")]
    lists = empty_lists(rel, owners)
    for items, owner in zip(lists, owners):
        built = RelatedList(owner, rel)
        assert type(items) is RelatedList and items == built == []
        assert items._owner is owner and items._rel is rel
        assert (built._owner, built._rel) == (owner, rel)
    assert lists[0] is not lists[1]


class MsShelf(Model, table="ms_shelf"):
    id: Mapped[int] = field(primary_key=True, default=None)
    tags: Mapped[list[MsTag]] = many_to_many(through="MsShelfLink")
    newest_first: Mapped[list[MsTag]] = many_to_many(
        through="MsShelfLink", order_by=MsTag.id.desc()
    )


class MsShelfLink(Model, table="ms_shelf_link"):
    id: Mapped[int] = field(primary_key=True, default=None)
    shelf_id: Mapped[int] = field(foreign_key="MsShelf.id", index=True)
    tag_id: Mapped[int] = field(foreign_key="MsTag.id", index=True)


def test_collections_are_ordered_by_the_target_key_whatever_the_link_order(
    db: Database,
) -> None:
    """Links written in another order than the tags' keys (so the association table's
    own key, or its storage order, would give 3, 1, 2): each collection comes back in
    tag-key order by default, and in the relationship's order_by when it has one."""
    db.create_all([MsShelf, MsTag, MsShelfLink])
    with db.session() as s:
        s.add_all([MsTag(id=i, name=f"tag {i}") for i in range(1, 4)])
        s.add_all([MsShelf(id=1), MsShelf(id=2)])
        s.flush()
        for shelf, tag in [(2, 2), (1, 3), (1, 1), (2, 1), (1, 2)]:
            s.add(MsShelfLink(shelf_id=shelf, tag_id=tag))
            s.flush()
    with db.session() as s:
        shelves = s.query(MsShelf).order_by(MsShelf.id).options(selectinload(MsShelf.tags)).all()
        assert [[t.id for t in sh.tags] for sh in shelves] == [[1, 2, 3], [1, 2]]
    with db.session() as s:
        q = s.query(MsShelf).order_by(MsShelf.id).options(selectinload(MsShelf.newest_first))
        assert [[t.id for t in sh.newest_first] for sh in q.all()] == [[3, 2, 1], [2, 1]]
