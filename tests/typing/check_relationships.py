"""Typing expectations for relationships, checked by ``mypy --strict`` (see
``check_queries.py``); ``run()`` executes the same code against an in-memory database."""

from __future__ import annotations

from typing import assert_type

from ormolu import (
    ColumnOption,
    Database,
    Mapped,
    Model,
    RelationshipAttribute,
    defer,
    field,
    joinedload,
    load_only,
    many_to_many,
    relationship,
    selectinload,
    undefer,
)
from ormolu.sql.elements import ColumnRef, Expr


class Band(Model, table="typing_band"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)
    records: Mapped[list[Record]] = relationship(back_populates="band", foreign_key="band_id")


class Record(Model, table="typing_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=50)
    notes: Mapped[str] = field(default="", deferred=True)  # loaded on first access
    # default=None: the key may be left to the relationship (the flush sets it)
    band_id: Mapped[int] = field(foreign_key="Band.id", default=None)
    band: Mapped[Band] = relationship(back_populates="records")
    producer_id: Mapped[int | None] = field(foreign_key="Band.id", default=None)
    producer: Mapped[Band | None] = relationship(foreign_key="producer_id")
    tags: Mapped[list[Tag]] = many_to_many()


class Tag(Model, table="typing_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)


def check_class_attributes() -> None:
    assert_type(Record.band, RelationshipAttribute[Band])
    assert_type(Record.producer, RelationshipAttribute[Band | None])
    assert_type(Band.records, RelationshipAttribute[list[Record]])
    assert_type(Record.tags, RelationshipAttribute[list[Tag]])
    assert_type(Record.title, ColumnRef[str])
    assert_type(Record.band.has(name="x"), Expr[bool])
    assert_type(Band.records.any(Record.title == "y"), Expr[bool])


def check_comparisons(band: Band, record: Record, tag: Tag) -> None:
    assert_type(Record.band == band, Expr[bool])
    assert_type(Record.band != band, Expr[bool])
    assert_type(Record.producer.is_(None), Expr[bool])
    assert_type(Record.band.in_([band]), Expr[bool])
    assert_type(Band.records.contains(record), Expr[bool])
    assert_type(Record.tags.contains(tag), Expr[bool])


def run() -> None:
    db = Database()
    db.create_all([Band, Record, Tag])
    with db.session() as s:
        band = Band(name="Ormolu")
        # relationships are optional constructor arguments typed by their annotation
        rec = Record(title="First", band=band, tags=[Tag(label="live")])
        s.add(rec)
    with db.session() as s:
        records = s.query(Record).options(joinedload(Record.band), selectinload(Record.tags)).all()
        assert_type(records, list[Record])
        first = records[0]
        assert_type(first.band, Band)
        assert_type(first.producer, Band | None)
        assert_type(first.tags, list[Tag])
        assert_type(first.band.records, list[Record])
        assert first.band.name == "Ormolu" and [t.label for t in first.tags] == ["live"]
        bands = s.query(Band).join(Band.records).where(Record.band.has(name="Ormolu")).all()
        assert [b.name for b in bands] == ["Ormolu"]
        check_comparisons(first.band, first, first.tags[0])
        assert_type(load_only(Record.title), ColumnOption)
        assert_type(defer(Record.title, Record.band_id), ColumnOption)
        assert_type(undefer(Record.notes), ColumnOption)
        lean = s.query(Record).options(load_only(Record.title), undefer(Record.notes)).all()
        assert_type(lean, list[Record])
        assert_type(lean[0].notes, str)
        assert lean[0].notes == "" and lean[0].band_id == first.band_id
        same = s.query(Record).where(Record.band == first.band, Record.tags.contains(first.tags[0]))
        assert same.all() == [first]
        assert s.query(Record).filter_by(band=first.band, producer=None).all() == [first]


if __name__ == "__main__":
    run()
