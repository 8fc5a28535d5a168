"""Naming conventions: how a model's class and attribute names become table and column
names when ``table=`` and ``field(column=...)`` do not say.

A convention is a function from a Python name to a database name, applied to the class
name for the table and to each attribute name for its column. Give one to a model base
class and every model below it follows it::

    class ChinookModel(Model, abstract=True, naming="PascalCase"):
        pass

    class InvoiceLine(ChinookModel):           # table "InvoiceLine"
        id: Mapped[int] = field(primary_key=True, column="InvoiceLineId", default=None)
        unit_price: Mapped[Decimal]             # column "UnitPrice"
        invoice_id: Mapped[int] = field(foreign_key="Invoice.id")   # column "InvoiceId"

Built in: ``"snake_case"`` (the default: ``InvoiceLine`` → ``invoice_line``, attributes as
written), ``"PascalCase"`` (``unit_price`` → ``UnitPrice``), ``"camelCase"``
(``unit_price`` → ``unitPrice``, ``InvoiceLine`` → ``invoiceLine``) and ``"preserve"``
(names as written); or any ``Callable[[str], str]``. ``table=`` and ``column=`` still win.
"""

from __future__ import annotations

from collections.abc import Callable

from ..exceptions import ConfigurationError

Convention = Callable[[str], str]


def snake_case(name: str) -> str:
    """``InvoiceLine`` → ``invoice_line``; ``unit_price`` stays; ``HTTPCode`` → ``httpcode``."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper() and name[i - 1] != "_":
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def pascal_case(name: str) -> str:
    """``unit_price`` → ``UnitPrice``; ``InvoiceLine`` stays ``InvoiceLine``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def camel_case(name: str) -> str:
    """``unit_price`` → ``unitPrice``; ``InvoiceLine`` → ``invoiceLine``."""
    pascal = pascal_case(name)
    return pascal[:1].lower() + pascal[1:]


def preserve(name: str) -> str:
    """The name as written."""
    return name


CONVENTIONS: dict[str, Convention] = {
    "snake_case": snake_case,
    "PascalCase": pascal_case,
    "camelCase": camel_case,
    "preserve": preserve,
}


def resolve(naming: str | Convention | None) -> Convention | None:
    """The convention named or given (None: none given). ConfigurationError if unknown."""
    if naming is None or callable(naming):
        return naming
    found = CONVENTIONS.get(naming)
    if found is None:
        raise ConfigurationError(
            f"naming={naming!r}: use one of {', '.join(CONVENTIONS)} or a function str -> str"
        )
    return found
