"""Operations that load fields a load left out (deferred fields, ``load_only`` and
``defer`` options; see :mod:`ormolu.orm.columns`).

:func:`load_columns` loads some fields for many objects of one model with
``SELECT pk, field ... WHERE pk IN (...)`` (chunked to the dialect's parameter limit):
``session.load(objs, Article.body)`` and both front ends' ``refresh`` use it.
:func:`load_deferred` is what reading such a field runs (through the front end, as a
lazy load is): one batch for every object of the reader's result that lacks the field.
Values already in an object's ``__dict__`` (an unflushed change) are never replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import ObjectDeletedError
from ..orm.loading import rows_converter
from ..orm.state import PERSISTENT, STATE_KEY
from ..orm.strategies import batch_for, in_condition
from ..protocol import ROWS, Execute, Op
from ..sql.compiler import compile_statement
from ..sql.selectable import Select
from .begin import begin_tx

if TYPE_CHECKING:
    from ..orm.mapper import Mapper
    from .state import SessionState


def load_columns(
    state: SessionState, mapper: Mapper, objs: list[Any], keys: tuple[str, ...]
) -> Op[list[Any]]:
    """Load the fields ``keys`` of ``objs`` (persistent objects of ``mapper``'s model in
    this session; others are skipped) where their ``__dict__`` lacks them, one statement
    per chunk of primary keys. Returns the objects whose row was not found.

    Like ``refresh`` (and unlike a query) it does not flush first: reading a field
    leaves unflushed changes pending."""
    from .reads import needs_tx

    todo: dict[Any, Any] = {}
    for o in objs:
        d = o.__dict__
        st = d.get(STATE_KEY)
        if st is None or st.session is not state or st.status != PERSISTENT:
            continue
        if any(k not in d for k in keys):
            todo.setdefault(st.key[1], o)
    if not todo:
        return []
    fields = mapper.fields
    pk_refs = [fields[k].column.ref for k in mapper.pk_keys]
    refs = [fields[k].column.ref for k in keys]
    n = len(pk_refs)
    per = max(1, (state.dialect.max_bind_parameters - 10) // n)
    idents = list(todo)
    found: set[Any] = set()
    if needs_tx(state):
        yield from begin_tx(state)
    for start in range(0, len(idents), per):
        chunk = idents[start : start + per]
        stmt: Select[Any] = Select((*pk_refs, *refs)).where(in_condition(pk_refs, chunk))
        compiled, params = compile_statement(state.dialect, stmt)
        reply = yield Execute(compiled.sql, params, want=ROWS)
        rows = rows_converter(compiled, stmt._entities, state.dialect, "tuples")(reply.rows)
        for row in rows:
            ident = row[0] if n == 1 else tuple(row[:n])
            obj = todo.get(ident)
            if obj is None:
                continue
            found.add(ident)
            d = obj.__dict__
            for k, v in zip(keys, row[n:]):
                if k not in d:
                    d[k] = v
    loaded = [o for i, o in todo.items() if i in found]
    state.record_loaded(loaded)  # (a rollback of writes before this expires them)
    return [o for i, o in todo.items() if i not in found]


def load_deferred(state: SessionState, obj: Any, key: str) -> Op[Any]:
    """Load field ``key`` of ``obj`` and of every object of its result (its load's
    group) that lacks it, in one batch; return ``obj``'s value.

    Raises ObjectDeletedError (and detaches ``obj``) when its row no longer exists."""
    d = obj.__dict__
    st = d[STATE_KEY]
    cls = type(obj)
    yield from load_columns(state, cls.__mapper__, batch_for(obj, key, state), (key,))
    if key not in d:
        state.expunge(obj)
        raise ObjectDeletedError(f"{cls.__name__} with primary key {st.key[1]!r} no longer exists")
    return d[key]
