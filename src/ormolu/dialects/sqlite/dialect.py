"""SQLite: syntax, storage classes and capability flags.

References: SQL syntax https://sqlite.org/lang.html; type affinity
https://sqlite.org/datatype3.html; RETURNING (3.35+) https://sqlite.org/lang_returning.html;
NULLS FIRST/LAST (3.30+) https://sqlite.org/lang_select.html#orderby; bound parameter limit
https://sqlite.org/limits.html#max_variable_number (32766 since 3.32).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ...exceptions import ConfigurationError
from ...schema import types as t
from ...sql.compiler import SQLCompiler
from ...sql.elements import ClauseElement, ColumnRef
from ..base import Dialect
from . import functions

_VERSION = sqlite3.sqlite_version_info


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class SQLiteCompiler(SQLCompiler):
    """SQLite needs LIMIT before OFFSET (``LIMIT -1`` means no limit)."""

    def limit_clause(self, limit: str | None, offset: str | None) -> str:
        if offset is not None:
            return f"LIMIT {limit if limit is not None else '-1'} OFFSET {offset}"
        return f"LIMIT {limit}"

    def for_update_clause(self, nowait: bool, skip_locked: bool, read: bool = False) -> str:
        return ""

    def visit_like(self, node: Any, **kw: Any) -> str:
        if not node.op.endswith("ILIKE") or self.dialect.supports_ilike:
            return super().visit_like(node, **kw)
        # SQLite's lower() and LIKE fold ASCII letters only, so 'Ä' would not match 'ä':
        # both sides go through a Unicode-aware lower() registered on each connection.
        fold = SQLiteDialect.unicode_lower_function
        p = node.precedence
        left, pattern = self.operand(node.expr, p), self.operand(node.pattern, p, right=True)
        op = node.op.replace("ILIKE", "LIKE")
        sql = f"{fold}({left}) {op} {fold}({pattern})"
        if node.escape is not None:
            sql += " ESCAPE " + self.dialect.render_literal(node.escape)
        return sql

    _STRFTIME = {
        "year": "%Y",
        "month": "%m",
        "day": "%d",
        "hour": "%H",
        "minute": "%M",
        "second": "%S",
    }

    def visit_extract(self, node: Any, **kw: Any) -> str:
        # No EXTRACT in SQLite: strftime on the ISO text (https://sqlite.org/lang_datefunc.html).
        fmt = self.dialect.render_literal(self._STRFTIME[node.field])
        return f"CAST(strftime({fmt}, {self.process(node.expr)}) AS INTEGER)"

    def compared(self, node: ClauseElement, parent_precedence: int, right: bool = False) -> str:
        type_ = getattr(node, "type", None)
        if isinstance(node, ColumnRef) and getattr(type_, "normalised_text", False):
            # Dates are text here: '2018-03-02' sorts before '2018-03-02 00:00:00' and a
            # 'T' separator after a space, so compare the stored text in ormolu's form.
            col = self.process(node)
            if isinstance(type_, t.DateTime):
                return (
                    f"CASE WHEN length({col}) = 10 THEN {col} || ' 00:00:00' "
                    f"ELSE replace({col}, 'T', ' ') END"
                )
            return f"substr({col}, 1, 10)"
        return super().compared(node, parent_precedence, right)

    def visit_date_diff(self, node: Any, **kw: Any) -> str:
        end, start = self.process(node.end), self.process(node.start)
        return f"CAST(round(julianday(date({end})) - julianday(date({start}))) AS INTEGER)"

    def visit_datetime_diff(self, node: Any, **kw: Any) -> str:
        fn = functions.TIMEDIFF
        return f"{fn}({self.process(node.end)}, {self.process(node.start)})"

    def visit_datetime_add(self, node: Any, **kw: Any) -> str:
        interval = self.process(node.interval)
        if node.sign < 0:
            interval = f"-({interval})"
        fn = functions.TIMEADD
        return f"{fn}({self.process(node.expr)}, {interval}, {1 if node.is_date else 0})"

    # -- JSON (https://sqlite.org/json1.html) ------------------------------------------------
    def visit_json_path(self, node: Any, **kw: Any) -> str:
        # '->' (3.38) gives the value's JSON text; json_extract a string's characters
        return f"({self.process(node.doc)} -> {self.process(node.path_bind)})"

    def visit_json_extract(self, node: Any, **kw: Any) -> str:
        # (each use renders the path again: every placeholder takes its parameter)
        def at(fn: str) -> str:
            return f"{fn}({self.process(node.path.doc)}, {self.process(node.path.path_bind)})"

        if node.kind == "boolean":
            return f"CASE {at('json_type')} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
        if node.kind == "string":
            # true/false are 1/0 in json_extract; the other backends give their JSON text
            kind = at("json_type")
            return (
                f"CASE {kind} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
                f"ELSE CAST({at('json_extract')} AS TEXT) END"
            )
        target = "INTEGER" if node.kind == "integer" else "REAL"
        return f"CAST({at('json_extract')} AS {target})"

    def visit_json_test(self, node: Any, **kw: Any) -> str:
        doc = self.process(node.doc)
        if node.kind == "key":
            return f"json_type({doc}, {self.process(node.path_bind)}) IS NOT NULL"
        path = "NULL" if node.path_bind is None else self.process(node.path_bind)
        return f"{functions.JSON_CONTAINS}({doc}, {path}, {self.process(node.value)})"

    _TRUNC = {
        "year": "%Y-01-01",
        "month": "%Y-%m-01",
        "day": "%Y-%m-%d",
        "hour": "%Y-%m-%d %H:00:00",
        "minute": "%Y-%m-%d %H:%M:00",
    }

    def visit_date_trunc(self, node: Any, **kw: Any) -> str:
        fmt = self._TRUNC[node.unit]
        if not node.is_date and node.unit in ("year", "month", "day"):
            fmt += " 00:00:00"
        return f"strftime({self.dialect.render_literal(fmt)}, {self.process(node.expr)})"


class SQLiteDialect(Dialect):
    """SQLite through the standard library's ``sqlite3``."""

    name = "sqlite"
    # ALTER TABLE only renames and adds or drops columns (https://sqlite.org/lang_altertable.html)
    supports_alter_column = False
    compiler_class = SQLiteCompiler
    untyped_columns = True  # https://sqlite.org/datatype3.html#determination_of_column_affinity
    max_bind_parameters = 32766 if _VERSION >= (3, 32) else 999
    supports_returning = _VERSION >= (3, 35)
    lastrowid_is_key = True
    supports_nulls_ordering = _VERSION >= (3, 30)
    supports_is_true = _VERSION >= (
        3,
        23,
    )  # TRUE/FALSE keywords (https://sqlite.org/lang_expr.html)
    supports_for_update = False  # SQLite locks the whole database; BEGIN IMMEDIATE instead.
    update_from_style = "from" if _VERSION >= (3, 33) else "subquery"  # UPDATE FROM: 3.33
    json_path_style = "dollar_plain"  # a quoted path key takes no escapes
    supports_set_op_all = (
        False  # no INTERSECT ALL / EXCEPT ALL (https://sqlite.org/lang_select.html)
    )
    transaction_modes = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")
    read_modify_write_mode = "IMMEDIATE"  # (https://sqlite.org/lang_transaction.html)
    # SQLite transactions are serializable (https://sqlite.org/isolation.html).
    isolation_levels = ("SERIALIZABLE",)
    serializable_reads_lock = True  # a reader holds the database's SHARED lock
    # LIKE reads its pattern as a C string: the pattern 'a\x00b%' matches like 'a%'.
    like_pattern_stops_at_nul = True
    # Any column stores any value, whatever its declared type or length, and arithmetic
    # errors give NULL (https://sqlite.org/datatype3.html).
    enforces_column_types = False
    supports_float_nan = False  # SQLite binds a NaN REAL as NULL

    def type_sql(self, type_: t.SQLType) -> str:
        if isinstance(type_, t.Integer):
            return "INTEGER"
        if isinstance(type_, t.Float):
            return "REAL"
        if isinstance(type_, t.DateTime):
            return "DATETIME"
        return super().type_sql(type_)

    def autoincrement_sql(self, type_sql: str) -> str:
        # INTEGER PRIMARY KEY makes the column the rowid alias (https://sqlite.org/lang_createtable.html#rowid).
        return "INTEGER PRIMARY KEY"

    # The name of the Unicode-aware lower() that ilike() uses (see register_functions).
    unicode_lower_function = "ormolu_lower"

    def register_functions(self, raw: sqlite3.Connection) -> None:
        """Register the SQL functions this dialect's SQL uses on a new connection."""
        raw.create_function(self.unicode_lower_function, 1, _unicode_lower, deterministic=True)
        functions.register(raw)

    def connect_statements(self) -> list[str]:
        # Foreign keys are off by default in SQLite; ormolu enforces them
        # (https://sqlite.org/foreignkeys.html#fk_enable).
        attach = [
            f"ATTACH DATABASE {self.render_literal(path)} AS {self.quote(name)}"
            for name, path in getattr(self, "attached", {}).items()
        ]
        return ["PRAGMA foreign_keys = ON", *attach]

    # A schema is an attached database (https://sqlite.org/lang_attach.html).
    schemas_are_attached_databases = True

    def attach(self, databases: dict[str, str]) -> None:
        """Attach each ``{schema: file}`` on every connection (``":memory:"`` for an
        in-memory one); models with ``schema=`` then use them."""
        for name, path in databases.items():
            if not isinstance(name, str) or not isinstance(path, str) or "\x00" in path:
                raise ConfigurationError(f"attach={{{name!r}: {path!r}}}: a name and a path")
        self.attached = {**getattr(self, "attached", {}), **databases}

    def index_names_sql(self, table: Any, index: str) -> tuple[str, str]:
        # CREATE INDEX schema.index ON table (https://sqlite.org/lang_createindex.html)
        schema = self.schema_of(table)
        name = f"{self.quote(schema)}.{self.quote(index)}" if schema else self.quote(index)
        return name, self.quote(table.name)

    def create_schema_sql(self, schema: str) -> str | None:
        return None  # attach a database instead (Database(attach=...))

    def drop_schema_sql(self, schema: str) -> str | None:
        return None

    def begin_statements(self, mode: str | None, isolation_level: str | None) -> list[str]:
        if isolation_level is not None:
            self.check_isolation_level(isolation_level)
        if mode is None:
            mode = self.default_begin_mode
            if mode is None:
                return ["BEGIN"]
        if mode.upper() not in self.transaction_modes:
            raise ConfigurationError(
                f"unknown SQLite transaction mode {mode!r}; use one of {self.transaction_modes}"
            )
        return ["BEGIN " + mode.upper()]

    def reflector_class(self) -> Any:
        from .reflect import SQLiteReflector

        return SQLiteReflector
