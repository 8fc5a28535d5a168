"""``get_or_create`` and ``update_or_create``: find the row a lookup names, or insert it —
safely when several sessions race to create the same row.

The race. Two sessions look for ``email="a@example.com"``, both find nothing, both insert:
a unique constraint on the lookup's fields lets one INSERT in and refuses the other with
UniqueViolation. Here the INSERT runs in a savepoint; the loser rolls back to it (the rest
of its transaction intact), and reads the winner's row. That read locks the row in share
mode (``FOR SHARE``; ``LOCK IN SHARE MODE`` on MySQL/MariaDB): a locking read sees the
latest committed row, where InnoDB's plain reads at REPEATABLE READ would see the
transaction's snapshot, taken before the winner committed — and a shared lock cannot
deadlock with the shared lock the failed INSERT already holds on that key.
(``update_or_create`` reads it ``FOR UPDATE``, as it is about to write it: concurrent
updaters then queue on the row lock instead of deadlocking on shared locks they all
want to upgrade, except on InnoDB, whose failed INSERT already holds a shared lock:
there run it in ``db.transaction(retries=...)``.) Without a
unique constraint covering the lookup nothing stops two INSERTs, and two rows result:
the database is the only referee of a race (see docs/sessions.md, "Get or create").

On a backend whose write lock covers the whole database (SQLite,
``Dialect.read_modify_write_mode``) a session that has not begun its transaction begins it
in that mode (``BEGIN IMMEDIATE``), as a read-modify-write should: otherwise two readers
would each wait for the other to release its read lock before writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError, MultipleResultsFound, UniqueViolation
from ..orm.query import QueryBuilder
from ..protocol import Op
from ..sql.selectable import Select
from .flush import flush_op
from .reads import fetch
from .transaction import begin_nested, release_savepoint, rollback_savepoint

if TYPE_CHECKING:
    from .state import SessionState

ATTEMPTS = 3  # inserts tried before the last UniqueViolation propagates


def check_lookup(
    mapper: Any, lookup: Mapping[str, Any], defaults: Mapping[str, Any], what: str
) -> None:
    """Refuse, before any SQL, an empty lookup and names the model does not have
    (InvalidRequestError naming model and field), and values its fields refuse
    (ValidationError)."""
    if not lookup:
        raise InvalidRequestError(f"{what}({mapper.name}) needs at least one field to look up by")
    fields = mapper.fields
    names = [*fields, *mapper.relationship_decls]
    for source, values in (("lookup", lookup), ("defaults", defaults)):
        for key, value in values.items():
            if key not in fields and key not in mapper.relationship_decls:
                raise InvalidRequestError(
                    f"{what}({mapper.name}): {mapper.name} has no field {key!r} in the "
                    f"{source} (fields: {', '.join(names)})"
                )
            if key in fields and not (fields[key].auto and value is None):
                fields[key].validate(value)


def _find(state: SessionState, stmt: Any, what: str, mapper: Any, lookup: Any) -> Op[Any]:
    found = yield from fetch(state, stmt, limit=2)
    if len(found) > 1:
        shown = ", ".join(f"{k}={v!r}" for k, v in lookup.items())
        raise MultipleResultsFound(
            f"{what}({mapper.name}, {shown}) found several rows: the lookup must name one "
            f"row (a unique key)"
        )
    return found[0] if found else None


def get_or_create(
    state: SessionState,
    model: type[Any],
    lookup: Mapping[str, Any],
    defaults: Mapping[str, Any] | None,
    update: bool = False,
) -> Op[tuple[Any, bool]]:
    """The object ``lookup`` names and whether it was created: ``(obj, created)``. A new
    object gets ``lookup`` and ``defaults`` (``defaults`` win). With ``update``,
    ``defaults`` are also set on an object found (and flushed): update_or_create."""
    state.check_open()
    mapper = model.__mapper__
    what = "update_or_create" if update else "get_or_create"
    defaults = dict(defaults or {})
    check_lookup(mapper, lookup, defaults, what)
    query: QueryBuilder[Any] = QueryBuilder(None, Select((model,))).filter_by(**lookup)
    base = query.stmt
    assert isinstance(base, Select)
    # (an update locks the row it will write; see the module docstring)
    stmt, locked = base.limit(2), base.for_update(read=not update).limit(2)
    mode = state.dialect.read_modify_write_mode
    default = state.dialect.default_begin_mode
    if mode is not None and not state.in_tx and (default or "DEFERRED").upper() == "DEFERRED":
        state.begin_mode = mode  # (see the module docstring; reset when it ends)

    def found_one(obj: Any) -> Op[tuple[Any, bool]]:
        if update:
            for key, value in defaults.items():
                setattr(obj, key, value)
            yield from flush_op(state)
        return obj, False

    obj = yield from _find(state, stmt, what, mapper, lookup)
    if obj is not None:
        return (yield from found_one(obj))
    conflict: UniqueViolation | None = None
    for _ in range(ATTEMPTS):
        new = model(**{**lookup, **defaults})
        level = yield from begin_nested(state)
        state.add(new)
        try:
            yield from flush_op(state)
        except UniqueViolation as error:
            conflict = error
            yield from rollback_savepoint(state, level)  # (``new`` is transient again)
            obj = yield from _find(state, locked, what, mapper, lookup)
            if obj is not None:
                return (yield from found_one(obj))
            continue  # the conflicting row is gone again (or another key conflicted)
        except BaseException:
            yield from rollback_savepoint(state, level)
            raise
        yield from release_savepoint(state, level)
        return new, True
    assert conflict is not None
    raise conflict
