"""An object's field values as a dict, and assignment of many fields from one.

Plain functions rather than model methods, so that no name is taken from the fields a
model may declare (``values``, ``update``), like :func:`ormolu.status_of`.

Why assignment needs a helper: ``setattr(obj, "titel", v)`` on a model sets a plain
Python attribute that is never written (only fields are), so copying a request's payload
onto an object with a loop of ``setattr`` silently drops a misspelt name, and stops
half-way at the first bad value. :func:`update_fields` checks every name and value first,
then assigns them all, or none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..exceptions import ValidationError


def values_of(
    obj: Any, *, include: Collection[str] | None = None, exclude: Collection[str] = ()
) -> dict[str, Any]:
    """The values of ``obj``'s fields (columns, not relationships) by attribute name, in
    declaration order; ``include`` keeps only those names, ``exclude`` leaves some out.

    Each value is read as the attribute is, so an expired one is loaded by the session
    (an async session raises LazyLoadError instead), and a server default not yet
    filled in raises AttributeError. Raises ValidationError naming the model for a name
    in ``include`` or ``exclude`` that is not a field.

    Example: ``values_of(track, exclude={"id"})`` → ``{"name": "So What", ...}``.
    """
    mapper = type(obj).__mapper__
    fields = mapper.fields
    for name in (*(include or ()), *exclude):
        if name not in fields:
            raise ValidationError(
                mapper.name, name, name, f"no such field (fields: {', '.join(fields)})"
            )
    keys = [k for k in fields if (include is None or k in include) and k not in exclude]
    return {k: getattr(obj, k) for k in keys}


def update_fields(obj: Any, values: Mapping[str, Any]) -> None:
    """Assign ``values`` (attribute name → value; fields or relationships) to ``obj``,
    all or none: every name and every field value is checked before the first
    assignment. Changes are tracked as by plain assignment (the next flush writes them).

    Raises ValidationError naming model, field and value for a name the model does not
    have, or a value a field's rules refuse; ``obj`` is then unchanged.

    Example: ``update_fields(album, {"title": "Blue Train", "price": Decimal("9.99")})``.
    """
    mapper = type(obj).__mapper__
    fields = mapper.fields
    checked: list[tuple[str, Any]] = []
    for name, value in values.items():
        spec = fields.get(name)
        if spec is not None:
            checked.append((name, spec.validate(value)))
        elif name in mapper.relationship_decls:
            checked.append((name, value))
        else:
            names = [*fields, *mapper.relationship_decls]
            raise ValidationError(
                mapper.name, name, value, f"no such field (fields: {', '.join(names)})"
            )
    for name, value in checked:
        setattr(obj, name, value)
