"""The dialect base: capability flags, identifier quoting, paramstyle, type names, DDL.

Code elsewhere branches on these flags, never on a dialect's name.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ..exceptions import ConfigurationError
from ..schema import types as t
from ..sql.compiler import CompileCache, SQLCompiler
from ..sql.elements import BindParam


class Dialect:
    """Base dialect; subclasses in ``dialects/<backend>/`` override what differs."""

    name = "base"  # for messages only
    paramstyle = "qmark"
    placeholder = "?"
    identifier_quote = '"'
    compiler_class: type[SQLCompiler] = SQLCompiler

    # -- capability flags ------------------------------------------------------------
    max_bind_parameters = 999
    supports_returning = False
    # cursor.lastrowid after a one-row INSERT is the generated key: reading it is cheaper
    # than RETURNING (which SQLite buffers in a temporary table) where both are available
    lastrowid_is_key = False
    supports_nulls_ordering = True
    supports_ilike = False
    supports_for_update = True
    supports_savepoints = True
    supports_create_index_if_not_exists = True
    requires_from = False
    dummy_table = ""
    native_boolean = False
    native_decimal = False
    native_datetime = False
    native_uuid = False
    native_json = False
    native_interval = False
    native_timezone = False  # the datetime type keeps a UTC offset
    supports_nul_in_text = True
    enforces_column_types = True  # a value the column type cannot hold is refused
    max_identifier_length: int | None = None  # longest table, column or index name
    # The VARCHAR length of a str column without max_length that is part of a key, where
    # unbounded text cannot be a key (None: it can).
    key_string_length: int | None = None
    like_pattern_stops_at_nul = False  # LIKE ignores what follows a NUL in the pattern
    text_compare_ignores_case = False  # 'a' = 'A' (the default collation ignores case)
    text_compare_ignores_trailing_spaces = False  # 'a' = 'a ' (a PAD SPACE collation)
    supports_float_nan = True  # a float column keeps NaN
    supports_float_infinity = True  # a float column keeps +-inf
    concurrent_streaming = True  # other statements may run while a streamed result is open
    failed_statement_aborts_transaction = False
    # SERIALIZABLE reads take shared locks, so a concurrent writer waits or fails to lock
    # (InnoDB, SQLite's database lock); otherwise reads see a snapshot and a conflicting
    # transaction fails with SerializationFailure (PostgreSQL's SSI).
    serializable_reads_lock = False
    # An upsert names the unique key that defines a conflict; without it (MySQL's ON
    # DUPLICATE KEY) any unique key conflict updates, and "do nothing" reports the row.
    supports_upsert_conflict_target = True
    transaction_modes: tuple[str, ...] = ()  # BEGIN variants accepted by begin(mode)
    isolation_levels: tuple[str, ...] = (
        "READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE",
    )  # fmt: skip

    def __init__(self) -> None:
        self.compile_cache = CompileCache()
        self._bind_procs: dict[Any, Any] = {}
        self._result_procs: dict[Any, Any] = {}
        # Per-mapper data the ORM precomputes for this dialect (see orm/unitofwork.py).
        self.orm_cache: dict[Any, Any] = {}

    # -- quoting ---------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """Quote an identifier (quote characters inside are doubled; NUL is refused)."""
        if "\x00" in name:
            raise ConfigurationError(f"identifier {name!r} contains a NUL character")
        q = self.identifier_quote
        return q + name.replace(q, q + q) + q

    def identifier_length(self, name: str) -> int:
        """The length of ``name`` as counted against ``max_identifier_length``."""
        return len(name)

    def render_literal(self, value: Any) -> str:
        """Render a constant for DDL (server defaults, CHECKs) and LIKE's ESCAPE, where
        parameters are not allowed. Strings have quotes doubled; NUL is refused."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.render_bool(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ConfigurationError(f"cannot render {value!r} as an SQL literal")
            return repr(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, str):
            if "\x00" in value:
                raise ConfigurationError("a string literal cannot contain NUL")
            return "'" + value.replace("'", "''") + "'"
        raise ConfigurationError(f"cannot render {type(value).__name__} as an SQL literal")

    def render_bool(self, value: bool) -> str:
        """``TRUE``/``FALSE``, or ``1``/``0`` where booleans are integers."""
        if self.native_boolean:
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"

    # -- type processing -------------------------------------------------------------
    def bind_processor(self, type_: t.SQLType) -> Any:
        """The (cached) Python → driver conversion for ``type_``, or ``None``."""
        key = id(type_)
        try:
            return self._bind_procs[key][1]
        except KeyError:
            proc = type_.bind_processor(self)
            self._bind_procs[key] = (type_, proc)  # keep type_ alive so id() stays unique
            return proc

    def result_processor(self, type_: t.SQLType) -> Any:
        """The (cached) driver → Python conversion for ``type_``, or ``None``."""
        key = id(type_)
        try:
            return self._result_procs[key][1]
        except KeyError:
            proc = type_.result_processor(self)
            self._result_procs[key] = (type_, proc)
            return proc

    # -- DDL -------------------------------------------------------------------------
    def type_sql(self, type_: t.SQLType) -> str:
        """The column type name for ``type_`` in CREATE TABLE."""
        if isinstance(type_, t.Boolean):
            return "BOOLEAN"
        if isinstance(type_, t.Integer):
            return {2: "SMALLINT", 4: "INTEGER"}.get(type_.size, "BIGINT")
        if isinstance(type_, t.Float):
            return "DOUBLE PRECISION"
        if isinstance(type_, t.EnumType):
            return "INTEGER" if type_.is_int else f"VARCHAR({type_.length or 1})"
        if isinstance(type_, t.String):
            return f"VARCHAR({type_.length})" if type_.length else "TEXT"
        if isinstance(type_, t.Bytes):
            return "BLOB"
        if isinstance(type_, t.Numeric):
            if type_.precision is not None:
                return f"NUMERIC({type_.precision}, {type_.scale or 0})"
            return "NUMERIC"
        if isinstance(type_, t.DateTime):
            return "TIMESTAMP WITH TIME ZONE" if type_.timezone else "TIMESTAMP"
        if isinstance(type_, t.Date):
            return "DATE"
        if isinstance(type_, t.Time):
            return "TIME"
        if isinstance(type_, t.Interval):
            return "BIGINT"
        if isinstance(type_, t.Uuid):
            return "CHAR(36)"
        if isinstance(type_, t.Json):
            return "TEXT"
        raise ConfigurationError(f"no column type for {type_!r}")

    def cast_type_sql(self, type_: t.SQLType) -> str:
        """The type name in ``CAST(x AS type)`` (usually the column type name)."""
        return self.type_sql(type_)

    def column_type_sql(self, type_: t.SQLType, keyed: bool) -> str:
        """The type name of a column in CREATE TABLE; ``keyed`` says whether the column is
        part of a primary key, unique constraint, index or foreign key."""
        if keyed and self.key_string_length and isinstance(type_, t.String) and not type_.length:
            return f"VARCHAR({self.key_string_length})"
        return self.type_sql(type_)

    def autoincrement_sql(self, type_sql: str) -> str:
        """Column definition tail for a database-generated integer primary key."""
        return type_sql + " GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def insert_default_values(self, quoted_table: str) -> str:
        """INSERT of a row where every column takes its default."""
        return f"INSERT INTO {quoted_table} DEFAULT VALUES"

    def reset_identity_sql(self, table: str, column: str) -> tuple[str, list[Any]] | None:
        """The statement that moves a table's key generator past explicitly inserted
        keys, or ``None`` where the database does that itself (SQLite, MySQL)."""
        return None

    def connect_statements(self) -> list[str]:
        """Statements run on every new connection."""
        return []

    def begin_statements(self, mode: str | None, isolation_level: str | None) -> list[str]:
        """The statements starting a transaction.

        ``isolation_level`` is one of ``isolation_levels`` (SQL:2016 §4.41.1: READ
        UNCOMMITTED, READ COMMITTED, REPEATABLE READ, SERIALIZABLE); ``mode`` is a
        backend-specific BEGIN variant. Raises ConfigurationError for unknown values.
        """
        if mode is not None:
            raise ConfigurationError(f"{self.name} has no transaction mode {mode!r}")
        if isolation_level is None:
            return ["BEGIN"]
        return ["BEGIN ISOLATION LEVEL " + self.check_isolation_level(isolation_level)]

    def check_isolation_level(self, level: str) -> str:
        """Normalise an isolation level name; ConfigurationError if unsupported."""
        norm = " ".join(level.upper().replace("_", " ").split())
        if norm not in self.isolation_levels:
            raise ConfigurationError(
                f"{self.name} has no isolation level {level!r}; use one of {self.isolation_levels}"
            )
        return norm

    def bind(self, value: Any, type_: t.SQLType) -> BindParam[Any]:
        """A bound parameter (helper for compilers)."""
        return BindParam(value, type_)
