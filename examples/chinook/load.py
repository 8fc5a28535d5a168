"""Load the bundled Chinook data into another database through ormolu.

Used by ``python -m examples.chinook --url postgresql://...`` (or ``mysql://...``): the
tables are (re)created from the models and every row is copied from the bundled SQLite
file with ``Session.insert_many``, parents before children, so the same questions can be
asked of every backend.
"""

from __future__ import annotations

from pathlib import Path

from ormolu import Database

from . import BUNDLED_DB
from .models import ALL_MODELS


def load_chinook(target: Database, source: Path = BUNDLED_DB) -> dict[str, int]:
    """Drop and recreate the Chinook tables in ``target`` and copy every row into them.

    The bundled file is opened read-only (an SQLite URI with ``mode=ro``), so it is never
    modified. Returns the number of rows copied per table. Raises ormolu's DatabaseError
    subclasses if the target refuses a row.
    """
    src = Database(f"sqlite:///file:{source.resolve()}?mode=ro")
    target.drop_all(ALL_MODELS)
    target.create_all(ALL_MODELS)
    counts: dict[str, int] = {}
    with src.session() as read, target.session() as write:
        for model in sorted(ALL_MODELS, key=_depth):
            mapper = model.__mapper__
            pk = [mapper.fields[k].column.ref for k in mapper.pk_keys]
            rows = read.query(model).order_by(*pk).dicts().all()
            counts[mapper.table.name] = write.insert_many(model, rows)
    src.dispose()
    return counts


def _depth(model: type) -> int:
    """Foreign-key depth of a model's table (0 for tables that reference no other)."""
    table = model.__mapper__.table  # type: ignore[attr-defined]
    seen: set[int] = set()

    def depth(t: object) -> int:
        if id(t) in seen:
            return 0
        seen.add(id(t))
        refs = t.referenced_tables()  # type: ignore[attr-defined]
        return 1 + max((depth(r) for r in refs), default=-1)

    return depth(table)
