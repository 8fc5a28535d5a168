"""Expression nodes: columns, bound values, operators, labels, ordering, raw SQL.

Everything here is pure data. A node knows two things:

* ``_key(binds)`` returns a hashable *structural* key (the SQL shape without values) and
  appends every :class:`BindParam` it contains to ``binds`` in a fixed traversal order; the
  compiler caches compiled SQL under that key, so building the same query shape with other
  values costs one traversal and a dictionary hit.
* ``_froms()`` returns the FROM objects (tables, aliases, subqueries) it refers to.

Rendering is the compiler's job (:mod:`ormolu.sql.compiler`); nodes never render themselves,
so dialects can change any piece of syntax in one place.

Python's comparison operators build nodes (``Track.milliseconds > 60000``), so ``__eq__``
returns an expression, not a ``bool``; ``__hash__`` stays identity-based. A plain value
compared with a typed expression is checked and converted by that type first
(:mod:`ormolu.sql.coercions`): ``Track.milliseconds == "abc"`` raises
:class:`~ormolu.exceptions.ValidationError` before any SQL. Arithmetic types its result by
SQL's rules (:mod:`ormolu.sql.arithmetic`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..exceptions import ArgumentError
from ..schema.types import BOOLEAN, NULLTYPE, SQLType, type_for_value
from . import arithmetic, coercions

if TYPE_CHECKING:
    from .json import JsonPath
    from .selectable import FromClause, Select

T = TypeVar("T")
Key = Any

# Operator precedence used to decide where parentheses are needed (higher binds tighter).
PRECEDENCE: dict[str, int] = {
    "OR": 1,
    "AND": 2,
    "NOT": 3,
    "=": 5, "!=": 5, "<": 5, "<=": 5, ">": 5, ">=": 5, "IS": 5, "IS NOT": 5,
    "IN": 5, "NOT IN": 5, "LIKE": 5, "NOT LIKE": 5, "ILIKE": 5, "NOT ILIKE": 5,
    "BETWEEN": 5, "NOT BETWEEN": 5,
    "||": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8,
}  # fmt: skip
ATOM = 100
COMPARISONS = frozenset(("=", "!=", "<", "<=", ">", ">="))


class ClauseElement:
    """Base of every SQL node."""

    __slots__ = ()
    __visit_name__: str
    __visit_name__ = "clause"
    precedence = ATOM

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        raise NotImplementedError(type(self).__name__)

    def _froms(self) -> tuple[FromClause, ...]:
        return ()


class Expr(ClauseElement, Generic[T]):
    """A typed SQL value expression (SQLAlchemy: ``ColumnElement``).

    Supports ``== != < <= > >=`` (``== None`` becomes ``IS NULL``), ``& | ~`` for
    AND/OR/NOT, arithmetic ``+ - * / %`` (``+`` on text is concatenation; on dates and
    datetimes, adding a ``timedelta``), and the methods below. A plain Python value on the
    other side is checked against this expression's type (the conversions of an
    assignment: an ``int`` for a ``Decimal`` column is fine, a ``str`` for an ``int``
    column raises :class:`~ormolu.exceptions.ValidationError` naming model, field, value
    and operator) and sent as a bound parameter.
    """

    __slots__ = ()
    __visit_name__ = "expr"
    type: SQLType = NULLTYPE

    # -- comparison ----------------------------------------------------------------
    def _compare(self, op: str, other: Any) -> Expr[bool]:
        return BinaryExpr(self, op, coercions.compare_operand(self, other, op), BOOLEAN)

    def __eq__(self, other: object) -> Expr[bool]:  # type: ignore[override]
        if other is None:
            return BinaryExpr(self, "IS", NULL, BOOLEAN)
        return self._compare("=", other)

    def __ne__(self, other: object) -> Expr[bool]:  # type: ignore[override]
        if other is None:
            return BinaryExpr(self, "IS NOT", NULL, BOOLEAN)
        return self._compare("!=", other)

    def __lt__(self, other: Any) -> Expr[bool]:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Expr[bool]:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Expr[bool]:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Expr[bool]:
        return self._compare(">=", other)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            "an SQL expression has no truth value: use & | ~ instead of and/or/not, "
            "and .in_() instead of 'in'"
        )

    # -- boolean -------------------------------------------------------------------
    def __and__(self, other: Expr[Any]) -> Expr[bool]:
        return and_(self, other)

    def __or__(self, other: Expr[Any]) -> Expr[bool]:
        return or_(self, other)

    def __invert__(self) -> Expr[bool]:
        return Not(coercions.expect_condition(self, "~"))

    # -- arithmetic (result types: ormolu.sql.arithmetic) ----------------------------
    @overload
    def __add__(self: Expr[int], other: int | Expr[int]) -> Expr[int]: ...
    @overload
    def __add__(  # type: ignore[overload-overlap]
        self: Expr[int | None], other: int | Expr[int] | Expr[int | None]
    ) -> Expr[int | None]: ...
    @overload
    def __add__(
        self: Expr[Decimal], other: int | Decimal | Expr[int] | Expr[Decimal]
    ) -> Expr[Decimal]: ...
    @overload
    def __add__(  # type: ignore[overload-overlap]
        self: Expr[Decimal | None], other: int | Decimal | Expr[Any]
    ) -> Expr[Decimal | None]: ...
    @overload
    def __add__(self: Expr[int], other: Decimal | Expr[Decimal]) -> Expr[Decimal]: ...
    @overload
    def __add__(self: Expr[float], other: float | Decimal | Expr[Any]) -> Expr[float]: ...
    @overload
    def __add__(
        self: Expr[float | None], other: float | Decimal | Expr[Any]
    ) -> Expr[float | None]: ...
    @overload
    def __add__(self: Expr[Any], other: float | Expr[float]) -> Expr[float]: ...
    @overload
    def __add__(self: Expr[datetime], other: timedelta | Expr[timedelta]) -> Expr[datetime]: ...
    @overload
    def __add__(  # type: ignore[overload-overlap]
        self: Expr[datetime | None], other: timedelta | Expr[timedelta]
    ) -> Expr[datetime | None]: ...
    @overload
    def __add__(self: Expr[date], other: timedelta | Expr[timedelta]) -> Expr[date]: ...
    @overload
    def __add__(
        self: Expr[date | None], other: timedelta | Expr[timedelta]
    ) -> Expr[date | None]: ...
    @overload
    def __add__(self: Expr[str], other: str | Expr[str]) -> Expr[str]: ...
    @overload
    def __add__(
        self: Expr[str | None], other: str | Expr[str] | Expr[str | None]
    ) -> Expr[str | None]: ...
    @overload
    def __add__(self, other: Any) -> Expr[Any]: ...
    def __add__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "+", other)

    @overload
    def __radd__(self: Expr[int], other: int) -> Expr[int]: ...
    @overload
    def __radd__(self: Expr[Decimal], other: int | Decimal) -> Expr[Decimal]: ...
    @overload
    def __radd__(self: Expr[float], other: float) -> Expr[float]: ...
    @overload
    def __radd__(self: Expr[str], other: str) -> Expr[str]: ...
    @overload
    def __radd__(self, other: Any) -> Expr[Any]: ...
    def __radd__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "+", other, reverse=True)

    @overload
    def __sub__(self: Expr[int], other: int | Expr[int]) -> Expr[int]: ...
    @overload
    def __sub__(  # type: ignore[overload-overlap]
        self: Expr[int | None], other: int | Expr[int] | Expr[int | None]
    ) -> Expr[int | None]: ...
    @overload
    def __sub__(
        self: Expr[Decimal], other: int | Decimal | Expr[int] | Expr[Decimal]
    ) -> Expr[Decimal]: ...
    @overload
    def __sub__(  # type: ignore[overload-overlap]
        self: Expr[Decimal | None], other: int | Decimal | Expr[Any]
    ) -> Expr[Decimal | None]: ...
    @overload
    def __sub__(self: Expr[int], other: Decimal | Expr[Decimal]) -> Expr[Decimal]: ...
    @overload
    def __sub__(self: Expr[float], other: float | Decimal | Expr[Any]) -> Expr[float]: ...
    @overload
    def __sub__(
        self: Expr[float | None], other: float | Decimal | Expr[Any]
    ) -> Expr[float | None]: ...
    @overload
    def __sub__(self: Expr[Any], other: float | Expr[float]) -> Expr[float]: ...
    @overload
    def __sub__(self: Expr[datetime], other: datetime | Expr[datetime]) -> Expr[timedelta]: ...  # type: ignore[overload-overlap]
    @overload
    def __sub__(  # type: ignore[overload-overlap]
        self: Expr[datetime | None], other: datetime | Expr[datetime] | Expr[datetime | None]
    ) -> Expr[timedelta | None]: ...
    @overload
    def __sub__(self: Expr[datetime], other: timedelta | Expr[timedelta]) -> Expr[datetime]: ...
    @overload
    def __sub__(self: Expr[date], other: date | Expr[date]) -> Expr[int]: ...
    @overload
    def __sub__(
        self: Expr[date | None], other: date | Expr[date] | Expr[date | None]
    ) -> Expr[int | None]: ...
    @overload
    def __sub__(self: Expr[date], other: timedelta | Expr[timedelta]) -> Expr[date]: ...
    @overload
    def __sub__(self, other: Any) -> Expr[Any]: ...
    def __sub__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "-", other)

    @overload
    def __rsub__(self: Expr[int], other: int) -> Expr[int]: ...
    @overload
    def __rsub__(self: Expr[Decimal], other: int | Decimal) -> Expr[Decimal]: ...
    @overload
    def __rsub__(self: Expr[float], other: float) -> Expr[float]: ...
    @overload
    def __rsub__(self, other: Any) -> Expr[Any]: ...
    def __rsub__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "-", other, reverse=True)

    @overload
    def __mul__(self: Expr[int], other: int | Expr[int]) -> Expr[int]: ...
    @overload
    def __mul__(  # type: ignore[overload-overlap]
        self: Expr[int | None], other: int | Expr[int] | Expr[int | None]
    ) -> Expr[int | None]: ...
    @overload
    def __mul__(
        self: Expr[Decimal], other: int | Decimal | Expr[int] | Expr[Decimal]
    ) -> Expr[Decimal]: ...
    @overload
    def __mul__(  # type: ignore[overload-overlap]
        self: Expr[Decimal | None], other: int | Decimal | Expr[Any]
    ) -> Expr[Decimal | None]: ...
    @overload
    def __mul__(self: Expr[int], other: Decimal | Expr[Decimal]) -> Expr[Decimal]: ...
    @overload
    def __mul__(self: Expr[float], other: float | Decimal | Expr[Any]) -> Expr[float]: ...
    @overload
    def __mul__(
        self: Expr[float | None], other: float | Decimal | Expr[Any]
    ) -> Expr[float | None]: ...
    @overload
    def __mul__(self: Expr[Any], other: float | Expr[float]) -> Expr[float]: ...
    @overload
    def __mul__(self: Expr[timedelta], other: int | Expr[int]) -> Expr[timedelta]: ...
    @overload
    def __mul__(self, other: Any) -> Expr[Any]: ...
    def __mul__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "*", other)

    @overload
    def __rmul__(self: Expr[int], other: int) -> Expr[int]: ...
    @overload
    def __rmul__(self: Expr[Decimal], other: int | Decimal) -> Expr[Decimal]: ...
    @overload
    def __rmul__(self: Expr[float], other: float) -> Expr[float]: ...
    @overload
    def __rmul__(self, other: Any) -> Expr[Any]: ...
    def __rmul__(self, other: Any) -> Expr[Any]:
        return arithmetic.binary(self, "*", other, reverse=True)

    def __truediv__(self, other: Any) -> Expr[float]:
        """True division, computed in double precision on every backend (a ``float``)."""
        return arithmetic.binary(self, "/", other)

    def __rtruediv__(self, other: Any) -> Expr[float]:
        return arithmetic.binary(self, "/", other, reverse=True)

    def __mod__(self, other: Any) -> Expr[T]:
        """The remainder of integers (its sign follows the dividend, as in SQL)."""
        return arithmetic.binary(self, "%", other)

    def __neg__(self) -> Expr[T]:
        return arithmetic.negate(self)

    def concat(self, other: Any) -> Expr[str]:
        """``self || other`` (string concatenation)."""
        return BinaryExpr(self, "||", coercions.compare_operand(self, other, "concat"), self.type)

    # -- predicates ----------------------------------------------------------------
    def in_(self, values: Iterable[Any] | Select[Any]) -> Expr[bool]:
        """``self IN (...)`` over Python values or a subquery. An empty list is always
        false. Each value is checked against this expression's type; ``None`` in the
        list raises ArgumentError (SQL's ``IN`` never matches NULL: use ``is_(None)``)."""
        return InList(self, values, negate=False)

    def not_in(self, values: Iterable[Any] | Select[Any]) -> Expr[bool]:
        """``self NOT IN (...)``. An empty list is always true."""
        return InList(self, values, negate=True)

    def between(self, low: Any, high: Any) -> Expr[bool]:
        """``self BETWEEN low AND high`` (both ends included)."""
        return Between(
            self,
            coercions.compare_operand(self, low, "between"),
            coercions.compare_operand(self, high, "between"),
        )

    def is_(self, other: bool | None) -> Expr[bool]:
        """``self IS NULL`` (``is_(None)``), ``self IS TRUE`` or ``self IS FALSE``.

        ``IS TRUE`` is false for NULL, unlike ``== True`` which is NULL there; it is
        rendered ``IS TRUE`` where the backend has it and as an equivalent NULL-safe test
        elsewhere (SQL:2016 §8.12 <boolean test>). Any other value raises ArgumentError:
        compare it with ``==``.
        """
        return coercions.is_test(self, other, negate=False)

    def is_not(self, other: bool | None) -> Expr[bool]:
        """``self IS NOT NULL`` / ``IS NOT TRUE`` / ``IS NOT FALSE`` (true for NULL)."""
        return coercions.is_test(self, other, negate=True)

    def like(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """``self LIKE pattern``; ``%`` and ``_`` in ``pattern`` are wildcards.

        Case sensitivity follows the backend (SQLite's LIKE ignores ASCII case; see
        https://sqlite.org/lang_expr.html#like). Use :meth:`ilike` to ignore case everywhere.
        """
        return Like(self, coercions.like_pattern(self, pattern, "like"), "LIKE", escape)

    def not_like(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """``self NOT LIKE pattern``."""
        return Like(self, coercions.like_pattern(self, pattern, "not_like"), "NOT LIKE", escape)

    def ilike(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """Case-insensitive LIKE (``ILIKE`` where the backend has it, else ``lower() LIKE``)."""
        return Like(self, coercions.like_pattern(self, pattern, "ilike"), "ILIKE", escape)

    def contains(self, text: str) -> Expr[bool]:
        """Substring test; ``%``, ``_`` and the escape character in ``text`` match literally."""
        text = coercions.like_text(self, text, "contains")
        return Like(self, coercions.bind_text(self, "%" + escape_like(text) + "%"), "LIKE", "\\")

    def startswith(self, text: str) -> Expr[bool]:
        """Prefix test, wildcards in ``text`` escaped."""
        text = coercions.like_text(self, text, "startswith")
        return Like(self, coercions.bind_text(self, escape_like(text) + "%"), "LIKE", "\\")

    def endswith(self, text: str) -> Expr[bool]:
        """Suffix test, wildcards in ``text`` escaped."""
        text = coercions.like_text(self, text, "endswith")
        return Like(self, coercions.bind_text(self, "%" + escape_like(text)), "LIKE", "\\")

    # -- JSON (ormolu.sql.json) --------------------------------------------------------
    def __getitem__(self, item: str | int) -> JsonPath:
        """The value at a key or index of this JSON field: ``Model.data["a"][0]``; raises
        ArgumentError for another type."""
        from .json import JsonPath, _check_item, json_document

        return JsonPath(json_document(self, f"[{item!r}]"), (_check_item(item),))

    def has_key(self, key: str) -> Expr[bool]:
        """Whether this JSON object has ``key`` (even with a ``null`` value)."""
        from .json import has_key

        return has_key(self, key)

    def json_contains(self, value: Any) -> Expr[bool]:
        """Whether this JSON value contains ``value``: ``Model.data.json_contains({"tags":
        ["live"]})`` (PostgreSQL's ``@>`` on every backend; see :mod:`ormolu.sql.json`)."""
        from .json import json_contains

        return json_contains(self, value)

    # -- ordering, naming ----------------------------------------------------------
    def asc(self) -> Ordering:
        """Ascending order for ``order_by``."""
        return Ordering(self, descending=False)

    def desc(self) -> Ordering:
        """Descending order for ``order_by``."""
        return Ordering(self, descending=True)

    def label(self, name: str) -> Label[T]:
        """``self AS name``; the label names the column in dict rows and subqueries."""
        return Label(self, name)

    def cast(self, type_: SQLType) -> Expr[Any]:
        """``CAST(self AS type)``."""
        return Cast(self, type_)


def escape_like(text: str) -> str:
    """Escape ``\\``, ``%`` and ``_`` so that ``text`` matches itself in a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


# The predicates live in their own module (imported here for the methods above).
from .predicates import Between, InList, IsBool, Like  # noqa: E402

__all__ = ["Between", "InList", "IsBool", "Like"]
