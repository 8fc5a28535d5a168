"""SQL functions: ``func.count()``, ``func.sum(x)``, ..., and ``func.<any_name>(...)``.

Aggregates keep the argument's type where that is right (``sum``/``min``/``max`` of a
``Decimal`` column read back as ``Decimal``, of an ``int`` column as ``int``); ``count``
is an ``int``; ``avg`` of a
``Decimal`` column is a ``Decimal``, otherwise a ``float``. Any other attribute of
:data:`func` builds a function of that name with an untyped result, e.g.
``func.lower(Artist.name)`` or ``func.strftime("%Y", Invoice.invoice_date)``; give
``type_=`` to type it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..exceptions import ArgumentError
from ..schema.types import (
    FLOAT,
    INTEGER,
    NULLTYPE,
    ComputedNumeric,
    Integer,
    IntegerTotal,
    Numeric,
    SQLType,
)
from . import coercions
from .elements import BindParam, Expr, IntLiteral, Key, Ordering, coerce

if TYPE_CHECKING:
    from .selectable import FromClause

T = TypeVar("T")


class Function(Expr[T]):
    """``name(arg, ...)``; build through :data:`ormolu.func`."""

    __slots__ = ("args", "distinct", "name", "type")
    __visit_name__ = "function"

    def __init__(
        self, name: str, args: Sequence[Any], type_: SQLType = NULLTYPE, distinct: bool = False
    ) -> None:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"invalid SQL function name {name!r}")
        self.name = name
        self.args = tuple(coerce(a) for a in args)
        self.type = type_
        self.distinct = distinct

    window_only = False

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("fn", self.name, self.distinct, *[a._key(binds) for a in self.args])

    def _froms(self) -> tuple[FromClause, ...]:
        return tuple(f for a in self.args for f in a._froms())

    def over(
        self,
        partition_by: Expr[Any] | Sequence[Expr[Any]] | None = None,
        order_by: Expr[Any] | Ordering | Sequence[Expr[Any] | Ordering] | None = None,
        *,
        rows: tuple[int | None, int | None] | None = None,
        range: tuple[int | None, int | None] | None = None,
    ) -> Expr[T]:
        """This function over a window: ``func.rank().over(partition_by=Track.genre_id,
        order_by=Track.milliseconds.desc())``. ``rows``/``range`` give the frame as
        ``(start, end)``: ``None`` unbounded, ``0`` the current row, ``-n`` n preceding,
        ``n`` n following (see :mod:`ormolu.sql.window`). Raises ArgumentError for a bad
        frame."""
        from .window import Over

        return Over(self, partition_by, order_by, rows, range)


class Star(Expr[Any]):
    """``*`` inside ``count(*)``."""

    __slots__ = ()
    __visit_name__ = "star"

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return "*"


STAR = Star()


class Case(Expr[T]):
    """``CASE WHEN cond THEN value ... ELSE default END``; build with :func:`case`."""

    __slots__ = ("else_", "type", "whens")
    __visit_name__ = "case"

    def __init__(self, whens: Sequence[tuple[Any, Any]], else_: Any = None) -> None:
        if not whens:
            raise ValueError("case() needs at least one (condition, value) pair")
        pairs = []
        for pair in whens:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ArgumentError(f"case() takes (condition, value) pairs, got {pair!r}")
            cond, value = pair
            pairs.append((coercions.expect_condition(cond, "case()"), coerce(value)))
        self.whens = tuple(pairs)
        self.type = next((v.type for _, v in self.whens if v.type is not NULLTYPE), NULLTYPE)
        self.else_ = None if else_ is None else coerce(else_, self.type)

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        whens = tuple((c._key(binds), v._key(binds)) for c, v in self.whens)
        return ("case", whens, None if self.else_ is None else self.else_._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        out = tuple(f for c, v in self.whens for f in c._froms() + v._froms())
        return out + (self.else_._froms() if self.else_ is not None else ())


def case(*whens: tuple[Any, Any], else_: Any = None) -> Expr[Any]:
    """``CASE WHEN c1 THEN v1 [WHEN ...] [ELSE else_] END``.

    Example: ``case((Track.milliseconds > 300_000, "long"), else_="short")``.
    """
    return Case(whens, else_)


EXTRACT_FIELDS = ("year", "month", "day", "hour", "minute", "second")


class Extract(Expr[int]):
    """``EXTRACT(field FROM expr)`` as an integer; build with :func:`extract`."""

    __slots__ = ("expr", "field")
    __visit_name__ = "extract"
    type = INTEGER

    def __init__(self, field: str, expr: Expr[Any]) -> None:
        if not isinstance(field, str) or field.lower() not in EXTRACT_FIELDS:
            raise ValueError(f"extract(): unknown field {field!r}; use one of {EXTRACT_FIELDS}")
        self.field = field.lower()
        self.expr = coercions.expect_expression(expr, "extract()")

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("extract", self.field, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


def extract(field: str, expr: Expr[Any]) -> Expr[int]:
    """The ``year``, ``month``, ``day``, ``hour``, ``minute`` or ``second`` of a date or
    datetime, as an ``int``, on every backend (SQL:2016 §6.30 ``EXTRACT``; SQLite has no
    EXTRACT, so ``strftime`` is used there). Raises ValueError for another field.

    Example: ``s.query(extract("year", Invoice.invoice_date), func.sum(Invoice.total))``.
    """
    return Extract(field, expr)


class WindowFunction(Function[T]):
    """A function that exists only over a window (``rank()``, ``lag(x)``...): compiling
    it without :meth:`Function.over` raises ArgumentError."""

    __slots__ = ()
    window_only = True


class _FunctionNamespace:
    """The ``func`` namespace. Typed aggregates and window functions are methods; other
    names build on demand."""

    def count(self, expr: Expr[Any] | None = None, *, distinct: bool = False) -> Function[int]:
        """``count(*)``, or ``count([DISTINCT] expr)`` (rows where ``expr`` is not NULL)."""
        return Function("count", [STAR if expr is None else expr], INTEGER, distinct)

    def sum(self, expr: Expr[T]) -> Function[T]:
        """``sum(expr)``; NULL (``None``) over no rows. The sum of integers is an ``int`` on
        every backend (some return it as an exact decimal)."""
        if isinstance(expr.type, Integer):
            return Function("sum", [expr], IntegerTotal(expr.type.size))
        if isinstance(expr.type, Numeric) and expr.type.scale is None:
            return Function("sum", [expr], ComputedNumeric())
        return Function("sum", [expr], expr.type)

    @overload
    def avg(self, expr: Expr[Decimal]) -> Function[Decimal]: ...
    @overload
    def avg(self, expr: Expr[Any]) -> Function[float]: ...
    def avg(self, expr: Expr[Any]) -> Function[Any]:
        """``avg(expr)``: ``Decimal`` for decimal columns, else ``float``."""
        type_: SQLType = ComputedNumeric() if isinstance(expr.type, Numeric) else FLOAT
        return Function("avg", [expr], type_)

    def min(self, expr: Expr[T]) -> Function[T]:
        """``min(expr)``."""
        return Function("min", [expr], expr.type)

    def max(self, expr: Expr[T]) -> Function[T]:
        """``max(expr)``."""
        return Function("max", [expr], expr.type)

    def coalesce(self, expr: Expr[T], *others: Any) -> Expr[T]:
        """``coalesce(expr, ...)``: the first argument that is not NULL."""
        return Function("coalesce", [expr, *others], expr.type)

    def round(self, expr: Expr[Any], digits: int = 0) -> Expr[float]:
        """``round(expr, digits)`` as a ``float`` on every backend (PostgreSQL rounds
        NUMERIC only, so the argument is cast there)."""
        return Function("round", [expr, digits], FLOAT)

    # -- window functions (SQL:2016 §6.10 <window function>) --------------------------------
    def row_number(self) -> WindowFunction[int]:
        """The row's number within its partition, from 1 (ties numbered arbitrarily)."""
        return WindowFunction("row_number", [], INTEGER)

    def rank(self) -> WindowFunction[int]:
        """The rank within the partition by the window's ORDER BY; ties share a rank and
        leave gaps (1, 1, 3)."""
        return WindowFunction("rank", [], INTEGER)

    def dense_rank(self) -> WindowFunction[int]:
        """Like :meth:`rank` without gaps (1, 1, 2)."""
        return WindowFunction("dense_rank", [], INTEGER)

    def percent_rank(self) -> WindowFunction[float]:
        """``(rank - 1) / (rows in partition - 1)``, from 0 to 1."""
        return WindowFunction("percent_rank", [], FLOAT)

    def cume_dist(self) -> WindowFunction[float]:
        """The fraction of the partition's rows up to and including this row's peers."""
        return WindowFunction("cume_dist", [], FLOAT)

    def ntile(self, buckets: int) -> WindowFunction[int]:
        """The bucket (1..``buckets``) of the row when the partition is split evenly."""
        if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
            raise ArgumentError(f"ntile() takes a positive int, got {buckets!r}")
        return WindowFunction("ntile", [IntLiteral(buckets)], INTEGER)

    def lag(self, expr: Expr[T], offset: int = 1, default: Any = None) -> WindowFunction[T]:
        """``expr`` of the row ``offset`` rows before this one in the partition, or
        ``default`` (NULL) where there is none."""
        return WindowFunction("lag", _shift_args(expr, offset, default, "lag"), expr.type)

    def lead(self, expr: Expr[T], offset: int = 1, default: Any = None) -> WindowFunction[T]:
        """``expr`` of the row ``offset`` rows after this one, or ``default``."""
        return WindowFunction("lead", _shift_args(expr, offset, default, "lead"), expr.type)

    def first_value(self, expr: Expr[T]) -> WindowFunction[T]:
        """``expr`` of the first row of the window frame."""
        return WindowFunction("first_value", [expr], expr.type)

    def last_value(self, expr: Expr[T]) -> WindowFunction[T]:
        """``expr`` of the last row of the window frame (with the default frame, the
        current row's last peer: give ``rows=(None, None)`` for the partition's last)."""
        return WindowFunction("last_value", [expr], expr.type)

    def nth_value(self, expr: Expr[T], n: int) -> WindowFunction[T]:
        """``expr`` of the ``n``-th row (from 1) of the window frame, or NULL."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ArgumentError(f"nth_value() takes a positive int, got {n!r}")
        return WindowFunction("nth_value", [expr, IntLiteral(n)], expr.type)

    def __getattr__(self, name: str) -> _GenericFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return _GenericFunction(name)


def _shift_args(expr: Expr[Any], offset: int, default: Any, what: str) -> list[Any]:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ArgumentError(f"{what}() takes a non-negative int offset, got {offset!r}")
    expr = coercions.expect_expression(expr, f"{what}()")
    if default is None:
        return [expr, IntLiteral(offset)]
    return [expr, IntLiteral(offset), coercions.compare_operand(expr, default, what)]


class _GenericFunction:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, type_: SQLType = NULLTYPE) -> Function[Any]:
        return Function(self.name, args, type_)


func = _FunctionNamespace()
