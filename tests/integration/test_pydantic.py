"""pydantic v2 interop (ormolu.pydantic): generated models keep the fields' types and rules,
read ormolu objects with their relationships, ormolu models are pydantic types, objects
come from pydantic instances, and ValidationError becomes FastAPI's 422 body."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import pydantic
import pytest
from asyncdb import run
from fastapi import Body, FastAPI
from pydantic import TypeAdapter

from ormolu import AsyncDatabase, Database, Mapped, Model, field, relationship, selectinload
from ormolu.exceptions import ConfigurationError, ValidationError
from ormolu.pydantic import pydantic_model, validation_error_handler


class Format(enum.Enum):
    LP = "lp"
    EP = "ep"


class PdLabel(Model, table="pd_label"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20, min_length=2, unique=True)
    records: Mapped[list[PdRecord]] = relationship(back_populates="label")


class PdRecord(Model, table="pd_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=30, validators=[lambda v: v.strip() == v])
    price: Mapped[Decimal] = field(max_digits=5, decimal_places=2, ge=0, le=500)
    copies: Mapped[int] = field(default=1, gt=0)
    speed: Mapped[int] = field(choices=[33, 45], default=33)
    format: Mapped[Format] = field(default=Format.LP)
    released: Mapped[datetime | None] = field(default=None, timezone=True)
    notes: Mapped[str | None] = field(default=None)
    tags: Mapped[list[Any]] = field(default_factory=list)
    secret: Mapped[str] = field(default="s3cret", max_length=40)
    label_id: Mapped[int | None] = field(foreign_key="pd_label.id", default=None)
    label: Mapped[PdLabel | None] = relationship(back_populates="records")


Record = pydantic_model(PdRecord)


def refused(shape: type[pydantic.BaseModel], **values: Any) -> tuple[str, ...]:
    """The locations pydantic refuses in ``values``."""
    with pytest.raises(pydantic.ValidationError) as caught:
        shape.model_validate(values)
    return tuple(str(e["loc"][0]) for e in caught.value.errors())


GOOD = {"title": "Back in Black", "price": "9.99"}


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"title": "x" * 31}, "title"),  # max_length
        ({"title": " padded "}, "title"),  # the field's validator
        ({"price": "-1"}, "price"),  # ge
        ({"price": "500.01"}, "price"),  # le
        ({"price": "1.999"}, "price"),  # decimal_places
        ({"price": "1234"}, "price"),  # max_digits - decimal_places whole digits
        ({"price": "NaN"}, "price"),  # no NaN in a NUMERIC
        ({"copies": 0}, "copies"),  # gt
        ({"copies": 1 << 63}, "copies"),  # the 64-bit column's range
        ({"speed": 78}, "speed"),  # choices
        ({"format": "cd"}, "format"),  # the Enum
        ({"released": "2024-01-01T10:00:00"}, "released"),  # timezone=True needs aware
        ({"title": None}, "title"),  # not nullable
    ],
)
def test_generated_model_refuses_what_the_model_refuses(
    change: dict[str, Any], field_name: str
) -> None:
    values = {**GOOD, **change}
    assert refused(Record, **values) == (field_name,)
    with pytest.raises(ValidationError) as caught:  # ormolu agrees
        PdRecord(**{k: Decimal(v) if k == "price" else v for k, v in values.items()})
    assert caught.value.field == field_name


def test_generated_model_keeps_defaults_and_nullability() -> None:
    made = Record.model_validate(GOOD)
    assert made.model_dump() == {
        "id": None, "title": "Back in Black", "price": Decimal("9.99"), "copies": 1,
        "speed": 33, "format": Format.LP, "released": None, "notes": None, "tags": [],
        "secret": "s3cret", "label_id": None,
    }  # fmt: skip
    assert made.tags is not Record.model_validate(GOOD).tags  # default_factory, per object
    schema = Record.model_json_schema()
    assert set(schema["required"]) == {"title", "price"}
    props = schema["properties"]
    assert props["title"]["maxLength"] == 30
    assert props["speed"]["enum"] == [33, 45]
    assert props["copies"]["exclusiveMinimum"] == 0
    # a database-generated key may be omitted (None)
    assert {"type": "null"} in props["id"]["anyOf"]


def test_include_exclude_depth_and_errors() -> None:
    public = pydantic_model(PdRecord, exclude={"secret"})
    assert "secret" not in public.model_fields and "title" in public.model_fields
    short = pydantic_model(PdRecord, include={"id", "title"})
    assert set(short.model_fields) == {"id", "title"}
    nested = pydantic_model(PdRecord, include={"title", "label"})  # one level
    assert set(nested.model_fields) == {"title", "label"}
    deep = pydantic_model(PdLabel, depth=2)
    record_shape = deep.model_fields["records"].annotation.__args__[0]  # type: ignore[union-attr]
    label_shape = record_shape.model_fields["label"].annotation.__args__[0]
    assert "records" not in label_shape.model_fields  # depth 2 stops there
    assert pydantic_model(PdRecord, exclude={"secret"}) is public  # cached
    with pytest.raises(ConfigurationError, match=r"PdRecord has no field or relationship 'nope'"):
        pydantic_model(PdRecord, include={"title", "nope"})
    with pytest.raises(ConfigurationError, match=r"depth must be >= 0"):
        pydantic_model(PdRecord, depth=-1)


def test_reads_loaded_objects_with_relationships(db: Database) -> None:
    db.create_all([PdLabel, PdRecord])
    with db.session() as s:
        label = PdLabel(name="Atlantic")
        s.add_all([
            PdRecord(title="Highway", price=Decimal("8.50"), label=label,
                     released=datetime(1979, 7, 27, tzinfo=UTC)),
            PdRecord(title="Powerage", price=Decimal("7"), label=label, tags=["rock"]),
        ])  # fmt: skip
    LabelOut = pydantic_model(PdLabel, depth=1, exclude={"id"})
    with db.session() as s:
        loaded = s.query(PdLabel).options(selectinload(PdLabel.records)).one()
        with db.capture() as sent:
            out = LabelOut.model_validate(loaded)
        assert sent == []  # everything was loaded: no SQL while serializing
    dumped = json.loads(out.model_dump_json())
    assert dumped["name"] == "Atlantic"
    titles = sorted((r["title"], r["price"], r["tags"]) for r in dumped["records"])
    assert titles == [("Highway", "8.50", []), ("Powerage", "7.00", ["rock"])]
    assert {r["released"] for r in dumped["records"]} == {"1979-07-27T00:00:00Z", None}


def test_ormolu_models_are_pydantic_types(db: Database) -> None:
    adapter = TypeAdapter(PdRecord)
    made = adapter.validate_python({"title": "T.N.T.", "price": "5.5"})
    assert isinstance(made, PdRecord) and made.price == Decimal("5.5")
    assert adapter.validate_python(made) is made  # an object passes as it is
    same = adapter.validate_json('{"title": "T.N.T.", "price": 5.5, "speed": 45}')
    assert isinstance(same, PdRecord) and same.speed == 45
    with pytest.raises(pydantic.ValidationError, match="title"):
        adapter.validate_python({"title": "x" * 40, "price": 1})
    db.create_all([PdLabel, PdRecord])
    with db.session() as s:
        s.add(made)
        s.flush()
        dumped = json.loads(adapter.dump_json(made))
        assert dumped["id"] == made.id and dumped["price"] == "5.5"
        assert adapter.dump_python(made)["format"] is Format.LP
    assert adapter.json_schema()["properties"]["title"]["maxLength"] == 30


class PdUser(Model, table="pd_user"):
    id: Mapped[int] = field(primary_key=True, default=None)
    email: Mapped[str] = field(max_length=80)
    password_hash: Mapped[str] = field(max_length=100, deferred=True, default="")


def test_deferred_fields_stay_out_unless_included(db: Database) -> None:
    assert set(pydantic_model(PdUser).model_fields) == {"id", "email"}
    with_hash = pydantic_model(PdUser, include={"id", "password_hash"})
    assert set(with_hash.model_fields) == {"id", "password_hash"}
    db.create_all([PdUser])
    with db.session() as s:
        s.add(PdUser(email="ann@example.com", password_hash="x" * 60))
    with db.session() as s:
        user = s.query(PdUser).one()
        with db.capture() as sent:  # dumping the object reads no deferred column
            assert TypeAdapter(PdUser).dump_python(user) == {"id": 1, "email": "ann@example.com"}
        assert sent == []


def test_importing_ormolu_does_not_import_pydantic() -> None:
    code = (
        "import sys, ormolu\n"
        "class T(ormolu.Model):\n"
        "    id: ormolu.Mapped[int] = ormolu.field(primary_key=True, default=None)\n"
        "assert 'pydantic' not in sys.modules, 'imported'\n"
        "from pydantic import TypeAdapter\n"
        "assert isinstance(TypeAdapter(T).validate_python({'id': 1}), T)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_from_pydantic() -> None:
    class RecordIn(pydantic.BaseModel):
        title: str
        price: Decimal

    class LabelIn(pydantic.BaseModel):
        name: str
        records: list[RecordIn] = []

    record = PdRecord.from_pydantic(RecordIn(title="Jailbreak", price=Decimal(3)), copies=2)
    assert (record.title, record.price, record.copies) == ("Jailbreak", Decimal(3), 2)
    label = PdLabel.from_pydantic(LabelIn(name="Albert", records=[RecordIn(title="A", price=1)]))
    assert [r.title for r in label.records] == ["A"]
    with pytest.raises(ValidationError) as caught:  # the model's own rules apply
        PdRecord.from_pydantic(RecordIn(title="x" * 31, price=Decimal(1)))
    assert (caught.value.model, caught.value.field) == ("PdRecord", "title")
    with pytest.raises(TypeError, match="takes a pydantic model instance, got dict"):
        PdRecord.from_pydantic({"title": "x"})

    class Extra(pydantic.BaseModel):
        title: str
        colour: str

    with pytest.raises(TypeError, match="colour"):
        PdRecord.from_pydantic(Extra(title="x", colour="red"), price=1)


def test_validation_error_in_fastapi_shape() -> None:
    with pytest.raises(ValidationError) as caught:
        PdRecord(title="ok", price=Decimal("-3"))
    assert caught.value.to_dict() == {
        "detail": [{
            "type": "value_error", "loc": ["body", "price"], "msg": "must be >= 0",
            "input": Decimal("-3"), "ctx": {"model": "PdRecord"},
        }]
    }  # fmt: skip
    assert caught.value.errors(loc=("query",))[0]["loc"] == ["query", "price"]
    with pytest.raises(ValidationError) as caught:
        PdRecord.copies == "many"  # noqa: B015 (the comparison raises)
    assert caught.value.errors()[0]["ctx"] == {"model": "PdRecord", "operator": "=="}


def test_choices_with_bounds_and_enum_choices() -> None:
    class PdGrade(Model, table="pd_grade"):
        id: Mapped[int] = field(primary_key=True, default=None)
        score: Mapped[int] = field(choices=[1, 2, 3, 10], le=3)
        size: Mapped[Format] = field(choices=[Format.LP])

    shape = pydantic_model(PdGrade)
    assert shape.model_validate({"score": 2, "size": "lp"}).score == 2
    assert refused(shape, score=10, size="lp") == ("score",)  # in choices, above le
    assert refused(shape, score=4, size="lp") == ("score",)
    assert refused(shape, score=1, size="ep") == ("size",)  # an Enum member not chosen
    props = shape.model_json_schema()["properties"]
    assert props["score"]["enum"] == [1, 2, 3, 10] and props["score"]["maximum"] == 3
    assert props["size"]["enum"] == ["lp"]


def test_an_unloaded_relationship_on_the_async_front_end(tmp_path: Path) -> None:
    async def main() -> tuple[str, list[str]]:
        adb = AsyncDatabase(f"sqlite:///{tmp_path}/lazy.db")
        try:
            await adb.create_all([PdLabel, PdRecord])
            async with adb.session() as s:
                s.add(
                    PdRecord(title="Let There Be Rock", price=Decimal(6), label=PdLabel(name="EMI"))
                )
            shape = pydantic_model(PdLabel, depth=1)
            async with adb.session() as s:
                label = await s.query(PdLabel).one()
                with pytest.raises(pydantic.ValidationError) as caught:
                    shape.model_validate(label)  # no I/O behind attribute access
                await s.load([label], PdLabel.records)
                titles = [r["title"] for r in shape.model_validate(label).model_dump()["records"]]
            return str(caught.value), titles
        finally:
            await adb.close()

    message, titles = run(main())
    assert "LazyLoadError: PdLabel.records is not loaded" in message and "selectinload" in message
    assert titles == ["Let There Be Rock"]


def test_a_model_as_a_fastapi_body_and_response() -> None:
    app = FastAPI()
    app.add_exception_handler(ValidationError, validation_error_handler)

    @app.post("/records")
    def echo(record: Annotated[PdRecord, Body()]) -> PdRecord:
        assert isinstance(record, PdRecord)  # the body arrives as a model object
        record.copies += 1
        return record

    @app.post("/raises")
    def raises() -> PdRecord:
        return PdRecord(title="ok", price=Decimal("1234.5"))  # too many digits

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [
                await client.post("/records", json={"title": "Flick", "price": "4.25"}),
                await client.post("/records", json={"title": "x" * 31, "price": "1"}),
                await client.post("/raises"),
            ]

    ok, bad, raised = run(main())
    assert ok.status_code == 200 and ok.json()["copies"] == 2 and ok.json()["price"] == "4.25"
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "title"]
    assert raised.status_code == 422
    (detail,) = raised.json()["detail"]
    assert (detail["loc"], detail["input"], detail["ctx"]) == (
        ["body", "price"], 1234.5, {"model": "PdRecord"},  # (jsonable_encoder: a number)
    )  # fmt: skip
