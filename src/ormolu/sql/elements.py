"""Expression nodes: the one module that names them all, and the leaves of an expression
tree: columns, bound values, literals and raw SQL.

The nodes live in three modules, each with one job, and every name is importable from
here (``from ormolu.sql.elements import Expr, BindParam, and_``), as it always was:

* :mod:`ormolu.sql.expr`: :class:`Expr`, the base of every typed SQL value, and its
  operators and methods (comparison, arithmetic, ``in_``, ``like``, JSON, ordering);
* :mod:`ormolu.sql.operators`: the nodes those build (:class:`BinaryExpr`, AND/OR lists,
  :class:`Not`, :class:`Label`, :class:`Cast`, :class:`Ordering`), and :func:`and_`,
  :func:`or_`, :func:`not_`, :func:`true`, :func:`false`, :func:`asc`, :func:`desc`;
* here: the leaves, :class:`ColumnRef`, :class:`BindParam` (and its deferred and list
  forms), :class:`IntLiteral`, :class:`TextClause`, with :func:`coerce`, :func:`literal`
  and :func:`text`. The predicates (``IN``, ``BETWEEN``, ``LIKE``, ``IS TRUE``) are in
  :mod:`ormolu.sql.predicates`.

Everything here is pure data: ``_key(binds)`` gives the structural cache key and collects
the bound parameters, ``_froms()`` the FROM objects referred to (see
:mod:`ormolu.sql.expr`). Rendering is the compiler's job (:mod:`ormolu.sql.compiler`);
nodes never render themselves, so dialects can change any piece of syntax in one place.
Example::

    cond = Track.name == "Intro"            # BinaryExpr(ColumnRef, "=", BindParam)
    assert isinstance(cond.right, BindParam) and cond.right.value == "Intro"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError
from ..schema.types import NULLTYPE, SQLType, type_for_value
from .expr import ATOM, COMPARISONS, PRECEDENCE, ClauseElement, Expr, Key, T, escape_like
from .operators import (
    NULL,
    BinaryExpr,
    BooleanConstant,
    BooleanList,
    Cast,
    Label,
    Negative,
    Not,
    Null,
    Ordering,
    and_,
    asc,
    desc,
    false,
    not_,
    or_,
    true,
)

if TYPE_CHECKING:
    from .selectable import FromClause


class BindParam(Expr[T]):
    """A value sent as a bound parameter, never formatted into SQL text."""

    __slots__ = ("type", "value")
    __visit_name__ = "bind"

    def __init__(self, value: Any, type_: SQLType) -> None:
        self.value = value
        self.type = type_

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        binds.append(self)
        return ("?", self.type.cache_key)


class DeferredBind(BindParam[T]):
    """A bound parameter whose value is read when the statement is executed: the key of
    an object that gets it at the flush the query's autoflush runs (``rel == obj`` with
    ``obj`` pending). ``getter`` raises when the value is still missing then."""

    __slots__ = ("getter",)

    def __init__(self, getter: Callable[[], Any], type_: SQLType) -> None:
        self.getter = getter
        self.type = type_

    @property
    def value(self) -> Any:
        return self.getter()


class BindList(Expr[Any]):
    """The values of an ``IN`` list, all of the compared expression's Python type, as one
    node: sent as one bound parameter each, but built, keyed and cached as a single node
    (the statement's cache key holds their number, not one entry per value)."""

    __slots__ = ("type", "values")
    __visit_name__ = "bind_list"

    def __init__(self, values: tuple[Any, ...], type_: SQLType) -> None:
        self.values = values
        self.type = type_

    @property
    def value(self) -> list[Any]:
        """The values as one array parameter (dialects with ``in_list_as_array``)."""
        return list(self.values)

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        binds.append(self)  # type: ignore[arg-type]  # (Compiled.params expands it)
        return ("?*", self.type.cache_key, len(self.values))


class IntLiteral(Expr[int]):
    """A validated ``int`` written into the SQL text (a window offset, ``ntile``'s bucket
    count): some backends take no parameter there."""

    __slots__ = ("value",)
    __visit_name__ = "int_literal"

    def __init__(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"expected an int, got {value!r}")
        self.value = value

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("int", self.value)


def coerce(value: Any, type_: SQLType = NULLTYPE) -> Expr[Any]:
    """Turn a Python value into an expression: nodes pass through, ``None`` becomes NULL,
    a :class:`~ormolu.sql.selectable.Select` becomes a scalar subquery and anything else a
    bound parameter typed like the other operand (unchecked: comparisons go through
    :func:`ormolu.sql.coercions.compare_operand`, which checks)."""
    if isinstance(value, Expr):
        return value
    if value is None:
        return NULL
    from .selectable import Select

    if isinstance(value, Select):
        return value.scalar_subquery()
    if hasattr(value, "__ormolu_expr__"):
        return value.__ormolu_expr__()  # type: ignore[no-any-return]
    if type_ is NULLTYPE or not isinstance(value, type_.python_type):
        type_ = type_for_value(value)
    return BindParam(value, type_)


class ColumnRef(Expr[T]):
    """A column of a table, alias or subquery (what ``Track.name`` evaluates to)."""

    __slots__ = ("column", "key", "name", "source", "type")
    __visit_name__ = "column"

    def __init__(self, source: Any, name: str, type_: SQLType, key: str, column: Any = None):
        self.source = source  # a FromClause
        self.name = name  # the column's name in the database
        self.type = type_
        self.key = key  # the attribute / result name
        self.column = column  # the schema Column, when there is one

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("c", self.source._from_key(binds), self.name)

    def _froms(self) -> tuple[FromClause, ...]:
        return (self.source,)

    def __repr__(self) -> str:
        return f"<ColumnRef {getattr(self.source, 'name', '?')}.{self.name}>"


class TextClause(Expr[Any]):
    """A fragment of raw SQL with ``:name`` parameters bound separately.

    The text is used as written; values are always bound, never formatted in.
    """

    __slots__ = ("names", "params", "text")
    __visit_name__ = "text"

    def __init__(self, text: str, params: dict[str, Any]) -> None:
        from .textparse import find_named_params

        if not isinstance(text, str):
            raise ArgumentError(f"text() takes SQL as a str, got {text!r}")
        self.text = text
        self.names = find_named_params(text)
        missing = [n for n, _, _ in self.names if n not in params]
        if missing:
            raise ValueError(f"text(): no value given for parameter(s) {', '.join(missing)}")
        self.params = {n: coerce(v) for n, v in params.items()}

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("text", self.text, *[self.params[n]._key(binds) for n, _, _ in self.names])


def text(sql: str, **params: Any) -> TextClause:
    """Raw SQL with ``:name`` placeholders: ``text("length(Name) > :n", n=10)``.

    Raises ``ValueError`` when a placeholder has no value.
    """
    return TextClause(sql, params)


def literal(value: Any, type_: SQLType | None = None) -> Expr[Any]:
    """A Python value as an expression (still sent as a bound parameter)."""
    return BindParam(value, type_ or type_for_value(value))


# The predicates live in their own module (imported by expr for Expr's methods).
from .predicates import Between, InList, IsBool, Like  # noqa: E402

__all__ = [
    "ATOM", "COMPARISONS", "NULL", "PRECEDENCE", "Between", "BinaryExpr", "BindList",
    "BindParam", "BooleanConstant", "BooleanList", "Cast", "ClauseElement", "ColumnRef",
    "DeferredBind", "Expr", "InList", "IntLiteral", "IsBool", "Key", "Label", "Like",
    "Negative", "Not", "Null", "Ordering", "T", "TextClause", "and_", "asc", "coerce", "desc",
    "escape_like", "false", "literal", "not_", "or_", "text", "true",
]  # fmt: skip
