"""JSON paths, typed extraction, key existence, containment and ordering: the same
answers on every backend for the same fixture documents; hostile keys and values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ormolu import ArgumentError, Database, Mapped, Model, Session, field

HOSTILE_KEY = "k'); DROP TABLE js_doc; --"


class Doc(Model, table="js_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    data: Mapped[dict[str, Any]]


DOCS: list[dict[str, Any]] = [
    {
        "name": "alpha",
        "n": 5,
        "ratio": 0.5,
        "live": True,
        "none": None,
        "tags": ["live", "old"],
        "meta": {"rank": [3, {"deep": "x"}], "a b": 1},
        HOSTILE_KEY: "boom",
    },
    {"name": "beta", "n": 12, "ratio": 1.25, "live": False, "tags": ["new"], "meta": {"rank": []}},
    {"name": "gamma", "n": -1, "tags": [], "meta": {}},
]


@pytest.fixture
def s(db: Database) -> Iterator[Session]:
    db.create_all([Doc])
    with db.session() as setup:
        setup.add_all([Doc(data=d) for d in DOCS])
    session = db.session()
    try:
        yield session
    finally:
        session.close()


def by_id(q: Any) -> list[Any]:
    return q.order_by(Doc.id).all()  # type: ignore[no-any-return]


def test_paths_load_the_json_values(s: Session) -> None:
    assert by_id(s.query(Doc.data["name"])) == ["alpha", "beta", "gamma"]
    assert by_id(s.query(Doc.data["meta"]["rank"][1]["deep"])) == ["x", None, None]
    assert by_id(s.query(Doc.data["meta"]["rank"])) == [[3, {"deep": "x"}], [], None]
    assert by_id(s.query(Doc.data["tags"][0])) == ["live", "new", None]
    assert by_id(s.query(Doc.data["none"])) == [None, None, None]
    assert by_id(s.query(Doc.data["meta"]["a b"])) == [1, None, None]


def test_typed_extraction(s: Session) -> None:
    assert by_id(s.query(Doc.data["n"].as_integer())) == [5, 12, -1]
    assert by_id(s.query(Doc.data["ratio"].as_float())) == [0.5, 1.25, None]
    assert by_id(s.query(Doc.data["live"].as_boolean())) == [True, False, None]
    assert by_id(s.query(Doc.data["name"].as_string())) == ["alpha", "beta", "gamma"]
    assert by_id(s.query(Doc.data["n"].as_string())) == ["5", "12", "-1"]
    assert by_id(s.query(Doc.data["live"].as_string())) == ["true", "false", None]
    assert by_id(s.query(Doc.data["none"].as_string())) == [None, None, None]
    assert by_id(s.query(Doc.data[HOSTILE_KEY].as_string())) == ["boom", None, None]


def test_filters_and_ordering_by_extracted_values(s: Session) -> None:
    q = s.query(Doc.id)
    assert by_id(q.where(Doc.data["n"].as_integer() > 0)) == [1, 2]
    assert by_id(q.where(Doc.data["name"].as_string() == "beta")) == [2]
    assert by_id(q.where(Doc.data["live"].as_boolean().is_(True))) == [1]
    assert by_id(q.where(Doc.data["ratio"].as_float().between(0.4, 1.0))) == [1]
    assert q.order_by(Doc.data["n"].as_integer().desc()).all() == [2, 1, 3]
    assert q.order_by(Doc.data["name"].as_string().desc()).all() == [3, 2, 1]


def test_key_existence_and_containment(s: Session) -> None:
    q = s.query(Doc.id)
    assert by_id(q.where(Doc.data.has_key("none"))) == [1]  # a null value counts
    assert by_id(q.where(Doc.data.has_key("ratio"))) == [1, 2]
    assert by_id(q.where(Doc.data["meta"].has_key("rank"))) == [1, 2]
    assert by_id(q.where(Doc.data.has_key(HOSTILE_KEY))) == [1]
    assert by_id(q.where(Doc.data.json_contains({"tags": ["old"]}))) == [1]
    assert by_id(q.where(Doc.data.json_contains({"name": "beta", "live": False}))) == [2]
    assert by_id(q.where(Doc.data["tags"].json_contains(["live"]))) == [1]
    assert by_id(q.where(Doc.data["tags"].json_contains("new"))) == [2]
    assert by_id(q.where(Doc.data["meta"].json_contains({"rank": [3]}))) == [1]
    assert by_id(q.where(~Doc.data.json_contains({"tags": ["old"]}))) == [2, 3]
    assert q.where(Doc.data.json_contains({"name": "'; DROP TABLE js_doc; --"})).all() == []


def test_misuse_is_refused(s: Session) -> None:
    with pytest.raises(ArgumentError, match="typed extraction"):
        Doc.data["n"] == 5  # noqa: B015
    with pytest.raises(ArgumentError, match="not a JSON field"):
        Doc.id["x"]
    with pytest.raises(ArgumentError, match="str key or an int index"):
        Doc.data[1.5]  # type: ignore[index]
    with pytest.raises(ArgumentError, match="JSON-serialisable"):
        Doc.data.json_contains({"x": object()})
