"""MySQL and MariaDB: syntax, types and capability flags.

Differences from standard SQL handled here: backtick identifiers; ``CONCAT()`` instead of
``||`` (which means OR by default); no ``NULLS FIRST/LAST`` (emulated); no ``ILIKE``
(``lower() LIKE lower()``); backslash is an escape character in string literals;
``LIMIT`` is required before ``OFFSET``; ``INSERT ... RETURNING`` only on MariaDB 10.5+
(detected from the server version; MySQL uses ``lastrowid``); timezone-aware datetimes
are stored as UTC in ``DATETIME(6)`` (``TIMESTAMP`` ends in 2038).

Comparisons on text use the column collation; the tables ``create_all`` makes state
``utf8mb4`` and a Unicode collation (``text_collation``: ``utf8mb4_uca1400_ai_ci`` on
MariaDB 10.10+), which ignores case and (MariaDB) trailing spaces, so ``name == "abc"``
also matches ``"ABC"``.
Declare the column ``db_type=String(n, exact=True)`` (a binary no-pad collation) or compare
``func.binary(col)`` for exact matching (MariaDB KB: "Character Sets and Collations").

A ``str`` field without ``max_length`` is ``LONGTEXT``, which cannot be a key: when it is
part of a primary key, unique constraint, index or foreign key it is ``VARCHAR(255)``
instead. ``func.length(x)`` is rendered ``CHAR_LENGTH(x)`` (characters, as elsewhere).
"""

from __future__ import annotations

from typing import Any

from ...exceptions import ConfigurationError
from ...schema import types as t
from ...sql.compiler import SQLCompiler
from ...sql.elements import ClauseElement
from ..base import Dialect


