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
``value``; JSON as compact text.
"""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, getcontext
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

    return process


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


def _datetime_text(value: Any) -> Any:
    # None and values of other types pass through (one function: it runs for every value)
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


# For a column of datetimes (no NULL), a C-level call per value gives the same result:
# converters of whole columns use it first (see orm.unitofwork._Writer.columns).
_datetime_text.column_fast_path = methodcaller("isoformat", " ")  # type: ignore[attr-defined]


DATETIME_STORAGE = ("text", "canonical_text", "unixepoch")
DATE_STORAGE = ("text", "canonical_text")


def _unix_seconds(value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    if value.utcoffset() is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - _EPOCH) // timedelta(seconds=1)


_EPOCH = datetime(1970, 1, 1)


def _not_iso(value: Any) -> DataError:
    number = isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit()
    )
    hint = "; if it holds seconds since 1970, declare field(storage='unixepoch')" if number else ""
    return DataError(
        f"a datetime column holds {value!r} ({type(value).__name__}), which is not ISO-8601 "
        f"text{hint}"
    )


class DateTime(SQLType):
    """``datetime``. With ``timezone=True`` values must be aware and are kept in UTC;
    otherwise they must be naive (an aware value is refused rather than silently shifted).

    ``storage`` says how an existing database holds the values where there is no
    datetime type (SQLite; https://sqlite.org/lang_datefunc.html lists the forms):

    * ``"text"`` (default): ISO-8601 text. ormolu writes ``YYYY-MM-DD HH:MM:SS[.ffffff]``
      and reads any ISO form: a date alone (``2018-03-02``, read as midnight), a ``T``
      separator. Comparisons normalise the stored text first, so a date-only row
      compares as midnight instead of sorting before ``2018-03-02 00:00:00``; an index
      on the column then cannot serve the comparison.
    * ``"canonical_text"``: only the form ormolu writes; compared as stored, so an index
      serves range filters. Declare it for columns only ormolu has written.
    * ``"unixepoch"``: integer seconds since 1970-01-01 UTC (an integer column on every
      backend); values must be whole seconds; no date arithmetic.

    A stored value in another form raises :class:`DataError` when read (never a
    different datetime): an integer in a ``"text"`` column names ``storage="unixepoch"``.
    """

    python_type = datetime

    def __init__(self, timezone: bool = False, storage: str = "text") -> None:
        if storage not in DATETIME_STORAGE:
            raise ValueError(f"DateTime(storage={storage!r}): use one of {DATETIME_STORAGE}")
        self.timezone = timezone
        self.storage = storage

    @property
    def normalised_text(self) -> bool:
        """Whether comparisons must normalise the stored text (dialects without a
        datetime type)."""
        return self.storage == "text"

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            raise InvalidValue("expected datetime")
        aware = value.utcoffset() is not None
        if self.timezone and not aware:
            raise InvalidValue("expected a timezone-aware datetime (timezone=True)")
        if not self.timezone and aware:
            raise InvalidValue("expected a naive datetime (declare timezone=True for aware)")
        if aware:
            # Kept in UTC: a value whose UTC time leaves datetime's range (year 1 at +05:00,
            # year 9999 at -05:00) could be written by no backend, or written and never
            # read back (PostgreSQL stores it, then refuses to load it).
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise InvalidValue(
                    "its UTC time falls outside the years 1-9999 that datetime can hold"
                ) from None
        if self.storage == "unixepoch" and value.microsecond:
            raise InvalidValue("storage='unixepoch' holds whole seconds")
        return value

    def accepts_unchanged(self, var: str) -> str | None:
        # A naive datetime has no tzinfo; an aware one is left to coerce (utcoffset()).
        if self.timezone or self.storage == "unixepoch":
            return None
        return f"type({var}) is datetime and {var}.tzinfo is None"

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        if self.storage == "unixepoch":
            return _unix_seconds
        if dialect.native_datetime:
            if self.timezone and not dialect.native_timezone:
                # Stored as naive UTC where the column type keeps no offset (MySQL DATETIME).
                def to_naive_utc(value: Any) -> Any:
                    if isinstance(value, datetime) and value.utcoffset() is not None:
                        return value.astimezone(UTC).replace(tzinfo=None)
                    return value

                return to_naive_utc
            return None
        if self.timezone:

            def to_utc_text(value: Any) -> Any:
                if isinstance(value, datetime) and value.utcoffset() is not None:
                    return value.astimezone(UTC).isoformat(sep=" ")
                return value.isoformat(sep=" ") if isinstance(value, datetime) else value

            return to_utc_text
        return _datetime_text

    def result_processor(self, dialect: Dialect) -> Processor | None:
        tz = self.timezone
        if self.storage == "unixepoch":

            def from_unix(value: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, str) and value.lstrip("-").isdigit():
                    value = int(value)
                if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                    raise DataError(f"storage='unixepoch': cannot read {value!r} as seconds")
                result = datetime.fromtimestamp(float(value), UTC)
                return result if tz else result.replace(tzinfo=None)

            return from_unix

        def process(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, datetime):
                try:
                    value = datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    raise _not_iso(value) from None
            if tz:
                if value.utcoffset() is None:
                    return value.replace(tzinfo=UTC)
                return value.astimezone(UTC)
            return value

        if not tz and not dialect.native_datetime:
            # For ISO text (every value but NULL) the C parser alone gives the same result:
            # converters of whole columns use it first (see orm.loading.rows_converter).
            process.column_fast_path = datetime.fromisoformat  # type: ignore[attr-defined]
        return process

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("DateTime", self.timezone, self.storage)


class Date(SQLType):
    """``date`` (a ``datetime`` is refused: it would lose its time silently).

    ``storage`` (for dialects without a date type, see :class:`DateTime`): ``"text"``
    (default: ISO text, ``YYYY-MM-DD``; a stored ``YYYY-MM-DD 00:00:00`` reads as that
    date and comparisons use the date part) or ``"canonical_text"`` (only
    ``YYYY-MM-DD``, compared as stored). A stored time other than midnight raises
    :class:`DataError` when read: the time would be lost.
    """

    python_type = date

    def __init__(self, storage: str = "text") -> None:
        if storage not in DATE_STORAGE:
            raise ValueError(f"Date(storage={storage!r}): use one of {DATE_STORAGE}")
        self.storage = storage

    @property
    def normalised_text(self) -> bool:
        """Whether comparisons must normalise the stored text."""
        return self.storage == "text"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise InvalidValue("expected date")
        return value

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_datetime else _none_safe(lambda v: v.isoformat())

    def result_processor(self, dialect: Dialect) -> Processor | None:
        def process(value: Any) -> Any:
            if value is None or type(value) is date:
                return value
            if isinstance(value, datetime):
                return value.date()
            if not isinstance(value, str):
                raise DataError(f"a date column holds {value!r}, not ISO-8601 text")
            try:
                if len(value) > 10:
                    moment = datetime.fromisoformat(value)
                    if moment.time() != time() or moment.utcoffset():
                        raise DataError(
                            f"a date column holds {value!r}: reading it as a date would "
                            f"lose its time; map the column as a datetime"
                        )
                    return moment.date()
                return date.fromisoformat(value)
            except ValueError:
                raise DataError(f"a date column holds {value!r}, not ISO-8601 text") from None

        return process

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("Date", self.storage)


class Time(SQLType):
    """``time`` of day."""

    python_type = time

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_datetime else _none_safe(lambda v: v.isoformat())

    def result_processor(self, dialect: Dialect) -> Processor | None:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, time):
                return value
            if isinstance(value, timedelta):  # MySQL drivers return TIME as timedelta
                return (datetime.min + value).time()
            return time.fromisoformat(value)

        return process


_MICROSECOND = timedelta(microseconds=1)


class Interval(SQLType):
    """``timedelta``; stored as a count of microseconds where there is no INTERVAL type."""

    python_type = timedelta

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return None if dialect.native_interval else _none_safe(lambda v: v // _MICROSECOND)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        if dialect.native_interval:
            return None
        return _none_safe(lambda v: v if isinstance(v, timedelta) else timedelta(microseconds=v))


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

    Example: ``field(db_type=DeclaredType("YEAR", python_type=int))``.
    """

    def __init__(self, sql: str, python_type: type = str) -> None:
        self.sql = sql
        self.python_type = python_type

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, self.python_type) or (
            self.python_type is int and isinstance(value, bool)
        ):
            raise InvalidValue(f"expected {self.python_type.__name__}")
        return value

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("DeclaredType", self.sql)

    def __repr__(self) -> str:
        return f"DeclaredType({self.sql!r}, python_type={self.python_type.__name__})"


class NullType(SQLType):
    """The type of an expression whose type is unknown; values pass through unchanged."""

    def coerce(self, value: Any) -> Any:
        return value


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
