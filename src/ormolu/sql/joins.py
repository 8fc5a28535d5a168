"""How a SELECT's FROM clause is laid out, and how a join finds its left side.

The FROM clause is a list of *roots* (the tables of the selected columns and of the WHERE
conditions, in order, or what ``select_from()`` names), each followed by the joins
attached to it: ``FROM track JOIN album ON ... JOIN artist ON ..., genre``. A join
attaches to the chain holding the tables its ON condition names, so an ON condition can
only name tables that precede it in the SQL text (PostgreSQL and MySQL refuse anything
else; SQLite accepts it and computes a cross product).

The rules a join follows, never guessed (SQLAlchemy's, "Joins" in its ORM querying
guide):

* **Left side.** With an ON condition (or a relationship, whose condition is known) the
  left side is the chain holding the tables it names; naming tables of two chains, or a
  table that is in no FROM item, raises :class:`~ormolu.exceptions.ArgumentError`.
  Without one, the left side is the one FROM item (a root or a table joined before)
  linked to the target by a foreign key; when none or several are, ArgumentError names
  them and suggests ``select_from()`` or an explicit ON condition.
* **Each table once.** Joining a table that is already in the FROM clause (the root it
  would join, a table joined before, one named by ``select_from()``) raises
  ArgumentError: join an ``aliased()`` copy. A table present only because its columns are
  selected is *moved* into the join: ``query(Album.title, Artist.name).join(Artist)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError

if TYPE_CHECKING:
    from .elements import ColumnRef, Expr
    from .selectable import FromClause, Join, Select


def same_from(a: FromClause, b: FromClause) -> bool:
    """Whether two FROM objects stand for the same FROM item (one table, one alias)."""
    return a is b or (type(a) is type(b) and a.name == b.name and a.base_table() is b.base_table())


def index_of(items: list[FromClause], f: FromClause) -> int:
    """The position of ``f`` among ``items`` (-1 if absent)."""
    for i, item in enumerate(items):
        if same_from(item, f):
            return i
    return -1


def name(f: FromClause) -> str:
    """A FROM object's name for messages."""
    return repr(getattr(f, "name", "?"))


def layout(select: Select[Any]) -> list[tuple[FromClause, list[Join]]]:
    """The FROM clause: each root with the joins attached to it, in order."""
    chains: list[tuple[FromClause, list[Join]]] = [(r, []) for r in select.froms()]
    for j in select._joins:
        target_chain = None
        if j.left is not None:
            for root, joins in chains:
                if same_from(root, j.left) or any(same_from(x.target, j.left) for x in joins):
                    target_chain = joins
                    break
        if target_chain is None:
            if not chains:
                raise ArgumentError(
                    f"JOIN {name(j.target)} has nothing to join to: the query selects no "
                    f"table; start the FROM clause with select_from()"
                )
            target_chain = chains[0][1]
        target_chain.append(j)
    return chains


def members(select: Select[Any]) -> list[FromClause]:
    """Every FROM item of ``select``: roots and joined tables."""
    out: list[FromClause] = []
    for root, joins in layout(select):
        out.append(root)
        out.extend(j.target for j in joins)
    return out


def check_new_target(select: Select[Any], target: FromClause, left: FromClause | None) -> None:
    """Refuse joining ``target`` when it is already a FROM item of ``select`` (other than
    a root present only through its columns, which the join takes over)."""
    chains = layout(select)
    for root, joins in chains:
        if any(same_from(j.target, target) for j in joins):
            raise _twice(target, "is joined already")
        if same_from(root, target):
            if joins or index_of(list(select._from), target) >= 0:
                raise _twice(target, "is already in the FROM clause")
            if left is not None and same_from(left, target):
                raise _twice(target, "is the table it would join to")


def _twice(target: FromClause, why: str) -> ArgumentError:
    return ArgumentError(
        f"join({name(target)}): {name(target)} {why}; a table can be in a FROM clause once: "
        f"to use it twice, join an alias, e.g. aliased(Model, 'other')"
    )


