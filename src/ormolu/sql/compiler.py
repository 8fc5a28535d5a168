"""The SQL compiler: statement tree → SQL text, parameter order and result column types.

Compiling is pure. :func:`compile_statement` computes the statement's structural key (one
traversal that also collects the bound values), looks the key up in the dialect's compile
cache and compiles only on a miss. The :class:`Compiled` object records, for each
placeholder in the text, which collected value it takes and how to convert it, so a cache
hit needs no further walk of the tree.

Dialects subclass :class:`SQLCompiler` to change syntax; this module names no database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError, ConfigurationError
from . import joins
from .compile_dml import DMLCompiler
from .elements import (
    ATOM,
    COMPARISONS,
    BindList,
    BindParam,
    ClauseElement,
    ColumnRef,
    Expr,
    Label,
    Ordering,
)
from .selectable import CompoundSelect, FromClause, Select, Subquery

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..schema.types import SQLType


class Compiled:
    """A compiled statement: ``sql`` text, how to build its parameter list, and the result
    column ``types`` and ``keys`` (for SELECTs). ``extra`` memoises per-shape data that
    callers attach (e.g. the ORM's row loader)."""

    __slots__ = (
        "bind_order", "bind_procs", "expands", "extra", "is_select", "keys", "sql", "types",
    )  # fmt: skip

    def __init__(
        self,
        sql: str,
        bind_order: tuple[int, ...],
        bind_procs: tuple[Callable[[Any], Any] | None, ...],
        types: list[SQLType],
        keys: list[str],
        is_select: bool,
        expands: bool = False,
    ) -> None:
        self.sql = sql
        # whether a BindList (the values of an IN list) stands for several parameters
        self.expands = expands
        self.bind_order = bind_order
        self.bind_procs = bind_procs
        self.types = types
        self.keys = keys
        self.extra: dict[Any, Any] = {}
        self.is_select = is_select

    def params(self, binds: list[Any]) -> list[Any]:
        """Return the driver parameters for ``binds`` (collected by the statement's key walk)."""
        if self.expands:
            flat: list[Any] = []
            for b in binds:
                if type(b) is BindList:
                    flat.extend(b.values)
                else:
                    flat.append(b.value)
            return [
                flat[i] if proc is None else proc(flat[i])
                for i, proc in zip(self.bind_order, self.bind_procs)
            ]
        return [
            binds[i].value if proc is None else proc(binds[i].value)
            for i, proc in zip(self.bind_order, self.bind_procs)
        ]


class CompileCache:
    """A bounded mapping from statement keys to :class:`Compiled` (oldest entries dropped)."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self.data: dict[Any, Compiled] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Compiled | None:
        return self.data.get(key)

    def put(self, key: Any, value: Compiled) -> None:
        if len(self.data) >= self.size:
            for old in list(self.data)[: self.size // 4]:
                del self.data[old]
        self.data[key] = value


def compile_statement(dialect: Dialect, stmt: ClauseElement) -> tuple[Compiled, list[Any]]:
    """Compile ``stmt`` for ``dialect`` (through the cache); return it and its parameters.

    Raises :class:`~ormolu.exceptions.ConfigurationError` for statements the dialect cannot
    express.
    """
    binds: list[BindParam[Any]] = []
    key = stmt._key(binds)
    cache = dialect.compile_cache
    try:
        compiled = cache.data[key]
        cache.hits += 1
    except KeyError:
        cache.misses += 1
        compiled = dialect.compiler_class(dialect, binds).compile(stmt)
        cache.put(key, compiled)
    return compiled, compiled.params(binds)


def measure_compile(dialect: Dialect, stmt: ClauseElement, repeat: int = 1000) -> float:
    """Return the mean seconds per cached compile of ``stmt`` (for the benchmark)."""
    compile_statement(dialect, stmt)
    start = time.perf_counter()
    for _ in range(repeat):
        compile_statement(dialect, stmt)
    return (time.perf_counter() - start) / repeat


class SQLCompiler(DMLCompiler):
    """Renders statements in standard SQL; dialects override the pieces that differ."""

    def __init__(self, dialect: Dialect, binds: list[Any]) -> None:
        self.dialect = dialect
        # each bind's first position among the parameters (a BindList takes several)
        self.positions: dict[int, int] = {}
        self.expands = False
        # (an IN list of plain values is then one array parameter: see visit_in_list)
        self.arrays = dialect.in_list_as_array
        pos = 0
        for b in binds:
            self.positions[id(b)] = pos
            if type(b) is BindList and not self.arrays:
                pos += len(b.values)
                self.expands = True
            else:
                pos += 1
        self.order: list[int] = []
        self.procs: list[Callable[[Any], Any] | None] = []
        self.quote = dialect.quote
        if dialect.paramstyle == "format":
            self.quote = self._quote_format
        self.placeholder = dialect.placeholder
        self.outer_froms: list[list[FromClause]] = []
        # the statements that take a WITH clause (the outermost SELECTs), innermost last
        self.with_hosts: list[_WithHost] = []
        self.select_depth = 0
        self.in_window = False
        self.window_refused: str | None = None  # the clause being rendered, where no OVER
        self.result_types: list[SQLType] = []
        self.result_keys: list[str] = []
        self._visitors: dict[type, Callable[..., str]] = {}

    def _quote_format(self, name: str) -> str:
        # Under the 'format' paramstyle a '%' in a name would be read as a placeholder.
        return self.dialect.quote(name).replace("%", "%%")

    # -- entry points --------------------------------------------------------------
    def compile(self, stmt: ClauseElement) -> Compiled:
        """Compile a whole statement."""
        sql = self.process(stmt, top=True)
        return Compiled(
            sql,
            tuple(self.order),
            tuple(self.procs),
            self.result_types,
            self.result_keys,
            isinstance(stmt, Select | CompoundSelect),
            self.expands,
        )

    def process(self, node: ClauseElement, **kw: Any) -> str:
        """Render any node."""
        visit = getattr(self, "visit_" + node.__visit_name__, None)
        if visit is None:
            raise ConfigurationError(f"{type(node).__name__} cannot be compiled")
        return visit(node, **kw)  # type: ignore[no-any-return]

    def operand(self, node: ClauseElement, parent_precedence: int, right: bool = False) -> str:
        """Render a child, in parentheses when it binds less tightly than its parent."""
        sql = self.process(node)
        prec = node.precedence
        if prec < parent_precedence or (right and prec == parent_precedence and prec != ATOM):
            return "(" + sql + ")"
        return sql

    # -- values --------------------------------------------------------------------
    def visit_bind(self, node: BindParam[Any], **kw: Any) -> str:
        self.order.append(self.positions[id(node)])
        self.procs.append(self.dialect.bind_processor(node.type))
        return self.placeholder

    def visit_bind_list(self, node: BindList, **kw: Any) -> str:
        start = self.positions[id(node)]
        n = len(node.values)
        self.order.extend(range(start, start + n))
        self.procs.extend([self.dialect.bind_processor(node.type)] * n)
        return ", ".join([self.placeholder] * n)

    def visit_null(self, node: Any, **kw: Any) -> str:
        return "NULL"

    def visit_int_literal(self, node: Any, **kw: Any) -> str:
        return str(int(node.value))

    def visit_star(self, node: Any, **kw: Any) -> str:
        return "*"

    def visit_column(self, node: ColumnRef[Any], *, unqualified: bool = False, **kw: Any) -> str:
        if unqualified:
            return self.quote(node.name)
        source = node.source
        if getattr(source, "schema", None) is not None or (
            self.dialect.schema_translate_map and source.__visit_name__ == "table"
        ):
            # "schema"."table"."column": two schemas may hold tables of one name
            return self.table_sql(source) + "." + self.quote(node.name)
        return self.quote(source.name) + "." + self.quote(node.name)

    def visit_binary(self, node: Any, **kw: Any) -> str:
        op = node.op
        if op == "||":
            return self.concat(node.left, node.right)
        if op in COMPARISONS:
            left = self.compared(node.left, node.precedence)
            right = self.compared(node.right, node.precedence, right=True)
        else:
            left = self.operand(node.left, node.precedence)
            right = self.operand(node.right, node.precedence, right=True)
            if op == "%":
                op = self.escape_text(op)  # a '%' is a placeholder's start under 'format'
        return f"{left} {op} {right}"

    def compared(self, node: ClauseElement, parent_precedence: int, right: bool = False) -> str:
        """Render an operand of a comparison (``=``, ``<``, BETWEEN, IN). Dialects that keep
        dates as text normalise such columns here (see ``DateTime(storage=...)``)."""
        return self.operand(node, parent_precedence, right)

    def visit_boolean_constant(self, node: Any, **kw: Any) -> str:
        if self.dialect.native_boolean:
            return "TRUE" if node.value else "FALSE"
        return "1 = 1" if node.value else "1 = 0"

    def visit_is_bool(self, node: Any, **kw: Any) -> str:
        expr = self.operand(node.expr, node.precedence)
        if self.dialect.supports_is_true:
            return f"{expr} IS {'NOT ' if node.negate else ''}{'TRUE' if node.value else 'FALSE'}"
        # SQL:2016 §8.12: x IS TRUE is true only for TRUE (never NULL), IS NOT TRUE its negation
        lit = self.dialect.render_bool(node.value)
        if node.negate:
            return f"({expr} IS NULL OR {expr} <> {lit})"
        return f"({expr} IS NOT NULL AND {expr} = {lit})"

    def visit_negative(self, node: Any, **kw: Any) -> str:
        return "-(" + self.process(node.expr) + ")"

    def concat(self, left: ClauseElement, right: ClauseElement) -> str:
        """String concatenation (``||`` in standard SQL)."""
        prec = 6
        return f"{self.operand(left, prec)} || {self.operand(right, prec, right=True)}"

    def visit_boolean_list(self, node: Any, **kw: Any) -> str:
        return f" {node.op} ".join(self.operand(c, node.precedence) for c in node.clauses)

    def visit_not(self, node: Any, **kw: Any) -> str:
        return "NOT " + self.operand(node.clause, node.precedence + 1)

    def visit_in_list(self, node: Any, **kw: Any) -> str:
        expr = self.compared(node.expr, node.precedence)
        kw_ = "NOT IN" if node.negate else "IN"
        if node.subquery is not None:
            return f"{expr} {kw_} ({self.process(node.subquery, nested=True)})"
        if not node.values:
            # IN () is not valid SQL; an empty list matches nothing (NOT IN: everything).
            return "1 = 1" if node.negate else "1 = 0"
        if self.arrays and type(node.values[0]) is BindList:
            return f"{expr} {'<> ALL' if node.negate else '= ANY'}({self._array(node.values[0])})"
        return f"{expr} {kw_} ({', '.join(self.compared(v, ATOM) for v in node.values)})"

    def _array(self, node: BindList) -> str:
        """An IN list's values as one array parameter, each converted as a bind of the
        list's type is."""
        self.order.append(self.positions[id(node)])
        proc = self.dialect.bind_processor(node.type)
        self.procs.append(None if proc is None else lambda values: [proc(v) for v in values])
        return self.placeholder

    def visit_between(self, node: Any, **kw: Any) -> str:
        p = node.precedence
        return (
            f"{self.compared(node.expr, p)} BETWEEN {self.compared(node.low, p + 1)} "
            f"AND {self.compared(node.high, p + 1)}"
        )

    def visit_like(self, node: Any, **kw: Any) -> str:
        p = node.precedence
        op = node.op
        left, pattern = self.operand(node.expr, p), self.operand(node.pattern, p, right=True)
        if op.endswith("ILIKE") and not self.dialect.supports_ilike:
            left, pattern, op = f"lower({left})", f"lower({pattern})", op.replace("ILIKE", "LIKE")
        sql = f"{left} {op} {pattern}"
        if node.escape is not None:
            sql += " ESCAPE " + self.dialect.render_literal(node.escape)
        return sql

    def visit_function(self, node: Any, **kw: Any) -> str:
        if node.window_only and not self.in_window:
            raise ArgumentError(
                f"func.{node.name}() is a window function: call .over(partition_by=..., "
                f"order_by=...) on it"
            )
        args = ", ".join(self.process(a) for a in node.args)
        return f"{node.name}({'DISTINCT ' if node.distinct else ''}{args})"

    def visit_extract(self, node: Any, **kw: Any) -> str:
        return f"CAST(EXTRACT({node.field.upper()} FROM {self.process(node.expr)}) AS INTEGER)"

    # -- dates and times (ormolu.sql.temporal; PostgreSQL's forms, close to standard SQL) --
    def visit_date_diff(self, node: Any, **kw: Any) -> str:
        end, start = self.process(node.end), self.process(node.start)
        return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"

    def visit_datetime_diff(self, node: Any, **kw: Any) -> str:
        return f"({self.process(node.end)} - {self.process(node.start)})"

    def visit_datetime_add(self, node: Any, **kw: Any) -> str:
        op = "+" if node.sign > 0 else "-"
        sql = f"({self.process(node.expr)} {op} {self.process(node.interval)})"
        return f"CAST({sql} AS DATE)" if node.is_date else sql

    def visit_date_trunc(self, node: Any, **kw: Any) -> str:
        unit = self.dialect.render_literal(node.unit)
        expr = self.process(node.expr)
        if node.is_date:
            return f"CAST(date_trunc({unit}, {expr}) AS DATE)"
        if getattr(node.type, "timezone", False):
            return f"date_trunc({unit}, {expr}, 'UTC')"
        return f"date_trunc({unit}, {expr})"

    # -- JSON (ormolu.sql.json; each dialect renders its own functions) -------------------
    def visit_json_path(self, node: Any, **kw: Any) -> str:
        raise ConfigurationError(f"{self.dialect.name}: no JSON path support")

    visit_json_extract = visit_json_path
    visit_json_test = visit_json_path

    def visit_label(self, node: Label[Any], **kw: Any) -> str:
        return self.process(node.expr)

    def visit_cast(self, node: Any, **kw: Any) -> str:
        return f"CAST({self.process(node.expr)} AS {self.dialect.cast_type_sql(node.type)})"

    def visit_case(self, node: Any, **kw: Any) -> str:
        parts = ["CASE"]
        for cond, value in node.whens:
            parts.append(f"WHEN {self.process(cond)} THEN {self.process(value)}")
        if node.else_ is not None:
            parts.append(f"ELSE {self.process(node.else_)}")
        parts.append("END")
        return " ".join(parts)

    def visit_ordering(self, node: Ordering, *, unqualified: bool = False, **kw: Any) -> str:
        expr = node.expr
        if isinstance(expr, Label):
            # A label orders by its result-column name, which is also the only form an
            # ORDER BY after UNION accepts (the expression itself matches no column).
            sql = self.quote(expr.name)
        else:
            sql = self.process(expr, unqualified=unqualified)
        out = sql + (" DESC" if node.descending else "")
        if node.nulls is not None:
            if self.dialect.supports_nulls_ordering:
                out += " NULLS " + node.nulls
            else:
                # Emulate: (expr IS NULL) sorts 0 before 1, so DESC puts NULLs first.
                flag = f"CASE WHEN {sql} IS NULL THEN 1 ELSE 0 END"
                out = f"{flag}{' DESC' if node.nulls == 'FIRST' else ''}, {out}"
        return out

    def visit_text(self, node: Any, **kw: Any) -> str:
        out: list[str] = []
        pos = 0
        for name, start, end in node.names:
            out.append(self.escape_text(node.text[pos:start]))
            out.append(self.process(node.params[name]))
            pos = end
        out.append(self.escape_text(node.text[pos:]))
        return "".join(out)

    def escape_text(self, sql: str) -> str:
        """Make raw SQL text safe for the paramstyle (``%`` doubles under ``format``)."""
        return sql.replace("%", "%%") if self.dialect.paramstyle == "format" else sql

    # -- subqueries ----------------------------------------------------------------
    def visit_scalar_subquery(self, node: Any, **kw: Any) -> str:
        return "(" + self.process(node.select, nested=True) + ")"

    def visit_exists(self, node: Any, **kw: Any) -> str:
        return "EXISTS (" + self.process(node.select, nested=True) + ")"

    def table_sql(self, table: Any) -> str:
        """A table's name as written in SQL (schema-qualified where it has one, after the
        dialect's ``schema_translate_map``)."""
        return self.dialect.table_name_sql(table, self.quote)

    def visit_table(self, node: Any, **kw: Any) -> str:
        return self.table_sql(node)

    def visit_alias(self, node: Any, **kw: Any) -> str:
        return f"{self.table_sql(node.table)} AS {self.quote(node.name)}"

    def visit_subquery(self, node: Subquery, **kw: Any) -> str:
        # A SELECT in FROM never sees the enclosing query's tables (no LATERAL).
        saved, self.outer_froms = self.outer_froms, []
        try:
            inner = self.process(node.select, nested=True, labelled=True)
        finally:
            self.outer_froms = saved
        return f"({inner}) AS {self.quote(node.name)}"

    def visit_join(self, node: Any, **kw: Any) -> str:
        kind = "LEFT OUTER JOIN" if node.outer else "JOIN"
        return f"{kind} {self.process(node.target)} ON {self.process(node.onclause)}"

    # -- SELECT --------------------------------------------------------------------
    def correlated(
        self, node: Select[Any], chains: list[Any], enclosing: list[FromClause]
    ) -> list[Any]:
        """The FROM chains of a nested SELECT without the items it correlates (the rule
        is documented on :meth:`Select.correlate`)."""
        mode = node._correlate
        if mode is not None and mode[0] == "only":
            drop: list[int] = []
            for f in mode[1]:
                for i, (root, chain) in enumerate(chains):
                    if joins.same_from(root, f):
                        if chain:
                            raise ArgumentError(
                                f"correlate({joins.name(f)}): the subquery joins "
                                f"{joins.name(f)}, so it is its own FROM item; join an "
                                f"aliased() copy or drop the correlation"
                            )
                        drop.append(i)
            return [c for i, c in enumerate(chains) if i not in drop]
        excluded = mode[1] if mode is not None else ()
        keep = [
            (root, chain)
            for root, chain in chains
            if chain
            or joins.index_of(enclosing, root) < 0
            or joins.index_of(list(excluded), root) >= 0
        ]
        # Nothing left: the subquery reads those tables itself (an aggregate over them).
        return keep if keep else chains

    def visit_select(
        self, node: Select[Any], *, top: bool = False, labelled: bool = False, **kw: Any
    ) -> str:
        if self.select_depth == 0:
            return self.hosting(lambda: self.visit_select(node, top=top, labelled=labelled))
        chains = joins.layout(node)
        enclosing = [f for level in self.outer_froms for f in level]
        if enclosing:
            chains = self.correlated(node, chains, enclosing)
        joins.check_onclauses(node, chains, enclosing)
        # Push this SELECT's FROM objects first so that subqueries anywhere inside it,
        # including the column list, correlate to them.
        self.outer_froms.append(
            [f for root, chain in chains for f in (root, *[j.target for j in chain])]
        )
        try:
            names = node.column_names()
            cols: list[str] = []
            for name, c in zip(names, node._columns):
                sql = self.process(c)
                if isinstance(c, Label):
                    sql += " AS " + self.quote(c.name)
                elif labelled:
                    sql += " AS " + self.quote(name)
                cols.append(sql)
            if top:
                self.result_types = [c.type for c in node._columns]
                self.result_keys = names
            parts = ["SELECT " + ("DISTINCT " if node._distinct else "") + ", ".join(cols)]
            if chains:
                from_sql = []
                for root, chain in chains:
                    item = self.process(root)
                    if chain:
                        item += " " + " ".join(self.process(j) for j in chain)
                    from_sql.append(item)
                parts.append("FROM " + ", ".join(from_sql))
            elif self.dialect.requires_from:
                parts.append("FROM " + self.dialect.dummy_table)
            if node._where:
                parts.append("WHERE " + self.clause("WHERE", _and(node._where)))
            if node._group_by:
                # A labelled column groups by its label: re-rendering it would repeat its
                # parameters, which PostgreSQL does not treat as the same expression.
                labels = {id(c) for c in node._columns if isinstance(c, Label)}
                groups = [
                    self.quote(g.name) if id(g) in labels else self.clause("GROUP BY", g)  # type: ignore[attr-defined]
                    for g in node._group_by
                ]
                parts.append("GROUP BY " + ", ".join(groups))
            if node._having:
                parts.append("HAVING " + self.clause("HAVING", _and(node._having)))
            self.render_tail(node, parts)
            if node._for_update is not None and self.dialect.supports_for_update:
                parts.append(self.for_update_clause(*node._for_update))
        finally:
            self.outer_froms.pop()
        return " ".join(parts)

    def clause(self, name: str, node: ClauseElement) -> str:
        """Render WHERE / GROUP BY / HAVING content, where window functions are refused."""
        saved, self.window_refused = self.window_refused, name
        try:
            return self.process(node)
        finally:
            self.window_refused = saved

    # -- WITH ----------------------------------------------------------------------------
    def hosting(self, render: Callable[[], str]) -> str:
        """Render the outermost SELECT (or compound) of a statement part with the WITH
        clause of the CTEs used anywhere inside it, their parameters first."""
        host = _WithHost()
        start = len(self.order)
        self.with_hosts.append(host)
        self.select_depth += 1
        try:
            body = render()
        finally:
            self.select_depth -= 1
            self.with_hosts.pop()
        if not host.items:
            return body
        self.order[start:start] = [i for item in host.items for i in item[2]]
        self.procs[start:start] = [p for item in host.items for p in item[3]]
        recursive = "RECURSIVE " if any(c.recursive for c, *_ in host.items) else ""
        q = self.quote
        ctes = ", ".join(
            f"{q(c.name)} ({', '.join(q(n) for n in c.select.column_names())}) AS ({sql})"
            for c, sql, _, _ in host.items
        )
        return f"WITH {recursive}{ctes} {body}"

    def visit_cte(self, node: Any, **kw: Any) -> str:
        if not self.with_hosts:
            raise ArgumentError(
                f"CTE {node.name!r} used outside a SELECT: use it in the SELECT of the "
                f"statement (e.g. WHERE x IN (select(...) from the CTE))"
            )
        host = self.with_hosts[0]
        final = node.final
        root = id(final._root)
        known = host.names.get(final.name)
        if known is not None and known != root:
            raise ArgumentError(f"two different CTEs are named {final.name!r} in one statement")
        if known is None:
            host.names[final.name] = root
            # rendered on its own: its parameters go first, in the WITH clause
            saved = (self.order, self.procs, self.outer_froms)
            self.order, self.procs, self.outer_froms = [], [], []
            self.select_depth += 1
            try:
                sql = self.process(final.select, nested=True)
                host.items.append((final, sql, self.order, self.procs))
            finally:
                self.order, self.procs, self.outer_froms = saved
                self.select_depth -= 1
        return self.quote(node.name)

    # -- windows ---------------------------------------------------------------------------
    def visit_over(self, node: Any, **kw: Any) -> str:
        if self.window_refused is not None:
            raise ArgumentError(
                f"a window function cannot be used in {self.window_refused} (SQL computes "
                f"windows after it): select it in a subquery or CTE and filter on that "
                f"column in the enclosing query"
            )
        saved, self.in_window = self.in_window, True
        try:
            fn = self.process(node.function)
        finally:
            self.in_window = saved
        return f"{fn} OVER ({self.window_spec(node)})"

    def window_spec(self, node: Any, order: bool = True) -> str:
        """The ``PARTITION BY ... ORDER BY ... frame`` of a window (the partition alone
        when ``order`` is false)."""
        spec: list[str] = []
        if node.partition_by:
            spec.append("PARTITION BY " + ", ".join(self.process(p) for p in node.partition_by))
        if node.order_by and order:
            spec.append("ORDER BY " + ", ".join(self.process(o) for o in node.order_by))
        if node.frame is not None and order:
            from .window import frame_bound

            kind, start, end = node.frame
            spec.append(f"{kind} BETWEEN {frame_bound(start, True)} AND {frame_bound(end, False)}")
        return " ".join(spec)

    def render_tail(self, node: Any, parts: list[str], unqualified: bool = False) -> None:
        """Append ORDER BY, LIMIT and OFFSET."""
        if node._order_by:
            parts.append(
                "ORDER BY "
                + ", ".join(self.process(o, unqualified=unqualified) for o in node._order_by)
            )
        limit = None if node._limit is None else self.process(node._limit)
        offset = None if node._offset is None else self.process(node._offset)
        if limit is not None or offset is not None:
            parts.append(self.limit_clause(limit, offset))

    def limit_clause(self, limit: str | None, offset: str | None) -> str:
        """``LIMIT n OFFSET m`` (either may be absent)."""
        out = []
        if limit is not None:
            out.append("LIMIT " + limit)
        if offset is not None:
            out.append("OFFSET " + offset)
        return " ".join(out)

    def for_update_clause(self, nowait: bool, skip_locked: bool, read: bool = False) -> str:
        """``FOR UPDATE [NOWAIT|SKIP LOCKED]`` (``FOR SHARE ...`` when ``read``)."""
        head = self.shared_lock_clause() if read else "FOR UPDATE"
        return head + (" NOWAIT" if nowait else "") + (" SKIP LOCKED" if skip_locked else "")

    def shared_lock_clause(self) -> str:
        """The clause of a shared-lock read (SQL:2016 has none; PostgreSQL and MySQL 8
        write ``FOR SHARE``)."""
        return "FOR SHARE"

    def visit_compound(self, node: CompoundSelect[Any], *, top: bool = False, **kw: Any) -> str:
        if self.select_depth == 0:
            return self.hosting(lambda: self.visit_compound(node, top=top))
        op = node.op
        if op.startswith(("INTERSECT", "EXCEPT")) and not self.dialect.supports_intersect_except:
            raise ConfigurationError(f"{self.dialect.name} has no {op}")
        if op in ("INTERSECT ALL", "EXCEPT ALL") and not self.dialect.supports_set_op_all:
            raise ConfigurationError(
                f"{self.dialect.name} has no {op}; use {op.split()[0]} (duplicates removed)"
            )
        members = []
        for i, s in enumerate(node.selects):
            sql = self.process(s, top=top and i == 0)
            if s._order_by or s._limit is not None or s._offset is not None:
                sql = f"SELECT * FROM ({sql}) AS {self.quote(f'anon_{i + 1}')}"
            members.append(sql)
        parts = [f" {node.op} ".join(members)]
        self.render_tail(node, parts, unqualified=True)
        return " ".join(parts)


class _WithHost:
    """The CTEs a statement part uses: (cte, body SQL, bind order, bind processors)."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, str, list[int], list[Any]]] = []
        self.names: dict[str, int] = {}


def _and(clauses: tuple[Expr[Any], ...]) -> Expr[Any]:
    from .elements import and_

    return and_(*clauses)
