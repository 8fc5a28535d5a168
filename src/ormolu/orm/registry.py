"""The registry of model classes: name look-ups for foreign keys and relationships, the
automatic association tables of many-to-many relationships, and ``create_all``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from ..schema.table import Table
    from .mapper import Mapper
    from .relationships import Relationship

_mappers: list[Mapper] = []
# automatic association tables by (id of the owning mapper, attribute)
_secondaries: dict[tuple[int, str], tuple[Table, Relationship]] = {}


_pending: set[Mapper] = set()  # models whose relationships are not resolved yet
_broken: set[Mapper] = set()  # ... of which the last attempt failed


def register(mapper: Mapper) -> None:
    """Record a newly defined model."""
    _mappers.append(mapper)
    if mapper.relationship_decls:
        _pending.add(mapper)
    _pending.update(_broken)  # a new model may be what a forward reference was missing
    _broken.clear()


def configure_pending() -> None:
    """Resolve every model's relationships that can be resolved now (cheap when none
    are left), so that reverse sides and association tables are known to the flush."""
    if not _pending:
        return
    for m in list(_pending):
        try:
            configure(m)
        except ConfigurationError:
            _broken.add(m)  # reported when that model itself is used
        _pending.discard(m)


def all_mappers() -> list[Mapper]:
    """Every model defined so far, in definition order."""
    return list(_mappers)


def find_model(name: str, near: Mapper) -> Mapper:
    """Resolve the model (or table) a foreign key or ``through=`` names.

    ``name`` is a class name (``"Album"``), a dotted path to one
    (``"shop.models.Album"``) or a table name (``"album"``). Looked up first in the
    referencing model's module (a module-level class there wins), then among the models
    defined in that module (classes defined inside functions included; the latest
    definition of a name wins, so a redefinition replaces the old class), then among all
    models. Raises ConfigurationError when the name is unknown, or when it is defined in
    several other modules and none in the referencing model's: guessing would make a key
    point at the wrong table (the message lists the candidates and the dotted form that
    picks one). SQLAlchemy's class registry refuses an ambiguous name the same way.
    """
    module = sys.modules.get(near.cls.__module__)
    candidate: Any = getattr(module, name, None) if module else None
    mapper = getattr(candidate, "__mapper__", None)
    if mapper is not None:
        return mapper  # type: ignore[no-any-return]
    if "." in name:
        for m in reversed(_mappers):
            if f"{m.cls.__module__}.{m.cls.__qualname__}" == name:
                return m
    for by_table in (False, True):
        named = [m for m in _mappers if (m.table.name if by_table else m.name) == name]
        if not named:
            continue
        local = [m for m in named if m.cls.__module__ == near.cls.__module__]
        if local:
            return local[-1]
        latest: dict[str, Mapper] = {}
        for m in named:  # (one per module: a later definition replaces an earlier one)
            latest[m.cls.__module__] = m
        if len(latest) == 1:
            return named[-1]
        paths = ", ".join(f"{m.cls.__module__}.{m.cls.__qualname__}" for m in latest.values())
        what = "table" if by_table else "model"
        raise ConfigurationError(
            f"{near.name}: {name!r} is ambiguous: a {what} of that name is defined in "
            f"several modules ({paths}); import the one you mean into "
            f"{near.cls.__module__}, or name it by its dotted path, e.g. "
            f'foreign_key="{next(iter(latest.values())).cls.__module__}.{name}.id"'
        )
    raise ConfigurationError(f"{near.name}: foreign key refers to unknown model or table {name!r}")


def _resolve_column(mapper: Mapper, target: Mapper, attr: str, what: str) -> Any:
    col = target.table.columns_by_key.get(attr) or target.table.columns_by_name.get(attr)
    if col is None:
        raise ConfigurationError(
            f"{mapper.name}.{what}: {target.name} has no field or column {attr!r} "
            f"(fields: {', '.join(target.fields)})"
        )
    return col


def _configure_columns(mapper: Mapper, partial: bool) -> bool:
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
        fk.column = _resolve_column(mapper, target, attr, f"{spec.key}: foreign_key {fk.target!r}")
    for fkc in mapper.table.foreign_key_constraints:
        if fkc.referenced is not None:
            continue
        try:
            target = find_model(fkc.target, mapper)
        except ConfigurationError:
            if partial:
                complete = False
                continue
            raise
        keys = fkc.target_fields or target.pk_keys
        if len(keys) != len(fkc.columns):
            raise ConfigurationError(
                f"{mapper.name}: ForeignKeyConstraint{fkc.fields!r} has {len(fkc.columns)} "
                f"column(s) but references {len(keys)} of {target.name} ({', '.join(keys)})"
            )
        fkc.referenced = [_resolve_column(mapper, target, k, "ForeignKeyConstraint") for k in keys]
    return complete


def configure(mapper: Mapper, *, partial: bool = False, relationships: bool = True) -> None:
    """Resolve ``mapper``'s foreign keys to the columns they reference, then (unless
    ``relationships=False``) its relationships — once.

    ``foreign_key="Album.id"`` names a model and attribute; ``"Album.AlbumId"`` a table and
    column. Raises ConfigurationError naming the field when the target does not exist.
    With ``partial=True`` (used when a class is defined) unknown targets are left for later.
    The first full configuration also resolves every other model's relationships that
    can be resolved, so reverse sides and association tables are known everywhere.
    """
    if mapper.configured:
        return
    if not mapper.columns_configured:
        mapper.columns_configured = _configure_columns(mapper, partial)
    if partial or not relationships:
        if not mapper.relationship_decls and mapper.columns_configured:
            mapper.configured = True
        return
    if mapper.configuring:
        return
    mapper.configuring = True
    try:
        for key in mapper.relationship_decls:
            mapper.resolve_relationship(key)
    finally:
        mapper.configuring = False
    mapper.configured = True
    _pending.discard(mapper)
    _broken.discard(mapper)
    configure_pending()


def auto_secondary(rel: Relationship) -> tuple[Table, bool]:
    """The automatic association table of ``rel`` (shared with its back_populates
    partner) and whether ``rel`` is its second side (columns swapped). The side whose
    ``(table, attribute)`` sorts first owns and names the table."""
    from .relationships import make_secondary_table

    bp = rel.info.back_populates
    me = (rel.parent.table.name, rel.key)
    if bp is not None and (rel.target.table.name, bp) < me:
        partner = rel.target.relationship(bp)
        assert partner.secondary is not None
        return partner.secondary, True
    existing = _secondaries.get((id(rel.parent), rel.key))
    if existing is not None:
        return existing[0], False
    table = make_secondary_table(rel, f"{me[0]}_{me[1]}")
    _secondaries[(id(rel.parent), rel.key)] = (table, rel)
    return table, False


def secondary_tables(mappers: list[Mapper]) -> list[Table]:
    """The automatic association tables between the given models."""
    out = []
    for table, rel in _secondaries.values():
        if rel.parent in mappers and rel.target in mappers:
            out.append(table)
    return out
