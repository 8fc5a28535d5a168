"""The registry of model classes: name look-ups for foreign keys and ``create_all``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from .mapper import Mapper

_mappers: list[Mapper] = []


def register(mapper: Mapper) -> None:
    """Record a newly defined model."""
    _mappers.append(mapper)


def all_mappers() -> list[Mapper]:
    """Every model defined so far, in definition order."""
    return list(_mappers)


def find_model(name: str, near: Mapper) -> Mapper:
    """Resolve a model (or table) name: first in the referencing model's module, then among
    all models (the latest definition wins). Raises ConfigurationError when unknown."""
    module = sys.modules.get(near.cls.__module__)
    candidate: Any = getattr(module, name, None) if module else None
    mapper = getattr(candidate, "__mapper__", None)
    if mapper is not None:
        return mapper  # type: ignore[no-any-return]
    for m in reversed(_mappers):
        if m.name == name:
            return m
    for m in reversed(_mappers):
        if m.table.name == name:
            return m
    raise ConfigurationError(f"{near.name}: foreign key refers to unknown model or table {name!r}")


def configure(mapper: Mapper, *, partial: bool = False) -> None:
    """Resolve ``mapper``'s foreign keys to the columns they reference (once).

    ``foreign_key="Album.id"`` names a model and attribute; ``"Album.AlbumId"`` a table and
    column. Raises ConfigurationError naming the field when the target does not exist.
    With ``partial=True`` (used when a class is defined) unknown targets are left for later.
    """
    if mapper.configured:
        return
    complete = True
    for spec in mapper.fields.values():
        fk = spec.column.foreign_key
        if fk is None or fk.column is not None:
            continue
        model_name, _, attr = fk.target.rpartition(".")
        try:
            target = find_model(model_name, mapper)
        except ConfigurationError:
            if partial:  # a forward reference: resolved on first use
                complete = False
                continue
            raise
        col = target.table.columns_by_key.get(attr) or target.table.columns_by_name.get(attr)
        if col is None:
            raise ConfigurationError(
                f"{mapper.name}.{spec.key}: foreign_key {fk.target!r}: {target.name} has no "
                f"field or column {attr!r} (fields: {', '.join(target.fields)})"
            )
        fk.column = col
    mapper.configured = complete
