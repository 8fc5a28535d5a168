"""Column types, for ``field(db_type=...)``, ``cast()`` and ``func.<name>(..., type_=...)``.

Example: ``func.avg(Invoice.total).cast(types.Numeric(10, 2))``. See
:mod:`ormolu.schema.types` for how each converts values both ways.
"""

from .schema.types import (
    Boolean,
    Bytes,
    Date,
    DateTime,
    EnumType,
    Float,
    Integer,
    Interval,
    Json,
    Numeric,
    SQLType,
    String,
    Time,
    Uuid,
)

__all__ = [
    "Boolean", "Bytes", "Date", "DateTime", "EnumType", "Float", "Integer", "Interval",
    "Json", "Numeric", "SQLType", "String", "Time", "Uuid",
]  # fmt: skip
