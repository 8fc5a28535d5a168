"""The Chinook demo: ormolu on a real sample database (a digital music store).

* :mod:`.models` maps the 11 Chinook tables and the relationships between them;
* :mod:`.questions` answers questions about the store with typed rows, one query each or
  by walking relationships with eager loading (a fixed number of statements each);
* :mod:`.write` writes an invoice with its lines in one transaction, through the
  relationships, and shows a refused write (an unknown track) leaving nothing behind.

Run it with ``python -m examples.chinook`` (needs the ``demo`` extra for ``rich``). The
bundled database ``data/Chinook_Sqlite.sqlite`` is never modified: the demo works on a copy
in ``work/``.
"""

from pathlib import Path

#: The bundled Chinook database (read-only; MIT licence in ``data/LICENSE.md``).
BUNDLED_DB = Path(__file__).resolve().parent / "data" / "Chinook_Sqlite.sqlite"

#: Where the demo copies the database before opening it.
WORK_DB = Path(__file__).resolve().parent / "work" / "chinook.db"
