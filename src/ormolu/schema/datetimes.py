"""Date and time column types: ``DateTime``, ``Date``, ``Time`` and ``Interval`` (part of
:mod:`ormolu.schema.types`, which re-exports them).

Where the backend has no date type (SQLite) values are ISO-8601 text, and the
``storage`` option of ``DateTime`` and ``Date`` says how an existing database holds them
(see :class:`DateTime`); reading a value stored in another form raises
:class:`~ormolu.exceptions.DataError` rather than returning a different value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import methodcaller
from typing import TYPE_CHECKING, Any

from ..exceptions import DataError
from .types import InvalidValue, Processor, SQLType, _none_safe

if TYPE_CHECKING:
    from ..dialects.base import Dialect


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


# The exact value types each result processor returns unchanged (``unchanged_types``, set
# where the dialect's driver returns these types: see orm.loading.rows_converter).
_DATETIME_OR_NULL = frozenset({datetime, type(None)})
_DATE_OR_NULL = frozenset({date, type(None)})
_TIME_OR_NULL = frozenset({time, type(None)})


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
        elif not tz:
            # The driver's own datetimes (and NULLs) come back as they are: a column holding
            # only those is left alone, found by a type scan in C (rows_converter).
            process.unchanged_types = _DATETIME_OR_NULL  # type: ignore[attr-defined]
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

        if dialect.native_datetime:
            process.unchanged_types = _DATE_OR_NULL  # type: ignore[attr-defined]
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

        if dialect.native_datetime:
            process.unchanged_types = _TIME_OR_NULL  # type: ignore[attr-defined]
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
