"""``values_of(obj)`` and ``update_fields(obj, values)``: field values as a dict, and an
all-or-nothing assignment of many fields that refuses misspelt names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ormolu import (
    Database,
    Mapped,
    Model,
    ValidationError,
    field,
    relationship,
    selectinload,
    update_fields,
    values_of,
)


class Label(Model, table="va_label"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=30)


class Record(Model, table="va_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=40)
    price: Mapped[Decimal] = field(max_digits=6, decimal_places=2, ge=0, default=Decimal("9.99"))
    label_id: Mapped[int | None] = field(foreign_key="Label.id", default=None)
    label: Mapped[Label | None] = relationship()


def test_values_of() -> None:
    r = Record(title="Blue Train")
    assert values_of(r) == {"id": None, "title": "Blue Train", "price": Decimal("9.99"),
                            "label_id": None}  # fmt: skip
    assert values_of(r, include={"title", "price"}) == {"title": "Blue Train",
                                                        "price": Decimal("9.99")}  # fmt: skip
    assert list(values_of(r, exclude={"id", "label_id"})) == ["title", "price"]
    with pytest.raises(ValidationError, match=r"Record\.titel: no such field"):
        values_of(r, include={"titel"})


def test_update_fields_is_all_or_nothing(db: Database) -> None:
    db.create_all([Label, Record])
    with db.session() as s:
        r = Record(title="Blue Train")
        s.add(r)
    with db.session() as s:
        r = s.get_one(Record, r.id)
        with pytest.raises(ValidationError) as info:
            update_fields(r, {"title": "Giant Steps", "titel": "typo"})
        assert (info.value.model, info.value.field) == ("Record", "titel")
        with pytest.raises(ValidationError, match=r"Record\.price"):
            update_fields(r, {"title": "Giant Steps", "price": Decimal("-1")})
        assert r.title == "Blue Train" and s.dirty == []  # nothing was assigned
        atlantic = Label(name="Atlantic")
        update_fields(r, {"title": "Giant Steps", "price": Decimal("4.50"), "label": atlantic})
        assert s.dirty == [r]
    with db.session() as s:
        got = s.query(Record).options(selectinload(Record.label)).filter_by(id=r.id).one()
        assert values_of(got, exclude={"id", "label_id"}) == {
            "title": "Giant Steps", "price": Decimal("4.50")}  # fmt: skip
        assert got.label is not None and got.label.name == "Atlantic"
