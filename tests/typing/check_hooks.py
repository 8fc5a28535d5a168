"""Typing expectations for hooks, listeners and version fields, checked by
``mypy --strict`` (nothing here runs; the behaviour is tested in
tests/integration/test_hooks.py and test_versioning.py). What mypy must reject is in
``tests/test_typing_rejects.py``."""

from __future__ import annotations

import uuid
from datetime import datetime

from ormolu import AsyncDatabase, AsyncSession, Database, Mapped, Model, Session, field


class Stamped(Model, table="typing_stamped"):
    id: Mapped[int] = field(primary_key=True, default=None)
    updated_at: Mapped[datetime | None] = field(default=None)
    version: Mapped[int] = field(version=True, default=1)
    rev: Mapped[uuid.UUID] = field(default_factory=uuid.uuid4)

    def before_update(self) -> None:
        self.updated_at = datetime.now()


def on_flush(s: Session) -> None:
    s.add(Stamped())


def on_async_flush(s: AsyncSession) -> None:
    s.add(Stamped())


def check(db: Database, adb: AsyncDatabase) -> None:
    db.listen("before_flush", on_flush)
    db.listen("after_commit", lambda s: print(len(s.new)))
    db.unlisten("before_flush", on_flush)
    adb.listen("before_flush", on_async_flush)
    Stamped()  # the version needs no argument
    with db.session() as s:
        s.listen("after_rollback", on_flush)
        s.unlisten("after_rollback", on_flush)
