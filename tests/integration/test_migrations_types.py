"""Every column type keeps its values through a migration and back, on every backend: a
table with a column of each type and rows in it is migrated (a check added, a string
widened: on SQLite a table rebuild that copies every column, elsewhere ALTER TABLE), down
and up again, and each row is read back through the models and compared field by field."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ormolu import CheckConstraint, Database, Mapped, Model, field
from ormolu.migrations.make import init_folder, make_migration
from ormolu.migrations.runner import Migrator
from ormolu.schema.types import Integer


class Tone(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Level(enum.IntEnum):
    ONE = 1
    TWO = 2


class TypesV1(Model, table="mig_types"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)
    text: Mapped[str | None] = None
    small: Mapped[int | None] = field(db_type=Integer(2), default=None)
    medium: Mapped[int | None] = field(db_type=Integer(4), default=None)
    big: Mapped[int | None] = None
    flag: Mapped[bool | None] = None
    ratio: Mapped[float | None] = None
    price: Mapped[Decimal | None] = field(default=None, max_digits=10, decimal_places=3)
    at: Mapped[datetime | None] = None
    at_tz: Mapped[datetime | None] = field(default=None, timezone=True)
    day: Mapped[date | None] = None
    clock: Mapped[time | None] = None
    span: Mapped[timedelta | None] = None
    uid: Mapped[uuid.UUID | None] = None
    tone: Mapped[Tone | None] = None
    level: Mapped[Level | None] = None
    doc: Mapped[dict[str, Any] | None] = None
    items: Mapped[list[Any] | None] = None
    blob: Mapped[bytes | None] = None


class TypesV2(Model, table="mig_types"):
    __table_args__ = (CheckConstraint("big IS NULL OR big <> 13", name="ck_types_big"),)
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=40)  # wider
    text: Mapped[str | None] = None
    small: Mapped[int | None] = field(db_type=Integer(2), default=None)
    medium: Mapped[int | None] = field(db_type=Integer(4), default=None)
    big: Mapped[int | None] = None
    flag: Mapped[bool | None] = None
    ratio: Mapped[float | None] = None
    price: Mapped[Decimal | None] = field(default=None, max_digits=10, decimal_places=3)
    at: Mapped[datetime | None] = None
    at_tz: Mapped[datetime | None] = field(default=None, timezone=True)
    day: Mapped[date | None] = None
    clock: Mapped[time | None] = None
    span: Mapped[timedelta | None] = None
    uid: Mapped[uuid.UUID | None] = None
    tone: Mapped[Tone | None] = None
    level: Mapped[Level | None] = None
    doc: Mapped[dict[str, Any] | None] = None
    items: Mapped[list[Any] | None] = None
    blob: Mapped[bytes | None] = None


ROWS: list[dict[str, Any]] = [
    {
        "label": "every value", "text": "it's \\ 100% ünïcode", "small": -32768,
        "medium": 2**31 - 1, "big": -(2**62), "flag": True, "ratio": 0.25,
        "price": Decimal("1234567.125"), "at": datetime(2024, 2, 29, 23, 59, 58, 123456),
        "at_tz": datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), "day": date(1999, 12, 31),
        "clock": time(4, 5, 6, 789000), "span": timedelta(days=3, seconds=7, microseconds=5),
        "uid": uuid.UUID(int=2**100 + 7), "tone": Tone.HIGH, "level": Level.TWO,
        "doc": {"k": [1, 2.5, None, "x"], "nested": {"t": True}}, "items": [1, "two", [3]],
        "blob": bytes(range(256)),
    },
    {"label": "nothing"},  # every other column NULL
    {
        "label": "edges", "text": "", "small": 0, "medium": 0, "big": 0, "flag": False,
        "ratio": -1.5, "price": Decimal("-0.001"), "day": date(1, 1, 1),
        "clock": time(0, 0), "span": timedelta(0), "tone": Tone.LOW, "level": Level.ONE,
        "doc": {}, "items": [], "blob": b"",
    },
]  # fmt: skip


def read(db: Database, model: type[Model]) -> list[dict[str, Any]]:
    with db.session() as s:
        found = s.query(model).order_by(model.id).all()  # type: ignore[attr-defined]
        return [{name: getattr(obj, name) for name in ROWS[0]} for obj in found]


def expected() -> list[dict[str, Any]]:
    return [{name: row.get(name) for name in ROWS[0]} for row in ROWS]


def test_every_type_keeps_its_values_through_up_down_up(db: Database, tmp_path: Path) -> None:
    columns = {c.name for c in TypesV1.__mapper__.table.columns}
    assert columns == {"id", *ROWS[0]}  # the first row sets every column
    folder = tmp_path / "migrations"
    init_folder(folder)
    m = Migrator(db, folder)
    make_migration(m, [TypesV1.__mapper__.table], "every type")
    m.upgrade()
    with db.session() as s:
        s.add_all([TypesV1(**row) for row in ROWS])
    assert read(db, TypesV1) == expected()
    path, ops = make_migration(m, [TypesV2.__mapper__.table], "check and wider")
    assert path is not None
    assert sorted(op.describe() for op in ops) == [
        "add check on mig_types (big IS NULL OR big <> 13)",
        "alter column mig_types.label",
    ]
    m.upgrade()
    assert read(db, TypesV2) == expected()
    m.downgrade()
    assert read(db, TypesV1) == expected()
    m.upgrade()
    assert read(db, TypesV2) == expected()
    assert make_migration(m, [TypesV2.__mapper__.table], "nothing") == (None, [])
