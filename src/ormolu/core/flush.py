"""The flush: the unit of work's statements, sent atomically, with the session's
bookkeeping before and after.

:func:`flush_op` takes the session's pending changes, asks the write planner for their
statements (:func:`ormolu.orm.unitofwork.flush_plan`, or
:func:`ormolu.orm.dependency.relationship_flush_plan` when relationships are involved) and
yields them. Before its first statement it opens a savepoint when the transaction already
holds writes (so a failure undoes this flush alone); a failure — the database's error
thrown in at the failed statement — rolls back to it (or the whole read-only transaction),
puts every object back as it was before the flush, and propagates, so the flush can be
fixed and retried. On success the objects' new states are recorded for the transaction's
rollback, new objects join the identity map and deleted ones leave it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from ..collector import without_gc, without_gc1
from ..exceptions import ConnectionLost, InvalidRequestError
from ..orm.dependency import involves_relationships, relationship_flush_plan
from ..orm.hooks import state as flags
from ..orm.state import PENDING, PERSISTENT, STATE_KEY
from ..orm.unitofwork import drain, flush_plan, writer
from ..protocol import LASTROWID, ROWS, Execute, Op
from .begin import begin_tx
from .cascade import unlink_deleted
from .errors import describe_flush_failure
from .hooks import MAX_ROUNDS, after_hooks, after_hooks_wanted, before_hooks, hooks_wanted
from .journal import Batch, Entry, Level, values_before_insert

if TYPE_CHECKING:
    from .state import SessionState

_new = tuple.__new__
_dict_of = attrgetter("__dict__")
_state_of = itemgetter(STATE_KEY)
_status_of = attrgetter("status")
_key_of = attrgetter("key")
_modified_of = attrgetter("modified")


def one_statement_flush(state: SessionState) -> bool:
    """Whether the pending changes are one row's INSERT, UPDATE or DELETE alone (no
    relationship, cascade, association row, identity reset or savepoint around it)."""
    if state.links or len(state.levels) > 1:
        return False
    if (flags.models or state.listeners or state.db_listeners) and hooks_wanted(state):
        return False
    if len(state.new) + len(state.dirty) + len(state.deleted) != 1:
        return False
    obj = next(iter((state.new or state.dirty or state.deleted).values()))
    mapper = type(obj).__mapper__
    if mapper.relationship_decls or mapper.all_relationships or mapper.secondary_refs:
        return False
    auto = mapper.auto_key
    return not (state.new and auto is not None and obj.__dict__.get(auto) is not None)


def insert_one_autocommitted(state: SessionState) -> Op[bool]:
    """Commit's shortcut for one new object alone (see :func:`one_statement_flush`) whose
    only database-generated value is its key: one INSERT in autocommit mode, without the
    flush's undo records and plan, which a lone statement that either commits or changes
    nothing does not need. Returns False (nothing sent) for other shapes."""
    planned = lone_insert(state)
    if planned is None:
        return False
    step, obj = planned
    try:
        reply = yield step
    except BaseException as error:
        lone_insert_failed(state, obj, error)
        raise  # nothing was written, and the object is as it was: still pending
    lone_insert_done(state, obj, step, reply)
    return True


def lone_insert_commit(state: SessionState) -> tuple[Execute, Any] | None:
    """The one statement a commit would send when it is exactly one new object's INSERT
    in autocommit mode (``transaction.commit`` with :func:`insert_one_autocommitted`),
    and that object; None in every other case — a transaction open, a deferred load, a
    transaction timeout to undo, several changes, relationships, or hooks or listeners
    the flush runs (the conditions of :func:`one_statement_flush`, checked in the order
    that settles the usual cases soonest): ``commit`` then does it all.

    The front ends run the step themselves, without an operation, its runner and their
    generators (``Session.commit``; test A of the benchmark, a commit per row), then call
    ``transaction.finish_lone_commit``, or :func:`lone_insert_failed` if it fails. Sends
    nothing and changes nothing."""
    if state.in_tx or state.closed or state.deferred or state.links or state.dirty:
        return None
    if state.deleted or len(state.new) != 1 or len(state.levels) > 1:
        return None
    if state.tx_timeout is not None:
        return None
    if (flags.models or state.listeners or state.db_listeners) and hooks_wanted(state):
        return None
    return lone_insert(state)


class _LonePlan:
    """What :func:`lone_insert` needs of one mapper on one dialect, kept in
    ``dialect.orm_cache`` under the mapper itself (the unit of work's keys there are
    tuples): its writer, and per set of columns present the INSERT's text, bind
    processors and what to read back — or None where the shortcut does not apply."""

    __slots__ = ("shapes", "writer")

    def __init__(self, dialect: Any, mapper: Any) -> None:
        self.writer = writer(dialect, mapper)
        self.shapes: dict[tuple[str, ...], tuple[str, Any, str] | None] = {}

    def shape(self, keys: tuple[str, ...]) -> tuple[str, Any, str] | None:
        """The INSERT of a row holding ``keys`` (computed once per set of keys)."""
        found = self.shapes.get(keys, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        w = self.writer
        dialect = w.dialect
        missing, procs = w.missing(keys)
        shape: tuple[str, Any, str] | None = None
        if w.auto is not None and missing == (w.auto,) and procs[0] is None and keys:
            if dialect.lastrowid_is_key:
                shape = (w.insert_sql(keys), w.binder(keys), LASTROWID)
            elif dialect.supports_returning:
                shape = (w.insert_sql(keys, 1, missing), w.binder(keys), ROWS)
        if len(self.shapes) >= 64:  # (a program setting ever other fields: no growth)
            self.shapes.clear()
        self.shapes[keys] = shape
        return shape


_UNSEEN = object()


def lone_insert(state: SessionState) -> tuple[Execute, Any] | None:
    """The INSERT of :func:`insert_one_autocommitted` and its object, or None when the
    one new object has another shape (relationships, more than its key generated, a key
    given, no way to read the key back). Sends nothing: :func:`lone_insert_done` or
    :func:`lone_insert_failed` finish it.

    Example: ``step, obj = lone_insert(state)``, then ``reply = conn.run(step)`` and
    ``lone_insert_done(state, obj, step, reply)``."""
    obj = next(iter(state.new.values()))
    mapper = type(obj).__mapper__
    if mapper.relationship_decls or mapper.all_relationships or mapper.secondary_refs:
        return None  # (asked each time: another model's relationship may add to them)
    cache = state.dialect.orm_cache
    plan = cache.get(mapper)
    if plan is None:
        plan = cache[mapper] = _LonePlan(state.dialect, mapper)
    d = obj.__dict__
    shape = plan.shape(plan.writer.present_keys(d))
    if shape is None:
        return None
    sql, binder, want = shape
    params = [d[k] if p is None else p(d[k]) for k, p in binder]
    return _new(Execute, (sql, params, False, want, 0)), obj


def lone_insert_done(state: SessionState, obj: Any, step: Execute, reply: Any) -> None:
    """After :func:`lone_insert`'s statement succeeded: ``obj`` has its key and is
    persistent, in the identity map, no longer pending."""
    d = obj.__dict__
    mapper = type(obj).__mapper__
    pk = reply.lastrowid if step.want == LASTROWID else reply.rows[0][0]
    d[mapper.auto_key] = pk
    st = d[STATE_KEY]
    st.status = PERSISTENT
    st.key = (mapper, pk)
    st.modified = None
    state.new.clear()
    state.identity_map.data[st.key] = st


def lone_insert_failed(state: SessionState, obj: Any, error: BaseException) -> None:
    """After :func:`lone_insert`'s statement failed: the error names the object (nothing
    was written, and the object is as it was: still pending)."""
    describe_flush_failure(error, state.dialect, ([obj], [], []))


def flush_op(state: SessionState, autocommit: bool = False) -> Op[None]:
    """Write the pending changes (INSERT, UPDATE, DELETE in dependency order); see the
    module docstring. ``autocommit``: the flush is one statement (see
    :func:`one_statement_flush`) sent outside a transaction, which commits by itself."""
    state.check_open()
    if state.deferred and not state.flushing:
        from .deferred import run_deferred

        yield from run_deferred(state)
    if state.flushing or not (state.new or state.dirty or state.deleted or state.links):
        return
    state.configure()
    if (flags.models or state.listeners or state.db_listeners) and hooks_wanted(state):
        yield from _flush_with_hooks(state)
        return
    new = list(state.new.values())
    changes = state.dirty.values()  # those with modified values (compress: in C)
    dirty = list(compress(changes, map(_modified_of, map(_state_of, map(_dict_of, changes)))))
    deleted = list(state.deleted.values())
    links = list(state.links)
    if not (new or dirty or deleted or links):
        state.dirty.clear()
        return
    yield from _flush(state, new, dirty, deleted, links, autocommit)


def _flush_with_hooks(state: SessionState) -> Op[None]:
    """The flush with model hooks or listeners (see :mod:`ormolu.core.hooks`): rounds of
    :func:`_flush` until the after-hooks leave nothing to write."""
    # (a lazy journal entry is kept by a plain attribute set, which the hooks' sets
    # inside the flush's level must not be: every entry a full one first)
    state.materialize_lazy()
    for _ in range(MAX_ROUNDS):
        if state.dirty and not any(
            map(_modified_of, map(_state_of, map(_dict_of, state.dirty.values())))
        ):
            state.dirty.clear()  # (changes set back to the stored values: nothing to write)
        if not (state.new or state.dirty or state.deleted or state.links or state.deferred):
            return
        # (the pending objects given only for the order a failed flush restores)
        yield from _flush(state, list(state.new.values()), [], [], [], False, hooks=True)
    raise InvalidRequestError(
        f"the after_insert/after_update/after_delete hooks or after_flush listeners kept "
        f"changing objects for {MAX_ROUNDS} flush rounds"
    )


def _flush(
    state: SessionState,
    new: list[Any],
    dirty: list[Any],
    deleted: list[Any],
    links: list[Any],
    autocommit: bool,
    hooks: bool = False,
) -> Op[None]:
    """One flush of ``new``, ``dirty``, ``deleted`` and ``links``; with ``hooks``, of
    what the before-hooks leave (``new`` is then the pending objects before them, the
    other lists empty), running the after-hooks before the savepoint is released."""
    dialect = state.dialect
    root = state.levels[-1]
    # (levels above the root are savepoints, which count as prior writes)
    prior_writes = len(state.levels) > 1 or root.has_writes
    n = len(new) + len(dirty) + len(deleted) + len(links)
    if not autocommit and not state.in_tx:
        yield from begin_tx(state)
    max_params = dialect.max_bind_parameters
    wants_savepoint = prior_writes and (n > 1 or dialect.failed_statement_aborts_transaction)
    savepoint = None
    level = Level()
    state.levels.append(level)
    state.flushing = True
    # The plan calls touch(obj) before changing an object: keep a cheap record of it
    # (values ``None``: unchanged by the flush, or the fields it fills in), turned into a
    # full entry only where one is needed: to undo a failed flush, or for the enclosing
    # level when it has none of the object.
    undo: dict[int, Entry] = {}

    def touch(obj: Any, generated: tuple[str, ...] | None = None) -> None:
        if id(obj) not in undo:
            # A flush runs no user code, so the dict of modified values is not changed in
            # place and needs no copy; it writes into __dict__ only for new objects, so
            # only theirs is copied — unless the plan says it fills in only the
            # ``generated`` fields, which are then recorded instead.
            d = obj.__dict__
            st = d[STATE_KEY]
            if st.status != PENDING:
                # (``generated`` of a persistent object: fields the plan changes besides
                # the UPDATE's, its version: then a copy of its values)
                values: Any = None if generated is None else d.copy()
            elif generated is None:
                values = d.copy()
            else:
                values = generated
            undo[id(obj)] = _new(
                Entry,
                (obj, values, st, st.status, st.key, st.modified, st.to_delete, st.session),
            )

    # Batches recorded per statement (see flush_plan's touch_inserted / touch_persistent),
    # their entries made only if needed: for a failed flush, or for objects the
    # transaction had not journaled.
    batches: list[Batch] = []

    def touch_inserted(objs: list[Any], generated: tuple[str, ...]) -> None:
        batches.append(_new(Batch, (objs, None, generated, False)))

    def touch_persistent(
        objs: list[Any], states: list[Any], modified: list[Any], to_delete: bool
    ) -> None:
        batches.append(_new(Batch, (objs, states, modified, to_delete)))

    def batch_entries(only: set[int] | None = None) -> None:
        for batch in batches:
            for oid, entry in batch.entries(state):
                if oid not in undo and (only is None or oid in only):
                    undo[oid] = entry

    explicit_keys = _explicit_keys(new)
    try:
        if hooks:
            new, dirty, deleted, links = yield from before_hooks(state)
            explicit_keys = _explicit_keys(new)
            # (an after-hook that raises must undo the statements before it)
            n = len(new) + len(dirty) + len(deleted) + len(links)
            wants_savepoint = prior_writes and (
                n > 1 or dialect.failed_statement_aborts_transaction
                or after_hooks_wanted(state, new, dirty, deleted)
            )  # fmt: skip
        if links or involves_relationships(new, dirty, deleted):
            plan = relationship_flush_plan(
                dialect, new, dirty, deleted, touch, max_params,
                _mapper_order(new, dirty, deleted), links,
            )  # fmt: skip
        else:
            plan = flush_plan(
                dialect, new, dirty, deleted, touch, max_params, touch_inserted,
                touch_persistent,
            )  # fmt: skip
        # Drive the plan; the savepoint opens only once a statement is due (a flush whose
        # changes all turn out to be no-ops sends nothing at all).
        sent = 0
        reply: Any = None
        while True:
            try:
                # (the plan's work up to its next statement allocates a few objects per
                # row and frees none: the collector is paused meanwhile, see without_gc)
                step = without_gc1(plan.send, reply)
            except StopIteration:
                break
            if sent == 0 and wants_savepoint:
                state.savepoint_seq += 1
                savepoint = dialect.quote(f"ormolu_flush_{state.savepoint_seq}")
                yield Execute("SAVEPOINT " + savepoint)
            sent += 1
            reply = yield step
        if explicit_keys:
            yield from _reset_identity(state, explicit_keys)
        if hooks:
            # The after-hooks may change the objects: the journal gets full entries of
            # them first (the flush's own records stand for their values as they are
            # now), then the maps are brought up to date for the hooks.
            batch_entries()
            journal = level.journal
            for oid, entry in undo.items():
                if oid not in journal:
                    journal[oid] = _full_entry(entry)
            _update_maps(state, new, dirty, deleted, undo)
            after_hooks(state, new, dirty, deleted)
    except BaseException as error:
        describe_flush_failure(error, dialect, (new, dirty, deleted))
        state.flushing = False
        state.levels.pop()
        try:
            if savepoint is not None:
                yield Execute("ROLLBACK TO SAVEPOINT " + savepoint)
                yield Execute("RELEASE SAVEPOINT " + savepoint)
            elif not prior_writes and state.in_tx:
                yield Execute("ROLLBACK")
                state.in_tx = False
        except ConnectionLost:
            # (the link is gone, and the server ended the transaction with it: the error
            # that made the flush fail is the one to report)
            pass
        finally:
            batch_entries()
            for oid, entry in undo.items():
                level.journal.setdefault(oid, entry)  # restored right away: values hold
            state.restore(level)
            # Restoring re-adds pending objects last-first: keep the order of adding.
            pending = dict(state.new)
            state.new.clear()
            state.new.update({id(o): pending.pop(id(o)) for o in new if id(o) in pending})
            state.new.update(pending)
        raise
    state.flushing = False
    state.levels.pop()
    del state.links[: len(links)]
    if savepoint is not None:
        yield Execute("RELEASE SAVEPOINT " + savepoint)
    level.has_writes = sent > 0
    if hooks:  # (journal and maps done before the after-hooks)
        level.merge_into(root)
        return
    without_gc(_record_flushed, state, root, level, undo, batches, batch_entries)
    level.merge_into(root)
    without_gc(_update_maps, state, new, dirty, deleted, undo)


def _full_entry(entry: Entry) -> Entry:
    """``entry`` (a flush's record, whose values may stand for the object's values as
    they are now) with the values copied."""
    if entry.values is None:
        return entry._replace(values=entry.obj.__dict__.copy())
    if type(entry.values) is tuple:
        return entry._replace(values=values_before_insert(entry.obj, entry.values))
    return entry


def _record_flushed(
    state: SessionState,
    root: Level,
    level: Level,
    undo: dict[int, Entry],
    batches: list[Batch],
    batch_entries: Any,
) -> None:
    """Give the transaction an entry of every object the flush changed that it had not
    journaled yet (as the object was before the flush)."""
    known = root.journal
    if batches:
        # (set operations, which loop in C; set.difference looks the set's items up in a
        # dict, where difference_update would walk the whole dict)
        ids: set[int] = set()
        for batch in batches:
            ids.update(map(id, batch.objs))
        ids = ids.difference(known)
        if ids and level.journal:
            ids = ids.difference(level.journal)
        if ids:
            batch_entries(ids)
    unknown = undo.keys() - known.keys() - level.journal.keys() if undo else ()
    for oid in [oid for oid in undo if oid in unknown] if unknown else ():
        entry = undo[oid]
        if entry.values is None:  # values unchanged by the flush: copy them now
            entry = entry._replace(values=entry.obj.__dict__.copy())
        elif type(entry.values) is tuple:  # only the generated fields were filled in
            entry = entry._replace(values=values_before_insert(entry.obj, entry.values))
        level.journal[oid] = entry


def _update_maps(
    state: SessionState,
    new: list[Any],
    dirty: list[Any],
    deleted: list[Any],
    undo: dict[int, Entry],
) -> None:
    """New objects join the identity map, deleted ones leave it, flushed ones are no
    longer pending or dirty. The map's entries are the objects' states (see
    IdentityMap): this works on them directly, for every object flushed."""
    entries = state.identity_map.data
    pending = state.new
    if len(pending) == len(new):  # every pending object was flushed (the usual case)
        pending.clear()
    else:
        for obj in new:
            pending.pop(id(obj), None)
    # (map, attrgetter and itemgetter loop in C: this runs for every object inserted)
    states = list(map(_state_of, map(_dict_of, new)))
    if set(map(_status_of, states)) <= {PERSISTENT}:
        entries.update(zip(map(_key_of, states), states))
    else:
        entries.update([(st.key, st) for st in states if st.status == PERSISTENT])
    changed = state.dirty
    drain(map(changed.pop, map(id, dirty), repeat(None)))
    # A changed primary key moves the object to its new identity. Such an object has its
    # own undo entry (batches are recorded only where no key changes).
    for oid in undo.keys() & set(map(id, dirty)) if dirty and undo else ():
        before = undo[oid]
        st = before.state
        assert st is not None
        if before.key != st.key and st.status == PERSISTENT:
            old_key = before.key
            if old_key is not None and entries.get(old_key) is st:
                del entries[old_key]
            entries[st.key] = st
    to_delete = state.deleted
    drain(map(to_delete.pop, map(id, deleted), repeat(None)))
    for obj in deleted:
        st = obj.__dict__[STATE_KEY]
        key = st.key
        if key is not None and entries.get(key) is st:
            del entries[key]
    if deleted:
        unlink_deleted(state, deleted)  # out of the loaded collections that held them


def _reset_identity(state: SessionState, mappers: Iterable[Any]) -> Op[None]:
    """Move database key generators past keys given explicitly (where the backend's
    generator does not follow by itself)."""
    for mapper in mappers:
        col = mapper.fields[mapper.auto_key].column
        stmt = state.dialect.reset_identity_sql(mapper.table, col.name)
        if stmt is not None:
            yield Execute(stmt[0], stmt[1])


def _mapper_order(*groups: list[Any]) -> list[Any]:
    """The mappers of the objects in ``groups``, referenced tables first."""
    from ..schema.table import sort_tables

    mappers = {type(o).__mapper__: None for g in groups for o in g}
    by_table = {m.table: m for m in mappers}
    return [by_table[t] for t in sort_tables(list(by_table))]


def _explicit_keys(new: list[Any]) -> set[Any]:
    """The mappers of the new objects that bring their own value for a database-generated
    key (the flush then moves the key generator past them)."""
    classes = set(map(type, new))
    if len(classes) == 1:  # the usual case, checked in C
        mapper = next(iter(classes)).__mapper__  # type: ignore[attr-defined]
        auto = mapper.auto_key
        if auto is None:
            return set()
        values = list(map(dict.get, map(_dict_of, new), repeat(auto)))
        return {mapper} if values.count(None) != len(values) else set()
    return {
        m
        for o in new
        if (m := type(o).__mapper__).auto_key is not None and o.__dict__.get(m.auto_key) is not None
    }
