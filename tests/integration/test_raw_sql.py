"""Raw SQL: ``session.execute`` with ``:name`` parameters, ``session.raw``, ``text()``, and the
SQL log on the ``ormolu.sql`` logger.

Raw SQL is the database's own dialect: mixed-case identifiers are quoted with
``dialect.quote`` (double quotes on SQLite and PostgreSQL, backticks on MySQL, where a
double-quoted word is a string), and raw results come back as the driver returns them.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal

import pytest

from ormolu import (
    Database,
    InvalidRequestError,
    Mapped,
    Model,
    Result,
    field,
    select,
    status_of,
    text,
)


class City(Model, table="rw_city"):
    id: Mapped[int] = field(primary_key=True, column="CityId", default=None)
    name: Mapped[str] = field(column="Name")
    area: Mapped[Decimal | None] = field(default=None, max_digits=8, decimal_places=1)
    founded: Mapped[datetime | None] = None


@pytest.fixture
def cities(db: Database) -> Database:
    db.create_all([City])
    with db.session() as s:
        s.add_all(
            [
                City(name="Oslo", area=Decimal("454.0"), founded=datetime(1040, 1, 1)),
                City(name="Bergen", area=Decimal("465.3")),
                City(name="Tromsø"),
            ]
        )
    return db


def test_execute_binds_named_parameters(cities: Database) -> None:
    q = cities.dialect.quote
    with cities.session() as s:
        res = s.execute(
            f"SELECT {q('CityId')}, {q('Name')} FROM rw_city "
            f"WHERE {q('Name')} = :name OR {q('CityId')} = :id ORDER BY {q('CityId')}",
            {"name": "Bergen", "id": 3},
        )
        assert isinstance(res, Result)
        assert res.all() == [(2, "Bergen"), (3, "Tromsø")]
        assert res.keys == ["CityId", "Name"]
        assert res.dicts() == [{"CityId": 2, "Name": "Bergen"}, {"CityId": 3, "Name": "Tromsø"}]
        assert res.scalars() == [2, 3]
        assert res.scalar() == 2
        assert len(res) == 2 and list(res) == res.all()


def test_execute_same_parameter_twice_and_placeholders_in_quotes(cities: Database) -> None:
    q = cities.dialect.quote
    with cities.session() as s:
        res = s.execute(
            f"SELECT :a AS one, ':a' AS two, :b AS {q('x :b')}, :a AS four -- :c",
            {"a": "x", "b": "y"},
        )
        assert res.all() == [("x", ":a", "y", "x")]
        assert res.keys == ["one", "two", "x :b", "four"]


def test_execute_percent_signs_are_literal(cities: Database) -> None:
    """'%' in raw SQL is text, also where the driver's placeholders are ``%s``."""
    q = cities.dialect.quote
    with cities.session() as s:
        res = s.execute(
            f"SELECT {q('Name')} FROM rw_city WHERE {q('Name')} LIKE 'B%' OR {q('CityId')} = :id "
            f"ORDER BY {q('CityId')}",
            {"id": 3},
        )
        assert res.scalars() == ["Bergen", "Tromsø"]
        assert s.execute("SELECT '100%', '%%', '%s', :p", {"p": "%"}).all() == [
            ("100%", "%%", "%s", "%")
        ]
        assert s.execute("SELECT '100%', '%%', '%s'").all() == [("100%", "%%", "%s")]


def test_execute_sql_takes_the_dialects_paramstyle(cities: Database) -> None:
    """The low-level ``execute_sql`` passes SQL and values to the driver unchanged."""
    ph = cities.dialect.placeholder
    with cities.session() as s:
        res = s.execute_sql(f"SELECT count(*) FROM rw_city WHERE area > {ph}", [460])
        assert res.first() == (1,)


def test_execute_converts_python_values(cities: Database) -> None:
    q, dialect = cities.dialect.quote, cities.dialect
    with cities.session() as s:
        n = s.execute(
            f"UPDATE rw_city SET area = :area, founded = :when WHERE {q('Name')} = :name",
            {"area": Decimal("12.5"), "when": datetime(1070, 6, 1, 12), "name": "Bergen"},
        ).rowcount
        assert n == 1
        # A raw result is what the driver returns: without a native type, SQLite stores
        # the decimal as REAL and the datetime as ISO text.
        row = s.execute(f"SELECT area, founded FROM rw_city WHERE {q('CityId')} = 2").all()
        area = Decimal("12.5") if dialect.native_decimal else 12.5
        founded = datetime(1070, 6, 1, 12) if dialect.native_datetime else "1070-06-01 12:00:00"
        assert row == [(area, founded)]
        assert type(row[0][0]) is type(area)


