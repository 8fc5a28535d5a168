"""The writer: operations as a readable Python migration file.

The file names its revision and the one(s) before it, and has ``upgrade()`` and
``downgrade()`` functions returning lists of operations (:mod:`.operations`), written
with ormolu's types (``t.String(120)``; an enum column as the type it is stored as, so
the file does not depend on the models as they will later be). Destructive operations
are preceded by a ``# DESTRUCTIVE`` comment saying what they lose.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..exceptions import ConfigurationError
from ..schema import types as t
from .operations import Operation

HEADER = '''"""{message}

Revision {revision!r}{after}. Written by ``ormolu migrate make`` on {when}.
"""

from __future__ import annotations

{imports}

revision = {revision_code}
down_revision = {down_code}
'''


def type_code(type_: t.SQLType) -> str:
    """Python source for an ormolu type (``t.Numeric(10, 2)``)."""
    if isinstance(type_, t.DeclaredType):
        return f"t.DeclaredType({type_.sql!r}, python_type={type_.python_type.__name__})"
    if isinstance(type_, t.EnumType):
        return "t.Integer(4)" if type_.is_int else f"t.String({type_.length})"
    if isinstance(type_, t.Boolean):
        return "t.Boolean()"
    if isinstance(type_, t.Integer):
        return "t.Integer()" if type_.size == 8 else f"t.Integer({type_.size})"
    if isinstance(type_, t.Float):
        return "t.Float()"
    if isinstance(type_, t.String):
        args = [] if type_.length is None else [str(type_.length)]
        if type_.exact:
            args.append("exact=True")
        return f"t.String({', '.join(args)})"
    if isinstance(type_, t.Numeric):
        if type_.precision is None:
            return "t.Numeric()"
        return f"t.Numeric({type_.precision}, {type_.scale or 0})"
    if isinstance(type_, t.DateTime):
        return "t.DateTime(timezone=True)" if type_.timezone else "t.DateTime()"
    if isinstance(type_, t.Json):
        return "t.Json(list)" if type_.python_type is list else "t.Json()"
    for cls in (t.Bytes, t.Date, t.Time, t.Interval, t.Uuid):
        if isinstance(type_, cls):
            return f"t.{cls.__name__}()"
    raise ConfigurationError(f"cannot write the type {type_!r} into a migration")


def code(value: Any) -> str:
    """Python source for an operation or one of its values."""
    if isinstance(value, t.SQLType):
        return type_code(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        args = []
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            has_default = f.default is not dataclasses.MISSING
            if f.default_factory is not dataclasses.MISSING:
                if v == f.default_factory():
                    continue
                has_default = True
            if has_default and (v == f.default or (not v and not f.default and v is not False)):
                continue
            if f.name == "function":
                args.append(getattr(v, "__name__", "function"))
                continue
            text = code(v)
            args.append(f"{f.name}={text}" if has_default else text)
        return f"{type(value).__name__}({', '.join(args)})"
    if isinstance(value, tuple):
        inner = ", ".join(code(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(code(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{code(k)}: {code(v)}" for k, v in value.items()) + "}"
    if isinstance(value, enum.Enum):
        return code(value.value)
    if isinstance(value, str):
        # double quotes as ruff format writes them, unless that needs escapes
        return (
            repr(value)
            if '"' in value and "'" not in value
            else json.dumps(value, ensure_ascii=False)
        )
    return repr(value)


def _wrap(text: str, indent: str, width: int = 99) -> str:
    """Break a long call after its top-level commas, one argument per line."""
    if len(indent) + len(text) <= width or "(" not in text:
        return indent + text
    head, body = text.split("(", 1)
    parts = _split_list(body[:-1])
    inner = indent + "    "
    lines = []
    for p in parts:
        if p.startswith("[") and len(inner) + len(p) > width:
            items = _split_list(p[1:-1])
            lines.append(inner + "[")
            lines += [_wrap(i, inner + "    ") + "," for i in items]
            lines.append(inner + "],")
        elif (
            p.startswith(("columns=", "indexes=", "uniques=", "foreign_keys=", "checks="))
            and len(inner) + len(p) > width
        ):
            key, rest = p.split("=", 1)
            items = _split_list(rest[1:-1])
            lines.append(inner + key + "=[")
            lines += [_wrap(i, inner + "    ") + "," for i in items]
            lines.append(inner + "],")
        else:
            lines.append(_wrap(p, inner) + ",")
    return indent + head + "(\n" + "\n".join(lines) + "\n" + indent + ")"


def _split_list(body: str) -> list[str]:
    items, depth, cur = [], 0, ""
    quote, escaped = "", False
    for ch in body:
        if quote:
            cur += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur.strip())
    return items


def _body(ops: Sequence[Operation]) -> str:
    if not ops:
        return "    return []\n"
    lines = ["    return ["]
    for op in ops:
        if op.destructive:
            lines.append(f"        # DESTRUCTIVE: {op.describe()} loses data")
        lines.append(_wrap(code(op), "        ") + ",")
    lines.append("    ]")
    return "\n".join(lines) + "\n"


def write_migration(
    revision: str,
    down_revision: str | tuple[str, ...] | None,
    message: str,
    upgrade: Sequence[Operation],
    downgrade: Sequence[Operation],
    functions: str = "",
) -> str:
    """The source text of a migration file."""
    after = ""
    if isinstance(down_revision, tuple):
        after = ", merging " + " and ".join(repr(d) for d in down_revision)
    elif down_revision:
        after = f", after {down_revision!r}"
    from . import operations

    bodies = _body(upgrade) + _body(downgrade) + functions
    used = sorted(set(re.findall(r"\b([A-Z][A-Za-z]+)\(", bodies)) & set(operations.__all__))
    used = sorted({"Operation", *used}, key=lambda n: (n.isupper(), n))
    names = ", ".join(used)
    imports = f"from ormolu.migrations.operations import {names}"
    if len(imports) > 99:
        imports = (
            "from ormolu.migrations.operations import (\n"
            + "".join(f"    {n},\n" for n in used)
            + ")"
        )
    if "t." in bodies:
        imports += "\nfrom ormolu.schema import types as t"
    text = HEADER.format(
        imports=imports,
        message=message.replace('"""', "'''") or "A migration.",
        revision=revision,
        after=after,
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        revision_code=code(revision),
        down_code=code(down_revision),
    )
    if any(op.destructive for op in upgrade):
        text += "destructive = True  # see the DESTRUCTIVE comments below\n"
    text += functions
    text += "\n\ndef upgrade() -> list[Operation]:\n" + _body(upgrade)
    text += "\n\ndef downgrade() -> list[Operation]:\n" + _body(downgrade)
    return text
