"""The nodes that :class:`~ormolu.sql.expr.Expr`'s operators and methods build: binary
and unary operators (``a = b``, ``-a``), AND/OR lists and NOT, labels, casts and
orderings, with the functions that build them (:func:`and_`, :func:`or_`, :func:`not_`,
:func:`true`, :func:`false`, :func:`asc`, :func:`desc`). One of the modules behind
:mod:`ormolu.sql.elements`, which names them all.

Each node is pure data (``_key``/``_froms``, see :mod:`ormolu.sql.expr`); a node's
``precedence`` decides where the compiler puts parentheses. Example::

    cond = and_(Track.milliseconds > 60000, not_(Track.composer == None))
    assert isinstance(cond, BooleanList) and cond.op == "AND"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError
from ..schema.types import BOOLEAN, SQLType
from . import coercions
from .expr import PRECEDENCE, ClauseElement, Expr, Key, T

if TYPE_CHECKING:
    from .elements import BindParam
    from .selectable import FromClause


class BinaryExpr(Expr[T]):
    """``left op right``."""

    __slots__ = ("left", "op", "precedence", "right", "type")
    __visit_name__ = "binary"

    def __init__(self, left: Expr[Any], op: str, right: Expr[Any], type_: SQLType) -> None:
        self.left = left
        self.op = op
        self.right = right
        self.type = type_
        self.precedence = PRECEDENCE[op]

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (self.op, self.left._key(binds), self.right._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.left._froms() + self.right._froms()


class Negative(Expr[Any]):
    """``-(expr)`` (always parenthesised: ``--`` would start a comment)."""

    __slots__ = ("expr", "type")
    __visit_name__ = "negative"

    def __init__(self, expr: Expr[Any]) -> None:
        self.expr = expr
        self.type = expr.type

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("neg", self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class Null(Expr[None]):
    """The SQL ``NULL`` literal."""

    __slots__ = ()
    __visit_name__ = "null"

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return "NULL"


NULL = Null()


class BooleanConstant(Expr[bool]):
    """``TRUE`` / ``FALSE`` (``1 = 1`` / ``1 = 0`` where booleans are integers); build
    with :func:`true` and :func:`false`."""

    __slots__ = ("value",)
    __visit_name__ = "boolean_constant"
    type = BOOLEAN

    def __init__(self, value: bool) -> None:
        self.value = value

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("bool", self.value)


def true() -> Expr[bool]:
    """The condition that is always true, e.g. the start of a condition built in a loop:
    ``cond = true()`` then ``cond = cond & (...)``. (A Python ``True`` is refused by
    ``where()``: it is usually a comparison Python evaluated by mistake.)"""
    return BooleanConstant(True)


def false() -> Expr[bool]:
    """The condition that is always false."""
    return BooleanConstant(False)


class BooleanList(Expr[bool]):
    """``a AND b AND ...`` or ``a OR b OR ...``."""

    __slots__ = ("clauses", "op", "precedence")
    __visit_name__ = "boolean_list"
    type = BOOLEAN

    def __init__(self, op: str, clauses: Sequence[Expr[Any]]) -> None:
        self.op = op
        self.clauses = tuple(clauses)
        self.precedence = PRECEDENCE[op]

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (self.op, *[c._key(binds) for c in self.clauses])

    def _froms(self) -> tuple[FromClause, ...]:
        return tuple(f for c in self.clauses for f in c._froms())


def _flatten(op: str, clauses: Iterable[Any]) -> list[Expr[Any]]:
    out: list[Expr[Any]] = []
    what = "and_()" if op == "AND" else "or_()"
    for c in clauses:
        c = coercions.expect_condition(c, what)
        if isinstance(c, BooleanList) and c.op == op:
            out.extend(c.clauses)
        else:
            out.append(c)
    return out


def and_(*clauses: Expr[Any]) -> Expr[bool]:
    """Join conditions with AND (one condition is returned as it is; none is
    :func:`true`). Raises ArgumentError for anything but a condition."""
    flat = _flatten("AND", clauses)
    if not flat:
        return BooleanConstant(True)
    return flat[0] if len(flat) == 1 else BooleanList("AND", flat)


def or_(*clauses: Expr[Any]) -> Expr[bool]:
    """Join conditions with OR (one condition is returned as it is; none is
    :func:`false`). Raises ArgumentError for anything but a condition."""
    flat = _flatten("OR", clauses)
    if not flat:
        return BooleanConstant(False)
    return flat[0] if len(flat) == 1 else BooleanList("OR", flat)


class Not(Expr[bool]):
    """``NOT clause``."""

    __slots__ = ("clause",)
    __visit_name__ = "not"
    type = BOOLEAN
    precedence = PRECEDENCE["NOT"]

    def __init__(self, clause: Expr[Any]) -> None:
        self.clause = clause

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("NOT", self.clause._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.clause._froms()


def not_(clause: Expr[Any]) -> Expr[bool]:
    """``NOT clause``."""
    return Not(coercions.expect_condition(clause, "not_()"))


class Label(Expr[T]):
    """``expr AS name``."""

    __slots__ = ("expr", "name", "type")
    __visit_name__ = "label"

    def __init__(self, expr: Expr[T], name: str) -> None:
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ArgumentError(f"label(): invalid name {name!r}")
        self.expr = expr
        self.name = name
        self.type = expr.type

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("label", self.name, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class Cast(Expr[Any]):
    """``CAST(expr AS type)``."""

    __slots__ = ("expr", "type")
    __visit_name__ = "cast"

    def __init__(self, expr: Expr[Any], type_: SQLType) -> None:
        if not isinstance(type_, SQLType):
            raise ArgumentError(
                f"cast() takes a column type such as types.Numeric(10, 2), got {type_!r}"
            )
        self.expr, self.type = expr, type_

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("cast", self.type.cache_key, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class Ordering(ClauseElement):
    """``expr ASC|DESC [NULLS FIRST|LAST]`` for ``order_by``."""

    __slots__ = ("descending", "expr", "nulls")
    __visit_name__ = "ordering"

    def __init__(self, expr: Expr[Any], descending: bool, nulls: str | None = None) -> None:
        self.expr, self.descending, self.nulls = expr, descending, nulls

    def nulls_first(self) -> Ordering:
        """Put NULLs first (emulated with ``expr IS NULL`` where there is no NULLS FIRST)."""
        return Ordering(self.expr, self.descending, "FIRST")

    def nulls_last(self) -> Ordering:
        """Put NULLs last."""
        return Ordering(self.expr, self.descending, "LAST")

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("order", self.descending, self.nulls, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


def asc(expr: Expr[Any]) -> Ordering:
    """Ascending order."""
    return Ordering(coercions.expect_expression(expr, "asc()"), False)


def desc(expr: Expr[Any]) -> Ordering:
    """Descending order."""
    return Ordering(coercions.expect_expression(expr, "desc()"), True)
