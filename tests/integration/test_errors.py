"""Typed database errors, and a failed flush leaving the database and the session consistent.

Every backend maps its driver's errors to the same typed exceptions, with the driver's
error chained as ``__cause__``; the codes, messages and driver classes are each backend's own.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from frontend import async_driver_of, is_async

from ormolu import (
    CheckViolation,
    Database,
    DatabaseError,
    DataError,
    ForeignKeyViolation,
    IntegrityError,
    Mapped,
    Model,
    MultipleResultsFound,
    NoResultFound,
    NotNullViolation,
    OperationalError,
    OrmoluError,
    PendingRollbackError,
    ProgrammingError,
    Session,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
    field,
    status_of,
)


class Team(Model, table="er_team"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(unique=True)


class Player(Model, table="er_player"):
    id: Mapped[int] = field(primary_key=True, default=None)
    team_id: Mapped[int] = field(foreign_key="Team.id")
    number: Mapped[int] = field(check="number BETWEEN 0 AND 99")


class Loose(Model, table="er_loose"):
    """Says ``name`` may be NULL; the table (created by hand) says it may not."""

    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str | None] = None


@pytest.fixture
def league(db: Database) -> Database:
    db.create_all([Team, Player])
    with db.session() as s:
        s.add_all([Team(name="red"), Team(name="blue")])
    return db


# What each backend's driver raises and reports. The driver belongs to the backend, so this is
# looked up by dialect name: ormolu maps by error code, the class is the driver's choice.
def driver_errors(db: Database) -> dict[str, Any]:
    """``{"integrity": ..., "check": ..., "bad_sql": ..., "unique_code": ...,
    "not_null_message": ...}`` for ``db``'s driver."""
    name = db.dialect.name
    if name == "sqlite":
        return {
            "integrity": sqlite3.IntegrityError,
            "check": sqlite3.IntegrityError,
            "bad_sql": sqlite3.OperationalError,
            "unique_code": 2067,  # SQLITE_CONSTRAINT_UNIQUE (extended result code)
            "not_null_message": "er_loose.name",
        }
    if name == "postgresql" and async_driver_of(db) == "asyncpg":
        import asyncpg

        return {
            "integrity": asyncpg.IntegrityConstraintViolationError,
            "check": asyncpg.CheckViolationError,
            "bad_sql": asyncpg.PostgresSyntaxError,
            "unique_code": "23505",  # SQLSTATE unique_violation
            "not_null_message": 'column "name" of relation "er_loose"',
        }
    if name == "postgresql":
        import psycopg

        return {
            "integrity": psycopg.IntegrityError,
            "check": psycopg.errors.CheckViolation,
            "bad_sql": psycopg.errors.SyntaxError,
            "unique_code": "23505",  # SQLSTATE unique_violation
            "not_null_message": 'column "name" of relation "er_loose"',
        }
    assert name == "mysql", name
    if is_async(db):
        import asyncmy.errors as errors  # type: ignore[import-untyped]
    else:
        import pymysql.err as errors

    return {
        "integrity": errors.IntegrityError,
        # MariaDB reports a failed CHECK (error 4025) as an OperationalError
        "check": errors.OperationalError,
        "bad_sql": errors.ProgrammingError,
        "unique_code": 1062,  # ER_DUP_ENTRY
        "not_null_message": "Column 'name' cannot be null",  # the table is not named
    }


def team_names(db: Database) -> list[str]:
    with db.session() as s:
        return [r[0] for r in s.execute("SELECT name FROM er_team ORDER BY id").all()]


def failed_flush(s: Session, error: type[IntegrityError]) -> IntegrityError:
    with pytest.raises(error) as info:
        s.flush()
    return info.value


# -- typed errors ------------------------------------------------------------------------------
def test_unique_violation(league: Database) -> None:
    with league.session() as s:
        s.add(Team(name="red"))
        err = failed_flush(s, UniqueViolation)
        assert isinstance(err.__cause__, driver_errors(league)["integrity"])
        assert isinstance(err, IntegrityError | DatabaseError | OrmoluError)
        q = league.dialect.quote
        assert err.sql is not None and err.sql.startswith(f"INSERT INTO {q('er_team')}")
        assert "red" not in err.sql  # values are bound, never in the text
        assert err.code == driver_errors(league)["unique_code"]
        s.rollback()


def test_foreign_key_violation(league: Database) -> None:
    with league.session() as s:
        s.add(Player(team_id=99, number=1))
        err = failed_flush(s, ForeignKeyViolation)
        assert isinstance(err.__cause__, driver_errors(league)["integrity"])
        s.rollback()


