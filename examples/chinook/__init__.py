"""The Chinook demo: ormolu on a real sample database (a digital music store).

* :mod:`.models` maps the 11 Chinook tables;
* :mod:`.questions` answers questions about the store, one typed query each;
* :mod:`.write` writes an invoice with its lines in one transaction, and shows a refused
  write (an unknown track) leaving nothing behind.

Run it with ``python -m examples.chinook`` (needs the ``demo`` extra for ``rich``). The
bundled database ``data/Chinook_Sqlite.sqlite`` is never modified: the demo works on a copy
in ``work/``.
"""

from pathlib import Path

#: The bundled Chinook database (read-only; MIT licence in ``data/LICENSE.md``).
BUNDLED_DB = Path(__file__).resolve().parent / "data" / "Chinook_Sqlite.sqlite"

#: Where the demo copies the database before opening it.
WORK_DB = Path(__file__).resolve().parent / "work" / "chinook.db"