def test_execute_missing_parameter(cities: Database) -> None:
    with cities.session() as s, pytest.raises(InvalidRequestError, match="missing_one"):
        s.execute("SELECT :missing_one", {})


def test_execute_writes_and_rowcount(cities: Database) -> None:
    q = cities.dialect.quote
    with cities.session() as s:
        res = s.execute(f"DELETE FROM rw_city WHERE {q('CityId')} > :n", {"n": 1})
        assert res.rowcount == 2 and res.all() == []
    with cities.session() as s:
        assert s.query(City).count() == 1


def test_execute_select_statement_converts_results(cities: Database) -> None:
    with cities.session() as s:
        res = s.execute(select(City.name, City.area).where(City.id == 2))
        assert res.all() == [("Bergen", Decimal("465.3"))]
        assert s.scalar(select(City.founded).where(City.id == 1)) == datetime(1040, 1, 1)
        with pytest.raises(InvalidRequestError, match="inside text"):
            s.execute(select(City.id), {"x": 1})


def test_text_fragments_in_queries(cities: Database) -> None:
    name = cities.dialect.quote("Name")
    with cities.session() as s:
        q = s.query(City.name).where(text(f"{name} <> :n", n="Oslo")).order_by(City.id)
        assert q.all() == ["Bergen", "Tromsø"]
        q = s.query(City.name).where(text(f"{name} LIKE '%o%'")).order_by(City.id)
        assert q.all() == ["Oslo", "Tromsø"]
        assert s.execute(text("SELECT :v * 2", v=21)).scalar() == 42


def test_raw_maps_rows_to_objects(cities: Database) -> None:
    q = cities.dialect.quote
    with cities.session() as s:
        objs = s.raw(
            City,
            f"SELECT * FROM rw_city WHERE {q('Name')} != :name ORDER BY {q('CityId')}",
            {"name": "Bergen"},
        )
        assert [c.name for c in objs] == ["Oslo", "Tromsø"]
        oslo = objs[0]
        assert oslo.area == Decimal("454.0") and oslo.founded == datetime(1040, 1, 1)
        assert status_of(oslo) == "persistent"
        assert s.get(City, 1) is oslo
        # by attribute names, in any order
        again = s.raw(
            City,
            f"SELECT founded, area, {q('Name')} AS name, {q('CityId')} AS id FROM rw_city "
            f"WHERE {q('CityId')} = 1",
        )
        assert again == [oslo]
        oslo.name = "Christiania"
    with cities.session() as s:
        assert s.get_one(City, 1).name == "Christiania"


def test_raw_needs_every_column(cities: Database) -> None:
    q = cities.dialect.quote
    with cities.session() as s, pytest.raises(InvalidRequestError, match="area"):
        s.raw(City, f"SELECT {q('CityId')}, {q('Name')}, founded FROM rw_city")


# -- logging -----------------------------------------------------------------------------------
def test_sql_is_logged_at_debug_with_parameters_and_timing(
    cities: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ormolu.sql")
    with cities.session() as s:
        s.query(City).where(City.name == "Oslo").all()
        s.add_all([City(name="A"), City(name="B")])
    messages = [r.getMessage() for r in caplog.records if r.name == "ormolu.sql"]
    select_line = next(m for m in messages if m.startswith("SELECT"))
    q, dialect = cities.dialect.quote, cities.dialect
    assert f"{q('rw_city')}.{q('Name')} = {dialect.placeholder}" in select_line
    assert "('Oslo',)" in select_line
    assert re.search(r"\(\d+\.\d{3} ms\)$", select_line)
    begin = dialect.begin_statements(None, None)[-1]  # BEGIN, or START TRANSACTION
    assert any(m.startswith(begin) for m in messages)
    assert any(m.startswith("COMMIT") for m in messages)
    assert any(m.startswith("INSERT") for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "ormolu.sql")


def test_sql_logging_is_off_by_default(cities: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert not logging.getLogger("ormolu.sql").isEnabledFor(logging.DEBUG)
    with cities.session() as s:
        s.query(City).all()
        s.add(City(name="quiet"))
    assert [r for r in caplog.records if r.name.startswith("ormolu")] == []
