"""The stateful test of the session with a relationship: parents and kids (one-to-many,
ON DELETE CASCADE) under a Hypothesis state machine, on every backend and both front
ends, compared after each step with the database (in the transaction and committed) and
an in-memory model of the rows; every parent the machine holds must show exactly its kids.
Profiles and the long run by hand as in test_session_stateful.py
(``ORMOLU_STATEFUL_PROFILE=long``)."""

from __future__ import annotations

from typing import Any

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
    LazyLoadError,
    Mapped,
    Model,
    ObjectDeletedError,
    field,
    relationship,
    status_of,
)
from ormolu.protocol import ROWS, Execute
from tests.integration.asyncdb import open_sync
from tests.integration.stateful import FAMILY_PROFILE


class SmParent(Model, table="sm_parent"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)
    kids: Mapped[list[SmKid]] = relationship(back_populates="parent")


class SmKid(Model, table="sm_kid"):
    id: Mapped[int] = field(primary_key=True, default=None)
    # ON DELETE CASCADE, which the relationship mirrors: deleting a parent deletes its
    # kids, in the session (delete()) and in the database (a bulk DELETE)
    parent_id: Mapped[int] = field(foreign_key="SmParent.id", on_delete="CASCADE")
    tag: Mapped[str] = field(max_length=40)
    parent: Mapped[SmParent] = relationship(back_populates="kids")


