"""Relationship SQL without a database: joins through relationships, has()/any(), the
select-in statements of a loading plan and the DDL of association tables."""

from __future__ import annotations

from typing import Any

from sqlcheck import SQLITE, assert_sql

from ormolu import Mapped, Model, field, many_to_many, relationship, select
from ormolu.orm.strategies import selectin_load
from ormolu.protocol import Op, run_sync
from ormolu.schema.ddl import create_table_sql


class Writer(Model, table="cr_writer"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)
    mentor_id: Mapped[int | None] = field(foreign_key="Writer.id", default=None)
    mentor: Mapped[Writer | None] = relationship(back_populates="pupils")
    pupils: Mapped[list[Writer]] = relationship(back_populates="mentor")
    novels: Mapped[list[Novel]] = relationship(back_populates="writer")


class Novel(Model, table="cr_novel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    writer_id: Mapped[int] = field(foreign_key="Writer.id", default=None)
    writer: Mapped[Writer] = relationship(back_populates="novels")
    genres: Mapped[list[Genre]] = many_to_many()


class Genre(Model, table="cr_genre"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)


def test_join_through_a_relationship_needs_no_on_clause() -> None:
    assert_sql(
        select(Novel.title).join(Novel.writer).where(Writer.name == "x"),
        'SELECT "cr_novel"."title" FROM "cr_novel" JOIN "cr_writer" ON '
        '"cr_novel"."writer_id" = "cr_writer"."id" WHERE "cr_writer"."name" = ?',
        ["x"],
    )


def test_join_through_a_many_to_many_goes_through_its_table() -> None:
    assert_sql(
        select(Novel.title).join(Novel.genres),
        'SELECT "cr_novel"."title" FROM "cr_novel" '
        'JOIN "cr_novel_genres" ON "cr_novel"."id" = "cr_novel_genres"."novel_id" '
        'JOIN "cr_genre" ON "cr_novel_genres"."genre_id" = "cr_genre"."id"',
    )


def test_has_and_any_are_correlated_exists() -> None:
    assert_sql(
        select(Novel.id).where(Novel.writer.has(name="Woolf")),
        'SELECT "cr_novel"."id" FROM "cr_novel" WHERE EXISTS (SELECT ? FROM "cr_writer" '
        'WHERE "cr_novel"."writer_id" = "cr_writer"."id" AND "cr_writer"."name" = ?)',
        [1, "Woolf"],
    )
    assert_sql(
        select(Writer.id).where(Writer.novels.any(Novel.title.startswith("Or"))),
        'SELECT "cr_writer"."id" FROM "cr_writer" WHERE EXISTS (SELECT ? FROM "cr_novel" '
        'WHERE "cr_writer"."id" = "cr_novel"."writer_id" AND "cr_novel"."title" LIKE ? '
        "ESCAPE '\\')",
        [1, "Or%"],
    )


def test_self_referential_any_uses_an_alias() -> None:
    assert_sql(
        select(Writer.id).where(Writer.pupils.any(name="x")),
        'SELECT "cr_writer"."id" FROM "cr_writer" WHERE EXISTS (SELECT ? FROM "cr_writer" '
        'AS "cr_writer_any" WHERE "cr_writer"."id" = "cr_writer_any"."mentor_id" AND '
        '"cr_writer_any"."name" = ?)',
        [1, "x"],
    )


def test_selectin_load_sends_chunked_in_queries() -> None:
    owners = [Writer(name=f"w{i}", id=i) for i in range(1, 6)]
    rel = Writer.novels.property
    sent: list[Any] = []

    def fetch(stmt: Any) -> Op[list[Any]]:  # stands in for the session's query execution
        sent.append(stmt)
        return []
        yield  # (a generator that sends nothing)

    run_sync(_no_database, selectin_load(rel, owners, 4, fetch))  # one key per statement
    assert_sql(
        sent[0],
        'SELECT "cr_novel"."id", "cr_novel"."title", "cr_novel"."writer_id" FROM '
        '"cr_novel" WHERE "cr_novel"."writer_id" IN (?) ORDER BY "cr_novel"."id"',
        [1],
    )
    assert len(sent) == 5
    sent.clear()
    for o in owners:
        del o.__dict__["novels"]
    run_sync(_no_database, selectin_load(rel, owners, 13, fetch))  # 3 keys per statement
    assert SQLITE.placeholder * 3 in compile_sql(sent[0]).replace(", ", "")
    assert len(sent) == 2  # 5 keys: 3 + 2
    assert all(o.__dict__["novels"] == [] for o in owners)


def _no_database(step: Any) -> Any:
    raise AssertionError(f"no statement should reach a database here: {step!r}")


def compile_sql(stmt: object) -> str:
    from ormolu.sql.compiler import compile_statement

    return compile_statement(SQLITE, stmt)[0].sql


def test_automatic_association_table_ddl() -> None:
    table = Novel.genres.property.secondary
    assert table is not None
    assert create_table_sql(SQLITE, table) == (
        'CREATE TABLE "cr_novel_genres" (\n'
        '    "novel_id" INTEGER NOT NULL,\n'
        '    "genre_id" INTEGER NOT NULL,\n'
        '    PRIMARY KEY ("novel_id", "genre_id"),\n'
        '    FOREIGN KEY ("novel_id") REFERENCES "cr_novel" ("id") ON DELETE CASCADE,\n'
        '    FOREIGN KEY ("genre_id") REFERENCES "cr_genre" ("id") ON DELETE CASCADE\n'
        ")"
    )
