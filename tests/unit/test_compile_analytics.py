"""Exact SQL of CTEs, window functions, set operations, writes from queries, JSON paths
and schemas, per dialect, with no database; hostile names and values stay quoted or
bound."""

from __future__ import annotations

from typing import Any

import pytest
from sqlcheck import assert_sql

from ormolu import (
    ArgumentError,
    ConfigurationError,
    Mapped,
    Model,
    field,
    func,
    insert,
    literal,
    select,
)
from ormolu.dialects.mysql import MySQLDialect
from ormolu.dialects.postgresql import PostgreSQLDialect
from ormolu.dialects.sqlite import SQLiteDialect
from ormolu.sql.dml import Delete, Update

PG = PostgreSQLDialect()
MY = MySQLDialect()


class Emp(Model, table="ca_emp"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    boss_id: Mapped[int | None] = field(foreign_key="Emp.id", default=None)
    dept: Mapped[int]
    pay: Mapped[int]


class Dept(Model, table="ca_dept"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=40)


class Doc(Model, table="ca_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    data: Mapped[dict[str, Any]]


class Ledger(Model, table="ledger", schema="acct"):
    id: Mapped[int] = field(primary_key=True, default=None)
    amount: Mapped[int]


E = '"ca_emp"'


# -- CTEs ---------------------------------------------------------------------------------
def test_a_cte_is_hoisted_into_a_with_clause_with_its_parameters_first() -> None:
    rich = select(Emp.id, Emp.name).where(Emp.pay > 100).cte("rich")
    assert_sql(
        select(rich.c.name).where(rich.c.id < 50),
        'WITH "rich" ("id", "name") AS (SELECT "ca_emp"."id", "ca_emp"."name" FROM "ca_emp" '
        'WHERE "ca_emp"."pay" > ?) SELECT "rich"."name" FROM "rich" WHERE "rich"."id" < ?',
        [100, 50],
    )


def test_a_recursive_cte() -> None:
    top = select(Emp.id, literal(0).label("depth")).where(Emp.boss_id.is_(None))
    tree = top.cte("tree", recursive=True)
    tree = tree.union_all(
        select(Emp.id, (tree.c.depth + 1).label("depth")).join(tree, Emp.boss_id == tree.c.id)
    )
    assert_sql(
        select(tree.c.id).order_by(tree.c.depth),
        'WITH RECURSIVE "tree" ("id", "depth") AS (SELECT "ca_emp"."id", ? AS "depth" FROM '
        '"ca_emp" WHERE "ca_emp"."boss_id" IS NULL UNION ALL SELECT "ca_emp"."id", '
        '"tree"."depth" + ? AS "depth" FROM "ca_emp" JOIN "tree" ON "ca_emp"."boss_id" = '
        '"tree"."id") SELECT "tree"."id" FROM "tree" ORDER BY "tree"."depth"',
        [0, 1],
    )
    with pytest.raises(ArgumentError, match="only a recursive CTE"):
        top.cte("flat").union_all(top)


def test_several_ctes_and_one_used_by_another() -> None:
    a = select(Emp.id).where(Emp.dept == 1).cte("a")
    b = select(a.c.id).where(a.c.id > 3).cte("b")
    c = select(Dept.id).cte("c")
    assert_sql(
        select(b.c.id, c.c.id).where(b.c.id == c.c.id),
        'WITH "a" ("id") AS (SELECT "ca_emp"."id" FROM "ca_emp" WHERE "ca_emp"."dept" = ?), '
        '"b" ("id") AS (SELECT "a"."id" FROM "a" WHERE "a"."id" > ?), "c" ("id") AS '
        '(SELECT "ca_dept"."id" FROM "ca_dept") SELECT "b"."id", "c"."id" FROM "b", "c" '
        'WHERE "b"."id" = "c"."id"',
        [1, 3],
    )


def test_the_cache_key_holds_the_cte_body() -> None:
    d = SQLiteDialect()
    one = select(Emp.id).where(Emp.dept == 1).cte("x")
    two = select(Emp.id).where(Emp.pay == 1).cte("x")
    from ormolu.sql.compiler import compile_statement

    c1, _ = compile_statement(d, select(one.c.id))
    c2, _ = compile_statement(d, select(two.c.id))
    assert c1.sql != c2.sql


def test_a_cte_in_an_update_goes_inside_its_subquery() -> None:
    low = select(Emp.id).where(Emp.pay < 10).cte("low")
    stmt = Update(Emp.__table__, [(Emp.pay, Emp.pay + 1)], Emp.id.in_(select(low.c.id)))
    assert_sql(
        stmt,
        f'UPDATE {E} SET "pay" = "ca_emp"."pay" + ? WHERE "ca_emp"."id" IN (WITH "low" ("id") '
        'AS (SELECT "ca_emp"."id" FROM "ca_emp" WHERE "ca_emp"."pay" < ?) SELECT "low"."id" '
        'FROM "low")',
        [1, 10],
    )


def test_hostile_cte_names_are_quoted() -> None:
    evil = select(Emp.id).cte('x" ; DROP TABLE ca_emp; --')
    assert_sql(
        select(evil.c.id),
        'WITH "x"" ; DROP TABLE ca_emp; --" ("id") AS (SELECT "ca_emp"."id" FROM "ca_emp") '
        'SELECT "x"" ; DROP TABLE ca_emp; --"."id" FROM "x"" ; DROP TABLE ca_emp; --"',
    )


# -- windows --------------------------------------------------------------------------------
def test_window_specifications() -> None:
    assert_sql(
        select(
            func.row_number().over(partition_by=Emp.dept, order_by=Emp.pay.desc()),
            func.sum(Emp.pay).over(partition_by=[Emp.dept], order_by=Emp.id, rows=(None, 0)),
            func.avg(Emp.pay).over(order_by=Emp.pay, range=(-10, 10)),
            func.lag(Emp.name, 2, "none").over(order_by=Emp.id),
            func.ntile(4).over(order_by=Emp.pay, rows=(-2, None)),
        ),
        'SELECT row_number() OVER (PARTITION BY "ca_emp"."dept" ORDER BY "ca_emp"."pay" DESC), '
        'sum("ca_emp"."pay") OVER (PARTITION BY "ca_emp"."dept" ORDER BY "ca_emp"."id" ROWS '
        'BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), avg("ca_emp"."pay") OVER (ORDER BY '
        '"ca_emp"."pay" RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING), lag("ca_emp"."name", 2, '
        '?) OVER (ORDER BY "ca_emp"."id"), ntile(4) OVER (ORDER BY "ca_emp"."pay" ROWS BETWEEN '
        '2 PRECEDING AND UNBOUNDED FOLLOWING) FROM "ca_emp"',
        ["none"],
    )


def test_lag_with_a_default_where_the_backend_takes_none() -> None:
    maria = MySQLDialect()
    maria.supports_lag_default = False
    assert_sql(
        select(func.lead(Emp.name, 1, "-").over(partition_by=Emp.dept, order_by=Emp.id)),
        "SELECT CASE WHEN count(*) OVER (PARTITION BY `ca_emp`.`dept`) - row_number() OVER "
        "(PARTITION BY `ca_emp`.`dept` ORDER BY `ca_emp`.`id`) >= 1 THEN lead(`ca_emp`.`name`, "
        "1) OVER (PARTITION BY `ca_emp`.`dept` ORDER BY `ca_emp`.`id`) ELSE %s END FROM `ca_emp`",
        ["-"],
        maria,
    )


def test_window_misuse_is_refused_before_sql() -> None:
    from ormolu.sql.compiler import compile_statement

    d = SQLiteDialect()
    with pytest.raises(ArgumentError, match=r"func.row_number\(\) is a window function"):
        compile_statement(d, select(func.row_number()))
    ranked = func.rank().over(order_by=Emp.pay)
    with pytest.raises(ArgumentError, match=r"cannot be used in WHERE.*subquery or CTE"):
        compile_statement(d, select(Emp.id).where(ranked == 1))
    with pytest.raises(ArgumentError, match="starts after its end"):
        func.sum(Emp.pay).over(rows=(2, 1))
    with pytest.raises(ArgumentError, match="needs order_by"):
        func.sum(Emp.pay).over(range=(None, 0))
    with pytest.raises(ArgumentError, match="positive int"):
        func.ntile(0)


# -- set operations -------------------------------------------------------------------------
def test_set_operations_and_their_tail() -> None:
    a, b = select(Emp.name), select(Dept.title)
    assert_sql(
        a.except_(b).order_by(Emp.name).limit(3),
        'SELECT "ca_emp"."name" FROM "ca_emp" EXCEPT SELECT "ca_dept"."title" FROM "ca_dept" '
        'ORDER BY "name" LIMIT ?',
        [3],
    )
    assert_sql(
        a.intersect_all(b),
        'SELECT "ca_emp"."name" FROM "ca_emp" INTERSECT ALL SELECT "ca_dept"."title" FROM '
        '"ca_dept"',
        dialect=PG,
    )
    from ormolu.sql.compiler import compile_statement

    with pytest.raises(ConfigurationError, match="no INTERSECT ALL"):
        compile_statement(SQLiteDialect(), a.intersect_all(b))


# -- writes from queries ----------------------------------------------------------------------
SOURCE = select(Emp).join(Dept, Dept.id == Emp.dept).where(Dept.title == "x'; --")


@pytest.mark.parametrize(
    ("dialect", "update", "delete"),
    [
        (
            SQLiteDialect(),
            'UPDATE "ca_emp" SET "pay" = "ca_dept"."id" FROM "ca_dept" WHERE "ca_dept"."id" = '
            '"ca_emp"."dept" AND "ca_dept"."title" = ?',
            'DELETE FROM "ca_emp" WHERE "ca_emp"."id" IN (SELECT "ca_emp"."id" FROM "ca_emp" JOIN '
            '"ca_dept" ON "ca_dept"."id" = "ca_emp"."dept" WHERE "ca_dept"."title" = ?)',
        ),
        (
            PG,
            'UPDATE "ca_emp" SET "pay" = "ca_dept"."id" FROM "ca_dept" WHERE "ca_dept"."id" = '
            '"ca_emp"."dept" AND "ca_dept"."title" = %s',
            'DELETE FROM "ca_emp" USING "ca_dept" WHERE "ca_dept"."id" = "ca_emp"."dept" AND '
            '"ca_dept"."title" = %s',
        ),
        (
            MY,
            "UPDATE `ca_emp` JOIN `ca_dept` ON `ca_dept`.`id` = `ca_emp`.`dept` SET "
            "`ca_emp`.`pay` = `ca_dept`.`id` WHERE `ca_dept`.`title` = %s",
            "DELETE `ca_emp` FROM `ca_emp` JOIN `ca_dept` ON `ca_dept`.`id` = `ca_emp`.`dept` "
            "WHERE `ca_dept`.`title` = %s",
        ),
    ],
)
def test_update_and_delete_through_joins(dialect: Any, update: str, delete: str) -> None:
    where = SOURCE.where_clause()
    assert_sql(
        Update(Emp.__table__, [(Emp.pay, Dept.id)], where, SOURCE), update, ["x'; --"], dialect
    )
    assert_sql(Delete(Emp.__table__, where, SOURCE), delete, ["x'; --"], dialect)


def test_the_subquery_form_refuses_values_from_other_tables() -> None:
    plain = SQLiteDialect()
    plain.update_from_style = "subquery"
    with pytest.raises(ArgumentError, match="uses another table's column"):
        assert_sql(
            Update(Emp.__table__, [(Emp.pay, Dept.id)], SOURCE.where_clause(), SOURCE),
            "",
            [],
            plain,
        )
    assert_sql(
        Update(Emp.__table__, [(Emp.pay, Emp.pay * 2)], SOURCE.where_clause(), SOURCE),
        'UPDATE "ca_emp" SET "pay" = "ca_emp"."pay" * ? WHERE "ca_emp"."id" IN (SELECT '
        '"ca_emp"."id" FROM "ca_emp" JOIN "ca_dept" ON "ca_dept"."id" = "ca_emp"."dept" '
        'WHERE "ca_dept"."title" = ?)',
        [2, "x'; --"],
        plain,
    )


def test_insert_from_select() -> None:
    assert_sql(
        insert(Dept).from_select([Dept.title], select(Emp.name).where(Emp.pay > 5)),
        'INSERT INTO "ca_dept" ("title") SELECT "ca_emp"."name" FROM "ca_emp" WHERE '
        '"ca_emp"."pay" > ?',
        [5],
    )


# -- JSON -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dialect", "path_sql", "extract_sql", "path_param"),
    [
        (
            SQLiteDialect(),
            '("ca_doc"."data" -> ?)',
            'CAST(json_extract("ca_doc"."data", ?) AS INTEGER)',
            '$."a"[0]."it\'s"',
        ),
        (
            PG,
            'CAST("ca_doc"."data" #> %s AS TEXT)',
            'CAST(("ca_doc"."data" #>> %s) AS BIGINT)',
            ["a", "0", "it's"],
        ),
        (
            MY,
            "JSON_EXTRACT(`ca_doc`.`data`, %s)",
            "CASE WHEN JSON_TYPE(JSON_EXTRACT(`ca_doc`.`data`, %s)) = 'NULL' THEN NULL ELSE "
            "CAST(JSON_UNQUOTE(JSON_EXTRACT(`ca_doc`.`data`, %s)) AS SIGNED) END",
            '$."a"[0]."it\'s"',
        ),
    ],
)
def test_json_paths_bind_their_keys(
    dialect: Any, path_sql: str, extract_sql: str, path_param: Any
) -> None:
    q = dialect.identifier_quote
    value = Doc.data["a"][0]["it's"]
    params = [path_param] * (1 + extract_sql.count("%s") + extract_sql.count("?"))
    assert_sql(
        select(value, value.as_integer()),
        f"SELECT {path_sql}, {extract_sql} FROM {q}ca_doc{q}",
        params,
        dialect,
    )


def test_json_keys_sqlite_cannot_address_are_refused_before_sql() -> None:
    from ormolu.sql.compiler import compile_statement

    with pytest.raises(ArgumentError, match="double quote"):
        compile_statement(SQLiteDialect(), select(Doc.data['say "hi"']))
    _, params = compile_statement(MY, select(Doc.data['say "hi"']))
    assert params == ['$."say \\"hi\\""']


# -- schemas -----------------------------------------------------------------------------------
def test_schema_qualified_names_and_the_translate_map() -> None:
    assert_sql(
        select(Ledger.amount).where(Ledger.id == 1),
        'SELECT "acct"."ledger"."amount" FROM "acct"."ledger" WHERE "acct"."ledger"."id" = ?',
        [1],
    )
    tenant = PostgreSQLDialect()
    tenant.schema_translate_map = {"acct": "tenant_7", None: "shared"}
    assert_sql(
        select(Ledger.amount, Dept.title),
        'SELECT "tenant_7"."ledger"."amount", "shared"."ca_dept"."title" FROM "tenant_7".'
        '"ledger", "shared"."ca_dept"',
        dialect=tenant,
    )
    from ormolu.schema.ddl import create_indexes_sql, create_table_sql

    class Entry(Model, table="entry", schema="acct"):
        id: Mapped[int] = field(primary_key=True, default=None)
        ledger_id: Mapped[int] = field(foreign_key="Ledger.id", index=True)

    sqlite = SQLiteDialect()
    assert create_indexes_sql(sqlite, Entry.__table__) == [
        'CREATE INDEX "acct"."ix_entry_ledger_id" ON "entry" ("ledger_id")'
    ]
    assert create_indexes_sql(PG, Entry.__table__) == [
        'CREATE INDEX "ix_entry_ledger_id" ON "acct"."entry" ("ledger_id")'
    ]
    assert 'REFERENCES "acct"."ledger" ("id")' in create_table_sql(PG, Entry.__table__)
    assert 'REFERENCES "ledger" ("id")' in create_table_sql(sqlite, Entry.__table__)


def test_tables_of_one_name_in_two_schemas_do_not_share_compiled_sql() -> None:
    from ormolu.sql.compiler import compile_statement
    from ormolu.sql.dml import RowInsert

    class Plain(Model, table="ledger"):
        id: Mapped[int] = field(primary_key=True, default=None)
        amount: Mapped[int]

    d = SQLiteDialect()
    one, _ = compile_statement(d, RowInsert(Ledger.__table__, ("amount",)))
    two, _ = compile_statement(d, RowInsert(Plain.__table__, ("amount",)))
    assert one.sql == 'INSERT INTO "acct"."ledger" ("amount") VALUES (?)'
    assert two.sql == 'INSERT INTO "ledger" ("amount") VALUES (?)'
