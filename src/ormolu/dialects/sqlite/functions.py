"""SQL functions registered on each SQLite connection for date and time arithmetic.

SQLite keeps datetimes as ISO-8601 text and its date functions work in milliseconds
(https://sqlite.org/lang_datefunc.html), so differences and sums to the microsecond are
computed by these deterministic functions with Python's ``datetime``, which is what the
other backends' native arithmetic gives.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

TIMEDIFF = "ormolu_timediff"
TIMEADD = "ormolu_timeadd"
JSON_CONTAINS = "ormolu_json_contains"

_MICROSECOND = timedelta(microseconds=1)


def _parse(value: Any) -> datetime | None:
    if value is None or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC)
    return moment


def timediff(end: Any, start: Any) -> int | None:
    """``end - start`` in microseconds (NULL if either is NULL or not a datetime)."""
    a, b = _parse(end), _parse(start)
    if a is None or b is None:
        return None
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return (a - b) // _MICROSECOND


def timeadd(value: Any, micros: Any, as_date: int) -> str | None:
    """``value`` plus ``micros`` microseconds, as ormolu's text form (a date when
    ``as_date``); NULL for NULL or unreadable input."""
    moment = _parse(value)
    if moment is None or micros is None:
        return None
    try:
        moment = moment + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    if as_date:
        return date.isoformat(moment.date())
    return moment.isoformat(sep=" ")


def json_contains(document: Any, path: Any, candidate: Any) -> int | None:
    """Whether the JSON text ``document`` (at ``path``, a '$...' path or NULL) contains
    the JSON text ``candidate``, as PostgreSQL's ``@>`` decides."""
    from ...sql.json import contains_json

    if document is None or candidate is None:
        return None
    try:
        doc = json.loads(document)
        for step in _steps(path):
            if isinstance(step, int):
                doc = doc[step] if isinstance(doc, list) and step < len(doc) else _MISSING
            else:
                doc = doc.get(step, _MISSING) if isinstance(doc, dict) else _MISSING
            if doc is _MISSING:
                return None
        return int(contains_json(doc, json.loads(candidate)))
    except (TypeError, ValueError):
        return None


_MISSING = object()


def _steps(path: Any) -> list[str | int]:
    """The keys and indexes of a '$."a"[0]' path as ormolu binds it (no escapes)."""
    if not path:
        return []
    out: list[str | int] = []
    rest = path[1:]
    while rest:
        if rest.startswith("["):
            end = rest.index("]")
            out.append(int(rest[1:end]))
            rest = rest[end + 1 :]
        else:  # ."key"
            end = rest.index('"', 2)
            out.append(rest[2:end])
            rest = rest[end + 1 :]
    return out


def register(raw: sqlite3.Connection) -> None:
    """Register the functions on a new connection."""
    raw.create_function(TIMEDIFF, 2, timediff, deterministic=True)
    raw.create_function(TIMEADD, 3, timeadd, deterministic=True)
    raw.create_function(JSON_CONTAINS, 3, json_contains, deterministic=True)
