"""``session.insert_many(Model, rows)``: bulk insert batched within the bind-parameter limit.

Contract: ``rows`` are mappings (validated like constructor arguments, ValidationError before
any SQL) or new model instances (which become persistent in the identity map with their
generated primary keys); the return value is the number of rows inserted.
"""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import (
    Database,
    InvalidRequestError,
    Mapped,
    Model,
    UniqueViolation,
    ValidationError,
    field,
    func,
    status_of,
)


class Reading(Model, table="bk_reading"):
    id: Mapped[int] = field(primary_key=True, default=None)
    sensor: Mapped[str] = field(max_length=20)
    value: Mapped[int] = field(ge=0)
    ok: Mapped[bool] = True
    code: Mapped[str | None] = field(default=None, unique=True)


WIDTH = 30
Wide: Any = type(
    "Wide",
    (Model,),
    {
        "__module__": __name__,
        "__annotations__": {"id": Mapped[int], **{f"c{i}": Mapped[int] for i in range(WIDTH)}},
        "id": field(primary_key=True, default=None),
    },
    table="bk_wide",
)

LIMIT = 32766  # SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32


def test_fifty_thousand_mappings(db: Database) -> None:
    # (50,000 rows keep the test within a few seconds on the servers, where executemany
    # costs a round trip or an escaped text per row.)
    n = 50_000
    db.create_all([Reading])
    rows = [{"sensor": f"s{i % 7}", "value": i} for i in range(n)]
    with db.session() as s:
        assert s.insert_many(Reading, rows) == n
    with db.session() as s:
        assert s.query(Reading).count() == n
        assert s.query(func.sum(Reading.value)).scalar() == sum(range(n))
        assert s.query(Reading).where(Reading.ok == False).count() == 0  # noqa: E712 default
        last = s.query(Reading).order_by(Reading.id.desc()).first()
        assert last is not None and (last.sensor, last.value) == (f"s{(n - 1) % 7}", n - 1)


def test_instances_become_persistent_with_generated_keys(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s:
        s.add(Reading(sensor="first", value=0))
        s.commit()
        objs = [Reading(sensor=f"x{i}", value=i) for i in range(2_000)]
        assert s.insert_many(Reading, objs) == 2_000
        assert [o.id for o in objs] == list(range(2, 2_002))
        assert all(status_of(o) == "persistent" for o in objs)
        with db.capture() as sent:
            assert s.get(Reading, 1_000) is objs[998]
        assert sent == []
        objs[0].value = 42  # tracked like any persistent object
    with db.session() as s:
        rows = s.query(Reading.id, Reading.sensor, Reading.value).order_by(Reading.id).all()
    assert rows[1] == (2, "x0", 42)
    assert rows[1:] == [(o.id, o.sensor, o.value) for o in objs]


def test_wide_rows_are_batched_within_the_parameter_limit(db: Database) -> None:
    db.create_all([Wide])
    limit = (
        min(LIMIT, db.dialect.max_bind_parameters)
        if db.dialect.name == "sqlite"
        else (db.dialect.max_bind_parameters)
    )
    n = limit // WIDTH + 200  # enough rows that one statement would exceed the limit
    assert n * WIDTH > limit
    objs = [Wide(**{f"c{i}": r * 100 + i for i in range(WIDTH)}) for r in range(n)]
    with db.session() as s:
        with db.capture() as sent:
            assert s.insert_many(Wide, objs) == n
        inserts = [(sql, p) for sql, p in sent if sql.startswith("INSERT")]
        assert len(inserts) >= 2
        for _, params in inserts:
            if params and not isinstance(params[0], list | tuple):
                assert len(params) <= limit
        assert [o.id for o in objs] == list(range(1, n + 1))
    with db.session() as s:
        assert s.query(Wide).count() == n
        row = s.get_one(Wide, n - 1)
        assert [getattr(row, f"c{i}") for i in range(WIDTH)] == [
            (n - 2) * 100 + i for i in range(WIDTH)
        ]
        total = s.query(func.sum(Wide.c29)).scalar()
        assert total == sum(r * 100 + 29 for r in range(n))


def test_wide_mappings_beyond_the_parameter_limit(db: Database) -> None:
    db.create_all([Wide])
    rows = [{f"c{i}": r for i in range(WIDTH)} for r in range(1_500)]
    with db.session() as s:
        assert s.insert_many(Wide, rows) == 1_500
    with db.session() as s:
        assert s.query(Wide).count() == 1_500
        assert s.query(func.sum(Wide.c0)).scalar() == sum(range(1_500))


def test_mixed_mappings_and_instances(db: Database) -> None:
    db.create_all([Reading])
    obj = Reading(sensor="obj", value=1)
    with db.session() as s:
        assert s.insert_many(Reading, [{"sensor": "map", "value": 2}, obj]) == 2
        assert obj.id is not None and status_of(obj) == "persistent"
    with db.session() as s:
        assert sorted(s.query(Reading.sensor).all()) == ["map", "obj"]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"sensor": "s", "value": -1}, ValidationError),
        ({"sensor": "x" * 21, "value": 1}, ValidationError),
        ({"sensor": None, "value": 1}, ValidationError),
        ({"value": 1}, ValidationError),
        ({"sensor": "s", "value": 1, "nope": 2}, TypeError),
    ],
)
def test_bad_mapping_raises_before_any_sql(
    db: Database, bad: dict[str, Any], error: type[Exception]
) -> None:
    db.create_all([Reading])
    rows = [{"sensor": "good", "value": i} for i in range(50)] + [bad]
    with db.session() as s:
        with db.capture() as sent, pytest.raises(error):
            s.insert_many(Reading, rows)
        assert sent == []
        assert s.query(Reading).count() == 0


