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
from .elements import BindParam, Expr, Key, coerce

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

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("fn", self.name, self.distinct, *[a._key(binds) for a in self.args])

    def _froms(self) -> tuple[FromClause, ...]:
        return tuple(f for a in self.args for f in a._froms())


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


class _FunctionNamespace:
    """The ``func`` namespace. Typed aggregates are methods; other names build on demand."""

    def count(self, expr: Expr[Any] | None = None, *, distinct: bool = False) -> Expr[int]:
        """``count(*)``, or ``count([DISTINCT] expr)`` (rows where ``expr`` is not NULL)."""
        return Function("count", [STAR if expr is None else expr], INTEGER, distinct)

    def sum(self, expr: Expr[T]) -> Expr[T]:
        """``sum(expr)``; NULL (``None``) over no rows. The sum of integers is an ``int`` on
        every backend (some return it as an exact decimal)."""
        if isinstance(expr.type, Integer):
            return Function("sum", [expr], IntegerTotal(expr.type.size))
        if isinstance(expr.type, Numeric) and expr.type.scale is None:
            return Function("sum", [expr], ComputedNumeric())
        return Function("sum", [expr], expr.type)

    @overload
    def avg(self, expr: Expr[Decimal]) -> Expr[Decimal]: ...
    @overload
    def avg(self, expr: Expr[Any]) -> Expr[float]: ...
    def avg(self, expr: Expr[Any]) -> Expr[Any]:
        """``avg(expr)``: ``Decimal`` for decimal columns, else ``float``."""
        type_: SQLType = ComputedNumeric() if isinstance(expr.type, Numeric) else FLOAT
        return Function("avg", [expr], type_)

    def min(self, expr: Expr[T]) -> Expr[T]:
        """``min(expr)``."""
        return Function("min", [expr], expr.type)

    def max(self, expr: Expr[T]) -> Expr[T]:
        """``max(expr)``."""
        return Function("max", [expr], expr.type)

    def coalesce(self, expr: Expr[T], *others: Any) -> Expr[T]:
        """``coalesce(expr, ...)``: the first argument that is not NULL."""
        return Function("coalesce", [expr, *others], expr.type)

    def round(self, expr: Expr[Any], digits: int = 0) -> Expr[float]:
        """``round(expr, digits)`` as a ``float`` on every backend (PostgreSQL rounds
        NUMERIC only, so the argument is cast there)."""
        return Function("round", [expr, digits], FLOAT)

    def __getattr__(self, name: str) -> _GenericFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return _GenericFunction(name)


class _GenericFunction:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, type_: SQLType = NULLTYPE) -> Expr[Any]:
        return Function(self.name, args, type_)


func = _FunctionNamespace()
