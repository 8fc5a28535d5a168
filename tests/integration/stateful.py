"""The oracle of the stateful session tests (test_session_stateful.py and
test_session_stateful_relations.py): Hypothesis profiles, and the in-memory model of the
rows and objects of one session that the item machine compares the session with. See
test_session_stateful.py's docstring for what it models and why."""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from hypothesis import HealthCheck, settings

from ormolu import LazyLoadError

_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,  # no .hypothesis directory in the checkout
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}
# (examples of the item machine, of the parent/child machine, steps per example): in CI
# the two files run in about 40 s together over the four backends and both front ends
PROFILES = {"ci": (20, 10, 20), "long": (400, 200, 50)}
_EXAMPLES, _FAMILY_EXAMPLES, _STEPS = PROFILES[os.environ.get("ORMOLU_STATEFUL_PROFILE", "ci")]
PROFILE = settings(max_examples=_EXAMPLES, stateful_step_count=_STEPS, **_COMMON)
FAMILY_PROFILE = settings(max_examples=_FAMILY_EXAMPLES, stateful_step_count=_STEPS, **_COMMON)
Row = tuple[int, str]  # (val, name)


@dataclass(eq=False)
class Rec:
    """What the oracle knows of one object the machine holds.

    ``status``: transient, pending, persistent, deleted (flushed DELETE, until commit),
    detached, or stale (persistent, but its row is gone: the next access detaches it).
    ``rid``: its row's key (the explicit key of a pending object, else None before the
    flush). ``vals``: its values where they are not the row's (pending, transient,
    marked for deletion, detached). ``add_vals``: its values when last added (what a
    rollback of that add gives back). ``loaded``: it came from the database (not created
    by the machine). ``base``: the row in the transaction when it was expunged, and
    ``known`` whether the oracle still knows its values (detached objects)."""

    obj: Any
    status: str
    rid: int | None = None
    vals: Row | None = None
    add_vals: Row | None = None
    explicit: int | None = None
    loaded: bool = False
    to_delete: bool = False
    base: Row | None = None
    known: bool = True


@dataclass
class Snap:
    """The oracle at the start of a transaction level."""

    flushed: dict[int, Row]
    # id(rec) -> (status, rid, to_delete, vals)
    recs: dict[int, tuple[str, int | None, bool, Row | None]]


@dataclass
class Oracle:
    committed: dict[int, Row] = dc_field(default_factory=dict)
    flushed: dict[int, Row] = dc_field(default_factory=dict)  # the transaction's rows
    logical: dict[int, Row] = dc_field(default_factory=dict)  # rows the session shows
    recs: list[Rec] = dc_field(default_factory=list)
    levels: list[Snap] = dc_field(default_factory=list)  # [root, savepoint, ...]

    def snap(self) -> Snap:
        return Snap(
            dict(self.flushed),
            {id(r): (r.status, r.rid, r.to_delete, r.vals) for r in self.recs},
        )

    def live(self, rid: int) -> Rec | None:
        """The session's object for row ``rid`` (persistent and not deleted, or pending
        with that explicit key)."""
        for r in self.recs:
            if r.rid == rid and (
                (r.status == "persistent" and not r.to_delete) or r.status == "pending"
            ):
                return r
        return None

    def in_map(self, rid: int) -> Rec | None:
        """The object of the identity map for ``rid`` (persistent, deletion pending or
        not)."""
        for r in self.recs:
            if r.rid == rid and r.status in ("persistent", "stale"):
                return r
        return None

    def unflushed(self) -> bool:
        return self.logical != self.flushed or any(
            r.status == "pending" or r.to_delete for r in self.recs
        )

    def values(self, r: Rec) -> Row:
        if r.status == "persistent" and not r.to_delete:
            assert r.rid is not None
            return self.logical[r.rid]
        assert r.vals is not None
        return r.vals

    def taken(self, rid: int) -> bool:
        return rid in self.logical or any(r.status == "pending" and r.rid == rid for r in self.recs)

    def name_taken(self, name: str) -> bool:
        return any(v[1] == name for v in self.logical.values()) or any(
            r.status == "pending" and r.vals is not None and r.vals[1] == name for r in self.recs
        )

    # -- transitions -------------------------------------------------------------------
    def flush(self) -> None:
        """A flush happened: pending objects have rows, deletions are sent."""
        for r in self.recs:
            if r.to_delete:
                r.status, r.to_delete = "deleted", False
        for r in self.recs:
            if r.status == "pending":
                key = r.obj.__dict__.get("id")
                assert key is not None, f"{r.obj!r} has no key after the flush"
                if r.explicit is not None:
                    assert key == r.explicit
                assert key not in self.logical, f"key {key} given twice"
                assert r.vals is not None
                r.status, r.rid = "persistent", key
                self.logical[key] = r.vals
        self.flushed = dict(self.logical)

    def commit(self) -> None:
        self.flush()
        self.committed = dict(self.flushed)
        for r in self.recs:
            if r.status == "deleted":
                r.status = "detached"
                r.known = False
        self.levels = [self.snap()]

    def rollback_to(self, snap: Snap) -> None:
        """Roll back to the level that began at ``snap`` (see the module docstring)."""
        self.flushed = dict(snap.flushed)
        self.logical = dict(snap.flushed)
        for r in self.recs:
            prev = snap.recs.get(id(r))
            if prev is None and not r.loaded:
                # added in the level: transient again, with its values when first added
                self._transient(r, r.add_vals)
            elif prev is not None and prev[0] == "transient":
                self._transient(r, prev[3])
            elif r.status in ("detached", "transient"):
                # out of the session now: an expunged object stays out
                r.status, r.known = "detached", False
                if prev is not None:
                    r.rid = prev[1]
            elif prev is None:  # loaded in the level: persistent while its row exists
                r.status = "persistent" if r.rid in self.flushed else "stale"
                r.to_delete = False
            else:
                r.status, r.rid, r.to_delete = prev[0], prev[1], prev[2]
                if r.status == "detached":
                    r.known = False
                if r.status == "persistent" and r.rid not in self.flushed:
                    r.status = "stale"

        # one row, one object: an object loaded in the level for a key that an object
        # the level knew owns again is detached
        owners = {r.rid for r in self.recs if r.status == "persistent" and snap.recs.get(id(r))}
        for r in self.recs:
            fresh = r.loaded and id(r) not in snap.recs
            if fresh and r.status in ("persistent", "stale") and r.rid in owners:
                r.status, r.known = "detached", False

    def _transient(self, r: Rec, vals: Row | None) -> None:
        r.status, r.to_delete = "transient", False
        if vals is not None:
            r.vals = vals
        r.rid = r.explicit


def read(s: Any, obj: Any) -> tuple[int, int, str]:
    """``obj``'s key and values: loaded implicitly by the sync session; the async one
    refuses (LazyLoadError), so it is refreshed explicitly and read again."""
    try:
        return obj.id, obj.val, obj.name
    except LazyLoadError:
        s.refresh(obj)
        return obj.id, obj.val, obj.name
