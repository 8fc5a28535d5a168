"""A closed session is freed when the program lets go of it, without the cyclic garbage
collector, on every backend and front end.

A web application opens and closes a session per request; a session that stays in a
reference cycle after close (front end <-> state) waits for a collection pass, which costs
time proportional to everything alive at the moment and keeps the session's maps alive
until then. The collector is paused in these tests, so a session still alive at the end
was held by a cycle (or by something else that must not hold it)."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from ormolu import Database, Mapped, Model, field


class Crate(Model, table="sf_crate"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _inner(s: Any) -> Any:
    return getattr(s, "_inner", s)  # the AsyncSession behind the sync view, if any


def test_a_closed_session_and_its_state_are_freed_at_once(db: Database, no_gc: None) -> None:
    db.create_all([Crate])
    with db.session() as s:
        s.add(Crate(label="a"))
    with db.session() as s:
        crates = s.query(Crate).all()
        session, state = weakref.ref(_inner(s)), _inner(s).state
        assert [c.label for c in crates] == ["a"]
    del s
    assert session() is None
    assert sys.getrefcount(state) == 2  # this test's name and getrefcount's argument only
    # the objects outlive their session, detached, with their values
    assert [c.label for c in crates] == ["a"]


def test_a_closed_session_refuses_use_and_its_objects_are_detached(db: Database) -> None:
    from ormolu import DetachedInstanceError, InvalidRequestError, status_of

    db.create_all([Crate])
    with db.session() as s:
        s.add(Crate(label="b"))
    s = db.session()
    crate = s.query(Crate).one()
    s.close()
    assert status_of(crate) == "detached"
    with pytest.raises(InvalidRequestError, match="closed"):
        s.query(Crate).all()
    s.close()  # (a second close does nothing)
    s2 = db.session()
    s2.close()
    db.session().close()
    with db.session() as s3:
        s3.expire(s3.get_one(Crate, crate.id))
    with pytest.raises((DetachedInstanceError, InvalidRequestError)):
        s.add(Crate(label="c"))