def test_failed_flush_errors_name_the_model_and_object(league: Database) -> None:
    """The database's message may name neither table nor value (SQLite: "FOREIGN KEY
    constraint failed"), so a failed flush adds the model and the object it was writing."""
    with league.session() as s:
        s.add(Player(team_id=99, number=1))
        err = failed_flush(s, ForeignKeyViolation)
        assert err.model == "Player"
        assert "(while inserting Player(id=None, team_id=99, number=1))" in str(err)
        s.rollback()
        s.add_all([Team(name="red"), Team(name="green")])
        err = failed_flush(s, UniqueViolation)
        assert err.model == "Team" and "(while inserting 2 Team objects)" in str(err)
        s.rollback()
    with league.session() as s:
        s.add(Player(team_id=1, number=7))
    with league.session() as s:
        s.get_one(Team, 1).name = "blue"
        err = failed_flush(s, UniqueViolation)
        assert err.model == "Team" and "(while updating Team(id=1, name='blue'))" in str(err)
        s.rollback()
        s.delete(s.get_one(Team, 1))
        err = failed_flush(s, ForeignKeyViolation)
        assert err.model == "Team" and "(while deleting Team(id=1, name='red'))" in str(err)
        s.rollback()
    with league.session() as s:
        with pytest.raises(UniqueViolation) as info:
            s.execute("INSERT INTO er_team (name) VALUES ('red')")  # no flush, no model
        s.rollback()
    assert info.value.model is None


def test_foreign_key_violation_on_delete_of_a_referenced_row(league: Database) -> None:
    with league.session() as s:
        s.add(Player(team_id=1, number=7))
    with league.session() as s:
        s.delete(s.get_one(Team, 1))
        failed_flush(s, ForeignKeyViolation)
        s.rollback()
    assert team_names(league) == ["red", "blue"]


def test_check_violation(league: Database) -> None:
    with league.session() as s:
        s.add(Player(team_id=1, number=100))
        err = failed_flush(s, CheckViolation)
        assert isinstance(err.__cause__, driver_errors(league)["check"])
        s.rollback()


def test_not_null_violation_from_a_model_the_table_disagrees_with(db: Database) -> None:
    key = db.dialect.autoincrement_sql("INTEGER")  # a generated key, as the model expects
    with db.session() as s:
        s.execute(f"CREATE TABLE er_loose (id {key}, name VARCHAR(20) NOT NULL)")
    with db.session() as s:
        s.add(Loose())
        err = failed_flush(s, NotNullViolation)
        assert isinstance(err.__cause__, driver_errors(db)["integrity"])
        assert driver_errors(db)["not_null_message"] in str(err)  # the server's own words
        s.rollback()
    with db.session() as s:
        assert s.execute("SELECT count(*) FROM er_loose").scalar() == 0


def test_not_null_violation_from_raw_sql(league: Database) -> None:
    with league.session() as s:
        with pytest.raises(NotNullViolation) as info:
            s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": None})
        s.rollback()
    assert isinstance(info.value.__cause__, driver_errors(league)["integrity"])


def test_unique_violation_from_raw_sql(league: Database) -> None:
    with league.session() as s:
        with pytest.raises(UniqueViolation):
            s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "blue"})
        s.rollback()


def test_bad_sql_is_a_programming_error(league: Database) -> None:
    with league.session() as s:
        with pytest.raises(ProgrammingError) as info:
            s.execute("SELEC nonsense")
        assert not isinstance(info.value, OperationalError)
        assert isinstance(info.value.__cause__, driver_errors(league)["bad_sql"])
        assert info.value.sql == "SELEC nonsense"
        s.rollback()  # PostgreSQL refuses every statement after an error until then
        with pytest.raises(UndefinedTable) as table_info:
            s.execute("SELECT * FROM er_missing")
        # "no such table: er_missing" / 'relation "er_missing" does not exist' /
        # "Table 'ormolu_test_....er_missing' doesn't exist": each names the table
        assert "er_missing" in str(table_info.value)
        s.rollback()
        with pytest.raises(UndefinedColumn, match="nope"):
            s.execute("SELECT nope FROM er_team")
        s.rollback()
        with pytest.raises(ProgrammingError):
            s.execute("SELECT no_such_function_here(1)")
        s.rollback()
        with pytest.raises(UndefinedColumn, match="nope"):
            s.execute("INSERT INTO er_team (nope) VALUES (1)")
        s.rollback()


