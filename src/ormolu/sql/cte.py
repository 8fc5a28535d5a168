"""Common table expressions: ``WITH name AS (SELECT ...)``, recursive ones included.

A :class:`CTE` is a FROM item made from a SELECT (``select(...).cte("name")`` or
``query.cte("name")``); a statement that uses it, anywhere (its FROM list, a join, a
subquery), gets the ``WITH`` clause in front of its outermost SELECT, with every CTE it
uses (each once, those another one uses first). Columns are ``cte.c.<name>``, typed by the
inner SELECT's columns (``cte.col(expr)`` keeps the static type too).

A recursive CTE (SQL:2016 §7.17; PostgreSQL manual 7.8.2; MariaDB KB "Recursive Common
Table Expressions"; https://sqlite.org/lang_with.html) starts as the anchor SELECT and is
completed with :meth:`CTE.union_all` (or :meth:`CTE.union`) of a SELECT that joins the
CTE itself::

    tree = select(Employee.id, Employee.reports_to, literal(0).label("depth")).where(
        Employee.reports_to.is_(None)).cte("tree", recursive=True)
    tree = tree.union_all(
        select(Employee.id, Employee.reports_to, (tree.c.depth + 1).label("depth"))
        .join(tree, Employee.reports_to == tree.c.id))

Used in ``WHERE x IN (SELECT ... FROM cte)`` of an UPDATE or DELETE, the ``WITH`` goes
in front of that SELECT, which every backend accepts.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import ArgumentError
from .elements import BindParam, ColumnRef, Expr, Key
from .selectable import FromClause, Select, _column_for, _Columns

if TYPE_CHECKING:
    from .selectable import CompoundSelect

T = TypeVar("T")
_state = threading.local()


def _walking() -> set[int]:
    """The CTEs whose body this thread's key walk is in (to stop at self-references)."""
    found: set[int] | None = getattr(_state, "walking", None)
    if found is None:
        found = _state.walking = set()
    return found


class CTE(FromClause):
    """``WITH name [(columns)] AS (select)``, used as a FROM item named ``name``."""

    __slots__ = ("_final", "_root", "c", "name", "recursive", "select")
    __visit_name__ = "cte"

    def __init__(
        self,
        select: Select[Any] | CompoundSelect[Any],
        name: str,
        recursive: bool = False,
        root: CTE | None = None,
    ) -> None:
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ArgumentError(f"cte(): invalid name {name!r}")
        self.select = select
        self.name = name
        self.recursive = recursive
        # the first CTE of this name: recursive parts refer to it, and it knows the whole
        self._root: CTE = root if root is not None else self
        self.c = _Columns(
            {k: ColumnRef(self, k, t, k) for k, t in zip(select.column_names(), select.types())}
        )
        self._final = self
        self._root._final = self

    @property
    def final(self) -> CTE:
        """The complete CTE of this name (the anchor's union with its recursive part)."""
        return self._root._final

    def _from_key(self, binds: list[BindParam[Any]]) -> Key:
        # The statement's key holds the body (the WITH clause is compiled from it); the
        # recursive part's reference to the CTE itself holds only the name.
        walking = _walking()
        root = id(self._root)
        if root in walking:
            return ("cte-self", self.name)
        walking.add(root)
        try:
            final = self.final
            return ("cte", self.name, final.recursive, final.select._key(binds))
        finally:
            walking.discard(root)

    def base_table(self) -> Any:
        return self._root

    def col(self, expr: Expr[T]) -> ColumnRef[T]:
        """The column of this CTE that its SELECT computes from ``expr``, with ``expr``'s
        static type (see :meth:`Subquery.col`). ArgumentError if it has none."""
        return _column_for(self, self.select, expr)

    def _recursion(self, op: str, others: tuple[Select[Any], ...]) -> CTE:
        if not self.recursive:
            raise ArgumentError(
                f"cte({self.name!r}).{op}(): only a recursive CTE (cte(..., recursive=True)) "
                f"is completed this way; to combine SELECTs, union them before .cte()"
            )
        anchor = self.select
        if not isinstance(anchor, Select):
            raise ArgumentError(f"cte({self.name!r}) already has its recursive part")
        body = getattr(anchor, op)(*others)
        return CTE(body, self.name, recursive=True, root=self._root)

    def union_all(self, *recursive_parts: Select[Any]) -> CTE:
        """The recursive CTE: this anchor ``UNION ALL`` the parts, which join this CTE."""
        return self._recursion("union_all", recursive_parts)

    def union(self, *recursive_parts: Select[Any]) -> CTE:
        """Like :meth:`union_all`, with duplicate rows removed (which also stops cycles)."""
        return self._recursion("union", recursive_parts)

    def __repr__(self) -> str:
        return f"<CTE {self.name}>"
