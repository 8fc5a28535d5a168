"""SELECT compilation: exact SQL text and parameter lists, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlcheck import assert_sql

from ormolu import (
    ArgumentError,
    ConfigurationError,
    Mapped,
    Model,
    aliased,
    and_,
    asc,
    case,
    desc,
    exists,
    field,
    func,
    literal,
    not_,
    or_,
    select,
    text,
)
from ormolu.dialects.base import Dialect
from ormolu.dialects.sqlite import SQLiteDialect


class Author(Model, table="author"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)
    mentor_id: Mapped[int | None] = field(foreign_key="Author.id", default=None)


class Book(Model, table="book"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str]
    author_id: Mapped[int] = field(foreign_key="Author.id")
    price: Mapped[Decimal | None] = field(max_digits=10, decimal_places=2, default=None)


class Shelf(Model, table="shelf"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str]


BOOK_COLS = '"book"."id", "book"."title", "book"."author_id", "book"."price"'
T = '"book"."title"'


# -- column lists --------------------------------------------------------------------------
def test_select_model_lists_every_column_in_declaration_order() -> None:
    assert_sql(select(Book), f'SELECT {BOOK_COLS} FROM "book"')


def test_select_columns_and_two_tables_without_join() -> None:
    assert_sql(
        select(Book.title, Author.name),
        'SELECT "book"."title", "author"."name" FROM "book", "author"',
    )


def test_select_needs_entities() -> None:
    with pytest.raises(TypeError):
        select()
    with pytest.raises(TypeError, match="cannot select"):
        select(42)


def test_literal_select_without_from() -> None:
    assert_sql(select(literal(1)), "SELECT ?", [1])


# -- comparison operators ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "op"),
    [
        (Book.title == "x", "="),
        (Book.title != "x", "!="),
        (Book.title < "x", "<"),
        (Book.title <= "x", "<="),
        (Book.title > "x", ">"),
        (Book.title >= "x", ">="),
    ],
)
def test_comparison_operators(expr: object, op: str) -> None:
    assert_sql(select(Book.title).where(expr), f'SELECT {T} FROM "book" WHERE {T} {op} ?', ["x"])


def test_reflected_comparison_puts_column_first() -> None:
    # 5 < Book.id is Python's Book.id > 5
    assert_sql(
        select(Book.id).where(5 < Book.id),  # noqa: SIM300
        'SELECT "book"."id" FROM "book" WHERE "book"."id" > ?',
        [5],
    )


def test_expression_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(Book.id == 1)


def test_several_where_calls_and_conditions_are_anded() -> None:
    assert_sql(
        select(Book.title).where(Book.id == 1, Book.title == "a").where(Book.author_id == 2),
        f'SELECT {T} FROM "book" WHERE "book"."id" = ? AND {T} = ? AND "book"."author_id" = ?',
        [1, "a", 2],
    )


def test_and_or_not_operators() -> None:
    assert_sql(
        select(Book.title).where((Book.id != 3) & (Book.price < 2) | ~(Book.title >= "x")),
        f'SELECT {T} FROM "book" WHERE "book"."id" != ? AND "book"."price" < ? OR NOT {T} >= ?',
        [3, 2, "x"],
    )


def test_or_inside_and_is_parenthesised() -> None:
    assert_sql(
        select(Book.id).where(((Book.id == 1) | (Book.id == 2)) & (Book.id == 3)),
        'SELECT "book"."id" FROM "book" WHERE ("book"."id" = ? OR "book"."id" = ?) '
        'AND "book"."id" = ?',
        [1, 2, 3],
    )


def test_not_of_and_is_parenthesised() -> None:
    assert_sql(
        select(Book.id).where(~((Book.id == 1) & (Book.id == 2))),
        'SELECT "book"."id" FROM "book" WHERE NOT ("book"."id" = ? AND "book"."id" = ?)',
        [1, 2],
    )


def test_and_or_not_functions_flatten() -> None:
    assert_sql(
        select(Book.id).where(or_(Book.id == 1, or_(Book.id == 2, Book.id == 3))),
        'SELECT "book"."id" FROM "book" WHERE "book"."id" = ? OR "book"."id" = ? '
        'OR "book"."id" = ?',
        [1, 2, 3],
    )
    assert_sql(
        select(Book.id).where(not_(and_(Book.id == 1, Book.id == 2))),
        'SELECT "book"."id" FROM "book" WHERE NOT ("book"."id" = ? AND "book"."id" = ?)',
        [1, 2],
    )
    assert and_(Book.id == 1) is not None  # one condition comes back as it is


def test_in_and_not_in() -> None:
    assert_sql(
        select(Book.id).where(Book.id.in_([1, 2, 3])),
        'SELECT "book"."id" FROM "book" WHERE "book"."id" IN (?, ?, ?)',
        [1, 2, 3],
    )
    assert_sql(
        select(Book.id).where(Book.title.not_in(("a", "b"))),
        f'SELECT "book"."id" FROM "book" WHERE {T} NOT IN (?, ?)',
        ["a", "b"],
    )


def test_in_list_parameters_keep_their_place_among_others() -> None:
    stmt = (
        select(Book.id)
        .where(Book.title == "x", Book.id.in_([5, 6, 7]), Book.price > 1.5)
        .order_by(Book.id)
        .limit(3)
    )
    assert_sql(
        stmt,
        f'SELECT "book"."id" FROM "book" WHERE {T} = ? AND "book"."id" IN (?, ?, ?) AND '
        '"book"."price" > ? ORDER BY "book"."id" LIMIT ?',
        ["x", 5, 6, 7, 1.5, 3],
    )


def test_in_lists_of_one_length_share_a_compiled_statement() -> None:
    from sqlcheck import SQLITE

    from ormolu.sql.compiler import compile_statement

    first, p1 = compile_statement(SQLITE, select(Book.id).where(Book.id.in_(range(1, 501))))
    second, p2 = compile_statement(SQLITE, select(Book.id).where(Book.id.in_(range(2, 502))))
    third, _ = compile_statement(SQLITE, select(Book.id).where(Book.id.in_(range(1, 500))))
    assert first is second and third is not first
    assert p1 == list(range(1, 501)) and p2 == list(range(2, 502))
    assert first.sql.count("?") == 500 and third.sql.count("?") == 499


def test_postgresql_sends_an_in_list_of_plain_values_as_one_array() -> None:
    """``= ANY(%s)`` / ``<> ALL(%s)`` (PostgreSQL manual 9.25.3-4): one SQL text for every
    length, so psycopg's query cache and prepared statements serve them all; the values
    keep their place among the other parameters."""
    from ormolu.dialects.postgresql.dialect import PostgreSQLDialect
    from ormolu.sql.compiler import compile_statement

    pg = PostgreSQLDialect()
    stmt = select(Book.id).where(Book.title == "x", Book.id.in_([5, 6, 7]), Book.price > 1.5)
    assert_sql(
        stmt,
        'SELECT "book"."id" FROM "book" WHERE "book"."title" = %s AND "book"."id" = ANY(%s) '
        'AND "book"."price" > %s',
        ["x", [5, 6, 7], 1.5],
        dialect=pg,
    )
    assert_sql(
        select(Book.id).where(Book.title.not_in(("a", "b"))),
        'SELECT "book"."id" FROM "book" WHERE "book"."title" <> ALL(%s)',
        [["a", "b"]],
        dialect=pg,
    )
    short, _ = compile_statement(pg, select(Book.id).where(Book.id.in_(range(2))))
    long, params = compile_statement(pg, select(Book.id).where(Book.id.in_(range(5000))))
    assert short.sql == long.sql and params == [list(range(5000))]
    # an empty list is still a constant of its own; mixed values are still bound one by one
    assert_sql(
        select(Book.id).where(Book.id.in_([])), 'SELECT "book"."id" FROM "book" WHERE 1 = 0',
        [], dialect=pg,
    )  # fmt: skip
    mixed, mixed_params = compile_statement(pg, select(Book.id).where(Book.id.in_([1, 2.5])))
    assert "IN (%s, %s)" in mixed.sql and mixed_params == [1, 2.5]


def test_in_lists_with_other_values_are_bound_one_by_one() -> None:
    # an expression or a value of another type: each value is its own node
    assert_sql(
        select(Book.id).where(Book.id.in_([1, Book.author_id, 2.5])),
        'SELECT "book"."id" FROM "book" WHERE "book"."id" IN (?, "book"."author_id", ?)',
        [1, 2.5],
    )
    hostile = ["'); DROP TABLE book; --", 'a"b', "%_\\"]
    assert_sql(
        select(Book.id).where(Book.title.in_(hostile)),
        f'SELECT "book"."id" FROM "book" WHERE {T} IN (?, ?, ?)',
        hostile,
    )


def test_empty_in_is_false_and_empty_not_in_is_true() -> None:
    assert_sql(select(Book.id).where(Book.id.in_([])), 'SELECT "book"."id" FROM "book" WHERE 1 = 0')
    assert_sql(
        select(Book.id).where(Book.id.not_in([])), 'SELECT "book"."id" FROM "book" WHERE 1 = 1'
    )


def test_in_refuses_a_single_string() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        Book.title.in_("abc")


def test_in_converts_values_with_the_column_type() -> None:
    assert_sql(
        select(Book.id).where(Book.price.in_([Decimal("1.50"), Decimal("2")])),
        'SELECT "book"."id" FROM "book" WHERE "book"."price" IN (?, ?)',
        [1.5, 2.0],
    )


def test_between() -> None:
    assert_sql(
        select(Book.id).where(Book.id.between(1, 10)),
        'SELECT "book"."id" FROM "book" WHERE "book"."id" BETWEEN ? AND ?',
        [1, 10],
    )


def test_null_comparisons() -> None:
    assert_sql(
        select(Book.id).where(
            Book.price == None,  # noqa: E711
            Book.price.is_(None),
            Book.price != None,  # noqa: E711
            Book.price.is_not(None),
        ),
        'SELECT "book"."id" FROM "book" WHERE "book"."price" IS NULL AND "book"."price" IS NULL'
        ' AND "book"."price" IS NOT NULL AND "book"."price" IS NOT NULL',
    )


def test_like_not_like_and_explicit_escape() -> None:
    assert_sql(
        select(Book.id).where(Book.title.like("a_b%")),
        f'SELECT "book"."id" FROM "book" WHERE {T} LIKE ?',
        ["a_b%"],
    )
    assert_sql(
        select(Book.id).where(Book.title.not_like("a%")),
        f'SELECT "book"."id" FROM "book" WHERE {T} NOT LIKE ?',
        ["a%"],
    )
    assert_sql(
        select(Book.id).where(Book.title.like("a!%", escape="!")),
        f'SELECT "book"."id" FROM "book" WHERE {T} LIKE ? ESCAPE \'!\'',
        ["a!%"],
    )
    with pytest.raises(ValueError, match="single character"):
        Book.title.like("x", escape="!!")


def test_ilike_is_lower_like_without_native_ilike() -> None:
    assert not Dialect.supports_ilike
    assert_sql(
        select(Book.id).where(Book.title.ilike("Ab%")),
        f'SELECT "book"."id" FROM "book" WHERE lower({T}) LIKE lower(?)',
        ["Ab%"],
        dialect=Dialect(),
    )


def test_ilike_on_sqlite_folds_unicode_case() -> None:
    # SQLite's own lower() folds ASCII only: a Unicode-aware one is registered per connection.
    assert not SQLiteDialect.supports_ilike
    assert_sql(
        select(Book.id).where(Book.title.ilike("Äb%")),
        f'SELECT "book"."id" FROM "book" WHERE ormolu_lower({T}) LIKE ormolu_lower(?)',
        ["Äb%"],
    )
    assert_sql(
        select(Book.id).where(Book.title.like("Ab%")),
        f'SELECT "book"."id" FROM "book" WHERE {T} LIKE ?',
        ["Ab%"],
    )


def test_ilike_is_native_where_supported() -> None:
    class ILikeDialect(SQLiteDialect):
        supports_ilike = True

    assert_sql(
        select(Book.id).where(Book.title.ilike("Ab%")),
        f'SELECT "book"."id" FROM "book" WHERE {T} ILIKE ?',
        ["Ab%"],
        dialect=ILikeDialect(),
    )


@pytest.mark.parametrize(
    ("method", "arg", "pattern"),
    [
        ("contains", "50%_off", "%50\\%\\_off%"),
        ("startswith", "a_", "a\\_%"),
        ("endswith", "%z", "%\\%z"),
        ("contains", "back\\slash", "%back\\\\slash%"),
        ("contains", "it's", "%it's%"),
    ],
)
def test_contains_startswith_endswith_escape_wildcards(method: str, arg: str, pattern: str) -> None:
    assert_sql(
        select(Book.id).where(getattr(Book.title, method)(arg)),
        f'SELECT "book"."id" FROM "book" WHERE {T} LIKE ? ESCAPE \'\\\'',
        [pattern],
    )


# -- ordering, limit, distinct -------------------------------------------------------------
def test_order_by_directions_and_nulls() -> None:
    assert_sql(
        select(Book.title).order_by(
            Book.title, Book.id.asc(), Book.price.desc().nulls_last(), asc(Book.author_id)
        ),
        f'SELECT {T} FROM "book" ORDER BY {T}, "book"."id", "book"."price" DESC NULLS LAST, '
        '"book"."author_id"',
    )
    assert_sql(
        select(Book.title).order_by(desc(Book.id), Book.price.asc().nulls_first()),
        f'SELECT {T} FROM "book" ORDER BY "book"."id" DESC, "book"."price" NULLS FIRST',
    )


def test_order_by_none_clears_ordering() -> None:
    q = select(Book.title).order_by(Book.title).order_by(None)
    assert_sql(q, f'SELECT {T} FROM "book"')
    assert_sql(
        q.order_by(Book.id).order_by(Book.title),
        f'SELECT {T} FROM "book" ORDER BY "book"."id", {T}',
    )


def test_nulls_ordering_is_emulated_without_native_support() -> None:
    class OldSQLite(SQLiteDialect):
        supports_nulls_ordering = False

    flag = 'CASE WHEN "book"."price" IS NULL THEN 1 ELSE 0 END'
    assert_sql(
        select(Book.id).order_by(Book.price.asc().nulls_first()),
        f'SELECT "book"."id" FROM "book" ORDER BY {flag} DESC, "book"."price"',
        dialect=OldSQLite(),
    )
    assert_sql(
        select(Book.id).order_by(Book.price.desc().nulls_last()),
        f'SELECT "book"."id" FROM "book" ORDER BY {flag}, "book"."price" DESC',
        dialect=OldSQLite(),
    )


def test_limit_and_offset_are_bound() -> None:
    assert_sql(select(Book.id).limit(5), 'SELECT "book"."id" FROM "book" LIMIT ?', [5])
    assert_sql(
        select(Book.id).limit(5).offset(10),
        'SELECT "book"."id" FROM "book" LIMIT ? OFFSET ?',
        [5, 10],
    )
    # SQLite needs a LIMIT before OFFSET: -1 means no limit
    assert_sql(select(Book.id).offset(10), 'SELECT "book"."id" FROM "book" LIMIT -1 OFFSET ?', [10])
    assert_sql(select(Book.id).limit(5).limit(None), 'SELECT "book"."id" FROM "book"')


def test_standard_offset_without_limit() -> None:
    assert_sql(
        select(Book.id).offset(3), 'SELECT "book"."id" FROM "book" OFFSET ?', [3], dialect=Dialect()
    )


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_limit_offset_refuse_bad_values(bad: object) -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        select(Book.id).limit(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative int"):
        select(Book.id).offset(bad)  # type: ignore[arg-type]


def test_distinct() -> None:
    assert_sql(select(Book.title).distinct(), f'SELECT DISTINCT {T} FROM "book"')
    assert_sql(select(Book.title).distinct().distinct(False), f'SELECT {T} FROM "book"')


def test_builders_return_new_statements() -> None:
    base = select(Book.id)
    base.where(Book.id == 1).order_by(Book.id).limit(1)
    assert_sql(base, 'SELECT "book"."id" FROM "book"')


def test_for_update_is_dropped_on_sqlite_but_rendered_elsewhere() -> None:
    assert_sql(select(Book.id).for_update(), 'SELECT "book"."id" FROM "book"')
    assert_sql(
        select(Book.id).for_update(skip_locked=True),
        'SELECT "book"."id" FROM "book" FOR UPDATE SKIP LOCKED',
        dialect=Dialect(),
    )


def test_shared_lock_reads() -> None:
    from ormolu.dialects.mysql.dialect import MySQLDialect
    from ormolu.dialects.postgresql.dialect import PostgreSQLDialect

    stmt = select(Book.id).for_update(read=True)
    assert_sql(stmt, 'SELECT "book"."id" FROM "book" FOR SHARE', dialect=PostgreSQLDialect())
    assert_sql(stmt, "SELECT `book`.`id` FROM `book` LOCK IN SHARE MODE", dialect=MySQLDialect())
    assert_sql(stmt, 'SELECT "book"."id" FROM "book"')  # SQLite locks the database


# -- joins ---------------------------------------------------------------------------------
def test_explicit_join() -> None:
    assert_sql(
        select(Book.title, Author.name).join(Author, Book.author_id == Author.id),
        f'SELECT {T}, "author"."name" FROM "book" JOIN "author" '
        'ON "book"."author_id" = "author"."id"',
    )


def test_join_inferred_from_foreign_key_child_to_parent() -> None:
    assert_sql(
        select(Book.title).join(Author).where(Author.name == "Le Guin"),
        f'SELECT {T} FROM "book" JOIN "author" ON "book"."author_id" = "author"."id" '
        'WHERE "author"."name" = ?',
        ["Le Guin"],
    )


def test_join_inferred_when_target_has_a_self_reference() -> None:
    # Author.mentor_id references Author itself; that is no way to join Author to Book.
    assert_sql(
        select(Book.title, Author.name).join(Author),
        f'SELECT {T}, "author"."name" FROM "book" JOIN "author" '
        'ON "book"."author_id" = "author"."id"',
    )


def test_join_inferred_when_the_target_is_listed_first() -> None:
    # Author is selected first, so it is also the leftmost FROM candidate: it must not be
    # joined to itself through its self-reference.
    assert_sql(
        select(Author.name, Book.title).join(Author),
        f'SELECT "author"."name", {T} FROM "book" JOIN "author" '
        'ON "book"."author_id" = "author"."id"',
    )


def test_join_inferred_from_foreign_key_parent_to_child() -> None:
    assert_sql(
        select(Author.name, Book.title).select_from(Author).join(Book),
        f'SELECT "author"."name", {T} FROM "author" JOIN "book" '
        'ON "book"."author_id" = "author"."id"',
    )


def test_outer_join() -> None:
    assert_sql(
        select(Author.name).outerjoin(Book),
        'SELECT "author"."name" FROM "author" LEFT OUTER JOIN "book" '
        'ON "book"."author_id" = "author"."id"',
    )
    assert_sql(
        select(Author.name).join(Book, Book.author_id == Author.id, isouter=True),
        'SELECT "author"."name" FROM "author" LEFT OUTER JOIN "book" '
        'ON "book"."author_id" = "author"."id"',
    )


def test_join_without_foreign_key_needs_onclause() -> None:
    with pytest.raises(ArgumentError, match="no foreign key"):
        select(Book.id).join(Shelf)


def test_ambiguous_self_join_needs_onclause() -> None:
    mentor = aliased(Author, "mentor")
    with pytest.raises(ArgumentError, match="several foreign keys"):
        select(Author.name, mentor.name).join(mentor)


def test_aliased_self_join() -> None:
    mentor = aliased(Author, "mentor")
    assert_sql(
        select(Author.name, mentor.name)
        .outerjoin(mentor, Author.mentor_id == mentor.id)
        .where(mentor.name == "Ursula"),
        'SELECT "author"."name", "mentor"."name" FROM "author" LEFT OUTER JOIN "author" AS '
        '"mentor" ON "author"."mentor_id" = "mentor"."id" WHERE "mentor"."name" = ?',
        ["Ursula"],
    )


def test_aliased_model_entity_and_default_name() -> None:
    other = aliased(Author)
    assert_sql(
        select(other).where(other.id == 1),
        'SELECT "author_1"."id", "author_1"."name", "author_1"."mentor_id" '
        'FROM "author" AS "author_1" WHERE "author_1"."id" = ?',
        [1],
    )
    with pytest.raises(AttributeError, match="no field"):
        _ = other.nope
    with pytest.raises(ConfigurationError):
        aliased(Book.__table__)  # type: ignore[type-var]


def test_two_joins() -> None:
    mentor = aliased(Author, "mentor")
    assert_sql(
        select(Book.title, mentor.name)
        .select_from(Book)
        .join(Author)
        .join(mentor, Author.mentor_id == mentor.id),
        f'SELECT {T}, "mentor"."name" FROM "book" JOIN "author" ON "book"."author_id" = '
        '"author"."id" JOIN "author" AS "mentor" ON "author"."mentor_id" = "mentor"."id"',
    )


# -- grouping, labels, expressions ---------------------------------------------------------
def test_group_by_having_and_order_by_label() -> None:
    n = func.count(Book.id).label("n")
    assert_sql(
        select(Author.name, n)
        .join(Book)
        .group_by(Author.name)
        .having(func.count(Book.id) > 1)
        .order_by(n.desc()),
        'SELECT "author"."name", count("book"."id") AS "n" FROM "author" JOIN "book" ON '
        '"book"."author_id" = "author"."id" GROUP BY "author"."name" HAVING '
        'count("book"."id") > ? ORDER BY "n" DESC',
        [1],
    )


def test_case_with_and_without_else() -> None:
    assert_sql(
        select(case((Book.price > 10, "dear"), (Book.price > 5, "fair"), else_="cheap").label("c")),
        'SELECT CASE WHEN "book"."price" > ? THEN ? WHEN "book"."price" > ? THEN ? ELSE ? END '
        'AS "c" FROM "book"',
        [10, "dear", 5, "fair", "cheap"],
    )
    assert_sql(
        select(case((Book.id == 1, Book.title))),
        f'SELECT CASE WHEN "book"."id" = ? THEN {T} END FROM "book"',
        [1],
    )
    with pytest.raises(ValueError):
        case()


def test_aggregate_and_generic_functions() -> None:
    assert_sql(
        select(
            func.count(),
            func.count(Book.title, distinct=True),
            func.sum(Book.price),
            func.avg(Book.price),
            func.min(Book.id),
            func.max(Book.id),
            func.coalesce(Book.price, 0),
            func.lower(Book.title),
            func.strftime("%Y", Book.title),
        ),
        f'SELECT count(*), count(DISTINCT {T}), sum("book"."price"), avg("book"."price"), '
        'min("book"."id"), max("book"."id"), coalesce("book"."price", ?), lower("book"."title"),'
        ' strftime(?, "book"."title") FROM "book"',
        [0, "%Y"],
    )


def test_function_names_are_checked() -> None:
    with pytest.raises(ValueError, match="invalid SQL function name"):
        getattr(func, "evil(); DROP TABLE book; --")(Book.id)


def test_arithmetic_concat_and_cast() -> None:
    assert_sql(
        select(
            (Book.id + 1) * 2,
            Book.id - (Book.id - 1),
            -Book.id,
            Book.title + "!",
            Book.title.concat("?"),
            Book.id % 3,
            Book.id / 2,
            10 - Book.id,
        ),
        'SELECT ("book"."id" + ?) * ?, "book"."id" - ("book"."id" - ?), -("book"."id"), '
        f'{T} || ?, {T} || ?, "book"."id" % ?, CAST("book"."id" AS REAL) / ?, ? - "book"."id" '
        'FROM "book"',
        [1, 2, 1, "!", "?", 3, 2, 10],
    )
    assert_sql(
        select(Book.id).where(Book.price.cast(Book.price.type) > 1),
        'SELECT "book"."id" FROM "book" WHERE CAST("book"."price" AS NUMERIC(10, 2)) > ?',
        [1],
    )


def test_text_fragment_binds_named_values() -> None:
    assert_sql(
        select(Book.id).where(text("length(title) > :n AND title != ':n'", n=3)),
        'SELECT "book"."id" FROM "book" WHERE length(title) > ? AND title != \':n\'',
        [3],
    )
    with pytest.raises(ValueError, match="no value given"):
        text("x = :missing")


# -- subqueries ----------------------------------------------------------------------------
def test_correlated_scalar_subquery_in_column_list() -> None:
    top = select(func.max(Book.price)).where(Book.author_id == Author.id)
    assert_sql(
        select(Author.name, top.scalar_subquery().label("top")),
        'SELECT "author"."name", (SELECT max("book"."price") FROM "book" WHERE '
        '"book"."author_id" = "author"."id") AS "top" FROM "author"',
    )


def test_uncorrelated_scalar_subquery_in_where() -> None:
    assert_sql(
        select(Book.title).where(Book.price > select(func.avg(Book.price))),
        f'SELECT {T} FROM "book" WHERE "book"."price" > (SELECT avg("book"."price") FROM "book")',
    )


def test_in_subquery() -> None:
    assert_sql(
        select(Author.name).where(Author.id.in_(select(Book.author_id).where(Book.price > 5))),
        'SELECT "author"."name" FROM "author" WHERE "author"."id" IN (SELECT '
        '"book"."author_id" FROM "book" WHERE "book"."price" > ?)',
        [5],
    )
    assert_sql(
        select(Author.name).where(Author.id.not_in(select(Book.author_id))),
        'SELECT "author"."name" FROM "author" WHERE "author"."id" NOT IN (SELECT '
        '"book"."author_id" FROM "book")',
    )


def test_correlated_in_subquery() -> None:
    assert_sql(
        select(Author.name).where(
            Author.id.in_(select(Book.author_id).where(Book.title == Author.name))
        ),
        'SELECT "author"."name" FROM "author" WHERE "author"."id" IN (SELECT '
        '"book"."author_id" FROM "book" WHERE "book"."title" = "author"."name")',
    )


def test_subquery_on_the_same_table_is_not_correlated_away() -> None:
    cheaper = aliased(Book, "cheaper")
    assert_sql(
        select(Book.title).where(
            Book.price > select(func.min(cheaper.price)).where(cheaper.author_id == Book.author_id)
        ),
        f'SELECT {T} FROM "book" WHERE "book"."price" > (SELECT min("cheaper"."price") FROM '
        '"book" AS "cheaper" WHERE "cheaper"."author_id" = "book"."author_id")',
    )


def test_correlated_exists_and_not_exists() -> None:
    has_books = exists(select(Book.id).where(Book.author_id == Author.id))
    assert_sql(
        select(Author.name).where(has_books),
        'SELECT "author"."name" FROM "author" WHERE EXISTS (SELECT "book"."id" FROM "book" '
        'WHERE "book"."author_id" = "author"."id")',
    )
    assert_sql(
        select(Author.name).where(~select(Book.id).where(Book.author_id == Author.id).exists()),
        'SELECT "author"."name" FROM "author" WHERE NOT EXISTS (SELECT "book"."id" FROM '
        '"book" WHERE "book"."author_id" = "author"."id")',
    )


def test_subquery_in_from_with_columns() -> None:
    counts = select(Book.author_id, func.count().label("n")).group_by(Book.author_id).subquery("c")
    assert_sql(
        select(Author.name, counts.c.n).join(counts, counts.c.author_id == Author.id),
        'SELECT "author"."name", "c"."n" FROM "author" JOIN (SELECT "book"."author_id" AS '
        '"author_id", count(*) AS "n" FROM "book" GROUP BY "book"."author_id") AS "c" ON '
        '"c"."author_id" = "author"."id"',
    )
    with pytest.raises(AttributeError, match="no column 'x'"):
        _ = counts.c.x


def test_select_from_subquery_with_bound_values_keeps_param_order() -> None:
    sq = select(Book.id, Book.title).where(Book.id > 1).subquery("s")
    assert_sql(
        select(sq.c.title).where(sq.c.id < 9).limit(3),
        'SELECT "s"."title" FROM (SELECT "book"."id" AS "id", "book"."title" AS "title" FROM '
        '"book" WHERE "book"."id" > ?) AS "s" WHERE "s"."id" < ? LIMIT ?',
        [1, 9, 3],
    )


# -- compound selects ----------------------------------------------------------------------
def test_union_with_order_and_limit() -> None:
    q = (
        select(Author.name)
        .where(Author.id == 1)
        .union(select(Author.name).where(Author.id == 2))
        .order_by(Author.name)
        .limit(5)
    )
    assert_sql(
        q,
        'SELECT "author"."name" FROM "author" WHERE "author"."id" = ? UNION SELECT '
        '"author"."name" FROM "author" WHERE "author"."id" = ? ORDER BY "name" LIMIT ?',
        [1, 2, 5],
    )


@pytest.mark.parametrize(
    ("method", "op"),
    [("union_all", "UNION ALL"), ("intersect", "INTERSECT"), ("except_", "EXCEPT")],
)
def test_other_compound_operators(method: str, op: str) -> None:
    q = getattr(select(Author.id), method)(select(Book.author_id))
    assert_sql(q, f'SELECT "author"."id" FROM "author" {op} SELECT "book"."author_id" FROM "book"')


def test_union_member_with_limit_is_wrapped() -> None:
    q = select(Author.id).order_by(Author.id).limit(1).union(select(Book.author_id))
    assert_sql(
        q,
        'SELECT * FROM (SELECT "author"."id" FROM "author" ORDER BY "author"."id" LIMIT ?) AS '
        '"anon_1" UNION SELECT "book"."author_id" FROM "book"',
        [1],
    )


def test_union_needs_same_width() -> None:
    with pytest.raises(ValueError, match="same number of columns"):
        select(Author.id).union(select(Book.id, Book.title))
