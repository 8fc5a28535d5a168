"""PostgreSQL: syntax, types and capability flags.

References (PostgreSQL 15 manual): data types ch. 8; INSERT ... ON CONFLICT and
RETURNING (SQL Commands: INSERT); SELECT ... FOR UPDATE NOWAIT/SKIP LOCKED (The Locking
Clause); transaction isolation (13.2); error codes (Appendix A).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from ...schema import types as t
from ...sql.compiler import SQLCompiler
from ..base import Dialect


class PostgreSQLCompiler(SQLCompiler):
    """PostgreSQL syntax overrides."""

    def visit_function(self, node: Any, **kw: Any) -> str:
        if node.name == "round" and len(node.args) == 2:
            # round(double precision, int) does not exist; round(numeric, int) does.
            arg, digits = (self.process(a) for a in node.args)
            return f"round(CAST({arg} AS NUMERIC), {digits})"
        return super().visit_function(node, **kw)

    # -- JSON: jsonb operators (manual 9.16) ------------------------------------------------
    _EXTRACT = {"integer": "BIGINT", "float": "DOUBLE PRECISION", "boolean": "BOOLEAN"}

    def visit_json_path(self, node: Any, **kw: Any) -> str:
        return f"CAST({self.process(node.doc)} #> {self.process(node.path_bind)} AS TEXT)"

    def visit_json_extract(self, node: Any, **kw: Any) -> str:
        path = node.path
        text = f"({self.process(path.doc)} #>> {self.process(path.path_bind)})"
        cast = self._EXTRACT.get(node.kind)
        return text if cast is None else f"CAST({text} AS {cast})"

    def visit_json_test(self, node: Any, **kw: Any) -> str:
        doc = self.process(node.doc)
        if node.kind == "key":
            return f"({doc} #> {self.process(node.path_bind)}) IS NOT NULL"
        if node.path_bind is not None:
            doc = f"({doc} #> {self.process(node.path_bind)})"
        return f"{doc} @> CAST({self.process(node.value)} AS JSONB)"


# The array element type of each class of driver value, the type psycopg sends one as
# (an int as int8: psycopg picks int2/int4/int8 by magnitude, and each reaches the column
# by the same assignment cast; a str as text, which reaches a text or varchar column by
# assignment). The array INSERT then converts each value as a multi-row VALUES would.
_ARRAY_ELEMENT_TYPES: dict[tuple[type, bool], str] = {
    (bool, False): "boolean",
    (int, False): "int8",
    (float, False): "float8",
    (Decimal, False): "numeric",
    (str, False): "text",
    (bytes, False): "bytea",
    (dt.datetime, False): "timestamp",
    (dt.datetime, True): "timestamptz",
    (dt.date, False): "date",
    (dt.time, False): "time",
    (dt.time, True): "timetz",
    (dt.timedelta, False): "interval",
    (uuid.UUID, False): "uuid",
}


class PostgreSQLDialect(Dialect):
    """PostgreSQL through psycopg 3."""

    name = "postgresql"
    compiler_class = PostgreSQLCompiler
    paramstyle = "format"
    placeholder = "%s"
    max_bind_parameters = 65535
    supports_returning = True
    supports_lastrowid = False  # always RETURNING; psycopg has no lastrowid
    supports_ilike = True
    supports_nulls_ordering = True
    supports_for_update = True
    failed_statement_aborts_transaction = True
    json_path_style = "array"  # #> and #>> take a text[] path
    update_from_style = "from"  # UPDATE ... FROM (manual: UPDATE)
    delete_from_style = "using"  # DELETE ... USING (manual: DELETE)
    streaming_needs_transaction = True  # a named cursor WITHOUT HOLD ends with its transaction
    statement_snapshots = True  # READ COMMITTED by default (manual, 13.2.1)
    # x = ANY(array) / x <> ALL(array) (manual, 9.25.3-4 "ANY/SOME (array)", "ALL
    # (array)"): the same truth values as IN / NOT IN, NULLs included
    in_list_as_array = True
    native_boolean = True
    native_decimal = True
    native_datetime = True
    native_timezone = True
    native_uuid = True
    native_json = False  # sent as text; the column type (JSONB) parses it
    native_interval = True
    supports_nul_in_text = False
    # INSERT ... SELECT * FROM unnest(%b::int8[], ...): one statement text for any number
    # of rows (prepared once), values sent as binary arrays (see array_insert_sql)
    supports_array_insert = True
    # Longer names are silently truncated, so two long names could become one
    # (PostgreSQL manual 4.1.1: NAMEDATALEN - 1 bytes).
    max_identifier_length = 63

    def identifier_length(self, name: str) -> int:
        return len(name.encode())

    def type_sql(self, type_: t.SQLType) -> str:
        if isinstance(type_, t.Bytes):
            return "BYTEA"
        if isinstance(type_, t.Uuid):
            return "UUID"
        if isinstance(type_, t.Json):
            return "JSONB"
        if isinstance(type_, t.Interval):
            return "INTERVAL"
        return super().type_sql(type_)

    def array_element_type(self, cls: type, aware: bool = False) -> str | None:
        return _ARRAY_ELEMENT_TYPES.get((cls, aware))

    def array_insert_sql(
        self, table: Any, names: tuple[str, ...], element_types: tuple[str, ...]
    ) -> str:
        # unnest() of several arrays gives one row per index, in order (manual 9.19,
        # "Array Functions"); INSERT ... SELECT converts each to its column as INSERT ...
        # VALUES does (assignment casts: a too-long text fails, as it does there). %b:
        # the arrays go in binary, several times cheaper for psycopg to dump than text
        # (both PostgreSQL drivers read %b as a placeholder).
        def q(name: str) -> str:
            return self.quote(name).replace("%", "%%")  # the statement has parameters

        columns = ", ".join(map(q, names))
        arrays = ", ".join(f"%b::{e}[]" for e in element_types)
        return (
            f"INSERT INTO {self.table_name_sql(table, q)} ({columns}) "
            f"SELECT * FROM unnest({arrays})"
        )

    def reset_identity_sql(self, table: Any, column: str) -> tuple[str, list[Any]] | None:
        # An identity column's sequence does not see explicit values (PostgreSQL manual:
        # CREATE TABLE, GENERATED BY DEFAULT AS IDENTITY), so move it past them.
        def q(name: str) -> str:
            return self.quote(name).replace("%", "%%")  # the statement has parameters

        name = self.table_name_sql(table)  # schema-qualified where it has one
        sql = (
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"(SELECT COALESCE(MAX({q(column)}), 0) + 1 FROM {self.table_name_sql(table, q)}), "
            f"false)"
        )
        return sql, [name, column]

    def autoincrement_sql(self, type_sql: str) -> str:
        return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def reflector_class(self) -> Any:
        from .reflect import PostgreSQLReflector

        return PostgreSQLReflector
