"""JSON documents in queries: paths, typed extraction, key existence, containment.

``Model.data["a"][0]["b"]`` is the value at that path of a JSON field (a
:class:`JsonPath`); selected, it loads as the Python value (``dict``, ``list``, ``str``,
``int``, ``float``, ``bool`` or ``None``). Conditions and ordering use typed extraction:
``.as_string()``, ``.as_integer()``, ``.as_float()``, ``.as_boolean()`` (NULL where the
path is missing or holds JSON ``null``), ``.has_key("k")`` (the key exists, even with a
``null`` value) and ``.json_contains({...})`` (PostgreSQL's ``@>``: every key and value of
the given document is in this one; an array contains the elements given). The same data
gives the same answers on PostgreSQL (``jsonb`` operators, manual 9.16), MySQL/MariaDB
(``JSON_EXTRACT``, ``JSON_CONTAINS``...) and SQLite (its JSON functions; containment by
a function ormolu registers).

Path keys and indexes are bound as parameters, never written into the SQL. Not the same
everywhere: ``as_string()`` of an object or array gives its JSON text with each
backend's spacing; ``as_integer()`` of a non-integer fails on PostgreSQL and rounds or
truncates elsewhere (extract it with ``as_float()``); SQLite's paths cannot name a key
holding a double quote (ArgumentError).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..exceptions import ArgumentError
from ..schema import types as t
from . import coercions
from .elements import BindParam, Expr, Key

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .selectable import FromClause

PathItem = str | int


class JsonPathType(t.SQLType):
    """The type of a bound JSON path: a tuple of keys and indexes, sent in the form the
    dialect's JSON functions take (``dialect.json_path_style``)."""

    python_type = tuple

    def bind_processor(self, dialect: Dialect) -> Any:
        style = dialect.json_path_style
        if style == "array":
            return lambda path: [str(p) for p in path]
        quote_escapes = style == "dollar"

        def dollar(path: Any) -> str:
            out = ["$"]
            for p in path:
                if isinstance(p, int):
                    out.append(f"[{p}]")
                    continue
                if '"' in p and not quote_escapes:
                    raise ArgumentError(
                        f"JSON key {p!r}: {dialect.name}'s JSON paths cannot name a key "
                        f"holding a double quote"
                    )
                out.append('."' + p.replace("\\", "\\\\").replace('"', '\\"') + '"')
            return "".join(out)

        return dollar

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("JsonPath",)


JSON_PATH = JsonPathType()


class JsonValue(t.Json):
    """A JSON value read at a path (any JSON value, sent back as JSON text)."""

    def __init__(self) -> None:
        super().__init__(object)

    def result_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> Any:
            if isinstance(value, bytes | bytearray):
                value = value.decode()
            return json.loads(value) if isinstance(value, str) else value

        return process

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return ("JsonValue",)


JSON_VALUE = JsonValue()


def _check_item(item: Any) -> PathItem:
    if isinstance(item, bool) or not isinstance(item, str | int):
        raise ArgumentError(f"a JSON path step is a str key or an int index, got {item!r}")
    if isinstance(item, int) and item < 0:
        raise ArgumentError(f"a JSON path index counts from 0, got {item}")
    return item


def json_document(expr: Expr[Any], what: str) -> Expr[Any]:
    """``expr`` if it is a JSON document (a JSON field or a path into one)."""
    if isinstance(expr, JsonPath) or isinstance(expr.type, t.Json | t.NullType):
        return expr
    raise ArgumentError(
        f"{coercions.shown(expr)}{what}: {coercions.shown(expr)} is a "
        f"{expr.type.python_type.__name__}, not a JSON field"
    )


