"""Deferred columns: which fields a query loads.

A field declared ``field(deferred=True)`` (a large text, a password hash) is left out of
the SELECTs that load its model; the query options :func:`load_only`, :func:`defer`
and :func:`undefer` choose the fields per query. A field left out is not in the
object's ``__dict__``; reading it loads it — for every object of the same result that
lacks it, in one ``SELECT pk, field ... WHERE pk IN (...)`` (see
:mod:`ormolu.core.columns`), as a lazy load of a relationship batches. A strict session
raises :class:`~ormolu.exceptions.LazyLoadError` instead, and so does an async one,
naming the explicit forms (``undefer``, ``await session.load(objs, Model.field)``,
``await session.refresh(obj, ["field"])``).

A query's column choices are computed once (:func:`column_plan`): for each model named,
the fields to load. They apply to every entity of that model the query loads: its own
entities, and the objects its relationship loads bring (``query(Article).options(
selectinload(Article.comments), defer(Comment.text))``). Each choice is an entity
variant (:meth:`~ormolu.orm.mapper.EntityInfo.with_keys`), so its statement compiles and
caches like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..sql.elements import ColumnRef
from .registry import all_mappers

if TYPE_CHECKING:
    from .mapper import EntityInfo, Mapper

ColumnPlan = dict["Mapper", frozenset[str]]


class ColumnOption:
    """Which fields a query loads; build with :func:`load_only`, :func:`defer` or
    :func:`undefer` and pass to ``query.options(...)``."""

    __slots__ = ("fields", "kind")

    def __init__(self, kind: str, fields: tuple[tuple[Mapper, str], ...]) -> None:
        self.kind = kind
        self.fields = fields

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(f'{m.name}.{k}' for m, k in self.fields)})"


def _mapper_of(ref: ColumnRef[Any]) -> Mapper | None:
    table = ref.source
    for m in reversed(all_mappers()):
        if m.table is table:
            return m
    return None


def _fields(kind: str, columns: Sequence[Any]) -> tuple[tuple[Mapper, str], ...]:
    if not columns:
        raise InvalidRequestError(f"{kind}() needs at least one field, e.g. {kind}(Article.body)")
    out = []
    for c in columns:
        mapper = _mapper_of(c) if isinstance(c, ColumnRef) else None
        if mapper is None or c.key not in mapper.fields:
            raise InvalidRequestError(
                f"{kind}() takes fields of a model such as Article.body, got {c!r}"
            )
        if kind == "defer" and c.key in mapper.pk_keys:
            raise InvalidRequestError(
                f"defer({mapper.name}.{c.key}): a primary key field is always loaded"
            )
        out.append((mapper, c.key))
    return tuple(out)


def load_only(*columns: ColumnRef[Any]) -> ColumnOption:
    """Load only these fields of their model (and its primary key); the others load on
    first access, in one statement for the whole result.

    Raises InvalidRequestError for something that is not a model's field.

    Example::

        titles = s.query(Article).options(load_only(Article.title)).all()
        titles[0].body  # one SELECT loads body for every article of the result
    """
    return ColumnOption("load_only", _fields("load_only", columns))


def defer(*columns: ColumnRef[Any]) -> ColumnOption:
    """Leave these fields out of this query's SELECT (as ``field(deferred=True)`` does
    for every query); they load on first access, in one statement for the whole result.

    Raises InvalidRequestError for a primary key field or something that is not a
    model's field.

    Example: ``s.query(Article).options(defer(Article.body)).all()``."""
    return ColumnOption("defer", _fields("defer", columns))


def undefer(*columns: ColumnRef[Any]) -> ColumnOption:
    """Load these deferred fields with the query itself (in its SELECT).

    Raises InvalidRequestError for something that is not a model's field.

    Example: ``s.query(User).options(undefer(User.password_hash)).all()``."""
    return ColumnOption("undefer", _fields("undefer", columns))


def column_plan(options: Sequence[ColumnOption]) -> ColumnPlan:
    """The fields to load for each model the options name: the model's usual ones
    (every field but the deferred), or the primary key and the ``load_only`` fields
    (all the ``load_only`` of one model add up); then each ``defer`` and ``undefer``
    in the order given."""
    plan: dict[Mapper, set[str]] = {}
    for opt in options:
        if opt.kind == "load_only":
            for mapper, key in opt.fields:
                plan.setdefault(mapper, set(mapper.pk_keys)).add(key)
    for opt in options:
        if opt.kind == "load_only":
            continue
        for mapper, key in opt.fields:
            keys = plan.setdefault(mapper, set(mapper.load_keys))
            if opt.kind == "defer":
                keys.discard(key)
            else:
                keys.add(key)
    return {m: frozenset(k) for m, k in plan.items()}


def entity_for(ent: EntityInfo, plan: ColumnPlan | None) -> EntityInfo:
    """``ent`` loading the fields ``plan`` gives its model (itself when none)."""
    if not plan:
        return ent
    keys = plan.get(ent.mapper)
    return ent if keys is None else ent.with_keys(keys)


def with_columns(stmt: Any, plan: ColumnPlan | None) -> Any:
    """``stmt`` (a SELECT) with its model entities loading the fields of ``plan``."""
    if not plan or not hasattr(stmt, "_clone"):
        return stmt
    from .mapper import EntityInfo

    ents = stmt._entities
    new = tuple(entity_for(e, plan) if isinstance(e, EntityInfo) else e for e in ents)
    if all(a is b for a, b in zip(ents, new)):
        return stmt
    out = stmt._clone()
    out._entities = new
    cols: list[Any] = []
    for e in new:
        cols.extend(e.columns if isinstance(e, EntityInfo) else (e,))
    out._columns = tuple(cols)
    return out
