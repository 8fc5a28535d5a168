"""What the asyncpg driver (``asyncpg.py``) needs to speak ormolu's SQL: placeholders in
asyncpg's ``$n`` style, URL options as ``asyncpg.connect()`` arguments, and the casts that
give a value the type psycopg would have sent it with.

Placeholders. The PostgreSQL dialect compiles psycopg's ``format`` paramstyle: ``%s`` for
a value and ``%%`` for a literal ``%`` (``'50%%'``). :func:`to_dollar` converts exactly as
psycopg 3 reads a query that has parameters (``psycopg._queries``): ``%s`` (and psycopg's
``%b``/``%t``) become ``$1, $2, ...``, ``%%`` becomes ``%``, and any other ``%`` is refused
with psycopg's own message. Quotes are not parsed (psycopg parses none either), so a ``%``
inside a quoted identifier or string literal must be doubled on both drivers; a ``$``
there is left alone (PostgreSQL reads ``$n`` only outside quotes). Conversions are cached
per SQL text, in a dict emptied when it reaches :data:`CACHE_SIZE` entries.

Parameter types. psycopg sends each value with the type of its Python class (``int`` as
an integer, ``datetime`` as a timestamp, ``timedelta`` as an interval) except ``str``,
sent untyped so that the server reads the text as whatever type the statement needs.
asyncpg sends no type: the server infers each placeholder's from the statement, and
asyncpg then refuses a value of another class (``7`` where ``SELECT $1`` made the
placeholder ``text``), and the server refuses to guess where nothing tells it
(``date_col + $1``: "operator is not unique"). So the driver gives every typed value
psycopg's type with a cast (:func:`psycopg_casts`, keyed by :func:`signature`), and
PostgreSQL sees the statement it sees under psycopg. A ``str`` asyncpg refuses (``'5'``
for an ``int4``) is sent again as text the server converts (:func:`cast_for`).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ..exceptions import ConfigurationError
from ..url import URL

CACHE_SIZE = 2000  # distinct SQL texts kept converted (a few hundred KB at most)
_PLACEHOLDER = re.compile(r"%(?:\(([^)]+)\).|(.))", re.DOTALL)
_cache: dict[str, tuple[str, ...]] = {}


class PlaceholderError(ValueError):
    """A query psycopg would refuse for its placeholders (the driver raises it as the
    psycopg driver does: ProgrammingError, chained to this)."""


# URL options asyncpg's DSN parser takes as libpq does (asyncpg's connect_utils).
_DSN_OPTIONS = frozenset(
    {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl",
     "sslnegotiation", "passfile", "target_session_attrs", "krbsrvname", "gsslib", "service"}
)  # fmt: skip


def to_dollar(sql: str) -> tuple[str, ...]:
    """``sql`` cut at psycopg's placeholders: the text around them, ``%%`` made ``%``
    (one more piece than placeholders); :func:`typed` joins them with ``$1, $2, ...``.

    Raises PlaceholderError with psycopg's message for a ``%`` that is neither ``%s``
    nor ``%%`` (``'50%'`` must be written ``'50%%'``) and for named placeholders.

    Example: ``typed(to_dollar("SELECT %s, '5%%' WHERE a = %s"), [None, None])`` is
    ``"SELECT $1, '5%' WHERE a = $2"``.
    """
    hit = _cache.get(sql)
    if hit is not None:
        return hit
    pieces = (sql,) if "%" not in sql else _convert(sql)
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()  # (a program's statements are few; this bounds ad-hoc SQL)
    _cache[sql] = pieces
    return pieces


def _convert(sql: str) -> tuple[str, ...]:
    pieces: list[str] = []
    piece: list[str] = []
    end = 0
    for m in _PLACEHOLDER.finditer(sql):
        piece.append(sql[end : m.start()])
        end = m.end()
        if m.group(1) is not None:
            raise PlaceholderError(
                "named placeholders (%(name)s) are not supported: ormolu passes a sequence"
            )
        char = m.group(2)
        if char == "%":
            piece.append("%")
        elif char in ("s", "b", "t"):
            pieces.append("".join(piece))
            piece = []
        else:
            raise PlaceholderError(
                f"only '%s', '%b', '%t' are allowed as placeholders, got '%{char}'"
            )
    tail = sql[end:]
    if tail.endswith("%"):  # (the pattern needs a character after the %)
        raise PlaceholderError("incomplete placeholder: '%'")
    piece.append(tail)
    pieces.append("".join(piece))
    return tuple(pieces)


def typed(pieces: tuple[str, ...], casts: Sequence[str | None]) -> str:
    """The statement of :func:`to_dollar`'s ``pieces`` with placeholder ``$i`` wrapped
    in ``casts[i - 1]`` (a format string with one ``{}``; None: bare)."""
    out = [pieces[0]]
    for i, cast in enumerate(casts, 1):
        out.append(cast.format(f"${i}") if cast else f"${i}")
        out.append(pieces[i])
    return "".join(out)


def signature(values: Sequence[Any]) -> tuple[Any, ...]:
    """What the casts of :func:`psycopg_casts` depend on: the values' classes (and for
    datetimes and times, whether they have a time zone)."""
    sig = tuple(map(type, values))
    if int in sig or dt.datetime in sig or dt.time in sig:
        sig = tuple(_kind(t, v) for t, v in zip(sig, values))
    return sig


def _kind(t: type, v: Any) -> Any:
    if t is int:
        return _int_type(v)
    if t is dt.datetime or t is dt.time:
        return (t, v.tzinfo is not None)
    return t


def psycopg_casts(values: Sequence[Any]) -> list[str | None]:
    """The cast of each value that psycopg sends typed (all but ``str`` and None)."""
    return [None if v is None or isinstance(v, str) else cast_for(v, None) for v in values]


def cast_for(value: Any, inferred: str | None) -> str | None:
    """The cast giving ``value`` the type psycopg 3 would send it with (a format string
    such as ``"CAST({} AS BIGINT)"``), or None when there is none to give.

    ``inferred`` is the quoted, schema-qualified name of the type the server inferred
    for the placeholder; a ``str`` is sent as text and converted to it by the server, as
    psycopg's untyped text is (so ``'abc'`` for an integer fails there, with SQLSTATE
    22P02, as under psycopg)."""
    if isinstance(value, str):
        return None if inferred is None else f"CAST(CAST({{}} AS TEXT) AS {inferred})"
    if isinstance(value, bool):
        return "CAST({} AS BOOLEAN)"
    if isinstance(value, int):
        return f"CAST({{}} AS {_int_type(value)})"
    if isinstance(value, float):
        return "CAST({} AS DOUBLE PRECISION)"
    if isinstance(value, Decimal):
        return "CAST({} AS NUMERIC)"
    if isinstance(value, dt.datetime):
        return "CAST({} AS TIMESTAMP%s)" % (" WITH TIME ZONE" if value.tzinfo else "")
    if isinstance(value, dt.date):
        return "CAST({} AS DATE)"
    if isinstance(value, dt.time):
        return "CAST({} AS TIME%s)" % (" WITH TIME ZONE" if value.tzinfo else "")
    if isinstance(value, dt.timedelta):
        return "CAST({} AS INTERVAL)"
    if isinstance(value, uuid.UUID):
        return "CAST({} AS UUID)"
    if isinstance(value, bytes | bytearray | memoryview):
        return "CAST({} AS BYTEA)"
    return None


def _int_type(value: int) -> str:
    """The smallest of INTEGER, BIGINT, NUMERIC that holds ``value``. psycopg picks from
    SMALLINT up; INTEGER is where a function's integer argument is (``round(x, 2)``)
    and an ``int2`` product overflows first."""
    if -(2**31) <= value < 2**31:
        return "INTEGER"
    return "BIGINT" if -(2**63) <= value < 2**63 else "NUMERIC"


def type_name(t: Any) -> str:
    """The SQL name of an asyncpg ``Type`` (``pg_catalog.int4``, a user's enum)."""
    name = '"' + str(t.name).replace('"', '""') + '"'
    if t.schema:
        name = '"' + str(t.schema).replace('"', '""') + '".' + name
    return name


MAX_CACHED_STATEMENT = 256 * 1024  # bytes of SQL text (asyncpg's default: 15 KiB)


def connect_args(url: URL, connect_timeout: float) -> dict[str, Any]:
    """``asyncpg.connect()`` keyword arguments for ``url``.

    Options: ``application_name``, ``options`` (``-c name=value`` pairs, e.g.
    ``?options=-c%20statement_timeout%3D5000``), ``connect_timeout`` (seconds),
    ``statement_cache_size`` (asyncpg's prepared statements per connection, default 100;
    ``0`` behind PgBouncer in transaction pooling mode), and the
    libpq names asyncpg reads from a DSN (``sslmode``, ``sslrootcert``, ...). Raises
    ConfigurationError, before any connection is tried, for ``autocommit`` (ormolu
    manages transactions) and any other option."""
    kwargs: dict[str, Any] = {
        "host": url.host or "localhost",
        "port": url.port or 5432,
        "database": url.database or "postgres",
        "timeout": max(1.0, connect_timeout),
        # asyncpg caches only statements up to 15 KiB by default; a multi-row INSERT of
        # insert_many (512 rows, a cast around each typed value) is ~30 KiB and was
        # prepared anew, one more round trip, for every chunk
        "max_cacheable_statement_size": MAX_CACHED_STATEMENT,
    }
    if url.user:
        kwargs["user"] = url.user
    if url.password:
        kwargs["password"] = url.password
    settings: dict[str, str] = {}
    dsn: dict[str, str] = {}
    for name, value in url.options.items():
        if name == "autocommit":
            raise ConfigurationError("the 'autocommit' URL option is managed by ormolu")
        if name == "application_name":
            settings[name] = value
        elif name == "options":
            settings.update(_server_options(value))
        elif name == "connect_timeout":
            try:
                kwargs["timeout"] = float(value)
            except ValueError:
                raise ConfigurationError(
                    f"PostgreSQL URL option 'connect_timeout' is not a number: {value!r}"
                ) from None
        elif name == "statement_cache_size":  # 0 behind PgBouncer in transaction mode
            if not value.isdigit():
                raise ConfigurationError(
                    f"PostgreSQL URL option 'statement_cache_size' is not a count: {value!r}"
                )
            kwargs["statement_cache_size"] = int(value)
        elif name in _DSN_OPTIONS:
            dsn[name] = value
        else:
            raise ConfigurationError(
                f"PostgreSQL URL option refused: {name!r} is not supported by the asyncpg "
                f"driver (supported: application_name, options, connect_timeout, "
                f"statement_cache_size, "
                f"{', '.join(sorted(_DSN_OPTIONS))})"
            )
    if settings:
        kwargs["server_settings"] = settings
    if dsn:
        kwargs["dsn"] = "postgresql://?" + urlencode(dsn)
    return kwargs


def _server_options(value: str) -> dict[str, str]:
    """libpq's ``options`` (``-c name=value -c ...``) as asyncpg server settings."""
    words = shlex.split(value)
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            pair, i = words[i + 1], i + 2
        elif (word.startswith("-c") and len(word) > 2) or (word.startswith("--") and "=" in word):
            pair, i = word[2:], i + 1
        else:
            raise ConfigurationError(
                f"PostgreSQL URL option 'options': only -c name=value is supported, got {word!r}"
            )
        name, eq, setting = pair.partition("=")
        if not eq:
            raise ConfigurationError(f"PostgreSQL URL option 'options': {pair!r} lacks '='")
        out[name.replace("-", "_")] = setting
    return out