class JsonPath(Expr[Any]):
    """The value at ``path`` of the JSON document ``doc``."""

    __slots__ = ("doc", "path", "path_bind", "type")
    __visit_name__ = "json_path"

    def __init__(self, doc: Expr[Any], path: tuple[PathItem, ...]) -> None:
        self.doc, self.path = doc, path
        self.path_bind: BindParam[Any] = BindParam(path, JSON_PATH)
        self.type = JSON_VALUE

    def __getitem__(self, item: PathItem) -> JsonPath:
        return JsonPath(self.doc, (*self.path, _check_item(item)))

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("jpath", self.doc._key(binds), self.path_bind._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.doc._froms()

    def _compare(self, op: str, other: Any) -> Expr[bool]:
        raise ArgumentError(
            f"compare a JSON value through a typed extraction, e.g. "
            f"{coercions.shown(self.doc)}[...].as_integer() {op} ..., .as_string(), "
            f".as_float() or .as_boolean()"
        )

    def as_string(self) -> Expr[str | None]:
        """The value as text (a JSON string's characters; a number's or boolean's JSON
        text), or NULL."""
        return JsonExtract(self, "string", t.TEXT)

    def as_integer(self) -> Expr[int | None]:
        """The value as an integer, or NULL."""
        return JsonExtract(self, "integer", t.INTEGER)

    def as_float(self) -> Expr[float | None]:
        """The value as a float, or NULL."""
        return JsonExtract(self, "float", t.FLOAT)

    def as_boolean(self) -> Expr[bool | None]:
        """The value as a bool (JSON ``true``/``false``; anything else is NULL)."""
        return JsonExtract(self, "boolean", t.BOOLEAN)


class JsonExtract(Expr[Any]):
    """A JSON path's value converted to ``kind`` (string, integer, float, boolean)."""

    __slots__ = ("kind", "path", "type")
    __visit_name__ = "json_extract"

    def __init__(self, path: JsonPath, kind: str, type_: t.SQLType) -> None:
        self.path, self.kind, self.type = path, kind, type_

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("jextract", self.kind, self.path._key(binds))

    def _froms(self) -> tuple[FromClause, ...]:
        return self.path._froms()


class JsonTest(Expr[bool]):
    """``has_key`` (``kind`` "key": ``path_bind`` ends with the key) or ``json_contains``
    (``kind`` "contains": ``path_bind`` is None at the document's top)."""

    __slots__ = ("doc", "kind", "path_bind", "value")
    __visit_name__ = "json_test"
    type = t.BOOLEAN

    def __init__(
        self, doc: Expr[Any], path_bind: BindParam[Any] | None, kind: str, value: Any
    ) -> None:
        self.doc, self.path_bind, self.kind, self.value = doc, path_bind, kind, value

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        path = None if self.path_bind is None else self.path_bind._key(binds)
        value = None if self.value is None else self.value._key(binds)
        return ("jtest", self.kind, self.doc._key(binds), path, value)

    def _froms(self) -> tuple[FromClause, ...]:
        return self.doc._froms()


def _split(expr: Expr[Any], what: str) -> tuple[Expr[Any], tuple[PathItem, ...]]:
    doc = json_document(expr, what)
    if isinstance(doc, JsonPath):
        return doc.doc, doc.path
    return doc, ()


def has_key(expr: Expr[Any], key: str) -> Expr[bool]:
    """Whether the JSON object ``expr`` has ``key``."""
    if not isinstance(key, str):
        raise ArgumentError(f"has_key() takes a str key, got {key!r}")
    doc, path = _split(expr, ".has_key()")
    return JsonTest(doc, BindParam((*path, key), JSON_PATH), "key", None)


def json_contains(expr: Expr[Any], value: Any) -> Expr[bool]:
    """Whether the JSON value ``expr`` contains ``value`` (a dict, list or scalar)."""
    doc, path = _split(expr, ".json_contains()")
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"json_contains() takes a JSON-serialisable value: {exc}") from None
    path_bind: BindParam[Any] | None = BindParam(path, JSON_PATH) if path else None
    return JsonTest(doc, path_bind, "contains", BindParam(text, t.TEXT))


def contains_json(document: Any, candidate: Any) -> bool:
    """PostgreSQL's ``jsonb @> jsonb`` on Python values (manual 8.14.3 "jsonb
    Containment and Existence"), for backends without it."""
    if isinstance(document, dict):
        return isinstance(candidate, dict) and all(
            k in document and contains_json(document[k], v) for k, v in candidate.items()
        )
    if isinstance(document, list):
        if isinstance(candidate, list):
            return all(any(contains_json(d, c) for d in document) for c in candidate)
        return not isinstance(candidate, dict) and any(
            not isinstance(d, dict | list) and _same(d, candidate) for d in document
        )
    return not isinstance(candidate, dict | list) and _same(document, candidate)


def _same(a: Any, b: Any) -> bool:
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
    return (numbers or type(a) is type(b)) and bool(a == b)
