"""The table rebuild: a schema change ALTER TABLE cannot make, done by copying the table.

This is the procedure of the SQLite documentation, "ALTER TABLE", section "Making Other
Kinds Of Table Schema Changes" (https://sqlite.org/lang_altertable.html#otheralter):
with foreign key enforcement off (the runner turns it off before the migration's
transaction, where ``PRAGMA foreign_keys`` has effect) and inside that transaction:

1. remember the table's triggers, and the views that name it (``sqlite_master``);
2. ``CREATE TABLE`` the new definition under a temporary name;
3. copy every row (``INSERT INTO new (...) SELECT ... FROM old``), in chunks of rowids so
   that a progress bar can follow a large table;
4. ``DROP TABLE`` the old one (its indexes and triggers go with it; views are dropped
   first and recreated after, step 9 of the procedure);
5. ``ALTER TABLE new RENAME TO old`` (in this order, so foreign keys of other tables
   that name the table keep naming it);
6. recreate the indexes (from the new state) and the triggers and views (as they were);
7. ``PRAGMA foreign_key_check``: a violation fails the migration, which rolls back.

Columns are copied by name (a renamed column from its old name; a new column takes its
default; a column with a ``convert`` expression gets the expression's value). Every row
is kept: the copy is checked by counting rows on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..protocol import Op
from ..schema.state import TableState

if TYPE_CHECKING:
    from ..dialects.base import Dialect

Progress = Callable[[int, int], None]
"""``progress(rows_copied, total_rows)``, called after each chunk."""

CHUNK = 20_000  # rows per INSERT ... SELECT: a progress step without slowing the copy


@dataclass
class Rebuild:
    """Rebuild table ``old.name`` as ``new`` (``renames``: new column name → old;
    ``convert``: new column name → the SQL expression over the old row copied into it,
    e.g. a ``CASE`` renaming enum values)."""

    old: TableState
    new: TableState
    renames: dict[str, str] = field(default_factory=dict)
    convert: dict[str, str] = field(default_factory=dict)

    @property
    def temp_name(self) -> str:
        return f"_ormolu_new_{self.new.name}"[:64]

    def _copy_columns(self) -> tuple[list[str], list[str]]:
        old_names = {c.name for c in self.old.columns}
        target, source = [], []
        for c in self.new.ordered_columns():
            src = self.renames.get(c.name, c.name)
            if src in old_names:
                target.append(c.name)
                source.append(src)
        return target, source

    def copy_sql(self, d: Dialect, where: str = "") -> str:
        """``INSERT INTO <temp> (...) SELECT ... FROM <old>[where]``."""
        q = d.quote
        target, source = self._copy_columns()
        return (
            f"INSERT INTO {q(self.temp_name)} ({', '.join(q(c) for c in target)}) "
            f"SELECT {', '.join(self.convert.get(t, q(c)) for t, c in zip(target, source))} "
            f"FROM {q(self.old.name)}{where}"
        )

    def statements(self, d: Dialect) -> list[str]:
        """The rebuild as plain statements (for ``ormolu migrate sql``; triggers and
        views are recreated by the runner from the live database only)."""
        from . import ddl

        q = d.quote
        out = [
            ddl.create_table(d, self.new, self.temp_name),
            self.copy_sql(d),
            f"DROP TABLE {q(self.old.name)}",
            f"ALTER TABLE {q(self.temp_name)} RENAME TO {q(self.new.name)}",
        ]
        out += [ddl.create_index(d, self.new.name, ix) for ix in sorted(self.new.indexes, key=_n)]
        return out

    def run(self, d: Dialect, progress: Progress | None = None) -> Op[int]:
        """The rebuild as an operation of the protocol (the backend's own procedure,
        see its reflector's ``rebuild``); returns the number of rows copied.

        Raises IntegrityError when the copied rows break a constraint of the new
        definition or a foreign key."""
        return d.reflector().rebuild(self, progress)  # type: ignore[no-any-return]


def _n(ix: object) -> str:
    return getattr(ix, "name", "")