def test_refuses_instances_of_a_session_and_other_types(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s:
        added = Reading(sensor="a", value=1)
        s.add(added)
        with pytest.raises(InvalidRequestError):
            s.insert_many(Reading, [added])
        with pytest.raises(TypeError):
            s.insert_many(Reading, [Wide(**{f"c{i}": 0 for i in range(WIDTH)})])
        with pytest.raises(TypeError):
            s.insert_many(Reading, [("a", 1)])  # type: ignore[list-item]


def test_nothing_to_insert(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s, db.capture() as sent:
        assert s.insert_many(Reading, []) == 0
        assert s.insert_many(Reading, iter(())) == 0
    assert sent == []


def test_pending_changes_are_flushed_first(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s:
        s.add(Reading(sensor="pending", value=0))
        s.insert_many(Reading, [{"sensor": "bulk", "value": 1}])
    with db.session() as s:
        assert s.query(Reading.sensor).order_by(Reading.id).all() == ["pending", "bulk"]


def test_rollback_undoes_the_insert_and_the_keys(db: Database) -> None:
    db.create_all([Reading])
    objs = [Reading(sensor="r", value=i) for i in range(10)]
    with db.session() as s:
        s.insert_many(Reading, objs)
        s.insert_many(Reading, [{"sensor": "m", "value": 1}])
        s.rollback()
        assert all(status_of(o) == "transient" and o.id is None for o in objs)
        assert s.query(Reading).count() == 0


def test_iterable_of_rows_is_consumed_once(db: Database) -> None:
    db.create_all([Reading])
    with db.session() as s:
        n = s.insert_many(Reading, ({"sensor": "g", "value": i} for i in range(1_000)))
        assert n == 1_000
        assert s.query(Reading).count() == 1_000


def test_failed_insert_many_writes_nothing(db: Database) -> None:
    db.create_all([Wide, Reading])
    objs = [Reading(sensor="s", value=i, code=f"c{i}") for i in range(20_000)]
    objs[-1].code = "c0"  # the last batch fails on the unique code
    with db.session() as s:
        s.add(Reading(sensor="before", value=0))
        s.flush()
        with pytest.raises(UniqueViolation):
            s.insert_many(Reading, objs)
        assert s.query(Reading).count() == 1
        assert all(o.id is None and status_of(o) == "transient" for o in objs)


def test_failed_insert_many_as_the_first_write_leaves_the_session_usable(db: Database) -> None:
    db.create_all([Reading])
    objs = [Reading(sensor="s", value=i, code=f"c{i}") for i in range(3)]
    with db.session() as s:
        assert s.query(Reading).count() == 0  # the transaction has read, not written
        with pytest.raises(UniqueViolation):
            s.insert_many(Reading, [*objs, Reading(sensor="s", value=9, code="c0")])
        assert all(o.id is None and status_of(o) == "transient" for o in objs)
        s.insert_many(Reading, objs)  # fixed and retried in the same session
        assert [o.id is not None and status_of(o) == "persistent" for o in objs] == [True] * 3
    with db.session() as s:
        assert s.query(Reading.code).order_by(Reading.id).all() == ["c0", "c1", "c2"]
