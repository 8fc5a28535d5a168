"""Name the model and object behind a failed flush statement in its error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import DatabaseError

if TYPE_CHECKING:
    from ..dialects.base import Dialect

_VERBS = (
    ("INSERT INTO ", "inserting", 0),
    ("UPDATE ", "updating", 1),
    ("DELETE FROM ", "deleting", 2),
)


def describe_flush_failure(
    error: BaseException, dialect: Dialect, objects: Sequence[Sequence[Any]]
) -> None:
    """Add the model (``error.model``) and the object(s) the failed statement was writing
    to a DatabaseError raised by a flush; ``objects`` is (new, dirty, deleted).

    The database's own message often names neither (SQLite: "FOREIGN KEY constraint
    failed"); this appends e.g. ``(while inserting Player(id=None, name='x', team_id=9))``.
    """
    if not isinstance(error, DatabaseError) or not error.sql or error.model is not None:
        return
    sql = error.sql.lstrip()
    for prefix, verb, which in _VERBS:
        if not sql.upper().startswith(prefix):
            continue
        rest = sql[len(prefix) :]
        for cls in dict.fromkeys(type(o) for o in objects[which]):
            quoted = dialect.table_name_sql(cls.__mapper__.table)  # (schema-qualified)
            # format-paramstyle statements double the '%' of identifiers
            if not (rest.startswith(quoted) or rest.startswith(quoted.replace("%", "%%"))):
                continue
            mine = [o for o in objects[which] if type(o) is cls]
            if len(mine) == 1:
                shown = repr(mine[0])
                what = shown if len(shown) <= 200 else shown[:197] + "..."
            else:
                what = f"{len(mine)} {cls.__name__} objects"
            error.model = cls.__name__
            if error.args and isinstance(error.args[0], str):
                error.args = (f"{error.args[0]} (while {verb} {what})", *error.args[1:])
            return
        return