class MySQLCompiler(SQLCompiler):
    """MySQL syntax overrides."""

    def concat(self, left: ClauseElement, right: ClauseElement) -> str:
        return f"CONCAT({self.process(left)}, {self.process(right)})"

    def visit_function(self, node: Any, **kw: Any) -> str:
        if node.name.lower() == "length" and len(node.args) == 1:
            # length() counts bytes here; it counts characters on the other backends.
            return f"CHAR_LENGTH({self.process(node.args[0])})"
        return super().visit_function(node, **kw)

    def visit_extract(self, node: Any, **kw: Any) -> str:
        return f"EXTRACT({node.field.upper()} FROM {self.process(node.expr)})"

    def visit_over(self, node: Any, **kw: Any) -> str:
        fn = node.function
        if (
            self.dialect.supports_lag_default
            or self.window_refused is not None
            or fn.name not in ("lag", "lead")
            or len(fn.args) < 3
        ):
            return super().visit_over(node, **kw)
        # No default argument: take the default where no row lies that far away.
        expr, offset, default = fn.args
        n = offset.value
        shifted = f"{fn.name}({self.process(expr)}, {n}) OVER ({self.window_spec(node)})"
        position = f"row_number() OVER ({self.window_spec(node)})"
        if fn.name == "lag":
            there = f"{position} > {n}"
        else:
            there = f"count(*) OVER ({self.window_spec(node, order=False)}) - {position} >= {n}"
        return f"CASE WHEN {there} THEN {shifted} ELSE {self.process(default)} END"

    # -- JSON (MariaDB KB: JSON Functions) --------------------------------------------------
    def visit_json_path(self, node: Any, **kw: Any) -> str:
        return f"JSON_EXTRACT({self.process(node.doc)}, {self.process(node.path_bind)})"

    def visit_json_extract(self, node: Any, **kw: Any) -> str:
        # (each use renders the path again: every placeholder takes its parameter)
        def value() -> str:
            return self.visit_json_path(node.path)

        if node.kind == "boolean":
            return (
                f"CASE WHEN JSON_TYPE({value()}) = 'BOOLEAN' "
                f"THEN JSON_UNQUOTE({value()}) = 'true' END"
            )
        if node.kind == "string":
            converted = f"JSON_UNQUOTE({value()})"
        else:
            target = "SIGNED" if node.kind == "integer" else "DOUBLE"
            converted = f"CAST(JSON_UNQUOTE({value()}) AS {target})"
        # JSON null is no SQL NULL here: JSON_UNQUOTE of it is the text 'null'
        return f"CASE WHEN JSON_TYPE({value()}) = 'NULL' THEN NULL ELSE {converted} END"

    def visit_json_test(self, node: Any, **kw: Any) -> str:
        doc = self.process(node.doc)
        if node.kind == "key":
            return f"JSON_CONTAINS_PATH({doc}, 'one', {self.process(node.path_bind)})"
        value = self.process(node.value)
        if node.path_bind is None:
            return f"JSON_CONTAINS({doc}, {value})"
        return f"JSON_CONTAINS({doc}, {value}, {self.process(node.path_bind)})"

    # -- dates and times (MariaDB KB: Date & Time Functions) ------------------------------
    def visit_date_diff(self, node: Any, **kw: Any) -> str:
        return f"DATEDIFF({self.process(node.end)}, {self.process(node.start)})"

    def visit_datetime_diff(self, node: Any, **kw: Any) -> str:
        # an Interval is a count of microseconds here
        return f"TIMESTAMPDIFF(MICROSECOND, {self.process(node.start)}, {self.process(node.end)})"

    def visit_datetime_add(self, node: Any, **kw: Any) -> str:
        fn = "DATE_ADD" if node.sign > 0 else "DATE_SUB"
        sql = f"{fn}({self.process(node.expr)}, INTERVAL {self.process(node.interval)} MICROSECOND)"
        return f"CAST({sql} AS DATE)" if node.is_date else sql

    _TRUNC = {
        "year": "%Y-01-01",
        "month": "%Y-%m-01",
        "day": "%Y-%m-%d",
        "hour": "%Y-%m-%d %H:00:00",
        "minute": "%Y-%m-%d %H:%i:00",
    }

    def visit_date_trunc(self, node: Any, **kw: Any) -> str:
        fmt = self._TRUNC[node.unit]
        target = "DATE" if node.is_date else "DATETIME(6)"
        if not node.is_date and node.unit in ("year", "month", "day"):
            fmt += " 00:00:00"
        literal = self.escape_text(self.dialect.render_literal(fmt))
        return f"CAST(DATE_FORMAT({self.process(node.expr)}, {literal}) AS {target})"

    def upsert_clause(self, node: Any) -> str:
        # MySQL has no conflict target: any unique key conflict triggers the update
        # (MariaDB KB: INSERT ON DUPLICATE KEY UPDATE). "Do nothing" assigns a key to itself.
        q = self.quote
        cols = node.update or node.conflict[:1]
        return "ON DUPLICATE KEY UPDATE " + ", ".join(
            f"{q(c)} = VALUES({q(c)})" if node.update else f"{q(c)} = {q(c)}" for c in cols
        )

    def shared_lock_clause(self) -> str:
        # MariaDB has no FOR SHARE; both servers take LOCK IN SHARE MODE (MariaDB KB:
        # "LOCK IN SHARE MODE"; MySQL 8 keeps it as a synonym of FOR SHARE).
        return "LOCK IN SHARE MODE"

    def limit_clause(self, limit: str | None, offset: str | None) -> str:
        if offset is not None:
            return f"LIMIT {limit if limit is not None else '18446744073709551615'} OFFSET {offset}"
        return f"LIMIT {limit}"


