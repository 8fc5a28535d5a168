"""Queries against a real database: result shapes, filters, joins, aggregates, subqueries,
bulk update/delete, and ``str(query)``."""

from __future__ import annotations

import gc
import weakref
from decimal import Decimal
from typing import Any

import pytest

from ormolu import (
    Database,
    InvalidRequestError,
    Mapped,
    Model,
    ObjectDeletedError,
    Session,
    aliased,
    case,
    exists,
    field,
    func,
    select,
    status_of,
)
from ormolu.protocol import FetchStream


class Band(Model, table="qu_band"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str]
    mentor_id: Mapped[int | None] = field(default=None, foreign_key="Band.id")


class Record(Model, table="qu_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    band_id: Mapped[int] = field(foreign_key="Band.id")
    title: Mapped[str]
    price: Mapped[Decimal] = field(max_digits=6, decimal_places=2)
    year: Mapped[int | None] = None


def in_dialect(db: Database, sql: str) -> str:
    """``sql`` written with ``"`` quotes and ``?`` placeholders, in ``db``'s dialect."""
    d = db.dialect
    return sql.replace('"', d.identifier_quote).replace("?", d.placeholder)


@pytest.fixture
def s(db: Database) -> Any:
    """A session on a small catalogue: 3 bands (the third has no records), 5 records."""
    db.create_all([Band, Record])
    with db.session() as setup:
        a, b, c = Band(name="Alpha"), Band(name="Beta"), Band(name="Gamma")
        setup.add_all([a, b, c])
        setup.flush()
        b.mentor_id = a.id
        c.mentor_id = a.id
        setup.add_all(
            [
                Record(band_id=a.id, title="One", price=Decimal("9.99"), year=1990),
                Record(band_id=a.id, title="Two", price=Decimal("12.50"), year=1995),
                Record(band_id=a.id, title="Three", price=Decimal("5.00")),
                Record(band_id=b.id, title="Four", price=Decimal("7.25"), year=2001),
                Record(band_id=b.id, title="Five", price=Decimal("0.99"), year=1990),
            ]
        )
    with db.session() as session:
        yield session


# -- result shapes -----------------------------------------------------------------------------
def test_all_first_one_scalar(s: Session) -> None:
    records = s.query(Record).order_by(Record.id).all()
    assert [r.title for r in records] == ["One", "Two", "Three", "Four", "Five"]
    assert all(isinstance(r, Record) for r in records)
    assert s.query(Record).order_by(Record.price).first().title == "Five"  # type: ignore[union-attr]
    assert s.query(Record).where(Record.year == 1800).first() is None
    assert s.query(Record.title).where(Record.id == 2).one() == "Two"
    assert s.query(Record.title).where(Record.id == 2).one_or_none() == "Two"
    assert s.query(Record.price).order_by(Record.price.desc()).scalar() == Decimal("12.50")
    assert s.query(Record.title).where(Record.id == 99).scalar() is None


def test_column_queries_return_values_and_tuples(s: Session) -> None:
    assert s.query(Band.name).order_by(Band.name).all() == ["Alpha", "Beta", "Gamma"]
    rows = s.query(Record.title, Record.price).where(Record.id <= 2).order_by(Record.id).all()
    assert rows == [("One", Decimal("9.99")), ("Two", Decimal("12.50"))]


def test_count_and_exists(s: Session) -> None:
    assert s.query(Record).count() == 5
    assert s.query(Record).where(Record.year == None).count() == 1  # noqa: E711
    assert s.query(Record.year).distinct().count() == 4  # NULL counts as a row
    assert s.query(Record).order_by(Record.title).limit(2).count() == 2
    assert s.query(Record).where(Record.price > 10).exists() is True
    assert s.query(Record).where(Record.price > 100).exists() is False


def test_iteration_streams_in_chunks(s: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    s.query(Record).first()  # the session has its connection now
    real_run = s._conn.run

    def recording_run(step: Any) -> Any:
        if isinstance(step, FetchStream):
            sizes.append(step.size)
        return real_run(step)

    monkeypatch.setattr(s._conn, "run", recording_run)
    titles = [r.title for r in s.query(Record).order_by(Record.id).yield_per(2)]
    assert titles == ["One", "Two", "Three", "Four", "Five"]
    assert sizes == [2, 2, 2, 2]  # three chunks, then the empty one that ends it
    assert [t for t in s.query(Record.title).order_by(Record.id)][:2] == ["One", "Two"]


def test_streamed_objects_can_be_freed_as_iteration_goes(s: Session) -> None:
    it = s.query(Record).order_by(Record.id).yield_per(1)
    first = next(it)
    ref = weakref.ref(first)
    del first
    rest = [r.title for r in it]
    gc.collect()
    assert rest == ["Two", "Three", "Four", "Five"]
    assert ref() is None


def test_dicts_and_tuples(s: Session) -> None:
    q = s.query(Record.title, Record.price.label("cost")).where(Record.id == 1)
    assert q.dicts().all() == [{"title": "One", "cost": Decimal("9.99")}]
    assert q.tuples().all() == [("One", Decimal("9.99"))]
    whole = s.query(Band).where(Band.id == 2).dicts().one()
    assert whole == {"id": 2, "name": "Beta", "mentor_id": 1}
    assert s.query(Band).where(Band.id == 2).tuples().one() == (2, "Beta", 1)
    assert len(s.state.identity_map) == 0  # no objects were built


def test_filter_by(s: Session) -> None:
    assert s.query(Band).filter_by(name="Beta").one().id == 2
    assert s.query(Record).filter_by(band_id=1, year=1995).one().title == "Two"
    with pytest.raises(InvalidRequestError, match="Band has no field 'nmae'"):
        s.query(Band).filter_by(nmae="Beta")
    assert s.query(Band.name).filter_by(name="Beta").all() == ["Beta"]  # a column query
    with pytest.raises(InvalidRequestError, match="needs a model"):
        s.query(func.count()).filter_by(name="x")


def test_where_operators(s: Session) -> None:
    def titles(*conds: Any) -> list[str]:
        return s.query(Record.title).where(*conds).order_by(Record.id).all()

    assert titles(Record.year.in_([1990, 2001])) == ["One", "Four", "Five"]
    assert titles(Record.year.not_in([1990])) == ["Two", "Four"]
    assert titles(Record.id.in_([])) == []
    assert len(titles(Record.id.not_in([]))) == 5
    assert titles(Record.price.between(5, Decimal("9.99"))) == ["One", "Three", "Four"]
    assert titles(Record.year.is_(None)) == ["Three"]
    assert titles(Record.year != None) == ["One", "Two", "Four", "Five"]  # noqa: E711
    assert titles((Record.year < 1991) | (Record.price > 12)) == ["One", "Two", "Five"]
    assert titles(~(Record.band_id == 1)) == ["Four", "Five"]
    assert titles(Record.title.like("T%")) == ["Two", "Three"]
    assert titles(Record.title.ilike("t%")) == ["Two", "Three"]
    assert titles(Record.title.startswith("F")) == ["Four", "Five"]
    assert titles(Record.title.endswith("e")) == ["One", "Three", "Five"]
    assert titles(Record.title.contains("ou")) == ["Four"]


def test_order_limit_offset_distinct(s: Session) -> None:
    q = s.query(Record.title).order_by(Record.price.desc())
    assert q.limit(2).all() == ["Two", "One"]
    assert q.limit(2).offset(1).all() == ["One", "Four"]
    assert q.offset(3).all() == ["Three", "Five"]
    assert s.query(Record.year).order_by(Record.year.asc().nulls_last()).all() == [
        1990,
        1990,
        1995,
        2001,
        None,
    ]
    assert s.query(Record.year).order_by(Record.year.desc().nulls_first()).first() is None
    assert s.query(Record.band_id).distinct().order_by(Record.band_id).all() == [1, 2]


# -- joins and aggregates ----------------------------------------------------------------------
def test_inferred_join(s: Session) -> None:
    rows = (
        s.query(Record.title, Band.name)
        .join(Band)
        .where(Band.name == "Beta")
        .order_by(Record.id)
        .all()
    )
    assert rows == [("Four", "Beta"), ("Five", "Beta")]


def test_join_entities_and_outer_join_gives_none(s: Session) -> None:
    rows = s.query(Band, Record).outerjoin(Record).order_by(Band.id, Record.id).all()
    assert len(rows) == 6
    assert rows[-1][0].name == "Gamma" and rows[-1][1] is None
    alpha_rows = [r for b, r in rows if b.name == "Alpha"]
    assert [r.title for r in alpha_rows] == ["One", "Two", "Three"]
    assert rows[0][0] is rows[1][0]  # one row, one object


def test_group_by_having_with_aggregates(s: Session) -> None:
    n = func.count(Record.id).label("n")
    rows = (
        s.query(Band.name, n, func.sum(Record.price), func.min(Record.year))
        .join(Record)
        .group_by(Band.name)
        .having(func.count(Record.id) > 1)
        .order_by(n.desc())
        .all()
    )
    assert rows == [("Alpha", 3, Decimal("27.49"), 1990), ("Beta", 2, Decimal("8.24"), 1990)]


def test_aggregate_types_are_the_same_on_every_backend(s: Session) -> None:
    """Values *and* types: ``835 == Decimal(835)`` in Python, so a sum of integers read
    back as a Decimal (PostgreSQL's SUM(bigint) is NUMERIC, MySQL's SUM is DECIMAL) would
    pass a plain equality check."""

    def typed(row: Any) -> list[tuple[str, Any]]:
        return [(type(v).__name__, v) for v in row]

    row = s.query(
        func.sum(Record.year),
        func.count(Record.id),
        func.min(Record.year),
        func.max(Record.id),
        func.sum(Record.price),
        func.avg(Record.price),
        func.avg(Record.id),
        func.coalesce(func.sum(Record.year), 0),
    ).one()
    assert typed(row) == [
        ("int", 7976), ("int", 5), ("int", 1990), ("int", 5), ("Decimal", Decimal("35.73")),
        ("Decimal", Decimal("7.146")), ("float", 3.0), ("int", 7976),
    ]  # fmt: skip
    empty = s.query(func.sum(Record.year), func.coalesce(func.sum(Record.year), 0))
    assert typed(empty.where(Record.id > 99).one()) == [("NoneType", None), ("int", 0)]
    per_band = s.query(Record.band_id, func.sum(Record.year)).group_by(Record.band_id)
    assert typed(per_band.order_by(Record.band_id).all()[1]) == [("int", 2), ("int", 3991)]


def test_case_and_functions(s: Session) -> None:
    label = case((Record.price >= 10, "dear"), (Record.price >= 5, "fair"), else_="cheap")
    rows = s.query(Record.title, label.label("band")).order_by(Record.id).all()
    assert [b for _, b in rows] == ["fair", "dear", "fair", "fair", "cheap"]
    assert s.query(func.upper(Band.name)).where(Band.id == 1).scalar() == "ALPHA"
    assert s.query(func.coalesce(Record.year, 0)).where(Record.id == 3).scalar() == 0
    assert s.query(func.count(Record.year, distinct=True)).scalar() == 3
    assert s.query(Record.title + "!").where(Record.id == 1).scalar() == "One!"


def test_aliased_self_join(s: Session) -> None:
    mentor = aliased(Band, "mentor")
    rows = (
        s.query(Band.name, mentor.name)
        .outerjoin(mentor, Band.mentor_id == mentor.id)
        .order_by(Band.id)
        .all()
    )
    assert rows == [("Alpha", None), ("Beta", "Alpha"), ("Gamma", "Alpha")]
    objs = s.query(Band, mentor).join(mentor, Band.mentor_id == mentor.id).all()
    _beta, alpha = objs[0]
    assert isinstance(alpha, Band) and alpha.name == "Alpha"
    assert objs[1][1] is alpha


def test_correlated_scalar_and_exists_subqueries(s: Session) -> None:
    top = (select(func.max(Record.price)).where(Record.band_id == Band.id).scalar_subquery()).label(
        "top"
    )
    rows = s.query(Band.name, top).order_by(Band.id).all()
    assert rows == [("Alpha", Decimal("12.50")), ("Beta", Decimal("7.25")), ("Gamma", None)]
    has_records = exists(select(Record.id).where(Record.band_id == Band.id))
    assert s.query(Band.name).where(~has_records).all() == ["Gamma"]
    assert s.query(Band.name).where(
        Band.id.in_(select(Record.band_id).where(Record.year == 2001))
    ).all() == ["Beta"]


def test_subquery_in_from(s: Session) -> None:
    counts = s.query(Record.band_id, func.count().label("n")).group_by(Record.band_id).subquery("c")
    rows = (
        s.query(Band.name, counts.c.n)
        .join(counts, counts.c.band_id == Band.id)
        .order_by(Band.id)
        .all()
    )
    assert rows == [("Alpha", 3), ("Beta", 2)]


def test_union(s: Session) -> None:
    q = (
        s.query(Record.title)
        .where(Record.year == 1990)
        .union(s.query(Record.title).where(Record.price > 10))
    )
    assert sorted(q.all()) == ["Five", "One", "Two"]
    assert q.count() == 3
    assert q.order_by(Record.title).first() == "Five"
    with pytest.raises(InvalidRequestError, match="union"):
        q.where(Record.id == 1)


# -- bulk update and delete --------------------------------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_bulk_update_returns_rowcount_and_expires_objects(s: Session, db: Database) -> None:
    one = s.get_one(Record, 1)
    five = s.get_one(Record, 5)
    n = s.query(Record).where(Record.year == 1990).update({Record.price: Decimal("1.00")})
    assert n == 2
    assert "price" not in one.__dict__  # expired
    with db.capture() as sent:
        assert one.price == Decimal("1.00")
    assert any(sql.startswith("SELECT") for sql, _ in sent)
    assert five.price == Decimal("1.00")
    assert s.get_one(Record, 2).price == Decimal("12.50")


def test_bulk_update_with_expressions_and_keyword_values(s: Session, db: Database) -> None:
    with db.capture() as sent:
        n = s.query(Record).where(Record.band_id == 2).update(price=Record.price * 2)
    assert n == 2
    assert sent[-1] == (
        in_dialect(
            db,
            'UPDATE "qu_record" SET "price" = "qu_record"."price" * ? '
            'WHERE "qu_record"."band_id" = ?',
        ),
        [2, 2],
    )
    assert s.query(Record.price).where(Record.band_id == 2).order_by(Record.id).all() == [
        Decimal("14.50"),
        Decimal("1.98"),
    ]
    with pytest.raises(InvalidRequestError, match="no field"):
        s.query(Record).update(nope=1)
    with pytest.raises(InvalidRequestError, match="needs values"):
        s.query(Record).update()
    with pytest.raises(InvalidRequestError, match="exactly one model"):
        s.query(Record).limit(1).update(title="x")  # (joins are fine: test_bulk_writes.py)


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_bulk_update_flushes_pending_changes_first(s: Session) -> None:
    rec = s.get_one(Record, 3)
    rec.year = 1990  # unflushed: the bulk update must see it
    assert s.query(Record).where(Record.year == 1990).update(title="old") == 3
    assert rec.title == "old" and rec.year == 1990


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_bulk_update_discards_unflushed_changes_without_autoflush(db: Database) -> None:
    db.create_all([Band, Record])
    with db.session() as setup:
        setup.add(Band(name="Solo"))
    with db.session(autoflush=False) as s:
        band = s.get_one(Band, 1)
        band.mentor_id = None
        band.name = "local"  # expired by the bulk update below: the change is dropped
        assert s.query(Band).update(name="bulk") == 1
        s.flush()
        assert band.name == "bulk"
    with db.session() as s:
        assert s.query(Band.name).all() == ["bulk"]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_bulk_delete(s: Session) -> None:
    doomed = s.get_one(Record, 5)
    kept = s.get_one(Record, 1)
    assert s.query(Record).where(Record.price < 6).delete() == 2
    assert s.query(Record).count() == 3
    with pytest.raises(ObjectDeletedError):
        _ = doomed.title
    assert kept.title == "One"
    assert status_of(kept) == "persistent"
    assert s.query(Record).delete() == 3


def test_get_after_a_bulk_delete_is_none(s: Session) -> None:
    doomed = s.get_one(Record, 5)
    s.query(Record).where(Record.id == 5).delete()
    assert s.get(Record, 5) is None
    assert s.get(Record, 1) is not None
    _ = doomed


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_change_to_an_expired_object_survives_loading_the_rest(s: Session, db: Database) -> None:
    rec = s.get_one(Record, 1)
    s.query(Record).update(year=2020)  # expires rec
    rec.title = "Uno"  # set while expired
    assert rec.year == 2020  # loads the expired attributes...
    assert rec.title == "Uno"  # ...without discarding the unflushed change
    assert s.dirty == [rec]
    s.commit()
    with db.session() as other:
        assert other.query(Record.title, Record.year).where(Record.id == 1).one() == ("Uno", 2020)


def test_bulk_delete_with_subquery(s: Session) -> None:
    n = (
        s.query(Record)
        .where(Record.band_id.in_(select(Band.id).where(Band.name == "Alpha")))
        .delete()
    )
    assert n == 3
    assert s.query(Record.title).order_by(Record.id).all() == ["Four", "Five"]


# -- showing queries ---------------------------------------------------------------------------
def test_str_of_a_query_shows_sql_and_parameters(s: Session, db: Database) -> None:
    q = s.query(Record.title).where(Record.price > Decimal("5.5"), Record.title.contains("_"))
    shown = str(q)
    # Decimals are bound as Decimal where the driver sends them exactly, else as float;
    # the ESCAPE character is rendered as the dialect's literal for a backslash.
    price = Decimal("5.5") if db.dialect.native_decimal else 5.5
    sql = in_dialect(
        db,
        'SELECT "qu_record"."title" FROM "qu_record" WHERE "qu_record"."price" > ? AND '
        '"qu_record"."title" LIKE ? ESCAPE ',
    ) + db.dialect.render_literal("\\")
    params = [price, "%\\_%"]
    assert shown == f"{sql}\n-- parameters: {params!r}"
    assert q.sql() == (sql, params)
