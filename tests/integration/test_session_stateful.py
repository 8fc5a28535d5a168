"""A stateful property test of the session: a Hypothesis ``RuleBasedStateMachine`` drives
one session with random sequences of add, modify, delete, flush, commit, rollback,
savepoints (``begin_nested()`` / release / rollback), expunge, expire, get, queries, bulk
UPDATE and DELETE by query, ``insert_many`` and ``merge`` of a detached object, and checks
after every step that three views agree:

* what the session shows: every object's status (``status_of``, ``obj in s``, ``s.new``),
  its attribute values, and what ``s.get()`` and queries return (the identity map: one row,
  one object);
* what the database holds: inside the session's transaction (read through the session's
  own connection with ``s.execute``, autoflush off so nothing is flushed by looking), and
  as committed (read through a second connection; an in-memory SQLite database has only
  one, so there the committed rows are read by a second session whenever the first holds
  no connection);
* an in-memory oracle: the committed rows, the rows the transaction holds (flushed), the
  rows the session shows (with unflushed changes), and what each object is.

The oracle knows what rollback does (docs/sessions.md, "What rollback does to your
objects"): a rollback of the transaction or of a savepoint puts the rows back as they were
when it began, and each object back to what it was then — objects added in it become
transient (generated keys cleared), objects loaded in it stay persistent while their row
exists (expired if loaded after its first write, so they reload), expunged objects stay
detached. With no other writer, every persistent object then shows the row's values,
loaded or reloaded; which objects are expired is the session's business.

Both front ends run the same machine: the sync ``Session`` and the ``AsyncSession``
behind tests/frontend.py's ``AsyncFacade``. The async session does no implicit I/O, so the
machine never relies on a lazy load: when reading an attribute raises ``LazyLoadError`` it
calls ``s.refresh(obj)`` and reads again (the sync session loads the same row implicitly).

Runs: a bounded number of examples per backend and front end in CI (the ``ci`` profile).
For a longer hunt run by hand::

    ORMOLU_STATEFUL_PROFILE=long .venv/bin/pytest -q tests/integration/test_session_stateful.py

(``long``: 400 examples of the item machine and 200 of the parent/child one, of up to 50
steps each; a failure is printed as the shortest
sequence of rules Hypothesis could shrink it to.) Regression tests for what the machine
found are in tests/integration/test_session_rollback.py; the oracle and the profiles are
in tests/integration/stateful.py, and test_session_stateful_relations.py runs a second
machine over parents and kids (a one-to-many relationship).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ormolu import (
    Database,
    InvalidRequestError,
    Mapped,
    Model,
    ObjectDeletedError,
    field,
    status_of,
)
from ormolu.protocol import ROWS, Execute
from tests.integration.asyncdb import open_sync
from tests.integration.stateful import PROFILE, Oracle, Rec, read


class SmItem(Model, table="sm_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    val: Mapped[int] = 0
    name: Mapped[str] = field(max_length=40, unique=True)


SELECT_ALL = "SELECT id, val, name FROM sm_item ORDER BY id"
MAX_ROWS = 14  # keeps the rows few, so the ids, names and values collide often


class SessionMachine(RuleBasedStateMachine):
    """The machine; ``fdb`` (a Database or an AsyncFacade) and ``raw_url`` (for the
    second connection, ``None`` for an in-memory database) are set by the test."""

    fdb: Any = None
    sync_db: Database
    memory = False

    def __init__(self) -> None:
        super().__init__()
        self.s = self.fdb.session()
        self.o = Oracle()
        self.o.levels = [self.o.snap()]
        self.savepoints: list[Any] = []
        self.names = 0
        self.max_key = 0
        self.raw: Any = None if self.memory else open_sync(self.sync_db)

    def teardown(self) -> None:
        try:
            self.s.close()
        finally:
            if self.raw is not None:
                self.raw.close()
            with self.fdb.session() as s2:
                s2.execute("DELETE FROM sm_item")

    # -- helpers -----------------------------------------------------------------------
    def fresh_name(self) -> str:
        self.names += 1
        return f"n{self.names}"

    def pick(self, i: int, *statuses: str, cond: Any = None) -> Rec | None:
        cands = [r for r in self.o.recs if r.status in statuses and (cond is None or cond(r))]
        return cands[i % len(cands)] if cands else None

    def track_loaded(self, obj: SmItem) -> Rec:
        """The record of an object the session returned (a new one if it is new)."""
        for r in self.o.recs:
            if r.obj is obj:
                return r
        r = Rec(obj, "persistent", rid=obj.__dict__["id"], loaded=True)
        self.o.recs.append(r)
        return r

    def reusable_key(self, i: int) -> int | None:
        """A key used before and free now (safe on every backend: below the key
        generators' next values), or None."""
        # (SQLite gives a new row the largest key + 1: a key above the largest one the
        # transaction holds might be the next generated one)
        top = max(self.o.flushed, default=0)
        free = [k for k in range(1, top) if not self.o.taken(k)]
        return free[i % len(free)] if free else None

    def note_keys(self) -> None:
        for k in self.o.logical:
            self.max_key = max(self.max_key, k)

    def full(self) -> bool:
        return len(self.o.logical) + sum(r.status == "pending" for r in self.o.recs) >= MAX_ROWS

    def get_flushes(self, rid: int) -> bool:
        """Whether ``s.get(SmItem, rid)`` autoflushes: only when the identity map has no
        live object for the key, and then if objects are pending, or (unless the key's
        object is marked for deletion) anything is unflushed."""
        o = self.o
        live = o.in_map(rid)
        if live is not None and not live.to_delete:
            return False
        if any(r.status == "pending" for r in o.recs):
            return True
        if live is not None:  # marked for deletion: None without a flush
            return False
        return o.unflushed()

    # -- rules: objects ----------------------------------------------------------------
    @precondition(lambda self: not self.full())
    @rule(val=st.integers(0, 9), explicit=st.booleans(), i=st.integers(0, 99))
    def add_new(self, val: int, explicit: bool, i: int) -> None:
        key = self.reusable_key(i) if explicit else None
        name = self.fresh_name()
        obj = SmItem(id=key, val=val, name=name) if key is not None else SmItem(val=val, name=name)
        self.s.add(obj)
        self.o.recs.append(
            Rec(obj, "pending", rid=key, vals=(val, name), add_vals=(val, name), explicit=key)
        )

    @precondition(lambda self: not self.full())
    @rule(i=st.integers(0, 99))
    def readd(self, i: int) -> None:
        """Add a transient object again (after a rollback), or re-attach a detached one
        whose row has not changed since it was expunged."""
        o = self.o

        def ok(r: Rec) -> bool:
            if r.status == "transient":
                assert r.vals is not None
                return not o.name_taken(r.vals[1]) and (
                    r.explicit is None
                    or (not o.taken(r.explicit) and r.explicit < max(o.flushed, default=0))
                )
            return (
                r.known
                and r.rid is not None
                and o.logical.get(r.rid) == r.base
                and o.in_map(r.rid) is None
                and r.vals is not None
                and not any(v[1] == r.vals[1] for k, v in o.logical.items() if k != r.rid)
            )

        r = self.pick(i, "transient", "detached", cond=ok)
        if r is None:
            return
        if r.status == "transient":
            assert r.vals is not None
            assert (r.obj.id, r.obj.val, r.obj.name) == (r.explicit, *r.vals)
            self.s.add(r.obj)
            r.status, r.rid = "pending", r.explicit
        else:
            self.s.add(r.obj)
            assert r.rid is not None and r.vals is not None
            r.status = "persistent"
            o.logical[r.rid] = r.vals

    @rule(i=st.integers(0, 99), val=st.integers(0, 9), rename=st.booleans())
    def modify(self, i: int, val: int, rename: bool) -> None:
        r = self.pick(i, "persistent", "pending", cond=lambda r: not r.to_delete)
        if r is None:
            return
        old = self.o.values(r)
        new = (val, self.fresh_name() if rename else old[1])
        r.obj.val = new[0]
        if rename:
            r.obj.name = new[1]
        if r.status == "pending":
            r.vals = new
        else:
            assert r.rid is not None
            self.o.logical[r.rid] = new

    @rule(i=st.integers(0, 99))
    def delete(self, i: int) -> None:
        r = self.pick(i, "persistent", "pending", cond=lambda r: not r.to_delete)
        if r is None:
            return
        vals = self.o.values(r)
        self.s.delete(r.obj)
        if r.status == "pending":
            r.status, r.vals = "transient", vals
            r.rid = r.explicit
        else:
            assert r.rid is not None
            r.to_delete, r.vals = True, vals
            del self.o.logical[r.rid]

    @rule(i=st.integers(0, 99))
    def expunge(self, i: int) -> None:
        o = self.o
        # (expunging an object marked for deletion forgets the deletion: not while a
        # pending object is to take its key, which would then collide)
        r = self.pick(
            i, "persistent", "pending",
            cond=lambda r: not (r.to_delete and any(
                p.status == "pending" and p.rid == r.rid for p in o.recs
            )),
        )  # fmt: skip
        if r is None:
            return
        vals = self.o.values(r)
        self.s.expunge(r.obj)
        if r.status == "pending":
            r.status, r.vals, r.rid = "transient", vals, r.explicit
            return
        assert r.rid is not None
        if r.to_delete:  # the deletion is forgotten with the object
            r.to_delete = False
        self.o.logical[r.rid] = self.o.flushed[r.rid]  # its unflushed changes go with it
        r.status, r.vals, r.base, r.known = "detached", vals, self.o.flushed[r.rid], True

    @rule(i=st.integers(0, 99))
    def expire_and_expunge(self, i: int) -> None:
        """A detached object with expired values (for merge)."""
        r = self.pick(i, "persistent", cond=lambda r: not r.to_delete)
        if r is None:
            return
        assert r.rid is not None
        self.s.expire(r.obj)
        self.s.expunge(r.obj)
        self.o.logical[r.rid] = self.o.flushed[r.rid]
        r.status, r.vals, r.known = "detached", None, False

    @rule(i=st.integers(0, 99))
    def merge(self, i: int) -> None:
        """merge() of a detached object: onto the session's object for its key (loaded
        first), or a new pending copy when the row does not exist."""
        o = self.o

        def ok(r: Rec) -> bool:
            if r.rid is None:
                return False
            m = o.in_map(r.rid)
            if m is not None and m.to_delete:
                return False  # (merging onto an object marked for deletion: not modelled)
            d = r.obj.__dict__
            name = d.get("name")
            if name is not None and any(v[1] == name for k, v in o.logical.items() if k != r.rid):
                return False  # the copy's name would collide with another row
            if name is not None and o.name_taken(name) and r.rid not in o.logical:
                return False
            return not (r.rid not in o.logical and self.full())

        r = self.pick(i, "detached", cond=ok)
        if r is None:
            return
        assert r.rid is not None
        d = dict(r.obj.__dict__)
        flushes = o.in_map(r.rid) is None and self.get_flushes(r.rid)
        try:
            target = self.s.merge(r.obj)
        except InvalidRequestError as exc:
            target, error = None, exc
        if flushes:  # (get() flushed first: pending objects may have taken the key)
            o.flush()
        if r.rid not in o.logical and not {"val", "name"} <= d.keys():
            # no row to merge onto and not all values loaded: refused (no copy to add)
            assert target is None and "not loaded" in str(error), target
            return
        assert target is not None and target is not r.obj
        assert status_of(r.obj) == "detached"
        if r.rid in o.logical:
            t = self.track_loaded(target)
            assert t.rid == r.rid and t.status == "persistent"
            old = o.logical[r.rid]
            o.logical[r.rid] = (d.get("val", old[0]), d.get("name", old[1]))
        else:
            assert status_of(target) == "pending"
            vals = (d["val"], d["name"])
            o.recs.append(
                Rec(target, "pending", rid=r.rid, vals=vals, add_vals=vals, explicit=r.rid)
            )

    # -- rules: reads ------------------------------------------------------------------
    @rule(i=st.integers(0, 99), absent=st.booleans())
    def get(self, i: int, absent: bool) -> None:
        o = self.o
        keys = sorted({*o.logical, *o.flushed, *(r.rid for r in o.recs if r.rid)})
        rid = self.max_key + 1 + i % 3 if absent or not keys else keys[i % len(keys)]
        flushes = self.get_flushes(rid)
        got = self.s.get(SmItem, rid)
        if flushes:
            o.flush()
        live = o.live(rid)
        if rid not in o.logical:
            assert got is None, f"get({rid}) gave {got!r}; the session has no such row"
            return
        assert got is not None, f"get({rid}) gave None; the row is {o.logical[rid]}"
        if live is not None:
            assert got is live.obj, f"get({rid}) gave {got!r}, not {live.obj!r}"
        else:
            self.track_loaded(got)

    @rule(k=st.integers(-1, 9))
    def query(self, k: int) -> None:
        o = self.o
        q = self.s.query(SmItem)
        if k >= 0:
            q = q.where(SmItem.val >= k)
        got = q.order_by(SmItem.id).all()
        o.flush()
        want = [key for key, v in sorted(o.logical.items()) if k < 0 or v[0] >= k]
        assert [g.__dict__.get("id") for g in got] == want
        for g in got:
            live = o.live(g.id)
            if live is not None:
                assert g is live.obj
            else:
                self.track_loaded(g)

    # -- rules: bulk writes ------------------------------------------------------------
    @rule(k=st.integers(0, 9), d=st.integers(-2, 2), to=st.one_of(st.none(), st.integers(0, 9)))
    def bulk_update(self, k: int, d: int, to: int | None) -> None:
        o = self.o
        q = self.s.query(SmItem).where(SmItem.val < k)
        count = q.update({SmItem.val: SmItem.val + d if to is None else to})
        o.flush()
        hit = [key for key, v in o.flushed.items() if v[0] < k]
        assert count == len(hit)
        for key in hit:
            v = o.flushed[key]
            o.flushed[key] = (v[0] + d if to is None else to, v[1])
        o.logical = dict(o.flushed)

    @rule(k=st.integers(0, 9))
    def bulk_delete(self, k: int) -> None:
        o = self.o
        count = self.s.query(SmItem).where(SmItem.val == k).delete()
        o.flush()
        hit = [key for key, v in o.flushed.items() if v[0] == k]
        assert count == len(hit)
        for key in hit:
            del o.flushed[key]
            r = o.in_map(key)
            if r is not None:
                r.status = "stale"
        o.logical = dict(o.flushed)

    @precondition(lambda self: not self.full())
    @rule(n=st.integers(1, 3), objects=st.booleans(), explicit=st.booleans(), i=st.integers(0, 99))
    def insert_many(self, n: int, objects: bool, explicit: bool, i: int) -> None:
        o = self.o
        key = self.reusable_key(i) if explicit else None
        rows = []
        for j in range(n):
            rows.append(
                {"val": j, "name": self.fresh_name()} | ({"id": key} if key and j == 0 else {})
            )
        if objects:
            objs = [SmItem(**row) for row in rows]
            count = self.s.insert_many(SmItem, objs)
        else:
            count = self.s.insert_many(SmItem, rows)
        o.flush()
        assert count == n
        if objects:
            for obj, row in zip(objs, rows):
                assert status_of(obj) == "persistent" and obj.id is not None
                vals = (row["val"], row["name"])
                assert obj.id not in o.flushed
                o.recs.append(
                    Rec(obj, "persistent", rid=obj.id, add_vals=vals, explicit=row.get("id"))
                )
                o.flushed[obj.id] = vals
        else:
            # the generated keys: found by the (unique) names, in the transaction
            self.s.autoflush = False
            try:
                found = {name: key for key, _, name in self.s.execute(SELECT_ALL).all()}
            finally:
                self.s.autoflush = True
            for row in rows:
                got = found[row["name"]]
                assert got not in o.flushed and (row.get("id") in (None, got))
                o.flushed[got] = (row["val"], row["name"])
        o.logical = dict(o.flushed)
        self.note_keys()

    # -- rules: transactions -----------------------------------------------------------
    @rule()
    def flush(self) -> None:
        self.s.flush()
        self.o.flush()
        self.note_keys()

    @rule()
    def commit(self) -> None:
        self.s.commit()
        self.o.commit()
        self.savepoints.clear()
        self.note_keys()

    @rule()
    def rollback(self) -> None:
        self.s.rollback()
        self.note_keys()
        self.o.rollback_to(self.o.levels[0])
        self.o.levels = [self.o.snap()]
        self.savepoints.clear()

    @precondition(lambda self: len(self.savepoints) < 3)
    @rule()
    def begin_nested(self) -> None:
        self.savepoints.append(self.s.begin_nested())
        self.o.flush()
        self.note_keys()
        self.o.levels.append(self.o.snap())

    @precondition(lambda self: bool(self.savepoints))
    @rule()
    def release_savepoint(self) -> None:
        self.savepoints.pop().commit()
        self.o.flush()
        self.note_keys()
        self.o.levels.pop()

    @precondition(lambda self: bool(self.savepoints))
    @rule()
    def rollback_savepoint(self) -> None:
        self.savepoints.pop().rollback()
        self.note_keys()
        self.o.rollback_to(self.o.levels.pop())

    # -- the invariant -----------------------------------------------------------------
    @invariant()
    def agree(self) -> None:
        o, s = self.o, self.s
        # committed rows, through a second connection (or session, in memory)
        if self.raw is not None:
            rows = self.raw.run(Execute(SELECT_ALL, (), want=ROWS)).rows
            assert {r[0]: (r[1], r[2]) for r in rows} == o.committed, "committed rows"
        elif s._conn is None:
            with self.fdb.session() as s2:
                rows = s2.execute(SELECT_ALL).all()
            assert {r[0]: (r[1], r[2]) for r in rows} == o.committed, "committed rows"
        s.autoflush = False  # looking must not flush
        try:
            rows = s.execute(SELECT_ALL).all()
            assert {r[0]: (r[1], r[2]) for r in rows} == o.flushed, "rows in the transaction"
            self._objects()
        finally:
            s.autoflush = True

    def _objects(self) -> None:
        o, s = self.o, self.s
        names = {"stale": "persistent"}
        for r in list(o.recs):
            obj = r.obj
            want = names.get(r.status, r.status)
            if r.status == "stale":
                assert status_of(obj) in ("persistent", "detached"), r
            else:
                assert status_of(obj) == want, (r, status_of(obj))
            assert (obj in s) == (status_of(obj) in ("pending", "persistent")), r
            if r.status == "stale":
                # its row is gone: detached already, or at its next access
                if status_of(obj) == "persistent":
                    with pytest.raises(ObjectDeletedError):
                        read(s, obj)
                r.status, r.known = "detached", False
                assert status_of(obj) == "detached"
                continue
            if r.status in ("deleted", "detached"):
                continue
            key, val, name = read(s, obj)
            assert (val, name) == o.values(r), (r, obj)
            if r.status == "persistent":
                assert key == r.rid
            else:
                assert key == r.explicit, r
        pending = [r.obj for r in o.recs if r.status == "pending"]
        assert sorted(map(id, s.new)) == sorted(map(id, pending)), "s.new"
        # get() answers from the identity map (no flush: autoflush is off)
        for rid in sorted({r.rid for r in o.recs if r.rid is not None}):
            got = s.get(SmItem, rid)
            live = o.live(rid)
            if live is not None:
                assert got is live.obj, (rid, got, live)
            elif rid in o.logical:
                assert got is not None and (got.val, got.name) == o.logical[rid]
                self.track_loaded(got)
            else:
                assert got is None, (rid, got)


# -- the test: every backend, both front ends ----------------------------------------------
def test_session_matches_oracle(db: Database) -> None:
    """Every backend, both front ends (the ``db`` fixture's ``<backend>+async``
    parameters run the AsyncSession behind the sync API)."""
    db.create_all([SmItem])

    class Machine(SessionMachine):
        fdb = db
        sync_db = db
        memory = db._backend.single_connection(db.url)

    run_state_machine_as_test(Machine, settings=PROFILE)
