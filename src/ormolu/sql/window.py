"""Window functions: ``fn(...) OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE ...)``.

Build with ``func.rank().over(partition_by=Track.genre_id, order_by=Track.milliseconds
.desc())`` or an aggregate over a window: ``func.sum(Invoice.total).over(partition_by=
Invoice.customer_id, order_by=Invoice.invoice_date)`` (a running total). The frame is
``rows=(start, end)`` or ``range=(start, end)``: ``None`` is UNBOUNDED, ``0`` the CURRENT
ROW, a negative number that many PRECEDING, a positive one FOLLOWING (SQLAlchemy's
convention; SQL:2016 §7.11 <window clause>). The functions that exist only over a window
(``row_number``, ``rank``, ``lag``...) raise :class:`~ormolu.exceptions.ArgumentError`
when compiled without ``over()``, and a window function in WHERE, HAVING or GROUP BY
(where SQL evaluates it too early) raises too: filter on its result from an enclosing
query, selecting from a subquery or a CTE that computes it (top N per group).

Every backend has these: PostgreSQL, MySQL 8 / MariaDB 10.2, SQLite 3.25 (3.28 for
``range`` offsets and frame exclusion).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import ArgumentError
from . import coercions
from .elements import BindParam, Expr, Key, Ordering

if TYPE_CHECKING:
    from .selectable import FromClause

T = TypeVar("T")
Bound = int | None


def _terms(value: Any, what: str, ordering: bool) -> tuple[Any, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else (value,)
    if ordering:
        return tuple(coercions.expect_ordering(v, what) for v in items)
    return tuple(coercions.expect_expression(v, what) for v in items)


def _frame(kind: str, bounds: Any) -> tuple[str, Bound, Bound]:
    if not isinstance(bounds, tuple) or len(bounds) != 2:
        raise ArgumentError(
            f"over({kind.lower()}=...) takes a (start, end) pair: None for unbounded, 0 for the "
            f"current row, -n for n preceding, n for n following; got {bounds!r}"
        )
    start, end = bounds
    for b in (start, end):
        if b is not None and (isinstance(b, bool) or not isinstance(b, int)):
            raise ArgumentError(f"over({kind.lower()}=...): frame bounds are ints or None")
    lo = float("-inf") if start is None else start
    hi = float("inf") if end is None else end
    if lo > hi:
        raise ArgumentError(f"over({kind.lower()}={bounds!r}): the frame starts after its end")
    return kind, start, end


class Over(Expr[T]):
    """``function OVER (window)``."""

    __slots__ = ("frame", "function", "order_by", "partition_by", "type")
    __visit_name__ = "over"

    def __init__(
        self,
        function: Expr[Any],
        partition_by: Any = None,
        order_by: Any = None,
        rows: tuple[Bound, Bound] | None = None,
        range_: tuple[Bound, Bound] | None = None,
    ) -> None:
        if rows is not None and range_ is not None:
            raise ArgumentError("over() takes rows= or range=, not both")
        self.function = function
        self.type = function.type
        self.partition_by: tuple[Expr[Any], ...] = _terms(partition_by, "partition_by", False)
        self.order_by: tuple[Ordering, ...] = _terms(order_by, "over(order_by=...)", True)
        self.frame: tuple[str, Bound, Bound] | None = None
        if rows is not None:
            self.frame = _frame("ROWS", rows)
        elif range_ is not None:
            if not self.order_by:
                raise ArgumentError("over(range=...) needs order_by: the range is of its values")
            self.frame = _frame("RANGE", range_)

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (
            "over",
            self.function._key(binds),
            tuple(p._key(binds) for p in self.partition_by),
            tuple(o._key(binds) for o in self.order_by),
            self.frame,
        )

    def _froms(self) -> tuple[FromClause, ...]:
        out = self.function._froms()
        for p in self.partition_by:
            out += p._froms()
        for o in self.order_by:
            out += o._froms()
        return out


def over(
    function: Expr[T],
    partition_by: Expr[Any] | Sequence[Expr[Any]] | None = None,
    order_by: Expr[Any] | Ordering | Sequence[Expr[Any] | Ordering] | None = None,
    rows: tuple[Bound, Bound] | None = None,
    range: tuple[Bound, Bound] | None = None,
) -> Expr[T]:
    """``function OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE BETWEEN ...)``; see the
    module documentation for the frame bounds. Raises ArgumentError for bad bounds."""
    return Over(function, partition_by, order_by, rows, range)


def frame_bound(n: Bound, start: bool) -> str:
    """One end of a frame in SQL (``UNBOUNDED PRECEDING``, ``3 FOLLOWING``...)."""
    if n is None:
        return "UNBOUNDED PRECEDING" if start else "UNBOUNDED FOLLOWING"
    if n == 0:
        return "CURRENT ROW"
    return f"{-n} PRECEDING" if n < 0 else f"{n} FOLLOWING"
