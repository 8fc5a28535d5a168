"""``insert_many`` through one array parameter per column (PostgreSQL through psycopg:
``INSERT ... SELECT * FROM unnest(%b::int8[], ...)``), and the multi-row VALUES it falls
back to: every backend inserts the same rows with the same values, and on a dialect with
``supports_array_insert`` the statements sent show which path took them."""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ormolu import Database, DataError, Mapped, Model, UniqueViolation, field
from ormolu.core import writes

HOSTILE = [
    "Robert'); DROP TABLE ai_sample; --",
    "%s %b %% $1 $2 ? :name",
    'a "quoted" \\ back\\slash, {brace}, (paren)',
    "日本語 ünïcödé 🎉",
    "line\nbreak\ttab\r",
    "",
    " trailing ",
    "NULL",
]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green, 'ish'"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 3


class Sample(Model, table="ai_sample"):
    id: Mapped[int] = field(primary_key=True, default=None)
    i: Mapped[int | None] = None
    b: Mapped[bool | None] = None
    f: Mapped[float | None] = None
    s: Mapped[str | None] = field(default=None, max_length=60)
    text: Mapped[str | None] = None
    by: Mapped[bytes | None] = None
    money: Mapped[Decimal | None] = field(default=None, max_digits=12, decimal_places=3)
    dt: Mapped[datetime | None] = None
    dtz: Mapped[datetime | None] = field(default=None, timezone=True)
    da: Mapped[date | None] = None
    ti: Mapped[time | None] = None
    td: Mapped[timedelta | None] = None
    u: Mapped[uuid.UUID | None] = None
    color: Mapped[Color | None] = None
    size: Mapped[Size | None] = None


class Reading(Model, table="ai_reading"):
    id: Mapped[int] = field(primary_key=True, default=None)
    n: Mapped[int]
    label: Mapped[str] = field(max_length=30)
    code: Mapped[str | None] = field(default=None, unique=True)


