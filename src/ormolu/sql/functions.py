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

from decimal import Decimal
from typing import Any, TypeVar, overload

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
from .elements import STAR, Expr, Function

T = TypeVar("T")


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
