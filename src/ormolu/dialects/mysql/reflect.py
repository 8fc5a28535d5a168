"""MySQL and MariaDB reflection from ``information_schema`` (MariaDB KB: "Information
Schema Tables"; MySQL 8.0 manual, chapter 26) of the current database (``DATABASE()``):
``TABLES``, ``COLUMNS``, ``STATISTICS`` (indexes), ``KEY_COLUMN_USAGE`` with
``REFERENTIAL_CONSTRAINTS`` (foreign keys and their rules) and ``CHECK_CONSTRAINTS``.

Normalised here: integer display widths (``int(11)`` is ``INT``) and ``tinyint(1)``,
which is how ``BOOLEAN`` is stored; a UNIQUE constraint, which is a unique index; the
index InnoDB adds for a foreign key that has none (named after the constraint); ``NO
ACTION``, which InnoDB treats as ``RESTRICT`` and reports so; MariaDB's ``JSON``, which
is ``LONGTEXT`` with a binary collation and a ``json_valid()`` CHECK; a collation only
where it differs from the table's default; defaults as MariaDB 10.2.7+ reports them (SQL
expressions, ``NULL`` for none) and as MySQL reports them (a string constant unquoted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...protocol import ROWS, Execute, Op
from ...schema import types as t
from ...schema.cycles import Catalog, ForeignKeyLink, literal_list, statement
from ...schema.sqlnorm import normalize_expression
from ...schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    SchemaState,
    TableState,
)
from ..reflection import Reflector, rows_by, split_type

_INTS = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}

_TABLES = (
    "SELECT TABLE_NAME, TABLE_COMMENT, TABLE_COLLATION FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
)
_COLUMNS = (
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
    "COLLATION_NAME, COLUMN_COMMENT FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION"
)
_INDEXES = (
    "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION "
    "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
    "AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
)
_PRIMARY = (
    "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
    "WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'PRIMARY' "
    "ORDER BY TABLE_NAME, SEQ_IN_INDEX"
)
_FOREIGN_KEYS = (
    "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
    "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE "
    "FROM information_schema.KEY_COLUMN_USAGE k "
    "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
    "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
    "AND r.TABLE_NAME = k.TABLE_NAME "
    "WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL "
    "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)
# MariaDB's CHECK_CONSTRAINTS has TABLE_NAME; MySQL's does not (found in TABLE_CONSTRAINTS).
_HAS_CHECK_TABLE = (
    "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
    "'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME = 'TABLE_NAME'"
)
_CHECKS_MARIADB = (
    "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME"
)
_CHECKS_MYSQL = (
    "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE "
    "FROM information_schema.CHECK_CONSTRAINTS cc JOIN information_schema.TABLE_CONSTRAINTS tc "
    "ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME "
    "AND tc.CONSTRAINT_TYPE = 'CHECK' WHERE cc.CONSTRAINT_SCHEMA = DATABASE() "
    "ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME"
)


# a MySQL string literal: an optional character set introducer (MySQL 8 writes
# _utf8mb4'x' in CHECK_CLAUSE), backslash escapes and doubled quotes
_MYSQL_STRING = re.compile(r"(?:\b_[A-Za-z0-9]+)?'((?:[^'\\]|\\.|'')*)'", re.S)
_ESCAPES = {"0": "\x00", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def standard_strings(sql: str) -> str:
    """``sql`` with its MySQL string literals written the standard way (quotes doubled,
    no backslash escapes, no character set introducer), as the models' side writes
    them (MySQL 8.0 manual, 11.1.1 "String Literals")."""

    def fix(m: re.Match[str]) -> str:
        inner = re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)), m.group(1))
        return "'" + inner.replace("''", "'").replace("'", "''") + "'"

    return _MYSQL_STRING.sub(fix, sql)


# create_all / drop_all (ormolu.schema.cycles): tables and foreign keys in any database
_LINK_TABLES = (
    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
    "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME IN ({names})"
)
_LINKS = (
    "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, "
    "REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
    "WHERE REFERENCED_TABLE_NAME IN ({names})"
)


class MySQLReflector(Reflector):
    """Reads a MySQL or MariaDB schema (see the module docstring)."""

    unique_constraints_are_indexes = True
    alter_restates_column = True
    drop_foreign_key_clause = "DROP FOREIGN KEY"
    drop_index_names_table = True

    def canonical_type(self, sql: str) -> str:
        base, args, rest = split_type(sql)
        b = base.lower()
        if b == "tinyint" and args == ("1",):
            return "BOOLEAN"
        if b == "bool" or b == "boolean":
            return "BOOLEAN"
        if b in _INTS:
            name = "INT" if b == "integer" else b.upper()
            return f"{name} {rest.upper()}" if rest else name
        if b in ("decimal", "numeric"):
            args = tuple(args) + (("0",) if len(args) == 1 else ())
            return "DECIMAL" + (f"({','.join(args)})" if args else "(10,0)")
        if b == "double precision" or b == "real":
            b = "double"
        if b == "enum" or b == "set":
            return sql.strip()  # the values are part of the type
        text = b.upper() + (f"({','.join(args)})" if args else "")
        return f"{text} {rest.upper()}" if rest else text

    def canonical_check(self, sql: str) -> str:
        return super().canonical_check(standard_strings(sql))

    def canonical_default(self, sql: str | None, type_: str) -> str | None:
        norm = super().canonical_default(sql, type_)
        if type_ == "BOOLEAN" and norm in ("true", "false"):
            # TRUE and FALSE are 1 and 0, and reported so (MySQL 8.0 manual, 11.1.6
            # "Boolean Literals"): DEFAULT TRUE reads back as 1
            return "1" if norm == "true" else "0"
        return norm

    def canonical_action(self, action: str | None) -> str:
        norm = super().canonical_action(action)
        return "RESTRICT" if norm == "NO ACTION" else norm

    def autoincrement_type(self, type_sql: str) -> str:
        return "BIGINT"  # see MySQLDialect.autoincrement_sql

    def sqltype_for(self, type_: str) -> t.SQLType:
        base, _, rest = split_type(type_)
        if base == "INT":
            return t.Integer(4)
        if base == "TINYINT":
            return t.Integer(2)
        if base == "DATETIME":
            return t.DateTime()
        if base == "TIME":
            return t.Time()
        if base.startswith(("ENUM", "SET")) or rest:
            return t.DeclaredType(type_, python_type=int if "INT" in base else str)
        return super().sqltype_for(type_)

    def links_op(self, names: Sequence[str]) -> Op[Catalog]:
        d, listed = self.dialect, literal_list(self.dialect, names)
        rows = (yield Execute("SELECT DATABASE()", want=ROWS)).rows
        tables = (yield statement(d, _LINK_TABLES.format(names=listed), ROWS)).rows
        links = (yield statement(d, _LINKS.format(names=listed), ROWS)).rows
        return Catalog(
            rows[0][0] or "", {(r[0], r[1]) for r in tables}, [ForeignKeyLink(*r) for r in links]
        )

    def reflect(self, only: Sequence[str] | None = None) -> Op[SchemaState]:
        tables = (yield Execute(_TABLES, want=ROWS)).rows
        columns = rows_by((yield Execute(_COLUMNS, want=ROWS)).rows)
        indexes = rows_by((yield Execute(_INDEXES, want=ROWS)).rows)
        primary = rows_by((yield Execute(_PRIMARY, want=ROWS)).rows)
        fks = rows_by((yield Execute(_FOREIGN_KEYS, want=ROWS)).rows)
        has_table = (yield Execute(_HAS_CHECK_TABLE, want=ROWS)).rows[0][0]
        checks = rows_by(
            (yield Execute(_CHECKS_MARIADB if has_table else _CHECKS_MYSQL, want=ROWS)).rows
        )
        wanted = set(only) if only is not None else None
        out = []
        for name, comment, collation in tables:
            if wanted is not None and name not in wanted:
                continue
            out.append(
                self._table(
                    name,
                    comment or None,
                    collation,
                    columns.get(name, []),
                    indexes.get(name, []),
                    tuple(r[1] for r in primary.get(name, [])),
                    fks.get(name, []),
                    checks.get(name, []),
                )
            )
        return SchemaState.build(out)

    def _default(self, raw: Any, extra: str) -> str | None:
        if raw is None:
            return None
        text = str(raw)
        if text.upper() == "NULL":
            return None
        if "DEFAULT_GENERATED" in extra.upper() or text.startswith("'"):
            return text
        try:
            normalize_expression(text)
            float(text)
            return text
        except ValueError:
            # MySQL reports a string constant without its quotes
            return "'" + text.replace("'", "''") + "'"

    def _table(
        self,
        name: str,
        comment: str | None,
        table_collation: str | None,
        columns: list[Any],
        indexes: list[Any],
        pk: tuple[str, ...],
        fks: list[Any],
        checks: list[Any],
    ) -> TableState:
        json_cols = set()
        check_states = []
        for _, cname, clause in checks:
            norm = self.canonical_check(clause)
            col_json = [c[1] for c in columns if norm == f"json_valid({c[1].lower()})"]
            if col_json:
                json_cols.add(col_json[0])
                continue
            check_states.append(CheckState(norm, cname, clause))
        cols = []
        for _, cname, ctype, nullable, dflt, extra, collation, ccomment in columns:
            canon = self.canonical_type(ctype)
            if cname in json_cols and canon == "LONGTEXT":
                canon, collation = "JSON", None
            if collation == table_collation:
                collation = None
            default = self._default(dflt, extra or "")
            auto = "auto_increment" in (extra or "").lower()
            cols.append(
                ColumnState(
                    cname,
                    canon,
                    nullable == "YES",
                    self.canonical_default(default, canon),
                    auto,
                    collation,
                    ccomment or None,
                    self.sqltype_for(canon),
                    default,
                )
            )
        fk_states = []
        for cname, rows in rows_by(fks, 1).items():
            fk_states.append(
                ForeignKeyState(
                    tuple(r[2] for r in rows),
                    rows[0][3],
                    tuple(r[4] for r in rows),
                    self.canonical_action(rows[0][5]),
                    self.canonical_action(rows[0][6]),
                    cname,
                )
            )
        fk_names = {f.name: f.columns for f in fk_states}
        ixs = []
        for ix_name, rows in rows_by(indexes, 1).items():
            colnames = tuple(r[4] for r in rows)
            unique = not int(rows[0][2])
            if not unique and fk_names.get(ix_name) == colnames:
                continue  # the index InnoDB made for the foreign key
            orders = tuple("DESC" if r[5] == "D" else "ASC" for r in rows)
            ixs.append(IndexState(colnames, unique, orders, None, ix_name))
        state = TableState.build(name, cols, pk, ixs, (), fk_states, check_states, comment)
        return self.adjust(state)