class Doc(Model, table="ai_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[dict[str, Any] | None] = None


WIDTH = 30
Wide: Any = type(
    "Wide",
    (Model,),
    {
        "__module__": __name__,
        "__annotations__": {"id": Mapped[int], **{f"c{i}": Mapped[int] for i in range(WIDTH)}},
        "id": field(primary_key=True, default=None),
    },
    table="ai_wide",
)


def arrays(sent: list[tuple[str, Any]]) -> list[str]:
    """The array INSERTs among captured statements."""
    return [sql for sql, _ in sent if "unnest(" in sql]


def has_arrays(db: Database) -> bool:
    return bool(db.dialect.supports_array_insert)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Array INSERTs of at most 4 rows, so chunk boundaries are cheap to cross."""
    monkeypatch.setattr(writes, "ARRAY_ROWS", 4)
    yield 4


def _sample_rows() -> list[dict[str, Any]]:
    east = timezone(timedelta(hours=5, minutes=30))
    rows: list[dict[str, Any]] = []
    for k, text in enumerate(HOSTILE):
        rows.append(
            {
                "i": (-1) ** k * (2**62 + k) if k % 3 == 0 else k,
                "b": k % 2 == 0,
                "f": k / 3 - 1.5,
                "s": text,
                "text": text * 3,
                "by": bytes([0, 39, 92, k]) + text.encode(),
                "money": Decimal(f"{k * 1000 - 3}.{k:03d}"),
                "dt": datetime(2024, 2, 29, 23, 59, 58, 999_999 - k),
                "dtz": datetime(2024, 1, 1, k, 30, tzinfo=east),
                "da": date(1999 + k, 12, 31),
                "ti": time(k, 59, 1, 500_000),
                "td": timedelta(days=k - 3, seconds=7, microseconds=k),
                "u": uuid.UUID(int=k * 2**100 + 7),
                "color": list(Color)[k % 2],
                "size": list(Size)[k % 2],
            }
        )
    rows.insert(3, {})  # every value NULL
    return rows


def test_every_type_and_hostile_text_round_trip(db: Database) -> None:
    db.create_all([Sample])
    rows = _sample_rows()
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Sample, rows) == len(rows)
    assert len(arrays(sent)) == (1 if has_arrays(db) else 0)
    with db.session() as s:
        got = s.query(Sample).order_by(Sample.id).all()
    assert len(got) == len(rows)
    for obj, row in zip(got, rows):
        for name in Sample.__mapper__.column_keys:
            if name == "id":
                continue
            want, have = row.get(name), getattr(obj, name)
            if isinstance(want, float):
                assert math.isclose(have, want, rel_tol=1e-15), name
            else:
                assert have == want, (name, have, want)


def test_a_column_of_nulls_only_is_null_not_its_default(db: Database) -> None:
    db.create_all([Sample])
    rows = [{"i": k, "s": None, "dtz": None, "u": None} for k in range(5)]
    with db.session() as s, db.capture() as sent:
        s.insert_many(Sample, rows)
    assert len(arrays(sent)) == (1 if has_arrays(db) else 0)
    with db.session() as s:
        got = s.query(Sample).order_by(Sample.id).all()
    assert [o.i for o in got] == list(range(5))
    assert all(o.s is None and o.dtz is None and o.u is None for o in got)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 8, 9, 13])
def test_row_counts_around_chunk_boundaries(db: Database, small_chunks: int, n: int) -> None:
    db.create_all([Reading])
    rows = [{"n": k, "label": f"r{k}'"} for k in range(n)]
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Reading, rows) == n
    if has_arrays(db):
        assert len(arrays(sent)) == -(-n // small_chunks)
    with db.session() as s:
        got = s.query(Reading).order_by(Reading.id).all()
    assert [(o.n, o.label) for o in got] == [(k, f"r{k}'") for k in range(n)]
    assert [o.id for o in got] == sorted(o.id for o in got)


def test_the_default_chunk_boundary(db: Database) -> None:
    n = writes.ARRAY_ROWS + 1
    db.create_all([Reading])
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Reading, [{"n": k, "label": "x"} for k in range(n)]) == n
    if has_arrays(db):
        assert len(arrays(sent)) == 2
    with db.session() as s:
        assert s.query(Reading).count() == n
        got = s.query(Reading.n).order_by(Reading.id).tuples().all()
        assert [r[0] for r in got] == list(range(n))


def test_long_text_splits_the_statements(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes, "ARRAY_CHARS", 100)  # 3 rows of 30 characters each
    db.create_all([Reading])
    rows = [{"n": k, "label": str(k) * 30} for k in range(7)]  # 30 characters a row
    with db.session() as s, db.capture() as sent:
        s.insert_many(Reading, rows)
    if has_arrays(db):
        assert len(arrays(sent)) == 3  # 7 rows, 3 per statement (120 > 100 characters)
    with db.session() as s:
        got = s.query(Reading).order_by(Reading.id).all()
    assert [o.label for o in got] == [str(k) * 30 for k in range(7)]


def test_more_values_than_the_parameter_limit(db: Database) -> None:
    n = 65535 // (WIDTH + 1) + 1  # (WIDTH + 1) * n exceeds every backend's limit
    db.create_all([Wide])
    rows = [{"id": k + 1, **{f"c{i}": k * i for i in range(WIDTH)}} for k in range(n)]
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Wide, rows) == n
    if has_arrays(db):
        assert len(arrays(sent)) == 1
    with db.session() as s:
        assert s.query(Wide).count() == n
        last = s.get(Wide, n)
        assert last is not None and last.c29 == (n - 1) * 29
        # explicit keys moved the identity past them: a new row gets the next one
        obj = Wide(**{f"c{i}": 0 for i in range(WIDTH)})
        s.add(obj)
        s.commit()
        assert obj.id == n + 1


def test_a_failing_row_leaves_nothing_written(db: Database) -> None:
    db.create_all([Reading])
    rows = [{"n": k, "label": "ok", "code": f"c{k}"} for k in range(20)]
    rows.append({"n": 99, "label": "dup", "code": "c3"})
    with db.session() as s:
        with pytest.raises(UniqueViolation):
            s.insert_many(Reading, rows)
        s.rollback()
        assert s.query(Reading).count() == 0


def test_a_failing_insert_after_other_writes_keeps_them(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s:
        s.add(Reading(n=-1, label="before", code="c5"))
        s.flush()
        with db.capture() as sent, pytest.raises(UniqueViolation):
            s.insert_many(Reading, [{"n": k, "label": "x", "code": f"c{k}"} for k in range(9)])
        if has_arrays(db):
            assert len(arrays(sent)) == 1
        # the savepoint undid the failed statement only: the session goes on
        s.insert_many(Reading, [{"n": 1, "label": "after"}, {"n": 2, "label": "after"}])
        s.commit()
    with db.session() as s:
        got = s.query(Reading).order_by(Reading.id).all()
    assert [(o.n, o.label) for o in got] == [(-1, "before"), (1, "after"), (2, "after")]


def test_nul_in_text_is_refused_before_sending_where_text_cannot_hold_it(
    db: Database,
) -> None:
    db.create_all([Reading])
    rows = [{"n": 1, "label": "fine"}, {"n": 2, "label": "a\x00b"}]
    if db.dialect.supports_nul_in_text:
        with db.session() as s:
            s.insert_many(Reading, rows)
        with db.session() as s:
            assert s.query(Reading.label).order_by(Reading.id).tuples().all()[1][0] == "a\x00b"
        return
    with db.session() as s, db.capture() as sent:
        with pytest.raises(DataError):
            s.insert_many(Reading, rows)
        assert arrays(sent) == []  # the general path refused it, as the driver does
        s.rollback()
        assert s.query(Reading).count() == 0


class Label(str):
    """A str subclass: a value the array insert does not take (its class is not str)."""


def test_values_of_another_class_take_the_general_path(db: Database) -> None:
    db.create_all([Reading])
    rows = [{"n": 1, "label": Label("sub'class")}, {"n": 2, "label": "plain"}]
    with db.session() as s, db.capture() as sent:
        s.insert_many(Reading, rows)
    assert arrays(sent) == []
    with db.session() as s:
        got = s.query(Reading.label).order_by(Reading.id).tuples().all()
    assert [r[0] for r in got] == ["sub'class", "plain"]


def test_json_columns_take_the_general_path(db: Database) -> None:
    db.create_all([Doc])
    docs = [{"a": [1, "x'y"], "b": None}, {"k": "%s $1"}, None]
    with db.session() as s, db.capture() as sent:
        s.insert_many(Doc, [{"body": d} for d in docs])
    assert arrays(sent) == []
    with db.session() as s:
        assert [o.body for o in s.query(Doc).order_by(Doc.id).all()] == docs


def test_new_objects_get_their_keys(db: Database) -> None:
    db.create_all([Reading])
    objs = [Reading(n=k, label="obj") for k in range(6)]
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Reading, objs) == 6
        assert arrays(sent) == []  # generated keys are read back (RETURNING, in order)
        ids = [o.id for o in objs]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 6
    with db.session() as s:
        assert sorted(o.n for o in s.query(Reading).all()) == list(range(6))
