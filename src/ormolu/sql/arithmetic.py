"""Arithmetic on expressions, typed by SQL's rules rather than by the left operand.

The result type of ``a op b`` follows the kinds of the operands, as PostgreSQL (manual
10.2 "Operators") and MySQL ("Type Conversion in Expression Evaluation") compute them:

=====================  ==================  ==========================================
operands               ``+ - *``           notes
=====================  ==================  ==========================================
int, int               ``int``             ``%`` only for integers
Decimal, int/Decimal   ``Decimal``         exact; never rounded to a column's
                                           ``decimal_places`` (cast to keep a scale)
float with anything    ``float``           with a Decimal operand: rounded to 15
                                           significant digits (see ``ComputedFloat``)
=====================  ==================  ==========================================

``/`` is true division in double precision on every backend (a ``float``): SQL divides
integers by truncating on PostgreSQL and SQLite but not on MySQL, and leaves the scale of
a decimal quotient to the implementation, so no other rule gives the same value
everywhere. ``+`` on text is concatenation. Dates, datetimes and intervals follow
:mod:`ormolu.sql.temporal`. Anything else (``Track.name * 2``, ``flag + 1``) raises
:class:`~ormolu.exceptions.ArgumentError`; a value of the wrong kind
(``Track.milliseconds + "abc"``) raises :class:`~ormolu.exceptions.ValidationError`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..exceptions import ArgumentError
from ..schema import types as t
from . import coercions
from . import elements as el


def kind(type_: t.SQLType) -> str:
    """The arithmetic kind of a type: int, decimal, float, text, datetime, date, interval,
    unknown, or other."""
    if isinstance(type_, t.Boolean):
        return "other"
    if isinstance(type_, t.Integer):
        return "int"
    if isinstance(type_, t.Numeric):
        return "decimal"
    if isinstance(type_, t.Float):
        return "decimal-float" if isinstance(type_, t.ComputedFloat) else "float"
    if isinstance(type_, t.String):
        return "text"
    if isinstance(type_, t.DateTime):
        return "datetime"
    if isinstance(type_, t.Date):
        return "date"
    if isinstance(type_, t.Interval):
        return "interval"
    if isinstance(type_, t.NullType):
        return "unknown"
    return "other"


_NUMERIC = ("int", "decimal", "float", "decimal-float")
_TEMPORAL = ("datetime", "date", "interval")
_VALUE_KINDS: dict[str, tuple[type, ...]] = {
    "int": (int, float, Decimal),
    "decimal": (int, float, Decimal),
    "float": (int, float, Decimal),
    "decimal-float": (int, float, Decimal),
    "text": (str,),
    "interval": (timedelta, int),
    "datetime": (timedelta, datetime),
    "date": (timedelta, date),
}


def operand(expr: el.Expr[Any], value: Any, op: str) -> el.Expr[Any]:
    """The other operand of ``expr op value``: expressions as they are, plain values
    checked against what ``expr``'s kind can be combined with, and bound."""
    if isinstance(value, el.Expr):
        return value
    if value is None:
        raise ArgumentError(
            f"{coercions.shown(expr)} {op} None: arithmetic with NULL is NULL; use "
            f"func.coalesce() to give a default"
        )
    from .selectable import CompoundSelect, Select

    if isinstance(value, Select | CompoundSelect):
        return value.scalar_subquery()  # type: ignore[union-attr]
    hook = getattr(value, "__ormolu_expr__", None)
    if hook is not None and not isinstance(value, type):
        return hook()  # type: ignore[no-any-return]
    k = kind(expr.type)
    if k == "unknown":
        return el.BindParam(value, t.type_for_value(value))
    allowed = _VALUE_KINDS.get(k)
    if allowed is None:
        raise ArgumentError(
            f"{coercions.shown(expr)} {op} ...: no arithmetic on a "
            f"{expr.type.python_type.__name__} expression"
        )
    if isinstance(value, bool) or not isinstance(value, allowed):
        names = " or ".join(a.__name__ for a in allowed)
        raise coercions.value_error(expr, value, f"expected {names} for {op}", op)
    if k == "text" or (k in _NUMERIC and type(value) is expr.type.python_type):
        return el.BindParam(value, expr.type)
    return el.BindParam(value, t.type_for_value(value))


