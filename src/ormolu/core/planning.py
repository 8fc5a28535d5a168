"""Query planning: what an object query loads besides its rows.

:func:`plan_for` resolves a query's loader options against each of its model entities
(the relationships to load eagerly, and the result group the objects join for batched
lazy loads); :func:`prepare` applies its column options (the fields to load, see
:mod:`ormolu.orm.columns`); :func:`load_plans` runs the select-in loads that follow the
query. Pure, but for :func:`load_plans`, an operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..orm.columns import ColumnOption, ColumnPlan, column_plan, with_columns
from ..orm.mapper import EntityInfo
from ..orm.strategies import LoadPlan, ResultGroup, applies_to, build_plan
from ..protocol import Op
from ..sql.selectable import Select

if TYPE_CHECKING:
    from .state import SessionState

Plans = list[tuple[int, LoadPlan]]


def plan_for(
    stmt: Any, mode: str, options: tuple[Any, ...], eager: bool = True
) -> tuple[Plans, ResultGroup | None]:
    """The relationship loading plans of an object query and the result group its
    objects join (``None`` when no model of it has relationships: nothing to batch).

    Each plan is ``(position, plan)`` for a model entity with something to load eagerly:
    the entity's position in a result row, or -1 for a query of one model (whose rows
    are the objects). Loader options apply to every model entity they start at (a
    relationship of that model; ``raiseload("*")``: all of them); ``eager=False`` plans
    nothing (the caller loads what is eager itself).

    The plans depend on the entities' models, ``eager`` and the options (their paths and
    strategies), never on values: they are built once per such shape (see
    :data:`_PLANS`) and shared, never changed after; the result group is new each time.

    Raises InvalidRequestError for an option that starts at no model of the query, or
    options on a query of columns only."""
    if mode != "objects":
        return [], None
    ents = stmt._entities
    key = (
        eager,
        tuple(
            (e.mapper, e.left_out is not None) if isinstance(e, EntityInfo) else None for e in ents
        ),
        tuple(map(_option_key, options)),
    )
    entry = _PLANS.get(key)
    if entry is None:
        entry = _build_plans(ents, options, eager)
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = entry
    plans, grouped, strict, raise_keys, _ = entry
    return plans, ResultGroup(strict, raise_keys) if grouped else None


# Plans by query shape (see plan_for): (entities' models, eager, options) -> (plans,
# whether the objects form a result group, its strictness and raise keys, the options).
# The options are kept with their entry: the key names them by id(), which stays theirs
# while they live.
_PLANS: dict[Any, tuple[Plans, bool, bool, frozenset[tuple[type, str]], tuple[Any, ...]]] = {}
_MAX_PLANS = 2000


def _option_key(opt: Any) -> Any:
    """A loader option in a plan cache key: a LoadOption by its path (each step's
    relationship attribute by identity, and strategy), a Node (a nested step of a plan,
    itself cached) by identity."""
    steps = getattr(opt, "steps", None)
    if steps is None:
        return ("node", id(opt))
    return tuple((a if isinstance(a, str) else id(a), s) for a, s in steps)


def _build_plans(
    ents: tuple[Any, ...], options: tuple[Any, ...], eager: bool
) -> tuple[Plans, bool, bool, frozenset[tuple[type, str]], tuple[Any, ...]]:
    single = len(ents) == 1
    plans: Plans = []
    used = [False] * len(options)
    names: list[str] = []
    grouped = strict = False
    raise_keys: set[tuple[type, str]] = set()
    for i, ent in enumerate(ents):
        if not isinstance(ent, EntityInfo):
            continue
        mapper = ent.mapper
        names.append(mapper.name)
        grouped = grouped or bool(mapper.relationship_decls) or ent.left_out is not None
        own = []
        for j, o in enumerate(options):
            if applies_to(o, mapper):
                own.append(o)
                used[j] = True
        if not eager or (not own and not mapper.eager_relationships):
            continue
        plan = build_plan(mapper, own)
        strict = strict or plan.strict
        raise_keys |= plan.raise_keys
        if plan.nodes:
            plans.append((-1 if single else i, plan))
    if not names:
        if options:
            raise InvalidRequestError(
                "loader options need a model in the query: query(Model, ...).options(...)"
            )
        return [], False, False, frozenset(), options
    for j, o in enumerate(options):
        if not used[j]:
            raise InvalidRequestError(
                f"{o!r}: {o.steps[0][0]!r} is not a relationship of {' or '.join(names)}"
            )
    return plans, bool(grouped or plans or strict), strict, frozenset(raise_keys), options


def joins(plans: Plans) -> bool:
    """Whether the query of one model with ``plans`` joins relationships into itself (a
    query of several entities loads joined relationships select-in instead)."""
    return (
        bool(plans)
        and plans[0][0] < 0
        and any(n.strategy == "joined" for n in plans[0][1].nodes.values())
    )


def load_plans(
    state: SessionState, plans: Plans, results: list[Any], columns: ColumnPlan | None = None
) -> Op[None]:
    """Run the eager loads of ``plans`` (see :func:`plan_for`) for a query's results:
    select-in, once per relationship for all the objects of an entity (loading the
    fields ``columns`` chooses)."""
    from .loads import load_nodes

    for pos, plan in plans:
        if pos < 0:
            objs = results
        else:
            objs = list({id(r[pos]): r[pos] for r in results if r[pos] is not None}.values())
        if objs:
            yield from load_nodes(state, objs, plan.nodes, columns)


def prepare(
    stmt: Any, options: tuple[Any, ...], columns: ColumnPlan | None = None
) -> tuple[Any, tuple[Any, ...], ColumnPlan | None]:
    """Split a query's ``options`` into loader options and column choices
    (:mod:`ormolu.orm.columns`): return the statement loading the chosen fields, the
    loader options, and the column plan (with ``columns``, the one of an enclosing
    query, below it) for the loads that follow."""
    colopts = [o for o in options if isinstance(o, ColumnOption)]
    if colopts:
        if not isinstance(stmt, Select):
            raise InvalidRequestError(
                f"{colopts[0]!r} cannot follow union(): choose the fields in each query"
            )
        options = tuple(o for o in options if not isinstance(o, ColumnOption))
        columns = {**(columns or {}), **column_plan(colopts)}
    if columns:
        stmt = with_columns(stmt, columns)
    return stmt, options, columns


def check_columns(stmt: Any, options: tuple[Any, ...], plans: Plans) -> None:
    """Raise InvalidRequestError for a column option of a model that the query loads
    neither as an entity nor through a relationship it loads eagerly."""
    colopts = [o for o in options if isinstance(o, ColumnOption)]
    if not colopts:
        return
    loaded = {e.mapper for e in stmt._entities if isinstance(e, EntityInfo)}
    todo = [n for _, p in plans for n in p.nodes.values()]
    while todo:
        node = todo.pop()
        if node.strategy in ("selectin", "joined"):
            loaded.add(node.rel.target)
            todo.extend(node.children.values())
    for opt in colopts:
        for mapper, _ in opt.fields:
            if mapper not in loaded:
                raise InvalidRequestError(
                    f"{opt!r}: this query loads no {mapper.name} (it loads "
                    f"{', '.join(sorted(m.name for m in loaded)) or 'no model'}); name "
                    f"fields of its models or of the relationships it loads eagerly"
                )
