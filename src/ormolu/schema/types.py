"""Column types: how a Python value is checked, sent to the database and read back.

Each :class:`SQLType` has three duties:

* ``coerce(value)`` checks and converts a value given by user code (on construction and
  assignment); it raises :class:`InvalidValue` with the rule that failed.
* ``bind_processor(dialect)`` returns a function converting a Python value into what the
  driver accepts, or ``None`` when the driver takes the value as it is.
* ``result_processor(dialect)`` returns a function converting what the driver returns
  into the Python value, or ``None`` when no conversion is needed.

Processors are chosen from the dialect's capability flags (``native_decimal``,
``native_datetime``, ``native_uuid``, ``native_json``, ``native_boolean``,
``native_interval``), never from its name, and built once per (dialect, type).

Storage where a backend has no native type (SQLite, see https://sqlite.org/datatype3.html):
``Decimal`` in a NUMERIC column, which SQLite stores as REAL: values of up to 15
significant digits round-trip exactly (and are quantized back to the declared
``decimal_places``); longer ones keep only their first 15 digits — SQLite's own rule for
NUMERIC affinity — so use PostgreSQL or MySQL, or a ``str`` field, for such values;
``datetime``/``date``/``time`` as ISO-8601 TEXT (``YYYY-MM-DD HH:MM:SS``,
the form SQLite's date functions read); timezone-aware datetimes are normalised to UTC and
stored with a ``+00:00`` suffix, and read back as aware UTC datetimes; ``timedelta`` as an
INTEGER count of microseconds; ``UUID`` as its 36-character text; ``Enum`` as its
``value`` (on every backend, held to the enum's values by a CHECK constraint:
:func:`ormolu.schema.ddl.enum_checks`); JSON as compact text.
"""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation, getcontext
from operator import methodcaller
from typing import TYPE_CHECKING, Any

from ..exceptions import DataError

if TYPE_CHECKING:
    from ..dialects.base import Dialect

Processor = Callable[[Any], Any]


class InvalidValue(Exception):
    """Raised by ``coerce`` with the rule a value failed."""


def _none_safe(fn: Processor) -> Processor:
    def process(value: Any) -> Any:
        return None if value is None else fn(value)

    return process


