"""Schemas and naming conventions on every backend: ``schema=`` on a model (a PostgreSQL
schema, a MySQL/MariaDB database, an SQLite attached database), a schema translate map
serving one set of models for several tenants, dotted table names refused, and naming
conventions (mapping Chinook's PascalCase tables without ``column=`` on every field)."""

from __future__ import annotations

import secrets
import sqlite3
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ormolu import (
    ConfigurationError,
    Database,
    ForeignKeyViolation,
    Mapped,
    Model,
    field,
    func,
    relationship,
)

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.chinook import BUNDLED_DB  # noqa: E402

SALES = f"ormolu_sales_{secrets.token_hex(3)}"
TENANTS = [f"ormolu_tenant_{secrets.token_hex(3)}" for _ in range(2)]


class SalesModel(Model, abstract=True, schema="sales"):
    pass


class Region(SalesModel, table="sc_region"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, index=True)
    shops: Mapped[list[Shop]] = relationship(back_populates="region")


class Shop(SalesModel, table="sc_shop"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    region_id: Mapped[int] = field(foreign_key="Region.id", default=None)
    region: Mapped[Region] = relationship(back_populates="shops")


def schema_database(db: Database, tmp_path: Path, names: dict[str, str]) -> Database:
    """A database where each ``{schema in models: schema in SQL}`` exists: created on a
    server (and dropped by the caller), attached files on SQLite."""
    translate = {k: v for k, v in names.items() if k != v}
    if getattr(db.dialect, "schemas_are_attached_databases", False):
        attach = {v: str(tmp_path / f"{v}.db") for v in names.values()}
        return Database(str(db.url), schema_translate_map=translate, attach=attach)
    with db.session() as s:
        for v in names.values():
            sql = db.dialect.create_schema_sql(v)
            assert sql is not None
            s.execute(sql)
    return Database(str(db.url), schema_translate_map=translate)


def drop_schemas(db: Database, names: list[str]) -> None:
    with db.session() as s:
        for name in names:
            sql = db.dialect.drop_schema_sql(name)
            if sql is not None:
                s.execute(sql)


@pytest.fixture
def sales(db: Database, tmp_path: Path) -> Iterator[Database]:
    database = schema_database(db, tmp_path, {"sales": SALES})
    try:
        yield database
    finally:
        database.dispose()
        drop_schemas(db, [SALES])


def test_models_in_a_schema(sales: Database) -> None:
    sales.create_all([Region, Shop])
    with sales.session() as s:
        north = Region(name="North", shops=[Shop(name="A"), Shop(name="B")])
        s.add_all([north, Region(name="South", shops=[Shop(name="C")])])
    with sales.session() as s:
        rows = (
            s.query(Region.name, func.count(Shop.id))
            .join(Region.shops)
            .group_by(Region.name)
            .order_by(Region.name)
            .all()
        )
        assert rows == [("North", 2), ("South", 1)]
        sql, _ = s.query(Shop.name).sql()
        assert SALES in sql
        assert s.query(Shop).filter_by(name="C").one().region.name == "South"
        assert s.query(Shop).where(Shop.region.has(name="North")).count() == 2
        assert s.query(Shop).join(Region).where(Region.name == "North").delete() == 2
        assert s.query(Shop).count() == 1
    # an explicit key moves the table's key generator past it (PostgreSQL's identity
    # sequence, in the schema), and a failed flush names the model of a schema's table
    with sales.session() as s:
        s.add(Region(id=100, name="West"))
    with sales.session() as s:
        east = Region(name="East")
        s.add(east)
        s.flush()
        assert east.id is not None and east.id > 100
    with sales.session() as s:
        s.add(Shop(name="orphan", region_id=9999))
        with pytest.raises(ForeignKeyViolation) as info:
            s.flush()
        assert info.value.model == "Shop" and "while inserting Shop(" in str(info.value)
        s.rollback()
    sales.drop_all([Region, Shop])


def test_create_all_if_not_exists_compares_no_table_of_another_schema(
    sales: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # A table of the current schema with a model's table name but another shape: the
    # model's table lives in the "sales" schema, so create_all must neither compare the
    # two (a warning about a table the model does not describe) nor skip creating it.
    with sales.session() as s:
        s.execute_sql("CREATE TABLE sc_region (id INTEGER PRIMARY KEY, label VARCHAR(10))")
    try:
        with caplog.at_level("WARNING", logger="ormolu.schema"):
            sales.create_all([Region, Shop], if_not_exists=True)
            sales.create_all([Region, Shop], if_not_exists=True)  # exists now: unchecked
        assert [r.getMessage() for r in caplog.records if "sc_region" in r.getMessage()] == []
        with sales.session() as s:
            s.add(Region(name="North", shops=[Shop(name="A")]))
        with sales.session() as s:
            assert s.query(Shop).one().region.name == "North"
            # the current schema's table is untouched
            assert s.execute_sql("SELECT COUNT(*) FROM sc_region").scalar() == 0
        sales.drop_all([Region, Shop])
    finally:
        with sales.session() as s:
            s.execute_sql("DROP TABLE sc_region")


def test_a_schema_translate_map_serves_several_tenants(db: Database, tmp_path: Path) -> None:
    names = {TENANTS[0]: TENANTS[0], TENANTS[1]: TENANTS[1]}
    base = schema_database(db, tmp_path, names)
    base.dispose()
    tenants = [
        Database(
            str(db.url),
            schema_translate_map={"sales": t},
            **(
                {"attach": {t: str(tmp_path / f"{t}.db")}}
                if getattr(db.dialect, "schemas_are_attached_databases", False)
                else {}
            ),
        )
        for t in TENANTS
    ]
    try:
        for i, tenant in enumerate(tenants):
            tenant.create_all([Region, Shop])
            with tenant.session() as s:
                s.add_all([Region(name=f"tenant {i} region {n}") for n in range(i + 1)])
        for i, tenant in enumerate(tenants):
            with tenant.session() as s:
                assert sorted(s.query(Region.name).all()) == [
                    f"tenant {i} region {n}" for n in range(i + 1)
                ]
                assert TENANTS[i] in s.query(Region.id).sql()[0]
    finally:
        for tenant in tenants:
            tenant.dispose()
        drop_schemas(db, TENANTS)


def test_dotted_table_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="table='t', schema='s'"):

        class Dotted(Model, table="s.t"):
            id: Mapped[int] = field(primary_key=True)


# -- naming conventions ---------------------------------------------------------------------
class Chinook(Model, abstract=True, naming="PascalCase"):
    pass


class Genre(Chinook, table="Genre"):
    id: Mapped[int] = field(primary_key=True, column="GenreId", default=None)
    name: Mapped[str | None] = field(max_length=120, default=None)


class Track(Chinook, table="Track"):
    id: Mapped[int] = field(primary_key=True, column="TrackId", default=None)
    name: Mapped[str] = field(max_length=200)
    genre_id: Mapped[int | None] = field(foreign_key="Genre.id", default=None)
    milliseconds: Mapped[int]
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2)


