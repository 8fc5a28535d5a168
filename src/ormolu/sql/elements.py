"""Expression nodes: columns, bound values, operators, functions, CASE, labels, ordering.

Everything here is pure data. A node knows two things:

* ``_key(binds)`` returns a hashable *structural* key (the SQL shape without values) and
  appends every :class:`BindParam` it contains to ``binds`` in a fixed traversal order; the
  compiler caches compiled SQL under that key, so building the same query shape with other
  values costs one traversal and a dictionary hit.
* ``_froms()`` returns the FROM objects (tables, aliases, subqueries) it refers to.

Rendering is the compiler's job (:mod:`ormolu.sql.compiler`); nodes never render themselves,
so dialects can change any piece of syntax in one place.

Python's comparison operators build nodes (``Track.milliseconds > 60000``), so ``__eq__``
returns an expression, not a ``bool``; ``__hash__`` stays identity-based.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..schema.types import BOOLEAN, INTEGER, NULLTYPE, SQLType, String, type_for_value

if TYPE_CHECKING:
    from .selectable import FromClause, Select

T = TypeVar("T")
Key = Any

# Operator precedence used to decide where parentheses are needed (higher binds tighter).
PRECEDENCE = {
    "OR": 1,
    "AND": 2,
    "NOT": 3,
    "=": 5, "!=": 5, "<": 5, "<=": 5, ">": 5, ">=": 5, "IS": 5, "IS NOT": 5,
    "IN": 5, "NOT IN": 5, "LIKE": 5, "NOT LIKE": 5, "ILIKE": 5, "NOT ILIKE": 5,
    "BETWEEN": 5, "NOT BETWEEN": 5,
    "||": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8,
}  # fmt: skip
ATOM = 100


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
    AND/OR/NOT, arithmetic ``+ - * / %`` (``+`` on text is concatenation), and the methods
    below. A plain Python value on the other side is sent as a bound parameter, converted
    with this expression's type.
    """

    __slots__ = ()
    __visit_name__ = "expr"
    type: SQLType = NULLTYPE

    # -- comparison ----------------------------------------------------------------
    def _compare(self, op: str, other: Any) -> Expr[bool]:
        return BinaryExpr(self, op, coerce(other, self.type), BOOLEAN)

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
        return Not(self)

    # -- arithmetic ----------------------------------------------------------------
    def _arith(self, op: str, other: Any, reverse: bool = False) -> Expr[T]:
        if op == "+" and isinstance(self.type, String):
            op = "||"
        right = coerce(other, self.type)
        if reverse:
            return BinaryExpr(right, op, self, self.type)
        return BinaryExpr(self, op, right, self.type)

    def __add__(self, other: Any) -> Expr[T]:
        return self._arith("+", other)

    def __radd__(self, other: Any) -> Expr[T]:
        return self._arith("+", other, True)

    def __sub__(self, other: Any) -> Expr[T]:
        return self._arith("-", other)

    def __rsub__(self, other: Any) -> Expr[T]:
        return self._arith("-", other, True)

    def __mul__(self, other: Any) -> Expr[T]:
        return self._arith("*", other)

    def __rmul__(self, other: Any) -> Expr[T]:
        return self._arith("*", other, True)

    def __truediv__(self, other: Any) -> Expr[T]:
        return self._arith("/", other)

    def __mod__(self, other: Any) -> Expr[T]:
        return self._arith("%", other)

    def __neg__(self) -> Expr[T]:
        return BinaryExpr(coerce(0, self.type), "-", self, self.type)

    def concat(self, other: Any) -> Expr[str]:
        """``self || other`` (string concatenation)."""
        return BinaryExpr(self, "||", coerce(other, self.type), self.type)

    # -- predicates ----------------------------------------------------------------
    def in_(self, values: Iterable[Any] | Select[Any]) -> Expr[bool]:
        """``self IN (...)`` over Python values or a subquery. An empty list is always false."""
        return InList(self, values, negate=False)

    def not_in(self, values: Iterable[Any] | Select[Any]) -> Expr[bool]:
        """``self NOT IN (...)``. An empty list is always true."""
        return InList(self, values, negate=True)

    def between(self, low: Any, high: Any) -> Expr[bool]:
        """``self BETWEEN low AND high`` (both ends included)."""
        return Between(self, coerce(low, self.type), coerce(high, self.type))

    def is_(self, other: Any) -> Expr[bool]:
        """``self IS other`` (normally ``is_(None)``)."""
        return BinaryExpr(self, "IS", coerce(other, self.type), BOOLEAN)

    def is_not(self, other: Any) -> Expr[bool]:
        """``self IS NOT other``."""
        return BinaryExpr(self, "IS NOT", coerce(other, self.type), BOOLEAN)

    def like(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """``self LIKE pattern``; ``%`` and ``_`` in ``pattern`` are wildcards.

        Case sensitivity follows the backend (SQLite's LIKE ignores ASCII case; see
        https://sqlite.org/lang_expr.html#like). Use :meth:`ilike` to ignore case everywhere.
        """
        return Like(self, coerce(pattern, self.type), "LIKE", escape)

    def not_like(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """``self NOT LIKE pattern``."""
        return Like(self, coerce(pattern, self.type), "NOT LIKE", escape)

    def ilike(self, pattern: str, escape: str | None = None) -> Expr[bool]:
        """Case-insensitive LIKE (``ILIKE`` where the backend has it, else ``lower() LIKE``)."""
        return Like(self, coerce(pattern, self.type), "ILIKE", escape)

    def contains(self, text: str) -> Expr[bool]:
        """Substring test; ``%``, ``_`` and the escape character in ``text`` match literally."""
        return Like(self, coerce("%" + escape_like(text) + "%", self.type), "LIKE", "\\")

    def startswith(self, text: str) -> Expr[bool]:
        """Prefix test, wildcards in ``text`` escaped."""
        return Like(self, coerce(escape_like(text) + "%", self.type), "LIKE", "\\")

    def endswith(self, text: str) -> Expr[bool]:
        """Suffix test, wildcards in ``text`` escaped."""
        return Like(self, coerce("%" + escape_like(text), self.type), "LIKE", "\\")

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


class BindList(Expr[Any]):
    """The values of an ``IN`` list, all of the compared expression's Python type, as one
    node: sent as one bound parameter each, but built, keyed and cached as a single node
    (the statement's cache key holds their number, not one entry per value)."""

    __slots__ = ("type", "values")
    __visit_name__ = "bind_list"

    def __init__(self, values: tuple[Any, ...], type_: SQLType) -> None:
        self.values = values
        self.type = type_

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        binds.append(self)  # type: ignore[arg-type]  # (Compiled.params expands it)
        return ("?*", self.type.cache_key, len(self.values))


class Null(Expr[None]):
    """The SQL ``NULL`` literal."""

    __slots__ = ()
    __visit_name__ = "null"

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return "NULL"


NULL = Null()


def coerce(value: Any, type_: SQLType = NULLTYPE) -> Expr[Any]:
    """Turn a Python value into an expression: nodes pass through, ``None`` becomes NULL,
    a :class:`~ormolu.sql.selectable.Select` becomes a scalar subquery and anything else a
    bound parameter typed like the other operand."""
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
    for c in clauses:
        c = coerce(c, BOOLEAN)
        if isinstance(c, BooleanList) and c.op == op:
            out.extend(c.clauses)
        else:
            out.append(c)
    return out


def and_(*clauses: Expr[Any] | bool) -> Expr[bool]:
    """Join conditions with AND (one condition is returned as it is)."""
    flat = _flatten("AND", clauses)
    return flat[0] if len(flat) == 1 else BooleanList("AND", flat)


def or_(*clauses: Expr[Any] | bool) -> Expr[bool]:
    """Join conditions with OR (one condition is returned as it is)."""
    flat = _flatten("OR", clauses)
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
    return Not(clause)


class InList(Expr[bool]):
    """``expr [NOT] IN (v1, v2, ...)`` or ``expr [NOT] IN (SELECT ...)``."""

    __slots__ = ("expr", "negate", "subquery", "values")
    __visit_name__ = "in_list"
    type = BOOLEAN
    precedence = PRECEDENCE["IN"]

    def __init__(self, expr: Expr[Any], values: Any, negate: bool) -> None:
        from .selectable import Select

        self.expr = expr
        self.negate = negate
        if isinstance(values, Select):
            self.subquery: Select[Any] | None = values
            self.values: tuple[Expr[Any], ...] = ()
        else:
            if isinstance(values, str | bytes):
                raise TypeError("in_() takes a list of values, not a single string")
            self.subquery = None
            values = tuple(values)
            pytype = getattr(expr.type, "python_type", object)
            if (
                len(values) > 1
                and expr.type is not NULLTYPE
                and pytype is not object
                and all(map(isinstance, values, repeat(pytype)))  # (in C)
            ):
                # plain values of the column's type: one node, not one BindParam each
                self.values = (BindList(values, expr.type),)
            else:
                self.values = tuple(coerce(v, expr.type) for v in values)

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
        if escape is not None and len(escape) != 1:
            raise ValueError("the LIKE escape must be a single character")
        self.expr, self.pattern, self.op, self.escape = expr, pattern, op, escape

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (self.op, self.escape, self.expr._key(binds), self.pattern._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


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


class Label(Expr[T]):
    """``expr AS name``."""

    __slots__ = ("expr", "name", "type")
    __visit_name__ = "label"

    def __init__(self, expr: Expr[T], name: str) -> None:
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
        self.expr, self.type = expr, type_

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("cast", self.type.cache_key, self.expr._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.expr._froms()


class Case(Expr[T]):
    """``CASE WHEN cond THEN value ... ELSE default END``; build with :func:`case`."""

    __slots__ = ("else_", "type", "whens")
    __visit_name__ = "case"

    def __init__(self, whens: Sequence[tuple[Any, Any]], else_: Any = None) -> None:
        if not whens:
            raise ValueError("case() needs at least one (condition, value) pair")
        self.whens = tuple((coerce(c, BOOLEAN), coerce(v)) for c, v in whens)
        self.type = next((v.type for _, v in self.whens if v.type is not NULLTYPE), NULLTYPE)
        self.else_ = None if else_ is None else coerce(else_, self.type)

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        whens = tuple((c._key(binds), v._key(binds)) for c, v in self.whens)
        return ("case", whens, None if self.else_ is None else self.else_._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return tuple(f for c, v in self.whens for f in c._froms() + v._froms())


def case(*whens: tuple[Any, Any], else_: Any = None) -> Expr[Any]:
    """``CASE WHEN c1 THEN v1 [WHEN ...] [ELSE else_] END``.

    Example: ``case((Track.milliseconds > 300_000, "long"), else_="short")``.
    """
    return Case(whens, else_)


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
    return Ordering(expr, False)


def desc(expr: Expr[Any]) -> Ordering:
    """Descending order."""
    return Ordering(expr, True)


class TextClause(Expr[Any]):
    """A fragment of raw SQL with ``:name`` parameters bound separately.

    The text is used as written; values are always bound, never formatted in.
    """

    __slots__ = ("names", "params", "text")
    __visit_name__ = "text"

    def __init__(self, text: str, params: dict[str, Any]) -> None:
        from .textparse import find_named_params

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


EXTRACT_FIELDS = ("year", "month", "day", "hour", "minute", "second")


class Extract(Expr[int]):
    """``EXTRACT(field FROM expr)`` as an integer; build with :func:`extract`."""

    __slots__ = ("expr", "field")
    __visit_name__ = "extract"
    type = INTEGER

    def __init__(self, field: str, expr: Expr[Any]) -> None:
        if field.lower() not in EXTRACT_FIELDS:
            raise ValueError(f"extract(): unknown field {field!r}; use one of {EXTRACT_FIELDS}")
        self.field = field.lower()
        self.expr = expr

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