class SQLType:
    """Base of all column types. Subclasses set ``python_type``."""

    python_type: type = object

    def coerce(self, value: Any) -> Any:
        """Check and convert a user-supplied, non-``None`` value; raise :class:`InvalidValue`."""
        if not isinstance(value, self.python_type):
            raise InvalidValue(f"expected {self.python_type.__name__}")
        return value

    def compare_value(self, value: Any) -> Any:
        """Check and convert a non-``None`` value that a query compares with an expression
        of this type (``==``, ``<``, ``in_``, ``between``, ``like``...): the conversions of
        :meth:`coerce` (so a value is read the way an assignment would read it), without
        the limits only stored values must keep (length, decimal places). Raise
        :class:`InvalidValue` for a value of the wrong type: ``'abc'`` for an integer column
        would match ``0`` on MySQL and fail on PostgreSQL."""
        return self.coerce(value)

    def accepts_unchanged(self, var: str) -> str | None:
        """A Python expression over the variable named ``var``, true only for values that
        :meth:`coerce` returns unchanged (its usual case, e.g. ``type(var) is int``), or
        ``None`` when there is no such cheap test. Generated constructors
        (:mod:`ormolu.orm.codegen`) inline it and call ``coerce`` only when it is false. It
        may name the builtins and ``datetime``; it never contains a value."""
        return None

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        """Return the Python → driver conversion for ``dialect``, or ``None``."""
        return None

    def result_processor(self, dialect: Dialect) -> Processor | None:
        """Return the driver → Python conversion for ``dialect``, or ``None``."""
        return None

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """A hashable key identifying the type and its parameters (for the compile cache)."""
        return (type(self).__name__,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Integer(SQLType):
    """A whole number (``int``; ``bool`` is refused). ``size`` is 2, 4 or 8 bytes."""

    python_type = int

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._limit = 1 << (size * 8 - 1)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue("expected int")
        limit = self._limit
        if not -limit <= value < limit:
            raise InvalidValue(f"integer out of the {self.size * 8}-bit range")
        return value

    def compare_value(self, value: Any) -> Any:
        if isinstance(value, float | Decimal) and not isinstance(value, bool):
            # an integer compares correctly with any number on every backend
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidValue("expected a finite number")
            if isinstance(value, Decimal) and not value.is_finite():
                raise InvalidValue("expected a finite number")
            return value
        return self.coerce(value)

    def accepts_unchanged(self, var: str) -> str | None:
        limit = int(self._limit)
        return f"type({var}) is int and {-limit} <= {var} < {limit}"

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("Integer", self.size)


class IntegerTotal(Integer):
    """An integer computed by an aggregate (``func.sum`` of an integer column), which some
    databases return as an exact decimal (the SQL standard leaves the type of ``SUM`` to
    the implementation): read back as ``int`` everywhere."""

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(int)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("IntegerTotal", self.size)


class Boolean(SQLType):
    """``bool``; stored as 0/1 where the backend has no BOOLEAN type."""

    python_type = bool

    def accepts_unchanged(self, var: str) -> str | None:
        return f"type({var}) is bool"

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_boolean else _bool_from_db


_BOOL_TEXT = {"0": False, "1": True}


def _bool_from_db(value: Any) -> Any:
    """0/1 (integers, as ormolu writes them) or the text '0'/'1' (as some existing SQLite
    databases hold them) to ``bool``; anything else is refused, since a comparison with
    TRUE could not match it."""
    if value is None or value is True or value is False:
        return value
    if type(value) is int or isinstance(value, float):
        if value == 1:
            return True
        if value == 0:
            return False
    elif isinstance(value, str):
        found = _BOOL_TEXT.get(value.strip())
        if found is not None:
            return found
    raise DataError(
        f"a bool column holds {value!r} ({type(value).__name__}); only 0/1 and the text "
        f"'0'/'1' read as booleans"
    )


class Float(SQLType):
    """A double-precision float; ``int`` values are accepted and converted."""

    python_type = float

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue("expected float")
        return float(value)

    def compare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        return self.coerce(value)

    def accepts_unchanged(self, var: str) -> str | None:
        return f"type({var}) is float"

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        nan, inf = dialect.supports_float_nan, dialect.supports_float_infinity
        if nan and inf:
            return None

        def check(value: Any) -> Any:
            # Refuse what the column cannot hold rather than let the database store NULL
            # (SQLite turns NaN into NULL) or fail with a driver-specific message.
            if (
                isinstance(value, float)
                and not math.isfinite(value)
                and not (nan if math.isnan(value) else inf)
            ):
                raise DataError(f"{dialect.name} cannot store the float {value!r}")
            return value

        return check

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(float)


class String(SQLType):
    """Text; ``length`` is the maximum number of characters (``None``: unlimited TEXT).

    ``exact=True`` makes the column compare exactly — case, accents and trailing spaces
    count — where the database's default collation would not: the column is declared with
    the dialect's ``exact_text_collation`` (a binary, no-pad collation on MySQL/MariaDB;
    SQLite's and PostgreSQL's defaults already compare exactly). Ordering then follows
    code points. Example: ``field(db_type=String(120, exact=True))``.
    """

    python_type = str

    def __init__(self, length: int | None = None, *, exact: bool = False) -> None:
        self.length = length
        self.exact = exact

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidValue("expected str")
        if self.length is not None and len(value) > self.length:
            raise InvalidValue(f"longer than max_length={self.length} characters")
        return value

    def compare_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidValue("expected str")
        return value

    def accepts_unchanged(self, var: str) -> str | None:
        if self.length is None:
            return f"type({var}) is str"
        return f"type({var}) is str and len({var}) <= {int(self.length)}"

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("String", self.length, self.exact)


class Bytes(SQLType):
    """Binary data (``bytes``; ``bytearray``/``memoryview`` are converted)."""

    python_type = bytes

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        return super().coerce(value)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(bytes)


def _decimal_from_db(scale: int | None) -> Processor:
    quantum = Decimal(1).scaleb(-scale) if scale is not None else None

    def process(value: Any) -> Any:
        if type(value) is Decimal and quantum is not None:
            # the usual case (a driver's Decimal, finite, of a normal width): one quantize
            # in the thread's context, which holds it (its digits: ``needed`` below)
            ctx = getcontext()
            if value.is_finite() and value.adjusted() + 2 + scale <= ctx.prec:  # type: ignore[operator]
                return value.quantize(quantum, context=ctx)
        if value is None:
            return None
        if isinstance(value, float):
            # repr gives the shortest string that round-trips: 0.99 -> "0.99", not 0.98999...
            result = Decimal(repr(value))
        elif isinstance(value, Decimal):
            result = value
        else:
            result = Decimal(value)
        if quantum is not None and result.is_finite():
            # quantize() raises InvalidOperation when the result needs more digits than
            # the context's precision (28 by default): widen it for wide columns.
            ctx = getcontext()
            needed = max(result.adjusted() + 2, 1) + (scale or 0)  # room for a carry
            if needed > ctx.prec:
                ctx = ctx.copy()
                ctx.prec = needed
            result = result.quantize(quantum, context=ctx)
        return result

    if quantum is not None:
        # A column of the driver's Decimals, converted whole (orm.loading.rows_converter):
        # one C-level quantize per value, in the thread's context, gives process()'s
        # result; a NULL, a float or int (AttributeError) and a value too wide for the
        # context or infinite (InvalidOperation) send the column to process(). That
        # holds only while the context traps InvalidOperation: one that does not would
        # turn a too-wide value into NaN, so the fast path is then not taken.
        process.column_fast_path = methodcaller("quantize", quantum)  # type: ignore[attr-defined]
        process.column_fast_path_ok = _traps_invalid  # type: ignore[attr-defined]
    return process


def _traps_invalid() -> bool:
    return bool(getcontext().traps[InvalidOperation])


def _decimal_to_db(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        digits = value.as_tuple().digits
        # A double holds 15 significant digits exactly; beyond that keep the exact text.
        return float(value) if len(digits) <= 15 else str(value)
    return value


class Numeric(SQLType):
    """Exact decimal (``Decimal``); ``int`` and ``float`` inputs are converted.

    ``precision`` (max_digits) and ``scale`` (decimal_places) are checked on assignment;
    values read back are quantized to ``scale`` places, so a money value stored as REAL
    (``0.99000000001``) loads as ``Decimal("0.99")``.
    """

    python_type = Decimal

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        self.precision = precision
        self.scale = scale

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise InvalidValue("expected Decimal")
        if isinstance(value, int):
            value = Decimal(value)
        elif isinstance(value, float):
            value = Decimal(repr(value))
        elif not isinstance(value, Decimal):
            raise InvalidValue("expected Decimal")
        if not value.is_finite():
            raise InvalidValue("expected a finite Decimal")
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        places = max(0, -exponent)
        if self.scale is not None and places > self.scale:
            raise InvalidValue(f"more than decimal_places={self.scale} decimal places")
        if self.precision is not None:
            whole = max(len(digits) + exponent, 0) if exponent < 0 else len(digits) + exponent
            if whole > self.precision - (self.scale or 0):
                raise InvalidValue(
                    f"more than max_digits={self.precision} digits "
                    f"(with decimal_places={self.scale or 0})"
                )
        return value

    def compare_value(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise InvalidValue("expected Decimal")
        if isinstance(value, int):
            return Decimal(value)
        value = Decimal(repr(value)) if isinstance(value, float) else value
        if not value.is_finite():
            raise InvalidValue("expected a finite Decimal")
        return value

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_decimal else _decimal_to_db

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _decimal_from_db(self.scale)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("Numeric", self.precision, self.scale)


class ComputedNumeric(Numeric):
    """A ``Decimal`` computed by the database: arithmetic on decimals (``unit_price *
    quantity``), ``func.avg`` of a ``Decimal`` column, the ``sum`` of one without
    ``decimal_places``.

    ``scale`` is the number of decimal places of the exact result by the SQL standard's
    rules for exact numerics (SQL:2016 §6.29: a sum or difference has the larger scale of
    its operands, a product the sum of their scales; an integer has scale 0), or ``None``
    when that is unknown. Where the database computes in floating point (SQLite) the
    result is rounded to that scale, which removes the rounding noise and nothing else;
    without a scale a float result is rounded to 15 significant digits (all a double
    keeps exactly): the average of 9.99, 12.50, 5.00, 7.25 and 0.99 is
    ``Decimal("7.146")``, not ``Decimal("7.146000000000001")``. Exact decimals from the
    database are kept as sent."""

    def __init__(self, scale: int | None = None) -> None:
        super().__init__(None, scale)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        if self.scale is not None:
            return _decimal_from_db(self.scale)
        exact = _decimal_from_db(None)

        def process(value: Any) -> Any:
            if isinstance(value, float) and math.isfinite(value):
                return Decimal(format(value, ".15g"))
            return exact(value)

        return process

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("ComputedNumeric", self.scale)


class ComputedFloat(Float):
    """A ``float`` computed from exact decimals and floats together (``price * (1 -
    discount)`` with a ``Decimal`` price and a ``float`` discount: SQL computes it in
    floating point, PostgreSQL manual 8.1 / MySQL "Type Conversion in Expression
    Evaluation"). The decimal operand is exact on some backends and a stored double on
    others (SQLite), so the results can differ in the last binary digit; they are rounded
    to 15 significant digits (all a double holds exactly) so every backend returns the
    same ``float``."""

    def result_processor(self, dialect: Dialect) -> Processor | None:
        def process(value: Any) -> Any:
            if value is None:
                return None
            value = float(value)
            return float(format(value, ".15g")) if math.isfinite(value) else value

        return process

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("ComputedFloat",)


class Uuid(SQLType):
    """``uuid.UUID``; a string in UUID form is accepted and converted."""

    python_type = uuid.UUID

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                raise InvalidValue("expected a UUID") from None
        return super().coerce(value)

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_uuid else _none_safe(str)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(v))


class EnumType(SQLType):
    """An ``enum.Enum`` subclass, stored as its members' ``value``.

    A raw value equal to a member's value is accepted and converted to the member.
    """

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.enum_class = enum_class
        self.python_type = enum_class
        values = [m.value for m in enum_class]
        self.length = max((len(v) for v in values if isinstance(v, str)), default=0) or None
        self.is_int = all(isinstance(v, int) for v in values)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, self.enum_class):
            return value
        try:
            return self.enum_class(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in self.enum_class)
            raise InvalidValue(f"expected a {self.enum_class.__name__} ({choices})") from None

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(lambda v: v.value if isinstance(v, enum.Enum) else v)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(self.enum_class)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("Enum", self.enum_class)


class Json(SQLType):
    """A JSON document held as ``dict`` or ``list`` (``python_type`` says which)."""

    def __init__(self, python_type: type = dict) -> None:
        self.python_type = python_type

    def coerce(self, value: Any) -> Any:
        value = super().coerce(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise InvalidValue(f"not JSON-serialisable: {exc}") from None
        return value

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        if dialect.native_json:
            return None
        return _none_safe(lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False))

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return _none_safe(lambda v: json.loads(v) if isinstance(v, str | bytes) else v)


class DeclaredType(SQLType):
    """A column type ormolu has no type for, kept as the database declared it (``YEAR``,
    ``MEDIUMINT UNSIGNED``, a PostgreSQL ``tsvector``): ``sql`` is used verbatim in
    CREATE TABLE, and values pass through as the driver gives them. ``ormolu inspect``
    writes it for such columns; ``python_type`` is what the annotation says.

    ``dialect`` and ``portable`` (both or neither) let the models leave the database
    they were inspected from: ``sql`` is the type on ``dialect`` (a dialect name such as
    ``"sqlite"``), and on any other dialect the column is declared as ``portable``, an
    ormolu type holding every value of the declared one (SQLite keeps MySQL's ``YEAR``
    as declared; PostgreSQL has no such type, a SMALLINT holds its values). Raises
    ValueError when only one of the two is given.

    Example: ``field(db_type=DeclaredType("YEAR", python_type=int))``, or
    ``DeclaredType("YEAR", python_type=int, dialect="sqlite", portable=Integer(2))``.
    """

    def __init__(
        self,
        sql: str,
        python_type: type = str,
        *,
        dialect: str | None = None,
        portable: SQLType | None = None,
    ) -> None:
        if (dialect is None) != (portable is None):
            raise ValueError("DeclaredType: give both dialect and portable, or neither")
        self.sql = sql
        self.python_type = python_type
        self.dialect = dialect
        self.portable = portable

    def on(self, dialect: str) -> SQLType:
        """The type a column of this type has on ``dialect`` (a dialect name): this one,
        or ``portable`` away from the dialect ``sql`` was declared on."""
        if self.portable is not None and dialect != self.dialect:
            return self.portable
        return self

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, self.python_type) or (
            self.python_type is int and isinstance(value, bool)
        ):
            raise InvalidValue(f"expected {self.python_type.__name__}")
        return value

    @property
    def cache_key(self) -> tuple[Any, ...]:
        portable = self.portable.cache_key if self.portable is not None else None
        return ("DeclaredType", self.sql, self.dialect, portable)

    def __repr__(self) -> str:
        where = (
            f", dialect={self.dialect!r}, portable={self.portable!r}"
            if self.portable is not None
            else ""
        )
        return f"DeclaredType({self.sql!r}, python_type={self.python_type.__name__}{where})"