class FamilyMachine(RuleBasedStateMachine):
    """Parents and kids (one-to-many, ON DELETE CASCADE): adding kids to persistent or
    new parents, deleting parents (their kids go with them) and kids, flush, commit,
    rollback and savepoints; after each step the rows in the transaction and committed
    must be the oracle's, and every parent the machine holds that is still in the
    session shows exactly its kids (``parent.kids``, loaded explicitly with ``s.load``
    where the relationship is not loaded: after a rollback it reloads)."""

    fdb: Any = None
    sync_db: Database
    memory = False

    def __init__(self) -> None:
        super().__init__()
        self.s = self.fdb.session()
        self.parents: dict[int, str] = {}  # rows in the transaction (flushed)
        self.kids: dict[int, tuple[int, str]] = {}
        self.committed: tuple[dict[int, str], dict[int, tuple[int, str]]] = ({}, {})
        self.levels: list[tuple[dict[int, str], dict[int, tuple[int, str]]]] = [({}, {})]
        self.savepoints: list[Any] = []
        self.held: list[SmParent] = []  # persistent parents the machine holds
        # pending parents and kids (not flushed), with their name or parent and tag
        self.new: list[tuple[Any, Any, str]] = []
        self.gone: set[int] = set()  # ids of parents deleted, not flushed
        self.count = 0
        self.raw: Any = None if self.memory else open_sync(self.sync_db)

    def teardown(self) -> None:
        try:
            self.s.close()
        finally:
            if self.raw is not None:
                self.raw.close()
            with self.fdb.session() as s2:
                s2.execute("DELETE FROM sm_kid")
                s2.execute("DELETE FROM sm_parent")

    def fresh(self) -> str:
        self.count += 1
        return f"f{self.count}"

    def live(self) -> list[SmParent]:
        return [p for p in self.held if p.__dict__["id"] not in self.gone]

    def _flushed(self) -> None:
        """A flush happened: new rows have keys; deleted parents took their kids."""
        for gid in self.gone:
            self.parents.pop(gid, None)
            for k in [k for k, v in self.kids.items() if v[0] == gid]:
                del self.kids[k]
        self.held = [p for p in self.held if p.__dict__["id"] not in self.gone]
        self.gone.clear()
        for obj, parent, text in self.new:
            key = obj.__dict__.get("id")
            assert key is not None, obj
            if isinstance(obj, SmParent):
                self.parents[key] = text
                self.held.append(obj)
            else:
                pid = parent.__dict__["id"]
                assert obj.__dict__.get("parent_id") == pid
                self.kids[key] = (pid, text)
        self.new.clear()

    # -- rules -------------------------------------------------------------------------
    @precondition(lambda self: len(self.parents) + len(self.new) < 8)
    @rule()
    def add_parent(self) -> None:
        p = SmParent(name=self.fresh())
        self.s.add(p)
        self.new.append((p, None, p.name))

    @precondition(lambda self: len(self.kids) + len(self.new) < 16)
    @rule(i=st.integers(0, 99), new_parent=st.booleans())
    def add_kid(self, i: int, new_parent: bool) -> None:
        """A kid of a held parent or of a pending one, through the relationship (the
        flush fills in the key)."""
        pending = [p for p, _, _ in self.new if isinstance(p, SmParent)]
        parent: Any
        if new_parent and pending:
            parent = pending[i % len(pending)]
            kid = SmKid(parent=parent, tag=self.fresh())
        else:
            live = self.live()
            if not live:
                return
            # (through the relationship: a key set by hand leaves a loaded parent.kids
            # as it was, so the machine does not)
            parent = live[i % len(live)]
            kid = SmKid(parent=parent, tag=self.fresh())
        self.s.add(kid)
        self.new.append((kid, parent, kid.tag))

    @rule(i=st.integers(0, 99))
    def delete_parent(self, i: int) -> None:
        live = self.live()
        if not live:
            return
        p = live[i % len(live)]
        self.s.delete(p)  # its kids follow (the relationship mirrors ON DELETE CASCADE)
        self.gone.add(p.id)
        for kid, parent, _ in self.new:
            if parent is p:  # a new kid of it is not inserted: transient again
                assert status_of(kid) == "transient", kid
        self.new = [e for e in self.new if e[1] is not p]

    @rule(i=st.integers(0, 99))
    def delete_kid(self, i: int) -> None:
        """Delete a flushed kid loaded by a query."""
        if not self.kids:
            return
        key = sorted(self.kids)[i % len(self.kids)]
        if self.kids[key][0] in self.gone:
            return
        kid = self.s.query(SmKid).where(SmKid.id == key).one()
        self._flushed()  # (the query flushed)
        self.s.delete(kid)
        self.s.flush()
        del self.kids[key]

    @rule(k=st.integers(0, 3))
    def bulk_delete_parents(self, k: int) -> None:
        """A bulk DELETE of the parents whose key ends in ``k`` (mod 4): the database
        deletes their kids."""
        count = self.s.query(SmParent).where(SmParent.id % 4 == k).delete()
        self._flushed()
        hit = [p for p in self.parents if p % 4 == k]
        assert count == len(hit)
        for p in hit:
            del self.parents[p]
            for kk in [kk for kk, v in self.kids.items() if v[0] == p]:
                del self.kids[kk]
        self.held = [p for p in self.held if p.__dict__["id"] not in hit]

    @rule()
    def flush(self) -> None:
        self.s.flush()
        self._flushed()

    @rule()
    def commit(self) -> None:
        self.s.commit()
        self._flushed()
        self.committed = (dict(self.parents), dict(self.kids))
        self.levels = [self.committed]
        self.savepoints.clear()

    def _rolled_back(self, snap: tuple[dict[int, str], dict[int, tuple[int, str]]]) -> None:
        self.parents, self.kids = dict(snap[0]), dict(snap[1])
        self.new.clear()
        self.gone.clear()
        # held parents whose rows are back stay persistent; the others are transient or
        # detached now (checked), and no longer held
        keep = []
        for p in self.held:
            key = p.__dict__.get("id")
            if key in self.parents and status_of(p) == "persistent":
                keep.append(p)
            else:
                assert status_of(p) != "persistent" or key not in self.parents
                if status_of(p) == "persistent":  # loaded after a write: reads detach it
                    try:
                        read_parent(self.s, p)
                    except ObjectDeletedError:
                        pass
                    assert status_of(p) == "detached"
        self.held = keep
        # every parent row has its held object, if any, in the session
        for p in self.s.query(SmParent).order_by(SmParent.id).all():
            if not any(h is p for h in self.held):
                self.held.append(p)
        assert sorted(h.id for h in self.held) == sorted(self.parents)

    @rule()
    def rollback(self) -> None:
        self.s.rollback()
        self._rolled_back(self.levels[0])
        self.levels = [self.levels[0]]
        self.savepoints.clear()

    @precondition(lambda self: len(self.savepoints) < 2)
    @rule()
    def begin_nested(self) -> None:
        self.savepoints.append(self.s.begin_nested())
        self._flushed()
        self.levels.append((dict(self.parents), dict(self.kids)))

    @precondition(lambda self: bool(self.savepoints))
    @rule()
    def release_savepoint(self) -> None:
        self.savepoints.pop().commit()
        self._flushed()
        self.levels.pop()

    @precondition(lambda self: bool(self.savepoints))
    @rule()
    def rollback_savepoint(self) -> None:
        self.savepoints.pop().rollback()
        self._rolled_back(self.levels.pop())

    # -- the invariant -----------------------------------------------------------------
    @invariant()
    def agree(self) -> None:
        s = self.s
        sel_p = "SELECT id, name FROM sm_parent ORDER BY id"
        sel_k = "SELECT id, parent_id, tag FROM sm_kid ORDER BY id"
        if self.raw is not None or s._conn is None:
            if self.raw is not None:
                ps = self.raw.run(Execute(sel_p, (), want=ROWS)).rows
                ks = self.raw.run(Execute(sel_k, (), want=ROWS)).rows
            else:
                with self.fdb.session() as s2:
                    ps, ks = s2.execute(sel_p).all(), s2.execute(sel_k).all()
            assert {r[0]: r[1] for r in ps} == self.committed[0], "committed parents"
            assert {r[0]: (r[1], r[2]) for r in ks} == self.committed[1], "committed kids"
        s.autoflush = False
        try:
            ps, ks = s.execute(sel_p).all(), s.execute(sel_k).all()
            assert {r[0]: r[1] for r in ps} == self.parents, "parents in the transaction"
            assert {r[0]: (r[1], r[2]) for r in ks} == self.kids, "kids in the transaction"
            live = self.live()
            for p in live:
                assert status_of(p) == "persistent", p
                assert read_parent(s, p) == self.parents[p.id]
            s.load(live, SmParent.kids)  # those whose kids are not loaded (none: no I/O)
            for p in live:
                got = {k.id for k in p.kids if k.__dict__.get("id") is not None}
                want = {k for k, v in self.kids.items() if v[0] == p.id}
                assert got == want, (p, got, want)
        finally:
            s.autoflush = True


def read_parent(s: Any, p: SmParent) -> str:
    try:
        return p.name
    except LazyLoadError:
        s.refresh(p)
        return p.name


# -- the test: every backend, both front ends ----------------------------------------------
def test_relationships_match_oracle(db: Database) -> None:
    """Every backend, both front ends (the ``db`` fixture's ``<backend>+async``
    parameters run the AsyncSession behind the sync API)."""
    db.create_all([SmParent, SmKid])

    class Machine(FamilyMachine):
        fdb = db
        sync_db = db
        memory = db._backend.single_connection(db.url)

    run_state_machine_as_test(Machine, settings=FAMILY_PROFILE)