def scale_of(expr: el.Expr[Any]) -> int | None:
    """The decimal places of an exact numeric expression (0 for an integer; a bound
    Decimal's own), or None when unknown."""
    type_ = expr.type
    if isinstance(type_, t.Integer) and not isinstance(type_, t.Boolean):
        return 0
    if isinstance(expr, el.BindParam) and isinstance(expr.value, Decimal):
        exponent = expr.value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else None
    if isinstance(type_, t.Numeric):
        return type_.scale
    return None


_SCALED: dict[int | None, t.ComputedNumeric] = {None: t.COMPUTED_NUMERIC}


def _computed_numeric(op: str, sa: int | None, sb: int | None) -> t.ComputedNumeric:
    # SQL:2016 §6.29 <numeric value expression>, result scale of exact numerics
    if sa is None or sb is None:
        scale = None
    else:
        scale = sa + sb if op == "*" else max(sa, sb)
    found = _SCALED.get(scale)
    if found is None:
        # one instance per scale: dialects cache processors per type object
        found = _SCALED[scale] = t.ComputedNumeric(scale)
    return found


def binary(left: el.Expr[Any], op: str, other: Any, reverse: bool = False) -> el.Expr[Any]:
    """``left op other`` (``other op left`` when ``reverse``), typed by SQL's rules."""
    right = operand(left, other, op)
    a, b = (right, left) if reverse else (left, right)
    return combine(a, op, b)


def combine(a: el.Expr[Any], op: str, b: el.Expr[Any]) -> el.Expr[Any]:
    """The node for ``a op b`` with its result type."""
    ka, kb = kind(a.type), kind(b.type)
    if ka in _TEMPORAL or kb in _TEMPORAL:
        from . import temporal

        return temporal.combine(a, op, b, ka, kb)
    if op == "+" and "text" in (ka, kb) and {ka, kb} <= {"text", "unknown"}:
        return el.BinaryExpr(a, "||", b, a.type if ka == "text" else b.type)
    if ka == "unknown" and kb == "unknown":
        return el.BinaryExpr(a, op, b, t.NULLTYPE)
    if not {ka, kb} <= {*_NUMERIC, "unknown"}:
        raise ArgumentError(
            f"{coercions.shown(a)} {op} {coercions.shown(b)}: no arithmetic between a "
            f"{a.type.python_type.__name__} and a {b.type.python_type.__name__} expression"
        )
    kinds = {ka, kb} - {"unknown"}
    has_decimal = bool(kinds & {"decimal", "decimal-float"})
    if op == "/":
        type_: t.SQLType = t.COMPUTED_FLOAT if has_decimal else t.FLOAT
        # CAST to the dialect's double type: integer division truncates elsewhere
        return el.BinaryExpr(el.Cast(a, t.FLOAT), "/", b, type_)
    if op == "%":
        if not kinds <= {"int"}:
            raise ArgumentError(
                f"{coercions.shown(a)} % {coercions.shown(b)}: % is the remainder of "
                f"integers (some backends truncate other operands to integers first)"
            )
        return el.BinaryExpr(a, op, b, t.INTEGER)
    if kinds & {"float", "decimal-float"}:
        type_ = t.COMPUTED_FLOAT if has_decimal else t.FLOAT
    elif has_decimal:
        type_ = _computed_numeric(op, scale_of(a), scale_of(b))
    elif kinds == {"int"}:
        type_ = t.INTEGER
    else:
        type_ = t.NULLTYPE
    return el.BinaryExpr(a, op, b, type_)


def negate(expr: el.Expr[Any]) -> el.Expr[Any]:
    """``-expr`` for a number or an interval."""
    if kind(expr.type) not in (*_NUMERIC, "interval", "unknown"):
        raise ArgumentError(f"-{coercions.shown(expr)}: only numbers and intervals negate")
    return el.Negative(expr)