def left_of_onclause(select: Select[Any], target: FromClause, on: Expr[Any]) -> FromClause | None:
    """The FROM item an explicit ON condition attaches ``target`` to: the chain holding
    the tables it names (None when it names no table of this statement)."""
    chains = layout(select)
    found: list[tuple[int, FromClause]] = []
    for f in on._froms():
        if same_from(f, target):
            continue
        for i, (root, joins) in enumerate(chains):
            if same_from(root, f) or any(same_from(j.target, f) for j in joins):
                if not any(k == i for k, _ in found):
                    found.append((i, f))
                break
    if not found:
        return None
    if len(found) > 1:
        names = " and ".join(name(f) for _, f in found)
        raise ArgumentError(
            f"join({name(target)}, ...): the ON condition names {names}, which are not joined "
            f"to each other yet; join them first (each ON condition may name only the tables "
            f"before it), or start from one with select_from()"
        )
    return chains[found[0][0]][0]


def infer_onclause(select: Select[Any], target: FromClause) -> tuple[Expr[Any], FromClause]:
    """The ON condition and left side of ``join(target)`` without a condition: the one
    FROM item linked to ``target`` by exactly one foreign key."""
    items = [f for f in members(select) if not same_from(f, target)]
    found: list[tuple[FromClause, list[Expr[Any]]]] = []
    for lf in items:
        conds: list[Expr[Any]] = []
        for col, ref_table, ref_name in target.foreign_keys():
            if _same_table(ref_table, lf):
                conds.append(col == column_of(lf, ref_name))
        for col, ref_table, ref_name in lf.foreign_keys():
            if _same_table(ref_table, target):
                conds.append(col == column_of(target, ref_name))
        if conds:
            found.append((lf, conds))
    if not found:
        names = ", ".join(name(f) for f in items) or "nothing"
        raise ArgumentError(
            f"cannot infer how to join {name(target)}: no foreign key links it to the FROM "
            f"clause ({names}); pass the ON condition, e.g. join(Target, Target.x_id == X.id)"
        )
    if len(found) > 1:
        names = " and ".join(name(f) for f, _ in found)
        raise ArgumentError(
            f"cannot infer how to join {name(target)}: foreign keys link it to {names}; say "
            f"which with an ON condition, or start the FROM clause with select_from() (SQL "
            f"would otherwise join it to one of them and leave the other unlinked)"
        )
    left, conds = found[0]
    if len(conds) > 1:
        raise ArgumentError(
            f"cannot infer how to join {name(target)} to {name(left)}: several foreign keys "
            f"link them; pass the ON condition explicitly"
        )
    return conds[0], left


def check_onclauses(
    select: Select[Any], chains: list[tuple[FromClause, list[Join]]], outer: list[FromClause]
) -> None:
    """Refuse (before any SQL) an ON condition naming a table that does not precede its
    join in the FROM clause (nor belongs to an enclosing query)."""
    for root, joins in chains:
        seen = [root]
        for j in joins:
            seen.append(j.target)
            for f in j.onclause._froms():
                if index_of(seen, f) < 0 and index_of(outer, f) < 0:
                    where = (
                        "comes later in the FROM clause"
                        if index_of(members(select), f) >= 0
                        else "is not in the FROM clause"
                    )
                    raise ArgumentError(
                        f"the ON condition of JOIN {name(j.target)} names {name(f)}, which "
                        f"{where}; join {name(f)} before it, or start with select_from()"
                    )


def _same_table(table: Any, f: FromClause) -> bool:
    return f.base_table() is table


def column_of(f: FromClause, col_name: str) -> ColumnRef[Any]:
    """The column named ``col_name`` (database name) of a table or alias."""
    from .selectable import Alias

    if isinstance(f, Alias):
        return f.column(col_name)
    return f.columns_by_name[col_name].ref  # type: ignore[attr-defined, no-any-return]
