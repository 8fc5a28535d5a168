"""ormolu's side of the relation tests L and M: the models of the ``author``, ``book``,
``tag`` and ``book_tag`` tables and the two eager loads, written as
``docs/relationships.md`` shows: ``relationship(back_populates=...)``, ``many_to_many``
through the association model, ``query(...).options(selectinload(...))``.

(A module of its own beside ``ormolu_orm``, whose ``Bench`` calls these functions.)
"""

from __future__ import annotations

from ormolu import Database, Mapped, Model, field, many_to_many, relationship, selectinload


class Author(Model, table="author"):
    """A parent of L."""

    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=100)
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Model, table="book"):
    """A child of L; a book of M, with its tags."""

    id: Mapped[int] = field(primary_key=True, default=None)
    author_id: Mapped[int] = field(foreign_key="Author.id", index=True, default=None)
    title: Mapped[str] = field(max_length=200)
    author: Mapped[Author] = relationship(back_populates="books")
    tags: Mapped[list[Tag]] = many_to_many(through="BookTag")


class Tag(Model, table="tag"):
    """A tag of M."""

    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=100)


class BookTag(Model, table="book_tag"):
    """The association table of M (the hand-written ``book_tag``)."""

    book_id: Mapped[int] = field(primary_key=True, foreign_key="Book.id")
    tag_id: Mapped[int] = field(primary_key=True, foreign_key="Tag.id", index=True)


def load_parents(db: Database) -> int:
    """L: every author with its books (select-in), touching every book."""
    count = 0
    with db.session() as s:
        authors = s.query(Author).options(selectinload(Author.books)).all()
        for a in authors:
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
    return count


def load_many_to_many(db: Database, ids: tuple[int, int]) -> int:
    """M: the books with ids in ``ids`` with their tags (select-in), touching every tag."""
    lo, hi = ids
    count = 0
    with db.session() as s:
        q = s.query(Book).where(Book.id >= lo, Book.id <= hi)
        for b in q.options(selectinload(Book.tags)).all():
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
    return count
