"""Predicates: ``IN``, ``BETWEEN``, ``LIKE`` and ``IS TRUE``, built by the methods of
:class:`~ormolu.sql.elements.Expr` (``col.in_([...])``, ``col.like("a%")``...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema.types import BOOLEAN
from . import coercions
from .expr import PRECEDENCE, Expr, Key

if TYPE_CHECKING:
    from .elements import BindParam
    from .selectable import FromClause


class InList(Expr[bool]):
    """``expr [NOT] IN (v1, v2, ...)`` or ``expr [NOT] IN (SELECT ...)``."""

    __slots__ = ("expr", "negate", "subquery", "values")
    __visit_name__ = "in_list"
    type = BOOLEAN
    precedence = PRECEDENCE["IN"]

    def __init__(self, expr: Expr[Any], values: Any, negate: bool) -> None:
        self.expr = expr
        self.negate = negate
        self.subquery, self.values = coercions.in_operands(
            expr, values, "not_in" if negate else "in_"
        )

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        inner = (
            self.subquery._key(binds)
            if self.subquery is not None
            else tuple(v._key(binds) for v in self.values)
        )
        return ("IN", self.negate, self.expr._key(binds), inner)

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class Between(Expr[bool]):
    """``expr BETWEEN low AND high``."""

    __slots__ = ("expr", "high", "low")
    __visit_name__ = "between"
    type = BOOLEAN
    precedence = PRECEDENCE["BETWEEN"]

    def __init__(self, expr: Expr[Any], low: Expr[Any], high: Expr[Any]) -> None:
        self.expr, self.low, self.high = expr, low, high

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("BETWEEN", self.expr._key(binds), self.low._key(binds), self.high._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms() + self.low._froms() + self.high._froms()


class Like(Expr[bool]):
    """``expr [NOT] LIKE pattern [ESCAPE e]`` and the ILIKE forms."""

    __slots__ = ("escape", "expr", "op", "pattern")
    __visit_name__ = "like"
    type = BOOLEAN
    precedence = PRECEDENCE["LIKE"]

    def __init__(self, expr: Expr[Any], pattern: Expr[Any], op: str, escape: str | None):
        if escape is not None and (not isinstance(escape, str) or len(escape) != 1):
            raise ValueError("the LIKE escape must be a single character")
        self.expr, self.pattern, self.op, self.escape = expr, pattern, op, escape

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (self.op, self.escape, self.expr._key(binds), self.pattern._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class IsBool(Expr[bool]):
    """``expr IS [NOT] TRUE|FALSE`` (a NULL-safe boolean test)."""

    __slots__ = ("expr", "negate", "value")
    __visit_name__ = "is_bool"
    type = BOOLEAN
    precedence = PRECEDENCE["IS"]

    def __init__(self, expr: Expr[Any], value: bool, negate: bool) -> None:
        self.expr, self.value, self.negate = expr, value, negate

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("isbool", self.value, self.negate, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()