class MySQLDialect(Dialect):
    """MySQL / MariaDB through PyMySQL."""

    name = "mysql"
    # Each DDL statement commits implicitly (MariaDB KB: "SQL statements That Cause an
    # Implicit Commit"), so a migration records each step as it completes.
    transactional_ddl = False
    paramstyle = "format"
    placeholder = "%s"
    identifier_quote = "`"
    compiler_class = MySQLCompiler
    max_bind_parameters = 65535
    supports_returning = False  # set per server: MariaDB >= 10.5
    lastrowid_is_key = True
    supports_create_index_if_not_exists = False  # set per server: MariaDB has it
    supports_ilike = False
    supports_nulls_ordering = False
    supports_for_update = True
    native_boolean = False  # BOOLEAN is TINYINT(1): reads back as 0/1
    native_decimal = True
    native_datetime = True
    native_timezone = False  # DATETIME has no zone: aware values are stored as UTC
    native_uuid = False
    native_json = False
    native_interval = False
    concurrent_streaming = False  # an unbuffered result blocks the connection
    # InnoDB runs SERIALIZABLE reads as SELECT ... LOCK IN SHARE MODE (MariaDB KB: SET
    # TRANSACTION); ON DUPLICATE KEY UPDATE has no conflict target.
    serializable_reads_lock = True
    supports_upsert_conflict_target = False
    # multi-table UPDATE t JOIN ... SET / DELETE t FROM t JOIN ... (MariaDB KB: UPDATE)
    update_from_style = "join"
    delete_from_style = "join"
    supports_intersect_except = False  # set per server: MariaDB 10.3, MySQL 8.0.31
    supports_set_op_all = False  # set per server: MariaDB 10.5, MySQL 8.0.31
    # A TEXT column cannot be a key without a prefix length (error 1170), and a prefix
    # would make UNIQUE compare prefixes only; longer values are refused (DataError,
    # strict mode). 255 utf8mb4 characters take 1020 bytes: three fit InnoDB's
    # 3072-byte index limit (MariaDB KB: InnoDB Limitations).
    key_string_length = 255
    max_identifier_length = 64  # characters (MariaDB KB: Identifier Names)
    # The default collations ignore case; MariaDB's (and MySQL 5.7's) also pad with
    # spaces, MySQL 8's utf8mb4_0900_ai_ci does not (set per server below).
    text_compare_ignores_case = True
    text_compare_ignores_control_characters = True  # (UCA collations: text_collation)
    text_compare_ignores_trailing_spaces = True
    # String(exact=True): binary, and NO PAD where the server has such a collation.
    exact_text_collation = "utf8mb4_bin"
    # The collation of the tables create_all makes (set per server below; UCA 5.2.0 is
    # in MariaDB 5.5+ and MySQL 5.6+).
    text_collation = "utf8mb4_unicode_520_ci"
    supports_float_nan = False  # DOUBLE holds finite values only (MariaDB KB: DOUBLE)
    supports_float_infinity = False

    def configure_for_server(self, version: str) -> None:
        """Set version-dependent flags from the server's version string."""
        if "MariaDB" in version:
            # MariaDB may prefix a fake "5.5.5-" for old clients: "5.5.5-10.11.19-MariaDB-..."
            parts = [p for p in version.split("-") if p[:1].isdigit()]
            nums = (parts[1] if parts[0] == "5.5.5" and len(parts) > 1 else parts[0]).split(".")
            major, minor = int(nums[0]), int(nums[1])
            self.supports_returning = (major, minor) >= (10, 5)
            # INTERSECT/EXCEPT from 10.3, their ALL forms from 10.5 (MariaDB KB: INTERSECT)
            self.supports_intersect_except = (major, minor) >= (10, 3)
            self.supports_set_op_all = (major, minor) >= (10, 5)
            self.supports_lag_default = False  # LAG(expr [, offset]) (MariaDB KB: LAG)
            self.supports_create_index_if_not_exists = True
            if (major, minor) >= (10, 2):
                self.exact_text_collation = "utf8mb4_nopad_bin"
            if (major, minor) >= (10, 10):  # UCA 14.0.0, PAD SPACE (MariaDB KB)
                self.text_collation = "utf8mb4_uca1400_ai_ci"
        elif version[:1].isdigit():
            ver = tuple(int(p) for p in version.split("-")[0].split(".")[:3] if p.isdigit())
            # INTERSECT and EXCEPT (with ALL) from MySQL 8.0.31
            self.supports_intersect_except = self.supports_set_op_all = ver >= (8, 0, 31)
            if ver >= (8,):
                self.text_compare_ignores_trailing_spaces = False  # NO PAD collations
                self.exact_text_collation = "utf8mb4_0900_bin"
                self.text_collation = "utf8mb4_0900_ai_ci"  # UCA 9.0.0, NO PAD

    def table_options_sql(self) -> str:
        # Stated, not inherited: a database or server defaulting to latin1 would store
        # '?' for what it cannot hold, and utf8mb3 refuses emoji. The collation is the
        # newest Unicode one the server has (see configure_for_server): the older
        # utf8mb4_general_ci and utf8mb4_unicode_ci weigh every character outside the
        # Basic Multilingual Plane alike, so '😀' = '😁' and a UNIQUE column refuses the
        # second emoji (MariaDB KB: "Character Sets and Collations"; MySQL 8.0 manual,
        # 10.10.1 "Unicode Character Sets").
        return f" DEFAULT CHARSET=utf8mb4 COLLATE={self.text_collation}"

    def create_schema_sql(self, schema: str) -> str | None:
        # a schema is a database (MariaDB KB: CREATE DATABASE)
        return f"CREATE DATABASE {self.quote(schema)}"

    def drop_schema_sql(self, schema: str) -> str | None:
        return f"DROP DATABASE {self.quote(schema)}"

    def render_literal(self, value: Any) -> str:
        sql = super().render_literal(value)
        if isinstance(value, str):
            sql = sql.replace("\\", "\\\\")
        return sql

    def type_sql(self, type_: t.SQLType) -> str:
        if isinstance(type_, t.Boolean):
            return "BOOLEAN"
        if isinstance(type_, t.Integer):
            return {2: "SMALLINT", 4: "INT"}.get(type_.size, "BIGINT")
        if isinstance(type_, t.Float):
            return "DOUBLE"
        if isinstance(type_, t.EnumType):
            return "INT" if type_.is_int else f"VARCHAR({type_.length or 1})"
        if isinstance(type_, t.String):
            return f"VARCHAR({type_.length})" if type_.length else "LONGTEXT"
        if isinstance(type_, t.Bytes):
            return "LONGBLOB"
        if isinstance(type_, t.Numeric):
            if type_.precision is not None:
                return f"DECIMAL({type_.precision}, {type_.scale or 0})"
            return "DECIMAL(65, 30)"
        if isinstance(type_, t.DateTime):
            return "DATETIME(6)"
        if isinstance(type_, t.Time):
            return "TIME(6)"
        if isinstance(type_, t.Interval):
            return "BIGINT"
        if isinstance(type_, t.Json):
            return "JSON"
        return super().type_sql(type_)

    def cast_type_sql(self, type_: t.SQLType) -> str:
        # CAST accepts only a few target types (MariaDB KB: CAST).
        if isinstance(type_, t.Boolean | t.Integer):
            return "SIGNED"
        if isinstance(type_, t.String | t.EnumType | t.Uuid):
            return "CHAR"
        if isinstance(type_, t.Float):
            return "DOUBLE"
        if isinstance(type_, t.Bytes):
            return "BINARY"
        return self.type_sql(type_)

    def autoincrement_sql(self, type_sql: str) -> str:
        return "BIGINT AUTO_INCREMENT PRIMARY KEY"

    def insert_default_values(self, quoted_table: str) -> str:
        return f"INSERT INTO {quoted_table} () VALUES ()"

    def begin_statements(self, mode: str | None, isolation_level: str | None) -> list[str]:
        if mode is not None:
            raise ConfigurationError(f"MySQL has no transaction mode {mode!r}")
        if isolation_level is None:
            return ["START TRANSACTION"]
        # SET TRANSACTION applies to the next transaction only (MariaDB KB: SET TRANSACTION).
        level = self.check_isolation_level(isolation_level)
        return [f"SET TRANSACTION ISOLATION LEVEL {level}", "START TRANSACTION"]

    def reflector_class(self) -> Any:
        from .reflect import MySQLReflector

        return MySQLReflector
