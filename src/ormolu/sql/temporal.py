"""Portable date and time arithmetic: differences, intervals added, truncation.

Every backend stores and computes dates differently (PostgreSQL has ``date``,
``timestamp`` and ``interval`` types; MySQL functions such as ``DATEDIFF`` and
``TIMESTAMPDIFF``; SQLite ISO-8601 text and functions over it), so these nodes are
rendered by each dialect's compiler and give the same value everywhere:

==================================  =============  ========================================
expression                          type           value
==================================  =============  ========================================
``date_a - date_b``                 ``int``        days from ``date_b`` to ``date_a``
``datetime_a - datetime_b``         ``timedelta``  elapsed time, to the microsecond
``days_between(start, end)``        ``int``        calendar days: the date parts' difference
``x + timedelta(...)``, ``x - ...`` type of ``x``  a date takes whole days only
``x + Model.interval_field``        type of ``x``  (datetimes only)
``date_trunc("month", x)``          type of ``x``  the start of x's year/month/day/hour/minute
==================================  =============  ========================================

A ``timedelta`` has no months; add months with your backend's functions. Datetimes stored
as Unix timestamps (``field(storage="unixepoch")``) take no date arithmetic here (convert
them first).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from ..exceptions import ArgumentError
from ..schema import types as t
from . import coercions
from . import elements as el

T = TypeVar("T")

TRUNC_UNITS = ("year", "month", "day", "hour", "minute")


def _check_storage(expr: el.Expr[Any]) -> None:
    if getattr(expr.type, "storage", None) == "unixepoch":
        raise ArgumentError(
            f"{coercions.shown(expr)} is stored as a Unix timestamp: date arithmetic needs "
            f"a date or datetime column"
        )


class DateDiff(el.Expr[int]):
    """The number of calendar days from ``start`` to ``end`` (an ``int``)."""

    __slots__ = ("end", "start")
    __visit_name__ = "date_diff"
    type = t.INTEGER

    def __init__(self, end: el.Expr[Any], start: el.Expr[Any]) -> None:
        self.end, self.start = end, start

    def _key(self, binds: list[el.BindParam[Any]]) -> el.Key:
        return ("datediff", self.end._key(binds), self.start._key(binds))

    def _froms(self) -> tuple[Any, ...]:
        return self.end._froms() + self.start._froms()


class DateTimeDiff(el.Expr[timedelta]):
    """``end - start`` of two datetimes, as a ``timedelta``."""

    __slots__ = ("end", "start")
    __visit_name__ = "datetime_diff"
    type = t.INTERVAL

    def __init__(self, end: el.Expr[Any], start: el.Expr[Any]) -> None:
        self.end, self.start = end, start

    def _key(self, binds: list[el.BindParam[Any]]) -> el.Key:
        return ("dtdiff", self.end._key(binds), self.start._key(binds))

    def _froms(self) -> tuple[Any, ...]:
        return self.end._froms() + self.start._froms()


class DateTimeAdd(el.Expr[Any]):
    """``expr + interval`` (``sign`` -1: minus) for a date or datetime ``expr``."""

    __slots__ = ("expr", "interval", "sign", "type")
    __visit_name__ = "datetime_add"

    def __init__(self, expr: el.Expr[Any], interval: el.Expr[Any], sign: int) -> None:
        self.expr, self.interval, self.sign = expr, interval, sign
        self.type = expr.type

    @property
    def is_date(self) -> bool:
        return isinstance(self.type, t.Date)

    def _key(self, binds: list[el.BindParam[Any]]) -> el.Key:
        return (
            "dtadd", self.sign, self.type.cache_key, self.expr._key(binds),
            self.interval._key(binds),
        )  # fmt: skip

    def _froms(self) -> tuple[Any, ...]:
        return self.expr._froms() + self.interval._froms()


class DateTrunc(el.Expr[T]):
    """The start of the ``unit`` that ``expr`` falls in, of ``expr``'s type."""

    __slots__ = ("expr", "type", "unit")
    __visit_name__ = "date_trunc"

    def __init__(self, unit: str, expr: el.Expr[Any]) -> None:
        self.unit, self.expr, self.type = unit, expr, expr.type

    @property
    def is_date(self) -> bool:
        return isinstance(self.type, t.Date)

    def _key(self, binds: list[el.BindParam[Any]]) -> el.Key:
        return ("trunc", self.unit, self.type.cache_key, self.expr._key(binds))

    def _froms(self) -> tuple[Any, ...]:
        return self.expr._froms()


