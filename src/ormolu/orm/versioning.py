"""Optimistic locking: a model's version field (``field(version=True)``).

A versioned row is written only if it is still the version this session read: the
flush's UPDATE sets a new version and carries ``WHERE <key> AND version = <expected>``,
its DELETE carries the same condition, and a statement matching no row raises
:class:`~ormolu.exceptions.StaleDataError` — the flush then fails as a whole (rolled back
to its savepoint, every object as before it). The expected version is the value the
object holds: the one loaded, or one assigned on purpose (``obj.version = version_sent``,
the check of a value a client read earlier).

Each versioned row goes in its own statement: an ``executemany`` reports only the total
of matched rows, which cannot say which row was stale (and resending the others would
not match: their version has moved on). Bulk statements (``query.update()``,
``query.delete()``, ``upsert``) do not check versions: see docs/hooks.md.

Rowcounts: ormolu's MySQL/MariaDB connections (PyMySQL and asyncmy) ask for matched rows
(``CLIENT.FOUND_ROWS``), not changed ones; a version UPDATE always changes its row anyway.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError, StaleDataError
from ..protocol import ROWCOUNT, Execute, Op
from ..schema import types as t
from ..sql.dml import RowDelete, RowUpdate
from .fields import MISSING
from .state import DELETED, STATE_KEY

if TYPE_CHECKING:
    from .mapper import FieldSpec, Mapper
    from .unitofwork import _Writer

_ONE_MICROSECOND = timedelta(microseconds=1)


def configure_version(mapper: Mapper) -> str | None:
    """The key of ``mapper``'s version field (or ``None``), checked, with its default
    for new objects (1, a new UUID, the current time) unless it declares one. Raises
    ConfigurationError for a second version field, a nullable or primary-key one, or a
    type that cannot be a version."""
    found = [k for k, spec in mapper.fields.items() if spec.info.version]
    if not found:
        return None
    where = f"{mapper.name}.{found[0]}"
    if len(found) > 1:
        raise ConfigurationError(
            f"{mapper.name}: one version field at most, got {', '.join(found)}"
        )
    spec = mapper.fields[found[0]]
    if spec.nullable or spec.column.primary_key:
        raise ConfigurationError(f"{where}: a version field is neither nullable nor a key")
    type_ = spec.type
    factory: Any = None
    default: Any = 1
    if isinstance(type_, t.Integer) and not isinstance(type_, t.Boolean):
        pass
    elif isinstance(type_, t.Uuid):
        factory = uuid.uuid4
    elif isinstance(type_, t.DateTime) and type_.storage != "unixepoch":
        factory = _now_aware if type_.timezone else _now_naive
    else:
        raise ConfigurationError(
            f"{where}: a version field is an int, a UUID or a datetime (not stored as "
            f"whole seconds), got {type_!r}"
        )
    if spec.default is MISSING and spec.default_factory is None:
        if factory is None:
            spec.default = default
        else:
            spec.default_factory = factory
    return found[0]


def _now_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _now_aware() -> datetime:
    return datetime.now(UTC)


def next_version(spec: FieldSpec, old: Any) -> Any:
    """The version a row at version ``old`` gets from its next UPDATE."""
    if isinstance(old, int):
        return old + 1
    if isinstance(old, uuid.UUID):
        return uuid.uuid4()
    new = _now_aware() if old.tzinfo is not None else _now_naive()
    # (a clock that did not move, or moved back, still yields a different version)
    return new if new > old else old + _ONE_MICROSECOND


def _stale(mapper: Mapper, obj: Any, expected: Any, verb: str) -> StaleDataError:
    key = obj.__dict__[STATE_KEY].key[1]
    return StaleDataError(
        f"{mapper.name} with primary key {key!r}: the {verb} expected version "
        f"{expected!r} and matched no row: another transaction changed or deleted the row "
        f"since this session read it. Nothing of this flush was written; reload the "
        f"object (session.refresh(obj)) and redo the change",
        mapper.name, key, expected,
    )  # fmt: skip


def versioned_update(w: _Writer, keys: tuple[str, ...], batch: list[Any], touch: Any) -> Op[None]:
    """UPDATE each object of ``batch`` (changing ``keys``) and its version, one
    statement a row, each checked to match its row."""
    mapper = w.mapper
    vkey = mapper.version_key
    assert vkey is not None
    spec = mapper.fields[vkey]
    set_keys = keys if vkey in keys else (*keys, vkey)
    where = (*mapper.pk_names, spec.column.name)
    sql = w._compiled_sql(("vupdate", set_keys), RowUpdate(mapper.table, w._names(set_keys), where))
    bind = w.dialect.bind_processor(spec.type)
    key_cols = w.key_columns(batch)  # the keys as the database has them
    pk_keys = frozenset(mapper.pk_keys)
    for i, obj in enumerate(batch):
        d = obj.__dict__
        st = d[STATE_KEY]
        expected = d[vkey]
        touch(obj, (vkey,))  # (a full record: the version changes below)
        d[vkey] = next_version(spec, expected)
        params = w.params(d, set_keys)
        params.extend(c[i] for c in key_cols)
        params.append(expected if bind is None else bind(expected))
        if (yield Execute(sql, params, want=ROWCOUNT)).rowcount != 1:
            raise _stale(mapper, obj, expected, "UPDATE")
        if not pk_keys.isdisjoint(st.modified):  # a changed primary key: a new identity
            st.key = mapper.identity_key(obj)
        st.modified = None


def versioned_delete(w: _Writer, objs: list[Any], touch: Any) -> Op[None]:
    """DELETE each object of ``objs``, one statement a row, each checked to match its
    row at the version the object holds."""
    mapper = w.mapper
    vkey = mapper.version_key
    assert vkey is not None
    spec = mapper.fields[vkey]
    sql = w._compiled_sql("vdelete", RowDelete(mapper.table, (*mapper.pk_names, spec.column.name)))
    bind = w.dialect.bind_processor(spec.type)
    key_cols = w.key_columns(objs)
    for i, obj in enumerate(objs):
        expected = obj.__dict__[vkey]
        params = [c[i] for c in key_cols]
        params.append(expected if bind is None else bind(expected))
        if (yield Execute(sql, params, want=ROWCOUNT)).rowcount != 1:
            raise _stale(mapper, obj, expected, "DELETE")
        touch(obj)
        st = obj.__dict__[STATE_KEY]
        st.status = DELETED
        st.to_delete = False
        st.modified = None
