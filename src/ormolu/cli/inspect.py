"""``ormolu inspect``: typed model code for an existing database.

From a reflected :class:`~ormolu.schema.state.SchemaState` it writes one model class per
table: ``Mapped[...]`` fields with their options (``max_length``, ``max_digits`` /
``decimal_places``, ``timezone``, ``unique``, ``index``, ``server_default``, a
``db_type`` where ormolu's default type for the annotation would declare the column
differently), primary keys (composite ones too), foreign keys with
``relationship(back_populates=...)`` on both sides, ``many_to_many`` through pure
association tables (two foreign keys making up the whole primary key), and the other
indexes, unique constraints, composite foreign keys and CHECK constraints in
``__table_args__``. Attributes are snake_case, with ``column=`` only where the column's
name differs, and ``table=`` only where the table's name is not the class name in
snake_case. The text is formatted as ``ruff format`` would and type-checks under
``mypy --strict``.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import TYPE_CHECKING, Any

from ..schema import types as t
from ..schema.state import ColumnState, ForeignKeyState, SchemaState, TableState
from ..schema.table import Column, Table

if TYPE_CHECKING:
    from ..dialects.base import Dialect

WIDTH = 100
_RESERVED = {"metadata", "query", "mapped", "field", "registry"}


def _s(value: str) -> str:
    """A string literal as ``ruff format`` writes it (double quotes unless that needs
    escapes)."""
    if '"' in value and "'" not in value:
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def snake(name: str) -> str:
    """``"InvoiceLineId"`` → ``"invoice_line_id"``; ``"Order Date"`` → ``"order_date"``."""
    s = re.sub(r"[^0-9A-Za-z_]+", "_", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"_+", "_", s).strip("_").lower() or "column"
    if s[0].isdigit():
        s = "c_" + s
    if keyword.iskeyword(s) or s in _RESERVED:
        s += "_"
    return s


def camel(name: str) -> str:
    """``"invoice_line"`` → ``"InvoiceLine"``; ``"Order Details"`` → ``"OrderDetails"``."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+|_", name) if p]
    out = "".join(p[0].upper() + p[1:] for p in parts) or "Table"
    return "T" + out if out[0].isdigit() else out


def _mapper_snake(name: str) -> str:
    # the table name a model gets by default (ormolu.orm.mapper._snake)
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def call(head: str, args: list[str], indent: str, trailer: str = "") -> list[str]:
    """``head(args)`` broken as ``ruff format`` breaks a call that is too long."""
    one = f"{indent}{head}({', '.join(args)}){trailer}"
    if len(one) <= WIDTH:
        return [one]
    inner = indent + "    " + ", ".join(args)
    if len(inner) <= WIDTH and not any("\n" in a for a in args):
        return [f"{indent}{head}(", inner, f"{indent}){trailer}"]
    return [f"{indent}{head}(", *[f"{indent}    {a}," for a in args], f"{indent}){trailer}"]


class _Names:
    def __init__(self, table: TableState) -> None:
        self.attr: dict[str, str] = {}
        used: set[str] = set()
        for c in table.ordered_columns():
            a = snake(c.name)
            while a in used:
                a += "_"
            used.add(a)
            self.attr[c.name] = a
        self.used = used

    def new(self, wanted: str) -> str:
        a = wanted
        while a in self.used:
            a += "_"
        self.used.add(a)
        return a


