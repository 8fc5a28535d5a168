"""Find ``:name`` placeholders in raw SQL, skipping quoted strings, identifiers and comments."""

from __future__ import annotations

import re

# Quoted text, quoted identifiers and comments are matched first so that a ':x' inside them is
# left alone; '::' (a PostgreSQL cast) is matched so that it is not taken for a placeholder.
_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|--[^\n]*|/\*.*?\*/|::|:([A-Za-z_]\w*)""",
    re.S,
)


def find_named_params(sql: str) -> list[tuple[str, int, int]]:
    """Return ``(name, start, end)`` for every ``:name`` placeholder in ``sql``, in order."""
    return [(m.group(1), m.start(), m.end()) for m in _TOKEN.finditer(sql) if m.group(1)]


def to_positional(sql: str, placeholder: str) -> tuple[str, list[str]]:
    """Rewrite ``:name`` placeholders to ``placeholder``; return the SQL and the name order."""
    out: list[str] = []
    names: list[str] = []
    pos = 0
    for name, start, end in find_named_params(sql):
        out.append(sql[pos:start])
        out.append(placeholder)
        names.append(name)
        pos = end
    out.append(sql[pos:])
    return "".join(out), names
