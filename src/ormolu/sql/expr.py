"""The expression protocol: :class:`Expr`, the base of every typed SQL value, with the
operators and methods that build conditions from it (one of the modules behind
:mod:`ormolu.sql.elements`, which names them all).

Everything here is pure data. A node knows two things:

* ``_key(binds)`` returns a hashable *structural* key (the SQL shape without values) and
  appends every :class:`~ormolu.sql.elements.BindParam` it contains to ``binds`` in a
  fixed traversal order; the compiler caches compiled SQL under that key, so building the
  same query shape with other values costs one traversal and a dictionary hit.
* ``_froms()`` returns the FROM objects (tables, aliases, subqueries) it refers to.

Python's comparison operators build nodes (``Track.milliseconds > 60000``), so ``__eq__``
returns an expression, not a ``bool``; ``__hash__`` stays identity-based. A plain value
compared with a typed expression is checked and converted by that type first
(:mod:`ormolu.sql.coercions`): ``Track.milliseconds == "abc"`` raises
:class:`~ormolu.exceptions.ValidationError` before any SQL. Arithmetic types its result by
SQL's rules (:mod:`ormolu.sql.arithmetic`). The nodes the operators build live in
:mod:`ormolu.sql.operators` and :mod:`ormolu.sql.predicates`, imported at the end of this
module: they derive from :class:`Expr`, so they can only be defined after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..schema.types import BOOLEAN, NULLTYPE, SQLType

if TYPE_CHECKING:
    from .elements import BindParam
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


# The nodes built by the methods above derive from Expr: imported once it exists.
from . import arithmetic, coercions  # noqa: E402
from .operators import NULL, BinaryExpr, Cast, Label, Not, Ordering, and_, or_  # noqa: E402
from .predicates import Between, InList, Like  # noqa: E402