class ModelWriter:
    """Writes the models of one schema for one dialect."""

    def __init__(self, state: SchemaState, dialect: Dialect) -> None:
        self.state = state
        self.d = dialect
        self.r = dialect.reflector()
        self.imports: dict[str, set[str]] = {}
        self.classes = {tb.name: camel(tb.name) for tb in state.tables}
        seen: dict[str, int] = {}
        for name, cls in list(self.classes.items()):
            seen[cls] = seen.get(cls, 0) + 1
            if seen[cls] > 1:
                self.classes[name] = f"{cls}{seen[cls]}"
        self.names = {tb.name: _Names(tb) for tb in state.tables}
        self.extra: dict[str, list[list[str]]] = {tb.name: [] for tb in state.tables}
        self.fk_attr: dict[tuple[str, tuple[str, ...]], bool] = {}

    def use(self, module: str, name: str) -> None:
        self.imports.setdefault(module, set()).add(name)

    # -- types ---------------------------------------------------------------------------
    def _annotation(self, tb: TableState, c: ColumnState) -> tuple[str, dict[str, str]]:
        st = c.sqltype or t.DeclaredType(c.type)
        opts: dict[str, str] = {}
        if isinstance(st, t.DeclaredType):
            py = st.python_type.__name__
            self.use("ormolu.schema.types", "DeclaredType")
            where = ""
            portable = portable_type(st.sql)
            if portable is not None:
                self.use("ormolu.schema.types", type(portable).__name__)
                stand_in = (
                    "String()" if isinstance(portable, t.String) else f"Integer({portable.size})"
                )
                where = f", dialect={_s(self.d.name)}, portable={stand_in}"
            opts["db_type"] = f"DeclaredType({_s(st.sql)}, python_type={py}{where})"
            return py, opts
        ann = {
            t.Boolean: "bool", t.Integer: "int", t.Float: "float", t.String: "str",
            t.Bytes: "bytes", t.Numeric: "Decimal", t.DateTime: "datetime", t.Date: "date",
            t.Time: "time", t.Interval: "timedelta", t.Uuid: "uuid.UUID", t.Json: "dict[str, Any]",
        }  # fmt: skip
        py = next(v for k, v in ann.items() if isinstance(st, k))
        for name, module in (
            ("Decimal", "decimal"), ("datetime", "datetime"), ("date", "datetime"),
            ("time", "datetime"), ("timedelta", "datetime"),
        ):  # fmt: skip
            if py == name:
                self.use(module, name)
        if py == "uuid.UUID":
            self.use("uuid", "")
        if py.startswith("dict"):
            self.use("typing", "Any")
        if isinstance(st, t.String) and st.length:
            opts["max_length"] = str(st.length)
        if isinstance(st, t.Numeric) and st.precision is not None:
            opts["max_digits"] = str(st.precision)
            opts["decimal_places"] = str(st.scale or 0)
        if isinstance(st, t.DateTime) and st.timezone:
            opts["timezone"] = "True"
        exact = c.collation is not None and c.collation == self.d.exact_text_collation
        candidate: t.SQLType = st
        if isinstance(st, t.String) and exact:
            candidate = t.String(st.length, exact=True)
        elif isinstance(st, t.Integer) and st.size != 8:
            candidate = st
        if not self._declares(tb, c, candidate if candidate is not st else self._default_type(st)):
            # ormolu's type for the annotation declares the column otherwise: say which
            code = self._type_code(candidate)
            if code is not None and self._declares(tb, c, candidate):
                opts["db_type"] = code
            else:
                self.use("ormolu.schema.types", "DeclaredType")
                ddl_type = c.type + (f" COLLATE {c.collation}" if c.collation else "")
                opts = {k: v for k, v in opts.items() if k == "max_length"}
                opts["db_type"] = f"DeclaredType({_s(ddl_type)}, python_type={py.split('[')[0]})"
        elif candidate is not st or (isinstance(st, t.String) and exact):
            code = self._type_code(candidate)
            if code is not None:
                opts["db_type"] = code
        return py, opts

    def _default_type(self, st: t.SQLType) -> t.SQLType:
        if isinstance(st, t.Integer):
            return t.Integer()
        if isinstance(st, t.Json):
            return t.Json()
        return st

    def _type_code(self, st: t.SQLType) -> str | None:
        if isinstance(st, t.Integer) and not isinstance(st, t.IntegerTotal):
            self.use("ormolu.schema.types", "Integer")
            return f"Integer({st.size})"
        if isinstance(st, t.String) and st.exact:
            self.use("ormolu.schema.types", "String")
            return f"String({st.length}, exact=True)" if st.length else "String(exact=True)"
        return None

    def _declares(self, tb: TableState, c: ColumnState, st: t.SQLType) -> bool:
        keyed = (
            c.name in tb.primary_key
            or any(c.name in i.columns for i in tb.indexes)
            or any(c.name in u.columns for u in tb.uniques)
            or any(c.name in f.columns for f in tb.foreign_keys)
        )
        col = Column(c.name, st, primary_key=c.autoincrement, index=keyed)
        try:
            type_, collation = self.r.model_type(Table("t", [col]), col)
        except Exception:
            return False
        return bool((type_, collation) == (c.type, c.collation))

    # -- one table -----------------------------------------------------------------------
    def _fk_target(self, fk: ForeignKeyState) -> str:
        cls = self.classes.get(fk.ref_table, camel(fk.ref_table))
        names = self.names.get(fk.ref_table)
        attr = names.attr.get(fk.ref_columns[0], fk.ref_columns[0]) if names else fk.ref_columns[0]
        return f"{cls}.{attr}"

    def _field_lines(self, tb: TableState) -> list[str]:
        names = self.names[tb.name]
        single_fk = {f.columns[0]: f for f in tb.foreign_keys if len(f.columns) == 1}
        single_unique = {u.columns[0] for u in tb.uniques if len(u.columns) == 1}
        single_ix = {
            i.columns[0]
            for i in tb.indexes
            if len(i.columns) == 1 and not i.unique and i.where is None and "DESC" not in i.orders
            and i.name == _generated(self.d, f"ix_{tb.name}_{i.columns[0]}")
        }  # fmt: skip
        lines = []
        no_action = self.r.canonical_action(None)
        for c in tb.ordered_columns():
            attr = names.attr[c.name]
            py, opts = self._annotation(tb, c)
            args: list[str] = []
            if c.name in tb.primary_key:
                args.append("primary_key=True")
                if len(tb.primary_key) == 1 and not c.autoincrement and py == "int":
                    args.append("autoincrement=False")
            if attr != c.name:
                args.append(f"column={_s(c.name)}")
            args += [f"{k}={v}" for k, v in opts.items()]
            if c.name in single_unique:
                args.append("unique=True")
            if c.name in single_ix:
                args.append("index=True")
            fk = single_fk.get(c.name)
            if fk is not None:
                args.append(f"foreign_key={_s(self._fk_target(fk))}")
                if fk.on_delete != no_action:
                    args.append(f"on_delete={_s(fk.on_delete)}")
                if fk.on_update != no_action:
                    args.append(f"on_update={_s(fk.on_update)}")
            if c.default is not None and c.default_text is not None and not c.autoincrement:
                self.use("ormolu", "text")
                args.append(f"server_default=text({_s(c.default_text)})")
            if c.nullable:
                py += " | None"
            if c.nullable or c.autoincrement:
                args.append("default=None")
            if c.comment:
                lines.append(f"    # {c.comment}")
            lines += self._assign(f"    {attr}: Mapped[{py}] = ", args)
        return lines

    def _assign(self, head: str, args: list[str]) -> list[str]:
        one = f"{head}field({', '.join(args)})"
        if len(one) <= WIDTH:
            return [one]
        inner = "        " + ", ".join(args)
        if len(inner) <= WIDTH:
            return [f"{head}field(", inner, "    )"]
        return [f"{head}field(", *[f"        {a}," for a in args], "    )"]

    def _table_args(self, tb: TableState) -> list[str]:
        names = self.names[tb.name]
        items: list[str] = []

        def attrs(cols: tuple[str, ...]) -> list[str]:
            return [_s(names.attr[c]) for c in cols]

        singles = {u.columns[0] for u in tb.uniques if len(u.columns) == 1}
        for i in sorted(tb.indexes, key=lambda i: i.name):
            if (
                len(i.columns) == 1 and not i.unique and i.where is None and "DESC" not in i.orders
                and i.name == _generated(self.d, f"ix_{tb.name}_{i.columns[0]}")
            ):  # fmt: skip
                continue
            if i.where is not None or "DESC" in i.orders:
                self.extra[tb.name].append([f"    # index {i.name} is not expressible: {i}"])
                continue
            if (
                i.unique
                and len(i.columns) == 1
                and self.r.unique_constraints_are_indexes
                and i.columns[0] not in singles
            ):
                singles.add(i.columns[0])
                self._unique_fields.add((tb.name, i.columns[0]))
                continue
            self.use("ormolu", "Index")
            args = [*attrs(i.columns), f"name={_s(i.name)}"] + (["unique=True"] if i.unique else [])
            items.append(f"Index({', '.join(args)})")
        for u in sorted(tb.uniques, key=lambda u: u.columns):
            if len(u.columns) > 1:
                self.use("ormolu", "UniqueConstraint")
                items.append(f"UniqueConstraint({', '.join(attrs(u.columns))})")
        for f in sorted(tb.foreign_keys, key=lambda f: f.columns):
            if len(f.columns) > 1:
                self.use("ormolu", "ForeignKeyConstraint")
                ref = self.names[f.ref_table]
                target = ", ".join(_s(ref.attr[c]) for c in f.ref_columns)
                args = [
                    f"({', '.join(attrs(f.columns))},)" if len(f.columns) == 1 else
                    f"({', '.join(attrs(f.columns))})",
                    _s(self.classes[f.ref_table]), f"({target})",
                ]  # fmt: skip
                no_action = self.r.canonical_action(None)
                if f.on_delete != no_action:
                    args.append(f"on_delete={_s(f.on_delete)}")
                if f.on_update != no_action:
                    args.append(f"on_update={_s(f.on_update)}")
                items.append(f"ForeignKeyConstraint({', '.join(args)})")
        for c in sorted(tb.checks, key=lambda c: c.sql):
            self.use("ormolu", "CheckConstraint")
            args = [_s(c.text or c.sql)] + ([f"name={_s(c.name)}"] if c.name else [])
            items.append(f"CheckConstraint({', '.join(args)})")
        if not items:
            return []
        one = f"    __table_args__ = ({', '.join(items)},)"
        if len(one) <= WIDTH:
            return [one]
        out = ["    __table_args__ = ("]
        for it in items:
            out += call(it.split("(", 1)[0], _split_args(it), "        ", ",")
        out.append("    )")
        return out

    # -- relationships -------------------------------------------------------------------
    def _is_association(self, tb: TableState) -> bool:
        fks = list(tb.foreign_keys)
        cols = {c.name for c in tb.columns}
        covered = {c for f in fks for c in f.columns}
        return (
            len(fks) == 2
            and covered == cols
            and set(tb.primary_key) == cols
            and fks[0].ref_table != fks[1].ref_table
        )

    def _relationships(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {tb.name: [] for tb in self.state.tables}
        known = {tb.name for tb in self.state.tables}
        for tb in self.state.tables:
            fks = [f for f in tb.foreign_keys if f.ref_table in known]
            if self._is_association(tb):
                a, b = sorted(fks, key=lambda f: f.columns)
                through = _s(self.classes[tb.name])
                an = self.names[a.ref_table].new(snake(self.classes[b.ref_table]) + "s")
                bn = self.names[b.ref_table].new(snake(self.classes[a.ref_table]) + "s")
                self.use("ormolu", "many_to_many")
                for owner, attr, other, back in ((a, an, b, bn), (b, bn, a, an)):
                    out[owner.ref_table] += self._assign_rel(
                        f"    {attr}: Mapped[list[{self.classes[other.ref_table]}]] = ",
                        "many_to_many",
                        [f"through={through}", f"back_populates={_s(back)}"],
                    )
                continue
            for f in sorted(fks, key=lambda f: f.columns):
                if len(f.columns) != 1:
                    continue
                self.use("ormolu", "relationship")
                fk_attr = self.names[tb.name].attr[f.columns[0]]
                same = [g for g in fks if g.ref_table == f.ref_table and len(g.columns) == 1]
                reverse = [
                    g for g in self.state.table(f.ref_table).foreign_keys if g.ref_table == tb.name
                ]
                ambiguous = len(same) > 1 or f.ref_table == tb.name or bool(reverse)
                base = (
                    fk_attr[:-3]
                    if fk_attr.endswith("_id") and len(fk_attr) > 3
                    else fk_attr + "_ref"
                )
                child_attr = self.names[tb.name].new(base)
                plural = snake(self.classes[tb.name]) + "s"
                if ambiguous:
                    plural = f"{plural}_by_{base}" if f.ref_table != tb.name else f"{base}_of"
                parent_attr = self.names[f.ref_table].new(plural)
                nullable = tb.column(f.columns[0]).nullable
                extra = [f"foreign_key={_s(fk_attr)}"] if ambiguous else []
                parent_cls = self.classes[f.ref_table]
                out[tb.name] += self._assign_rel(
                    f"    {child_attr}: Mapped[{parent_cls}{' | None' if nullable else ''}] = ",
                    "relationship",
                    [f"back_populates={_s(parent_attr)}", *extra],
                )
                out[f.ref_table] += self._assign_rel(
                    f"    {parent_attr}: Mapped[list[{self.classes[tb.name]}]] = ",
                    "relationship",
                    [f"back_populates={_s(child_attr)}", *extra],
                )
        return out

    def _assign_rel(self, head: str, fn: str, args: list[str]) -> list[str]:
        one = f"{head}{fn}({', '.join(args)})"
        if len(one) <= WIDTH:
            return [one]
        inner = "        " + ", ".join(args)
        if len(inner) <= WIDTH:
            return [f"{head}{fn}(", inner, "    )"]
        return [f"{head}{fn}(", *[f"        {a}," for a in args], "    )"]

    # -- the module ----------------------------------------------------------------------
    def write(self, title: str = "the database") -> str:
        """The module's source text."""
        self._unique_fields: set[tuple[str, str]] = set()
        self.use("ormolu", "Mapped")
        self.use("ormolu", "Model")
        args_of = {tb.name: self._table_args(tb) for tb in self.state.tables}
        # unique single-column indexes (where uniques are indexes) become unique=True
        tables = []
        from ..migrations.autodetect import _order_new_tables

        # parents first: a foreign key names a model defined above it, never one of the
        # same name elsewhere in the process
        for tb in _order_new_tables(list(self.state.tables), set()):
            if any(n == tb.name for n, _ in self._unique_fields):
                from ..schema.state import UniqueState

                extra = {UniqueState((c,)) for n, c in self._unique_fields if n == tb.name}
                tb = TableState(
                    tb.name, tb.columns, tb.primary_key, tb.indexes, tb.uniques | extra,
                    tb.foreign_keys, tb.checks, tb.comment, tb.column_order,
                )  # fmt: skip
            tables.append(tb)
        fields = {tb.name: self._field_lines(tb) for tb in tables}
        self.use("ormolu", "field")
        rels = self._relationships()
        body: list[str] = []
        for tb in tables:
            cls = self.classes[tb.name]
            table_kw = "" if _mapper_snake(cls) == tb.name else f", table={_s(tb.name)}"
            body += ["", "", f"class {cls}(Model{table_kw}):"]
            doc = f'    """Table {tb.name}."""' if '"' not in tb.name else "    pass"
            body.append(doc)
            if tb.comment:
                body.append(f"    # {tb.comment}")
            body.append("")
            body += args_of[tb.name]
            for lines in self.extra[tb.name]:
                body += lines
            if args_of[tb.name] or self.extra[tb.name]:
                body.append("")
            body += fields[tb.name]
            body += rels[tb.name]
        head = [
            f'"""Models of {title}, written by ``ormolu inspect``."""',
            "",
            "from __future__ import annotations",
            "",
        ]
        std = sorted(m for m in self.imports if m in ("decimal", "datetime", "typing", "uuid"))
        plain = [f"import {m}" for m in std if "" in self.imports[m]]
        froms = [
            f"from {m} import {', '.join(sorted(n for n in self.imports[m] if n))}"
            for m in std
            if any(self.imports[m])
        ]
        if plain or froms:
            head += plain + froms + [""]
        for m in ("ormolu", "ormolu.schema.types"):
            if m in self.imports:
                names = sorted(self.imports[m], key=lambda n: (n[0].islower(), n))
                head += _import_lines(m, names)
        return "\n".join(head + body) + "\n"


def _import_lines(module: str, names: list[str]) -> list[str]:
    one = f"from {module} import {', '.join(names)}"
    if len(one) <= WIDTH:
        return [one]
    return [f"from {module} import (", *[f"    {n}," for n in names], ")"]


def _split_args(call_text: str) -> list[str]:
    body = call_text.split("(", 1)[1][:-1]
    parts, depth, cur, quote = [], 0, "", ""
    for ch in body:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _generated(d: Dialect, name: str) -> str:
    from ..schema.ddl import generated_name

    return generated_name(d, name)


# Declared types other databases may not know, and the ormolu type that holds every one
# of their values there (MySQL 8.0 manual, 13.1.2 "Integer Types" and 13.2.4 "The YEAR
# Type": YEAR is 1901-2155 or 0, a TINYINT UNSIGNED 0-255, a SMALLINT UNSIGNED 0-65535, a
# MEDIUMINT -8388608-8388607 or UNSIGNED 0-16777215, an INT UNSIGNED 0-4294967295).
# BIGINT UNSIGNED has no portable type that holds it, so it stays as declared.
_PORTABLE_INTEGERS = {
    "YEAR": 2, "TINYINT UNSIGNED": 2, "SMALLINT UNSIGNED": 4, "MEDIUMINT": 4,
    "MEDIUMINT UNSIGNED": 4, "INT UNSIGNED": 8, "INTEGER UNSIGNED": 8,
}  # fmt: skip


def portable_type(declared: str) -> t.Integer | t.String | None:
    """The ormolu type a column declared ``declared`` gets on other databases, where that
    is safe (it holds every value the declared type can): the integer types above, and
    text for an ``ENUM`` or ``SET`` declared without its values (as SQLite keeps a MySQL
    schema's; SQLite stores their values as text). ``None``: keep the declared type
    everywhere. Example: ``portable_type("YEAR")`` is ``Integer(2)``."""
    norm = " ".join(declared.upper().split())
    if norm in _PORTABLE_INTEGERS:
        return t.Integer(_PORTABLE_INTEGERS[norm])
    if norm in ("ENUM", "SET"):
        return t.String()
    return None


def write_models(state: SchemaState, dialect: Dialect, title: str = "the database") -> str:
    """Model source code for ``state`` (reflected from a database of ``dialect``)."""
    return ModelWriter(state, dialect).write(title)


_ = Any