def test_pascal_case_maps_chinook_without_column_names() -> None:
    """Chinook's columns are PascalCase (``GenreId``, ``UnitPrice``): only the primary keys,
    named ``<Table>Id``, need ``column=``."""
    assert [c.name for c in Track.__table__.columns] == [
        "TrackId", "Name", "GenreId", "Milliseconds", "UnitPrice",
    ]  # fmt: skip
    chinook = Database(f"sqlite:///file:{BUNDLED_DB.resolve()}?mode=ro")
    try:
        with chinook.session() as s:
            rows = (
                s.query(Genre.name, func.count(Track.id), func.sum(Track.unit_price))
                .select_from(Track)
                .join(Genre)
                .group_by(Genre.name)
                .order_by(func.count(Track.id).desc())
                .limit(2)
                .all()
            )
    finally:
        chinook.dispose()
    raw = sqlite3.connect(f"file:{BUNDLED_DB.resolve()}?mode=ro", uri=True)
    expected = raw.execute(
        "SELECT g.Name, count(t.TrackId), round(sum(t.UnitPrice), 2) FROM Track t "
        "JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name ORDER BY 2 DESC LIMIT 2"
    ).fetchall()
    raw.close()
    assert rows == [
        (g, n, Decimal(str(total)).quantize(Decimal("0.01"))) for g, n, total in expected
    ]
    assert rows[0][:2] == ("Rock", 1297)


@pytest.mark.parametrize(
    ("naming", "table", "column"),
    [
        ("snake_case", "order_line", "unit_price"),
        ("camelCase", "orderLine", "unitPrice"),
        ("preserve", "OrderLine", "unit_price"),
        (str.upper, "ORDERLINE", "UNIT_PRICE"),
    ],
)
def test_naming_conventions(naming: object, table: str, column: str) -> None:
    base = type(Model)("Base", (Model,), {}, abstract=True, naming=naming)
    ns = {
        "__annotations__": {"id": "Mapped[int]", "unit_price": "Mapped[int]"},
        "id": field(primary_key=True, default=None),
        "__module__": __name__,
    }
    cls = type(Model)("OrderLine", (base,), ns)
    assert cls.__table__.name == table
    assert [c.name for c in cls.__table__.columns][1] == column


def test_unknown_naming_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="naming='kebab'"):

        class Kebab(Model, abstract=True, naming="kebab"):
            pass