@pytest.mark.parametrize(
    ("column", "value"),
    [("d", "2020-13-45"), ("n", 99999), ("n", "abc"), ("x", "abcdef")],
    ids=["bad-date", "smallint-overflow", "not-a-number", "too-long"],
)
def test_a_value_the_column_cannot_hold_is_a_data_error(
    db: Database, column: str, value: object
) -> None:
    with db.session() as s:
        s.execute("CREATE TABLE er_typed (d DATE, n SMALLINT, x VARCHAR(3))")
    with db.session() as s:
        if not db.dialect.enforces_column_types:  # SQLite stores the value as given
            s.execute(f"INSERT INTO er_typed ({column}) VALUES (:v)", {"v": value})
            assert s.execute(f"SELECT {column} FROM er_typed").scalar() == value
            return
        with pytest.raises(DataError) as info:
            s.execute(f"INSERT INTO er_typed ({column}) VALUES (:v)", {"v": value})
        assert info.value.__cause__ is not None
        s.rollback()
        assert s.execute("SELECT count(*) FROM er_typed").scalar() == 0


def test_division_by_zero_in_a_write(db: Database) -> None:
    with db.session() as s:
        s.execute("CREATE TABLE er_typed (n SMALLINT)")
    with db.session() as s:
        if not db.dialect.enforces_column_types:  # SQLite's arithmetic gives NULL instead
            s.execute("INSERT INTO er_typed (n) VALUES (1 / 0)")
            assert s.execute("SELECT n FROM er_typed").all() == [(None,)]
            return
        with pytest.raises(DataError, match=r"(?i)division by (0|zero)"):
            s.execute("INSERT INTO er_typed (n) VALUES (1 / 0)")
        s.rollback()


@pytest.mark.parametrize(
    ("template", "values", "counts"),
    [
        ("SELECT name FROM er_team WHERE name = {p} OR name = {p}", ["red"], (2, 1)),
        ("SELECT name FROM er_team WHERE name = {p}", ["red", "blue"], (1, 2)),
        ("SELECT name FROM er_team WHERE name = {other}", ["red"], None),  # another paramstyle
    ],
)
def test_placeholders_that_do_not_fit_the_values_are_a_programming_error(
    league: Database, template: str, values: list[str], counts: tuple[int, int] | None
) -> None:
    """Every driver refuses the statement before sending it, as the same ProgrammingError
    naming the statement's start and the counts; the transaction goes on, keeping what
    it wrote, and the refused statement wrote nothing."""
    ph = league.dialect.placeholder
    # a placeholder of another paramstyle: '?' on the '%s' drivers, '%s' on SQLite
    sql = template.format(p=ph, other="%s" if ph == "?" else "?")
    with league.session() as s:
        s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "kept"})
        with pytest.raises(ProgrammingError) as info:
            s.execute_sql(sql, values)  # low level: the driver's paramstyle
        error = info.value
        assert not isinstance(error, OperationalError)
        assert error.sql == sql and error.__cause__ is not None
        if counts is not None:
            assert "SELECT name FROM er_team" in str(error)
            assert f"{counts[0]} placeholders but {counts[1]} parameters" in str(error)
        # the session is usable: the next statement runs in the same transaction
        assert s.execute("SELECT count(*) FROM er_team").scalar() == 3
        with pytest.raises(ProgrammingError, match="1 placeholders but 2 parameters"):
            s.execute_sql(
                f"INSERT INTO er_team (name) VALUES ({ph})", [("x", "y"), ("z", "w")], many=True
            )
    with league.session() as s:
        names = s.execute("SELECT name FROM er_team ORDER BY name").all()
    assert names == [("blue",), ("kept",), ("red",)]


def test_a_failed_raw_statement_and_the_rest_of_the_transaction(league: Database) -> None:
    """Where a failed statement aborts the transaction, later ones fail until a rollback;
    elsewhere the transaction goes on and keeps its earlier writes."""
    with league.session() as s:
        s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "kept?"})
        with pytest.raises(UniqueViolation):
            s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "red"})
        if league.dialect.failed_statement_aborts_transaction:
            # refused before anything is sent, naming the error that failed it
            with pytest.raises(PendingRollbackError, match=r"rollback\(\)") as info:
                s.execute("SELECT count(*) FROM er_team")
            assert isinstance(info.value.__cause__, UniqueViolation)
            with pytest.raises(PendingRollbackError):
                s.commit()  # never a silent ROLLBACK reported as a commit
            s.rollback()
            assert s.execute("SELECT count(*) FROM er_team").scalar() == 2
        else:
            assert s.execute("SELECT count(*) FROM er_team").scalar() == 3
            s.rollback()
    assert team_names(league) == ["red", "blue"]


