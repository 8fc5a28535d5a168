"""JSON documents changed in place (``doc.data["k"] = 1``, ``doc.tags.append(...)``,
nested too) are written by the next flush, restored by a rollback, and refused when not
JSON — on every backend and both front ends."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from ormolu import Mapped, Model, UniqueViolation, ValidationError, field
from ormolu.orm.mutable import TrackedDict, TrackedList


class JDoc(Model, table="jm_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20, unique=True)
    data: Mapped[dict[str, Any]] = field(default_factory=dict)
    tags: Mapped[list[Any]] = field(default_factory=list)


START = {"n": 1, "meta": {"rank": [3, {"deep": "x"}], "on": True}}


@pytest.fixture
def fdb(db: Any) -> Any:
    db.create_all([JDoc])
    with db.session() as s:
        s.add(JDoc(name="a", data=copy.deepcopy(START), tags=["x", "y"]))
    return db


def _stored(db: Any) -> tuple[Any, Any]:
    with db.session() as s:
        doc = s.query(JDoc).where(JDoc.name == "a").one()
        return doc.data, doc.tags


def _one(s: Any) -> Any:
    return s.query(JDoc).where(JDoc.name == "a").one()


CHANGES: list[tuple[str, Callable[[Any], Any], Any, Any]] = [
    ("set key", lambda d: d.data.__setitem__("k", 1), {**START, "k": 1}, ["x", "y"]),
    (
        "nested set",
        lambda d: d.data["meta"].__setitem__("on", False),
        {**START, "meta": {**START["meta"], "on": False}},  # type: ignore[dict-item]
        ["x", "y"],
    ),
    (
        "deep append",
        lambda d: d.data["meta"]["rank"].append(4),
        {"n": 1, "meta": {"rank": [3, {"deep": "x"}, 4], "on": True}},
        ["x", "y"],
    ),
    (
        "in a list's dict",
        lambda d: d.data["meta"]["rank"][1].update(deep="y", more=[1]),
        {"n": 1, "meta": {"rank": [3, {"deep": "y", "more": [1]}], "on": True}},
        ["x", "y"],
    ),
    ("del", lambda d: d.data.__delitem__("meta"), {"n": 1}, ["x", "y"]),
    ("pop", lambda d: d.data.pop("n"), {"meta": START["meta"]}, ["x", "y"]),
    (
        "setdefault",
        lambda d: d.data.setdefault("new", []).append(1),
        {**START, "new": [1]},
        ["x", "y"],
    ),
    ("clear", lambda d: d.data.clear(), {}, ["x", "y"]),
    ("append", lambda d: d.tags.append("z"), START, ["x", "y", "z"]),
    ("extend", lambda d: d.tags.extend([1, 2]), START, ["x", "y", 1, 2]),
    ("+=", lambda d: d.tags.__iadd__(["w"]), START, ["x", "y", "w"]),
    ("insert", lambda d: d.tags.insert(0, None), START, [None, "x", "y"]),
    ("item", lambda d: d.tags.__setitem__(1, {"a": 1}), START, ["x", {"a": 1}]),
    ("slice", lambda d: d.tags.__setitem__(slice(0, 1), ["p", "q"]), START, ["p", "q", "y"]),
    ("remove", lambda d: d.tags.remove("x"), START, ["y"]),
    ("reverse", lambda d: d.tags.reverse(), START, ["y", "x"]),
    ("sort", lambda d: d.tags.sort(reverse=True), START, ["y", "x"]),
    ("del item", lambda d: d.tags.__delitem__(0), START, ["y"]),
    ("list pop", lambda d: d.tags.pop(), START, ["x"]),
]


@pytest.mark.parametrize(("change", "data", "tags"), [c[1:] for c in CHANGES],
                         ids=[c[0] for c in CHANGES])  # fmt: skip
def test_a_change_in_place_is_written(fdb: Any, change: Any, data: Any, tags: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        change(doc)
        assert s.dirty == [doc]
    assert _stored(fdb) == (data, tags)


def test_one_update_for_many_changes_and_none_for_no_change(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        for i in range(50):
            doc.tags.append(i)
            doc.data["meta"]["rank"].append(i)
        with fdb.capture() as sent:
            s.flush()
        assert sum(sql.startswith("UPDATE") for sql, _ in sent) == 1
        doc.data["n"] = 1  # the stored value: nothing to write
        doc.tags.append("t")
        doc.tags.pop()
        with fdb.capture() as sent:
            s.flush()
        assert not [sql for sql, _ in sent if sql.startswith("UPDATE")]
    data, tags = _stored(fdb)
    assert tags == ["x", "y", *range(50)] and data["meta"]["rank"][2:] == list(range(50))


def test_json_values_are_compared_as_json(fdb: Any) -> None:
    with fdb.session() as s:
        _one(s).data["n"] = True  # 1 == True in Python; not in JSON
    assert _stored(fdb)[0]["n"] is True
    with fdb.session() as s:
        _one(s).data["n"] = 1.0
    assert repr(_stored(fdb)[0]["n"]) in ("1.0", "1")  # (MariaDB normalises 1.0 to 1)


def test_rollback_restores_the_document(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        doc.data["meta"]["rank"].append(4)
        doc.tags.append("z")
        s.flush()  # written in the transaction...
        doc.data["after"] = "flush"
        s.rollback()  # ...and undone with it
        assert doc.data == START and doc.tags == ["x", "y"]
        doc.data["meta"]["on"] = None  # the document works on after the rollback
        doc.tags.clear()
    assert _stored(fdb) == ({**START, "meta": {**START["meta"], "on": None}}, [])  # type: ignore[dict-item]


def test_a_savepoint_rollback_restores_the_document(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        doc.tags.append("kept")
        with pytest.raises(KeyError), s.begin_nested():
            doc.tags.append("undone")
            doc.data["meta"]["rank"][1]["deep"] = "undone"
            s.flush()
            raise KeyError
        assert doc.tags == ["x", "y", "kept"] and doc.data == START
    assert _stored(fdb) == (START, ["x", "y", "kept"])


def test_a_failed_flush_keeps_the_change_pending(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        doc.tags.append("z")
        clash = JDoc(name="a")  # the unique name fails the flush
        s.add(clash)
        with pytest.raises(UniqueViolation):
            s.flush()
        assert doc.tags == ["x", "y", "z"] and s.dirty == [doc]
        s.expunge(clash)
    assert _stored(fdb)[1] == ["x", "y", "z"]


def test_a_value_that_is_not_json_is_refused_before_any_change(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        with pytest.raises(ValidationError, match=r"JDoc\.data: not JSON-serialisable"):
            doc.data["k"] = object()
        with pytest.raises(ValidationError, match=r"JDoc\.tags"):
            doc.tags.append({1, 2})
        assert doc.data == START and doc.tags == ["x", "y"] and s.dirty == []


def test_documents_behave_as_values(fdb: Any) -> None:
    with fdb.session() as s:
        a = _one(s)
        b = JDoc(name="b")
        s.add(b)
        b.data = a.data  # copied: not shared
        a.data["only"] = "a"
        b.data["only"] = "b"
        assert a.data["only"] == "a"
        a.data.pop("only")
        stale = a.tags
        a.tags = ["new"]
        stale.append("not a's any more")
        assert a.tags == ["new"]
        assert isinstance(a.data, TrackedDict) and isinstance(a.tags, TrackedList)
        assert (
            type(copy.deepcopy(a.data)) is dict and type(pickle.loads(pickle.dumps(a.tags))) is list
        )
    with fdb.session() as s:
        got = {d.name: (d.data, d.tags) for d in s.query(JDoc).all()}
    assert got == {"a": (START, ["new"]), "b": ({**START, "only": "b"}, [])}


def test_changes_to_a_detached_or_pending_object(fdb: Any) -> None:
    with fdb.session() as s:
        doc = _one(s)
        assert doc.data == START  # (read while attached)
    doc.data["detached"] = True  # written once it is added again
    with fdb.session() as s:
        s.add(doc)
        assert s.dirty == [doc]
    assert _stored(fdb)[0]["detached"] is True
    with fdb.session() as s:
        new = JDoc(name="p", tags=[1])
        s.add(new)
        new.tags.append(2)
        s.rollback()
        assert new.tags == [1]  # as it was when added


def test_many_changes_copy_the_document_once_per_flush(
    fdb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ormolu.core.state as core_state

    copies: list[Any] = []
    real = core_state.plain
    monkeypatch.setattr(core_state, "plain", lambda v: copies.append(1) or real(v))
    with fdb.session() as s:
        doc = _one(s)
        for i in range(200):
            doc.tags.append(i)
        assert len(copies) == 1
        s.flush()
        doc.tags.append("again")
        doc.tags.append("and again")
        assert len(copies) == 2
