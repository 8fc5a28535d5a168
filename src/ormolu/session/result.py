"""``Result``: the rows of a raw statement (``session.execute``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Result:
    """Rows of a raw statement: ``all()`` tuples, ``first()``, ``scalars()``, ``scalar()``,
    ``dicts()``; ``keys`` (column names) and ``rowcount`` (rows the statement matched, -1
    when the driver cannot tell).

    Example::

        res = s.execute("SELECT Name, Milliseconds FROM Track WHERE TrackId < :n", {"n": 3})
        res.all()        # [('For Those About To Rock', 343719), ('Balls to the Wall', 342562)]
        res.dicts()[0]   # {'Name': 'For Those About To Rock', 'Milliseconds': 343719}
    """

    __slots__ = ("keys", "rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], keys: list[str], rowcount: int) -> None:
        self.rows = rows
        self.keys = keys
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        """Every row as a tuple."""
        return self.rows

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or ``None`` without rows."""
        return self.rows[0] if self.rows else None

    def scalars(self) -> list[Any]:
        """The first column of every row."""
        return [r[0] for r in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row, or ``None`` without rows."""
        return self.rows[0][0] if self.rows else None

    def dicts(self) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column name."""
        return [dict(zip(self.keys, r)) for r in self.rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)