# -- a failed flush leaves everything consistent -----------------------------------------------
def test_failed_flush_writes_nothing_and_objects_are_pending_again(league: Database) -> None:
    with league.session() as s:
        good1, bad, good2 = Team(name="green"), Team(name="red"), Team(name="gold")
        s.add_all([good1, bad, good2])
        with league.capture() as sent:
            failed_flush(s, UniqueViolation)
        assert any("INSERT" in sql for sql, _ in sent)
        for t in (good1, bad, good2):
            assert status_of(t) == "pending"
            assert t.id is None
        assert set(s.new) == {good1, bad, good2}
        assert tuple(s.execute_sql("SELECT count(*) FROM er_team").first()) == (2,)
        bad.name = "purple"  # fix the bad value and try again
        s.flush()
        ids = [t.id for t in (good1, bad, good2)]
        # Keys are new and increasing. A failed INSERT may have used some up: sequences and
        # AUTO_INCREMENT counters are not rolled back (SQLite's max(rowid)+1 is), so gaps
        # are allowed; the keys must be those the rows really got.
        assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > 2
        stored = s.execute("SELECT id, name FROM er_team WHERE id > 2 ORDER BY id").all()
        assert stored == [(ids[0], "green"), (ids[1], "purple"), (ids[2], "gold")]
        assert all(status_of(t) == "persistent" for t in (good1, bad, good2))
    assert team_names(league) == ["red", "blue", "green", "purple", "gold"]


def test_failed_flush_in_the_middle_of_a_transaction_keeps_earlier_writes(
    league: Database,
) -> None:
    with league.session() as s:
        red = s.get_one(Team, 1)
        red.name = "crimson"
        s.flush()  # an earlier write in the same transaction
        blue = s.get_one(Team, 2)
        blue.name = "navy"
        s.delete(blue)
        s.add(Team(name="blue"))  # fine: the DELETE goes first (it frees the name)
        dup = Team(name="crimson")  # not fine: red keeps that name
        s.add(dup)
        failed_flush(s, UniqueViolation)
        # objects are as they were before the failed flush
        assert red.name == "crimson" and status_of(red) == "persistent"
        assert s.deleted == [blue] and blue.name == "navy"
        assert status_of(dup) == "pending" and len(s.new) == 2
        # and so is the database
        rows = s.execute_sql("SELECT name FROM er_team ORDER BY id").all()  # no autoflush
        assert [tuple(r) for r in rows] == [("crimson",), ("blue",)]
        s.expunge(dup)
    assert team_names(league) == ["crimson", "blue"]


def test_failed_flush_does_not_undo_earlier_raw_sql_writes(league: Database) -> None:
    with league.session() as s:
        s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "raw"})
        s.add(Team(name="red"))
        failed_flush(s, UniqueViolation)
        assert tuple(s.execute_sql("SELECT count(*) FROM er_team").first()) == (3,)
        s.rollback()
        s.execute("INSERT INTO er_team (name) VALUES (:name)", {"name": "raw2"})
        s.add(Team(name="blue"))
        failed_flush(s, UniqueViolation)
        s.expunge_all()
    assert team_names(league) == ["red", "blue", "raw2"]


def test_failed_update_restores_the_change(league: Database) -> None:
    with league.session() as s:
        blue = s.get_one(Team, 2)
        blue.name = "red"
        failed_flush(s, UniqueViolation)
        assert blue.name == "red"  # the user's unflushed value is kept to be fixed
        assert s.dirty == [blue]
        blue.name = "teal"
    assert team_names(league) == ["red", "teal"]


def test_commit_after_a_failed_flush_raises_again(league: Database) -> None:
    s = league.session()
    s.add(Team(name="red"))
    failed_flush(s, UniqueViolation)
    with pytest.raises(UniqueViolation):
        s.commit()
    s.close()
    assert team_names(league) == ["red", "blue"]


# -- one() and one_or_none() -------------------------------------------------------------------
def test_one_and_one_or_none(league: Database) -> None:
    with league.session() as s:
        assert s.query(Team).where(Team.name == "red").one().id == 1
        assert s.query(Team).where(Team.name == "none").one_or_none() is None
        with pytest.raises(NoResultFound, match="expected one row"):
            s.query(Team).where(Team.name == "none").one()
        with pytest.raises(MultipleResultsFound):
            s.query(Team).one()
        with pytest.raises(MultipleResultsFound):
            s.query(Team).one_or_none()
