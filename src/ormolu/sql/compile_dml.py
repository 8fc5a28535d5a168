"""Compilation of INSERT, UPDATE and DELETE (a part of :class:`~ormolu.sql.compiler
.SQLCompiler`, which inherits it).

An UPDATE or DELETE made from a query with joins (``s.query(Track).join(Album).where(
Album.title == "x").update(...)``) names other tables; SQL has no standard form for that,
so the dialect says which it has (``update_from_style``, ``delete_from_style``):

* ``"from"`` / ``"using"`` — ``UPDATE t SET ... FROM a WHERE <join conditions> AND ...``,
  ``DELETE FROM t USING a WHERE ...`` (PostgreSQL manual: UPDATE, DELETE; SQLite 3.33+
  has UPDATE FROM);
* ``"join"`` — ``UPDATE t JOIN a ON ... SET t.c = ...``, ``DELETE t FROM t JOIN a ON ...``
  (MySQL multi-table UPDATE and DELETE);
* ``"subquery"`` — ``UPDATE t SET ... WHERE (key) IN (SELECT t.key FROM t JOIN a ...)``,
  which every backend with row values accepts; SET may then use the target's columns only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError
from . import joins

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .elements import ClauseElement, Expr
    from .selectable import FromClause


class DMLCompiler:
    """The INSERT/UPDATE/DELETE part of the SQL compiler."""

    # provided by SQLCompiler
    dialect: Dialect
    placeholder: str
    outer_froms: list[list[FromClause]]
    quote: Callable[[str], str]

    def process(self, node: ClauseElement, **kw: Any) -> str:
        raise NotImplementedError

    def table_sql(self, table: Any) -> str:
        """A table's name as written in SQL (schema-qualified where it has one)."""
        raise NotImplementedError

    # -- expression statements -------------------------------------------------------------
    def _others(self, node: Any) -> list[tuple[Any, list[Any]]] | None:
        """The FROM chains of a multi-table statement's source, or None when the statement
        reads its target table alone."""
        source = node.source
        if source is None:
            return None
        chains = joins.layout(source)
        if len(chains) == 1 and not chains[0][1] and joins.same_from(chains[0][0], node.table):
            return None
        if not any(joins.same_from(r, node.table) for r, _ in chains):
            raise ArgumentError(
                f"an UPDATE or DELETE of {node.table.name!r} needs its table first in the "
                f"query's FROM clause"
            )
        return chains

    def _where(self, table: Any, where: Expr[Any] | None) -> str:
        if where is None:
            return ""
        self.outer_froms.append([table])
        try:
            return " WHERE " + self.process(where)
        finally:
            self.outer_froms.pop()

    def _sets(self, node: Any, qualified: bool, others_allowed: bool) -> str:
        parts = []
        for c, v in node.values:
            if not others_allowed and any(not joins.same_from(f, node.table) for f in v._froms()):
                raise ArgumentError(
                    f"UPDATE {node.table.name!r}: SET {c.name} = ... uses another table's "
                    f"column, which {self.dialect.name} cannot do in an UPDATE with a join "
                    f"(it is rendered as WHERE key IN (SELECT ...)); compute the value in a "
                    f"scalar subquery instead"
                )
            col = (self.table_sql(node.table) + "." if qualified else "") + self.quote(c.name)
            parts.append(f"{col} = {self.process(v)}")
        return ", ".join(parts)

    def visit_update(self, node: Any, **kw: Any) -> str:
        chains = self._others(node)
        table = self.table_sql(node.table)
        if chains is None:
            sql = f"UPDATE {table} SET {self._sets(node, False, True)}"
            return sql + self._where(node.table, node.where)
        style = self.dialect.update_from_style
        if style == "join":
            return (
                f"UPDATE {self._from_text(chains)} SET {self._sets(node, True, True)}"
                + self._where(node.table, node.where)
            )
        if style == "from":
            others, conds = self._flatten(node, chains)
            sql = f"UPDATE {table} SET {self._sets(node, False, True)} FROM {others}"
            return sql + self._where(node.table, _and_all(conds, node.where))
        sets = self._sets(node, False, False)
        return f"UPDATE {table} SET {sets} WHERE {self._key_in(node, chains)}"

    def visit_delete(self, node: Any, **kw: Any) -> str:
        chains = self._others(node)
        table = self.table_sql(node.table)
        if chains is None:
            return f"DELETE FROM {table}" + self._where(node.table, node.where)
        style = self.dialect.delete_from_style
        if style == "join":
            return f"DELETE {table} FROM {self._from_text(chains)}" + self._where(
                node.table, node.where
            )
        if style == "using":
            others, conds = self._flatten(node, chains)
            sql = f"DELETE FROM {table} USING {others}"
            return sql + self._where(node.table, _and_all(conds, node.where))
        return f"DELETE FROM {table} WHERE {self._key_in(node, chains)}"

    def _from_text(self, chains: list[tuple[Any, list[Any]]]) -> str:
        items = []
        for root, chain in chains:
            item = self.process(root)
            if chain:
                item += " " + " ".join(self.process(j) for j in chain)
            items.append(item)
        return ", ".join(items)

    def _flatten(
        self, node: Any, chains: list[tuple[Any, list[Any]]]
    ) -> tuple[str, list[Expr[Any]]]:
        """The FROM items other than the target, and the join conditions as WHERE terms
        (for UPDATE ... FROM / DELETE ... USING, which take no JOIN to the target)."""
        items: list[str] = []
        conds: list[Expr[Any]] = []
        for root, chain in chains:
            if not joins.same_from(root, node.table):
                items.append(self.process(root))
            for j in chain:
                if j.outer:
                    raise ArgumentError(
                        f"an UPDATE or DELETE through an outer join cannot be written on "
                        f"{self.dialect.name}; use an inner join or a subquery condition"
                    )
                items.append(self.process(j.target))
                conds.append(j.onclause)
        return ", ".join(items), conds

    def _key_in(self, node: Any, chains: list[tuple[Any, list[Any]]]) -> str:
        """``(t.k1, ...) IN (SELECT t.k1, ... FROM <the query's FROM> WHERE ...)``."""
        keys = [c for c in node.table.columns if c.primary_key] or list(node.table.columns)
        q = self.quote
        table = self.table_sql(node.table)
        outer = ", ".join(f"{table}.{q(c.name)}" for c in keys)
        inner = f"SELECT {outer} FROM {self._from_text(chains)}"
        if node.where is not None:
            self.outer_froms.append(joins_members(chains))
            try:
                inner += " WHERE " + self.process(node.where)
            finally:
                self.outer_froms.pop()
        return f"({outer}) IN ({inner})" if len(keys) > 1 else f"{outer} IN ({inner})"

    def visit_insert_from(self, node: Any, **kw: Any) -> str:
        cols = ", ".join(self.quote(c.name) for c in node.columns)
        select = self.process(node.select)
        return f"INSERT INTO {self.table_sql(node.table)} ({cols}) {select}"

    # -- row statements of the unit of work ---------------------------------------------------
    def visit_row_insert(self, node: Any, **kw: Any) -> str:
        q = self.quote
        table = self.table_sql(node.table)
        if node.columns:
            cols = "(" + ", ".join(q(c) for c in node.columns) + ")"
            row = "(" + ", ".join([self.placeholder] * len(node.columns)) + ")"
            sql = f"INSERT INTO {table} {cols} VALUES " + ", ".join([row] * node.rows)
        else:
            sql = self.dialect.insert_default_values(table)
        if node.returning:
            sql += " RETURNING " + ", ".join(q(c) for c in node.returning)
        return sql

    def visit_upsert(self, node: Any, **kw: Any) -> str:
        q = self.quote
        insert = self.visit_row_insert(_AsInsert(node))
        sql = insert + " " + self.upsert_clause(node)
        if node.returning:
            sql += " RETURNING " + ", ".join(q(c) for c in node.returning)
        return sql

    def upsert_clause(self, node: Any) -> str:
        """``ON CONFLICT (...) DO UPDATE SET c = excluded.c`` / ``DO NOTHING`` (PostgreSQL
        and SQLite syntax)."""
        q = self.quote
        target = "(" + ", ".join(q(c) for c in node.conflict) + ")"
        if not node.update:
            return f"ON CONFLICT {target} DO NOTHING"
        sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in node.update)
        return f"ON CONFLICT {target} DO UPDATE SET {sets}"

    def visit_row_update(self, node: Any, **kw: Any) -> str:
        q, p = self.quote, self.placeholder
        sets = ", ".join(f"{q(c)} = {p}" for c in node.columns)
        where = " AND ".join(f"{q(k)} = {p}" for k in node.keys)
        return f"UPDATE {self.table_sql(node.table)} SET {sets} WHERE {where}"

    def visit_row_delete_in(self, node: Any, **kw: Any) -> str:
        q = self.quote
        marks = ", ".join([self.placeholder] * node.rows)
        return f"DELETE FROM {self.table_sql(node.table)} WHERE {q(node.key)} IN ({marks})"

    def visit_row_delete(self, node: Any, **kw: Any) -> str:
        q, p = self.quote, self.placeholder
        where = " AND ".join(f"{q(k)} = {p}" for k in node.keys)
        return f"DELETE FROM {self.table_sql(node.table)} WHERE {where}"


def joins_members(chains: list[tuple[Any, list[Any]]]) -> list[Any]:
    """Every FROM item of laid-out chains."""
    return [f for root, chain in chains for f in (root, *[j.target for j in chain])]


def _and_all(conds: list[Expr[Any]], where: Expr[Any] | None) -> Expr[Any] | None:
    from .elements import and_

    terms = [*conds, *([where] if where is not None else [])]
    return and_(*terms) if terms else None


class _AsInsert:
    """An upsert seen as its plain INSERT part."""

    def __init__(self, node: Any) -> None:
        self.table, self.columns, self.rows, self.returning = (
            node.table,
            node.columns,
            node.rows,
            (),
        )