class NullType(SQLType):
    """The type of an expression whose type is unknown; values pass through unchanged."""

    def coerce(self, value: Any) -> Any:
        return value


# The date and time types live in their own module (re-exported here).
from .datetimes import DATE_STORAGE, DATETIME_STORAGE, Date, DateTime, Interval, Time  # noqa: E402

__all__ = [
    "DATETIME_STORAGE", "DATE_STORAGE", "Date", "DateTime", "Interval", "Time",
]  # fmt: skip

NULLTYPE = NullType()
INTEGER = Integer()
BOOLEAN = Boolean()
FLOAT = Float()
TEXT = String()
COMPUTED_NUMERIC = ComputedNumeric()
COMPUTED_FLOAT = ComputedFloat()
INTERVAL = Interval()


def type_for_value(value: Any) -> SQLType:
    """Return the type to bind a literal Python value with (used for bare comparison values)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return TEXT
    if isinstance(value, Decimal):
        return Numeric()
    if isinstance(value, datetime):
        return DateTime(timezone=value.utcoffset() is not None)
    if isinstance(value, date):
        return Date()
    if isinstance(value, time):
        return Time()
    if isinstance(value, timedelta):
        return Interval()
    if isinstance(value, uuid.UUID):
        return Uuid()
    if isinstance(value, enum.Enum):
        return EnumType(type(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return Bytes()
    if isinstance(value, dict | list):
        return Json(type(value))
    return NULLTYPE
