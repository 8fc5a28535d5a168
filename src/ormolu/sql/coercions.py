"""What query methods accept, and how plain values become bound parameters.

Two rules keep a query from being silently wrong:

* **Only SQL expressions are conditions.** ``where()``, ``having()``, ``and_()``... refuse
  a Python ``bool`` (the result of a comparison Python evaluated itself, such as a
  ``@property`` compared at class level), a ``str`` (which would be bound as a value and
  read as true by some backends) and any other non-expression, raising
  :class:`~ormolu.exceptions.ArgumentError` that points to :func:`~ormolu.text` and
  :func:`~ormolu.true`/:func:`~ormolu.false`.
* **Values are checked against the type they are compared with**, with the conversions
  an assignment makes (``SQLType.compare_value``): ``Track.milliseconds == "abc"`` raises
  :class:`~ormolu.exceptions.ValidationError` naming model, field, value and operator
  instead of matching ``0`` on MySQL (which converts ``'abc'`` to ``0``, MariaDB KB
  "Type Conversion") or failing with a driver error on PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ..exceptions import ArgumentError, ValidationError
from ..schema import types as t
from . import elements as el

if TYPE_CHECKING:
    from .selectable import Select

# Types whose values are text in SQL, so LIKE applies to them.
_TEXT_TYPES = (t.String, t.NullType)


def describe(expr: Any) -> tuple[str, str]:
    """``(model, field)`` naming ``expr`` in messages: ``("Track", "name")`` for a mapped
    column, ``("", "count()")`` for an expression."""
    if isinstance(expr, el.ColumnRef):
        col = expr.column
        owner = getattr(col, "owner", None) if col is not None else None
        return str(owner or getattr(expr.source, "name", "?")), expr.key
    if isinstance(expr, el.Label):
        return "", expr.name
    name = getattr(expr, "name", None)
    if isinstance(name, str) and hasattr(expr, "args"):
        return "", f"{name}()"
    return "", f"the {type(expr).__name__} expression"


def shown(expr: Any) -> str:
    """``Track.name`` / ``count()``: ``expr`` as one name for a message."""
    model, field = describe(expr)
    return f"{model}.{field}" if model else field


_PYTHON_OPS = {"=": "==", "IS": "is_", "IS NOT": "is_not"}


def value_error(expr: Any, value: Any, rule: str, op: str) -> ValidationError:
    """The ValidationError for ``value`` compared with ``expr`` by ``op``."""
    model, field = describe(expr)
    return ValidationError(model, field, value, rule, _PYTHON_OPS.get(op, op))


def _not_a_condition(value: Any, what: str) -> ArgumentError:
    if isinstance(value, bool):
        return ArgumentError(
            f"{what} got the Python bool {value}, not an SQL condition: Python evaluated a "
            f"comparison itself (a @property or plain attribute compared at class level, "
            f"'x in [...]', 'a and b'); build conditions from model fields, and use true() or "
            f"false() for a constant condition"
        )
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return ArgumentError(
            f"{what} got the string {short!r}, not an SQL condition; raw SQL goes through "
            f"text(), e.g. text('length(name) > :n', n=5), with its values as parameters"
        )
    if value is None:
        return ArgumentError(f"{what} got None, not an SQL condition (use true() for none)")
    if hasattr(value, "__ormolu_join__"):
        return ArgumentError(
            f"{what} got the relationship {value!r}, not a condition: compare it "
            f"({value!r} == obj, .is_(None)) or test it ({value!r}.has(...) / .any(...))"
        )
    return ArgumentError(
        f"{what} takes SQL conditions (e.g. Track.milliseconds > 1000), got {value!r}"
    )


def expect_condition(value: Any, what: str) -> el.Expr[Any]:
    """``value`` as a condition for ``what`` (``"where()"``...), or raise ArgumentError.

    Expressions of a known non-boolean type (a text column, a count) are refused too:
    ``where(Track.name)`` means a comparison was forgotten."""
    if not isinstance(value, el.Expr):
        hook = getattr(value, "__ormolu_expr__", None)
        if hook is None or isinstance(value, type):
            raise _not_a_condition(value, what)
        value = hook()
        if not isinstance(value, el.Expr):
            raise _not_a_condition(value, what)
    type_ = value.type
    if not isinstance(type_, t.Boolean | t.NullType):
        raise ArgumentError(
            f"{what} got {shown(value)}, a {type_.python_type.__name__} expression, not a "
            f"condition: compare it, e.g. {shown(value)} == ... or .is_not(None)"
        )
    return value


def expect_expression(value: Any, what: str) -> el.Expr[Any]:
    """``value`` as an expression for ``what`` (``"group_by()"``...), or ArgumentError."""
    if isinstance(value, el.Expr):
        return value
    hook = getattr(value, "__ormolu_expr__", None)
    if hook is not None and not isinstance(value, type):
        out = hook()
        if isinstance(out, el.Expr):
            return out
    if isinstance(value, str):
        raise ArgumentError(
            f"{what} got the string {value!r}, not a column: pass the column itself "
            f"(Track.name), a label's expression, or text({value!r}) for raw SQL"
        )
    if isinstance(value, bool | int):
        raise ArgumentError(
            f"{what} got {value!r}, not a column or expression; to sort by a result "
            f"column, pass that column (positions are not supported)"
        )
    raise ArgumentError(f"{what} takes columns or expressions, got {value!r}")


def expect_ordering(value: Any, what: str) -> el.Ordering:
    """``value`` as an ORDER BY term (an expression sorts ascending)."""
    if isinstance(value, el.Ordering):
        return value
    return el.Ordering(expect_expression(value, what), False)


def _plain_value(expr: Any, value: Any, op: str) -> None:
    """Refuse values that are never right beside ``op``."""
    if hasattr(type(value), "__mapper__"):
        raise ArgumentError(
            f"{shown(expr)} {op} {type(value).__name__}(...): a column is compared with a "
            f"value, not an object; compare with its key, or use the relationship "
            f"(e.g. Pet.owner == owner)"
        )
    if hasattr(value, "__ormolu_join__"):
        raise ArgumentError(f"{shown(expr)} {op} {value!r}: a relationship is not a value")


def compare_operand(expr: el.Expr[Any], value: Any, op: str) -> el.Expr[Any]:
    """The right-hand operand of ``expr <op> value``: an expression as it is, a SELECT as
    a scalar subquery, a plain value checked and converted by ``expr``'s type and bound.

    Raises ValidationError when ``value`` does not fit the type, ArgumentError for ``None``
    beside an operator that is never true with NULL, or for a model object."""
    if isinstance(value, el.Expr):
        return value
    type_ = expr.type
    tp = type_.python_type
    if type(value) is tp and tp is not object:
        if tp is not int:
            return el.BindParam(value, type_)  # the usual case, already of the right type
        # an int for a plain integer column, within its range: what Integer.compare_value
        # accepts unchanged (a subclass may convert otherwise: it takes the long way)
        limit = getattr(type_, "_limit", 0) if type(type_) is t.Integer else 0
        if -limit <= cast(int, value) < limit:
            return el.BindParam(value, type_)
    if value is None:
        raise ArgumentError(
            f"{shown(expr)} {_PYTHON_OPS.get(op, op)} None is never true in SQL (a "
            f"comparison with NULL is NULL); test for NULL with {shown(expr)}.is_(None)"
        )
    from .selectable import CompoundSelect, Select

    if isinstance(value, Select | CompoundSelect):
        return value.scalar_subquery()  # type: ignore[union-attr]
    hook = getattr(value, "__ormolu_expr__", None)
    if hook is not None and not isinstance(value, type):
        return hook()  # type: ignore[no-any-return]
    _plain_value(expr, value, op)
    if type_ is t.NULLTYPE or isinstance(type_, t.NullType):
        return el.BindParam(value, t.type_for_value(value))
    try:
        checked = type_.compare_value(value)
    except t.InvalidValue as exc:
        raise value_error(expr, value, str(exc), op) from None
    bind_type = type_ if isinstance(checked, tp) else t.type_for_value(checked)
    return el.BindParam(checked, bind_type)


def in_operands(
    expr: el.Expr[Any], values: Any, op: str
) -> tuple[Select[Any] | None, tuple[el.Expr[Any], ...]]:
    """The subquery, or the checked value expressions, of ``expr.in_(values)``."""
    cls = type(values)
    if cls is list or cls is tuple:  # the usual case: no SELECT, string or expression
        return _in_values(expr, tuple(values), op)
    from .selectable import CompoundSelect, FromClause, Select

    if isinstance(values, Select | CompoundSelect):
        if len(values._columns) != 1:
            raise ArgumentError(
                f"{shown(expr)}.{op}(select(...)) needs a SELECT of one column, got "
                f"{len(values._columns)}"
            )
        return values, ()  # type: ignore[return-value]
    if isinstance(values, str | bytes):
        raise ArgumentError(
            f"{shown(expr)}.{op}() takes a list of values, not a single string: "
            f"{op}([{values!r}]), or == for one value"
        )
    if isinstance(values, el.Expr | FromClause) or not hasattr(values, "__iter__"):
        raise ArgumentError(
            f"{shown(expr)}.{op}() takes a list, tuple or set of values or a select(), got "
            f"{values!r}"
        )
    return _in_values(expr, tuple(values), op)


def _in_values(
    expr: el.Expr[Any], items: tuple[Any, ...], op: str
) -> tuple[Select[Any] | None, tuple[el.Expr[Any], ...]]:
    type_ = expr.type
    tp = type_.python_type
    if not items:
        return None, ()
    if isinstance(type_, t.NullType):
        checked = items
    elif tp is not object and type(items[0]) is tp and len(set(map(type, items))) == 1:
        # (map and set run in C: the select-in loaders pass thousands of keys here)
        checked = items
        if isinstance(type_, t.Integer):
            limit = 1 << (type_.size * 8 - 1)
            if not (-limit <= min(items) and max(items) < limit):
                checked = tuple(_checked_item(expr, v, op) for v in items)  # names the value
        if checked is items and len(items) > 1:
            # plain values of the column's type (so none is None): one node
            return None, (el.BindList(items, type_),)
    else:
        checked = tuple(_checked_item(expr, v, op) for v in items)
    if any(v is None for v in checked):
        raise ArgumentError(
            f"{shown(expr)}.{op}() got None in its list: SQL's IN never matches NULL, and "
            f"a NULL makes NOT IN match nothing; add the NULL test separately: "
            f"{shown(expr)}.is_(None) | {shown(expr)}.{op}([...])"
        )
    if len(checked) > 1 and tp is not object and all(type(v) is tp for v in checked):
        # plain values of the column's type: one node, not one BindParam each
        return None, (el.BindList(checked, type_),)
    return None, tuple(compare_operand(expr, v, op) for v in checked)


def _checked_item(expr: el.Expr[Any], value: Any, op: str) -> Any:
    if value is None or isinstance(value, el.Expr):
        return value
    _plain_value(expr, value, op)
    try:
        return expr.type.compare_value(value)
    except t.InvalidValue as exc:
        raise value_error(expr, value, str(exc), op) from None


def is_test(expr: el.Expr[Any], other: Any, negate: bool) -> el.Expr[bool]:
    """``expr IS [NOT] NULL|TRUE|FALSE``."""
    op = "is_not" if negate else "is_"
    if other is None:
        return el.BinaryExpr(expr, "IS NOT" if negate else "IS", el.NULL, t.BOOLEAN)
    if isinstance(other, bool):
        if not isinstance(expr.type, t.Boolean | t.NullType):
            raise value_error(expr, other, "IS TRUE/FALSE tests a bool expression", op)
        return el.IsBool(expr, other, negate)
    raise ArgumentError(
        f"{shown(expr)}.{op}() takes None, True or False (SQL's IS tests NULL and truth "
        f"values); compare other values with {'!=' if negate else '=='}"
    )


def _check_text(expr: el.Expr[Any], op: str, value: Any) -> None:
    type_ = expr.type
    if isinstance(type_, _TEXT_TYPES) or (isinstance(type_, t.EnumType) and not type_.is_int):
        return
    raise value_error(
        expr, value, f"{op}() matches text, and this is a {type_.python_type.__name__}", op
    )


def like_text(expr: el.Expr[Any], text: Any, op: str) -> str:
    """The text of ``contains``/``startswith``/``endswith``, checked."""
    if text is None:
        raise ArgumentError(
            f"{shown(expr)}.{op}() takes a str, got None; test for NULL with .is_(None)"
        )
    if not isinstance(text, str):
        raise value_error(expr, text, f"{op}() takes a str", op)
    _check_text(expr, op, text)
    return text


def like_pattern(expr: el.Expr[Any], pattern: Any, op: str) -> el.Expr[Any]:
    """The pattern operand of ``like``/``ilike``/``not_like``."""
    if isinstance(pattern, el.Expr):
        return pattern
    return bind_text(expr, like_text(expr, pattern, op))


def bind_text(expr: el.Expr[Any], text: str) -> el.Expr[Any]:
    """``text`` bound as text (with ``expr``'s type when that is a text type)."""
    return el.BindParam(text, expr.type if isinstance(expr.type, t.String) else t.TEXT)