def _temporal(value: Any, what: str) -> el.Expr[Any]:
    expr = coercions.expect_expression(value, what)
    if not isinstance(expr.type, t.Date | t.DateTime | t.NullType):
        raise ArgumentError(
            f"{what} takes a date or datetime expression; {coercions.shown(expr)} is a "
            f"{expr.type.python_type.__name__}"
        )
    _check_storage(expr)
    return expr


def days_between(start: el.Expr[Any] | date, end: el.Expr[Any] | date) -> el.Expr[int]:
    """The number of calendar days from ``start`` to ``end`` (negative when ``end`` is
    earlier), counting the date parts only, as MySQL's ``DATEDIFF`` does: from
    2024-03-01 23:59 to 2024-03-02 00:01 is one day. Both are dates or datetimes
    (expressions; a value is bound like a comparison value).

    Example: ``s.query(Order.id).where(days_between(Order.ordered, Order.shipped) > 7)``.
    Raises ArgumentError for other types.
    """
    if not isinstance(start, el.Expr):
        start, end = end, start  # a value first: check it against the other side's type
        if not isinstance(start, el.Expr):
            raise ArgumentError("days_between() needs a date or datetime expression")
        other = coercions.compare_operand(start, end, "days_between")
        return DateDiff(_temporal(start, "days_between()"), _temporal(other, "days_between()"))
    a = _temporal(start, "days_between()")
    b = end if isinstance(end, el.Expr) else coercions.compare_operand(a, end, "days_between")
    return DateDiff(_temporal(b, "days_between()"), a)


def date_trunc(unit: str, expr: el.Expr[T]) -> el.Expr[T]:
    """``expr`` truncated to the start of its ``"year"``, ``"month"``, ``"day"``,
    ``"hour"`` or ``"minute"``, of the same type (a date stays a date), on every backend
    (PostgreSQL ``date_trunc``; emulated elsewhere). Timezone-aware datetimes truncate in
    UTC. Raises ValueError for another unit, ArgumentError for a non-date expression.

    Example: ``month = date_trunc("month", Invoice.invoice_date)`` then
    ``s.query(month, func.sum(Invoice.total)).group_by(month)``.
    """
    if not isinstance(unit, str) or unit.lower() not in TRUNC_UNITS:
        raise ValueError(f"date_trunc(): unknown unit {unit!r}; use one of {TRUNC_UNITS}")
    e = _temporal(expr, "date_trunc()")
    if isinstance(e.type, t.Date) and unit.lower() in ("hour", "minute"):
        raise ValueError(f"date_trunc({unit!r}) of a date: a date has no {unit}")
    return DateTrunc(unit.lower(), e)


def combine(a: el.Expr[Any], op: str, b: el.Expr[Any], ka: str, kb: str) -> el.Expr[Any]:
    """``a op b`` where one side is a date, datetime or interval."""
    for side in (a, b):
        _check_storage(side)
    pair = (ka, kb)
    if op == "-" and pair == ("date", "date"):
        return DateDiff(a, b)
    if op == "-" and pair == ("datetime", "datetime"):
        if getattr(a.type, "timezone", False) != getattr(b.type, "timezone", False):
            raise ArgumentError(
                f"{coercions.shown(a)} - {coercions.shown(b)}: one datetime is "
                f"timezone-aware and the other naive"
            )
        return DateTimeDiff(a, b)
    if op in ("+", "-") and ka in ("date", "datetime") and kb == "interval":
        return _add(a, b, 1 if op == "+" else -1)
    if op == "+" and ka == "interval" and kb in ("date", "datetime"):
        return _add(b, a, 1)
    if ka == kb == "interval" and op in ("+", "-"):
        return el.BinaryExpr(a, op, b, t.INTERVAL)
    if op == "*" and {ka, kb} in ({"interval", "int"}, {"interval", "unknown"}):
        return el.BinaryExpr(a, op, b, t.INTERVAL)
    raise ArgumentError(
        f"{coercions.shown(a)} {op} {coercions.shown(b)}: no such date arithmetic "
        f"({a.type.python_type.__name__} {op} {b.type.python_type.__name__}); subtract two "
        f"dates or two datetimes, or add a timedelta"
    )


def _add(expr: el.Expr[Any], interval: el.Expr[Any], sign: int) -> el.Expr[Any]:
    if isinstance(expr.type, t.Date):
        value = getattr(interval, "value", None)
        if not isinstance(interval, el.BindParam) or not isinstance(value, timedelta):
            raise ArgumentError(
                f"{coercions.shown(expr)} + interval: a date takes a timedelta value of whole "
                f"days (cast the date to a datetime to add a time or an interval column)"
            )
        if value % timedelta(days=1):
            raise coercions.value_error(expr, value, "a date takes whole days", "+")
    return DateTimeAdd(expr, interval, sign)
