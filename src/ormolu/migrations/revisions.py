"""The revision graph: migration files in a folder, each naming the one(s) before it.

A migration file is a Python module with ``revision`` (a string), ``down_revision``
(``None`` for the first, a string, or a tuple of two for a merge) and ``upgrade()`` /
``downgrade()`` returning operation lists. Revisions are named ``NNNN_slug``; the file
is ``NNNN_slug.py``. A *head* is a revision no other revision follows; ``migrate up``
needs exactly one (two heads come from two branches of work and are joined with
``ormolu migrate merge``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..exceptions import ConfigurationError
from .operations import Operation


class MigrationError(ConfigurationError):
    """A problem with the migrations: a missing folder, a bad file, two heads, a
    database ahead of the code (a revision it has that no file has), a failed step."""


@dataclass
class Revision:
    """One migration file."""

    revision: str
    down: tuple[str, ...]
    path: Path
    module: ModuleType

    @property
    def message(self) -> str:
        doc = (self.module.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def upgrade(self) -> list[Operation]:
        return list(self.module.upgrade())

    def downgrade(self) -> list[Operation]:
        return list(self.module.downgrade())


def slug(message: str) -> str:
    """``"Add the year!"`` → ``"add_the_year"`` (at most 40 characters)."""
    s = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return s[:40].rstrip("_") or "migration"


def _load(path: Path) -> ModuleType:
    name = f"_ormolu_migration_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"cannot load migration file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise MigrationError(f"migration file {path} failed to load: {exc!r}") from exc
    return module


class RevisionGraph:
    """The revisions of one folder."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise MigrationError(
                f"no migrations folder {str(folder)!r}; create it with `ormolu migrate init`"
            )
        self.folder = folder
        self.revisions: dict[str, Revision] = {}
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _load(path)
            rev = getattr(module, "revision", None)
            if not isinstance(rev, str):
                raise MigrationError(f"{path}: no revision = '...' string")
            if not callable(getattr(module, "upgrade", None)) or not callable(
                getattr(module, "downgrade", None)
            ):
                raise MigrationError(f"{path}: needs upgrade() and downgrade() functions")
            down: Any = getattr(module, "down_revision", None)
            downs = () if down is None else (down,) if isinstance(down, str) else tuple(down)
            if rev in self.revisions:
                raise MigrationError(f"revision {rev!r} is in two files")
            self.revisions[rev] = Revision(rev, downs, path, module)
        for r in self.revisions.values():
            for d in r.down:
                if d not in self.revisions:
                    raise MigrationError(f"{r.path}: down_revision {d!r} has no file")

    def heads(self) -> list[str]:
        """Revisions that no other follows."""
        followed = {d for r in self.revisions.values() for d in r.down}
        return sorted(r for r in self.revisions if r not in followed)

    def head(self) -> str | None:
        """The single head (None when there are no revisions); MigrationError for two."""
        heads = self.heads()
        if len(heads) > 1:
            raise MigrationError(
                f"the migrations have {len(heads)} heads ({', '.join(heads)}); join them "
                f"with `ormolu migrate merge`"
            )
        return heads[0] if heads else None

    def ancestors(self, rev: str) -> set[str]:
        """``rev`` and every revision before it."""
        out: set[str] = set()
        todo = [rev]
        while todo:
            r = todo.pop()
            if r in out:
                continue
            out.add(r)
            todo.extend(self.revisions[r].down)
        return out

    def order(self) -> list[str]:
        """Every revision, each after the ones before it (ties by name)."""
        done: list[str] = []
        seen: set[str] = set()
        remaining = sorted(self.revisions)
        while remaining:
            for r in remaining:
                if all(d in seen for d in self.revisions[r].down):
                    break
            else:  # pragma: no cover - a cycle
                raise MigrationError(f"the revisions form a cycle: {remaining}")
            done.append(r)
            seen.add(r)
            remaining.remove(r)
        return done

    def resolve(self, rev: str) -> str:
        """A revision from its full name, its number (``0003``) or a unique prefix;
        ``head`` is the head. MigrationError if unknown or ambiguous."""
        if rev == "head":
            head = self.head()
            if head is None:
                raise MigrationError("there are no migrations yet")
            return head
        if rev in self.revisions:
            return rev
        found = [r for r in self.revisions if r.startswith(rev)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise MigrationError(f"unknown revision {rev!r}")
        raise MigrationError(f"revision {rev!r} is ambiguous: {', '.join(found)}")

    def next_number(self) -> int:
        nums = [int(m.group(1)) for r in self.revisions if (m := re.match(r"(\d+)_", r))]
        return max(nums, default=0) + 1

    def new_revision(self, message: str) -> str:
        return f"{self.next_number():04d}_{slug(message)}"

    def check_known(self, applied: Sequence[str]) -> None:
        """MigrationError when the database has revisions no file has (it is ahead)."""
        unknown = [r for r in applied if r not in self.revisions]
        if unknown:
            raise MigrationError(
                f"the database has revision(s) {', '.join(unknown)} that no migration file "
                f"in {self.folder} has: the database is ahead of this code (update the code, "
                f"or point at the right migrations folder)"
            )
