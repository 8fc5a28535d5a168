"""Enum values in migrations, on every backend: an ``Enum`` field is held to its values by
a CHECK constraint, and ``make`` turns a value added, renamed or removed into an
``AlterEnum`` operation; each is applied up, down and up again with the rows checked one
by one, and the database then matches the models (nothing more to migrate)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import pytest

from ormolu import Database, Mapped, Model, field
from ormolu.exceptions import DataError, IntegrityError
from ormolu.migrations.autodetect import RenameCandidates
from ormolu.migrations.make import init_folder, make_migration
from ormolu.migrations.revisions import MigrationError
from ormolu.migrations.runner import Migrator
from ormolu.schema.state import state_from_tables
from ormolu.schema.table import Table


class MoodA(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class MoodB(enum.Enum):  # a value added
    HAPPY = "happy"
    SAD = "sad"
    MEH = "meh"


class MoodC(enum.Enum):  # "sad" renamed (and longer: the column widens)
    HAPPY = "happy"
    UNHAPPY = "unhappy"


class MoodG(enum.Enum):  # with a long value, removed in MoodA (the column narrows)
    HAPPY = "happy"
    SAD = "sad"
    GRUMPIEST = "grumpiest"


class MoodR(enum.Enum):  # "sad" renamed, length unchanged
    HAPPY = "happy"
    BLUE = "blue"


class SizeA(enum.IntEnum):
    S = 1
    M = 2


class SizeB(enum.IntEnum):  # an integer value added
    S = 1
    M = 2
    L = 3


class FeelA(Model, table="mig_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[MoodA | None] = None
    size: Mapped[SizeA] = field(default=SizeA.S)


class FeelB(Model, table="mig_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[MoodB | None] = None
    size: Mapped[SizeB] = field(default=SizeB.S)


class FeelC(Model, table="mig_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[MoodC | None] = None
    size: Mapped[SizeA] = field(default=SizeA.S)


class FeelG(Model, table="mig_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[MoodG | None] = None
    size: Mapped[SizeA] = field(default=SizeA.S)


def tables(*models: type[Model]) -> list[Table]:
    return [m.__mapper__.table for m in models]


@pytest.fixture
def migrator(db: Database, tmp_path: Path) -> Migrator:
    folder = tmp_path / "migrations"
    init_folder(folder)
    return Migrator(db, folder)


def rows(db: Database) -> list[tuple[Any, ...]]:
    with db.session() as s:
        found = s.execute("SELECT id, mood, size FROM mig_feel ORDER BY id").all()
        return [(r[0], r[1], int(r[2])) for r in found]


def start(m: Migrator, model: type[Model], moods: list[str | None]) -> list[tuple[Any, ...]]:
    """Create the table of ``model`` by a first migration and fill it with ``moods``."""
    path, _ = make_migration(m, tables(model), "initial")
    assert path is not None
    m.upgrade()
    with m.db.session() as s:
        s.insert_many(model, [{"mood": v, "size": 1 + i % 2} for i, v in enumerate(moods)])
    return rows(m.db)


def assert_matches(m: Migrator, model: type[Model]) -> None:
    """The database is exactly the schema of ``model``; at the head revision, ``make``
    finds nothing left to migrate."""
    assert m.database_state().differences(state_from_tables(m.dialect, tables(model))) == []
    if m.graph().head() in m.records():
        assert make_migration(m, tables(model), "nothing") == (None, [])


def refused(db: Database, value: str) -> bool:
    """Whether the database refuses ``value`` in the enum column."""
    try:
        with db.session() as s:
            s.execute("UPDATE mig_feel SET mood = :v WHERE id = 1", {"v": value})
    except (IntegrityError, DataError):  # against the CHECK, or longer than the column
        return True
    return False


def test_an_enum_column_is_held_to_its_values(migrator: Migrator) -> None:
    start(migrator, FeelA, ["happy"])
    assert refused(migrator.db, "nope")
    assert not refused(migrator.db, "sad")
    assert_matches(migrator, FeelA)


def test_a_value_added_up_down_up(migrator: Migrator) -> None:
    db = migrator.db
    before = start(migrator, FeelA, ["happy", "sad", None, "sad"])
    path, ops = make_migration(migrator, tables(FeelB), "add meh")
    assert path is not None
    assert [type(op).__name__ for op in ops] == ["AlterEnum", "AlterEnum"]
    assert not any(op.destructive for op in ops)  # adding a value loses nothing
    migrator.upgrade()
    assert rows(db) == before
    assert_matches(migrator, FeelB)
    with db.session() as s:
        s.add(FeelB(mood=MoodB.MEH, size=SizeB.L))
    # going down takes the values added away: rows holding them get NULL, which the NOT
    # NULL size refuses, so the downgrade stops before changing anything
    with pytest.raises(MigrationError, match=r"failed at operation 1 of 2 \(enum values"):
        migrator.downgrade()
    assert rows(db) == [*before, (5, "meh", 3)]
    with db.session() as s:
        s.execute("UPDATE mig_feel SET size = 2 WHERE size = 3")
    migrator.downgrade()
    assert rows(db) == [*before, (5, None, 2)]
    assert refused(db, "meh")
    assert_matches(migrator, FeelA)
    migrator.upgrade()
    assert not refused(db, "meh")
    assert_matches(migrator, FeelB)


def test_a_value_renamed_needs_confirmation_and_keeps_the_rows(migrator: Migrator) -> None:
    db = migrator.db
    before = start(migrator, FeelA, ["happy", "sad", None, "sad", "happy"])
    with pytest.raises(RenameCandidates, match=r"mig_feel\.mood\.sad:unhappy"):
        make_migration(migrator, tables(FeelC), "rename")
    path, ops = make_migration(
        migrator, tables(FeelC), "rename", renames=["mig_feel.mood.sad:unhappy"]
    )
    assert path is not None and not any(op.destructive for op in ops)
    text = path.read_text()
    assert 'renames={"sad": "unhappy"}' in text
    migrator.upgrade()
    renamed = [(i, "unhappy" if v == "sad" else v, n) for i, v, n in before]
    assert rows(db) == renamed
    assert refused(db, "sad")
    assert_matches(migrator, FeelC)
    migrator.downgrade()
    assert rows(db) == before
    assert_matches(migrator, FeelA)
    migrator.upgrade()
    assert rows(db) == renamed
    # the script for a DBA does the same
    assert "WHEN 'sad' THEN 'unhappy'" in migrator.sql()


def test_a_rename_declined_is_a_destructive_removal(migrator: Migrator) -> None:
    start(migrator, FeelA, ["sad"])
    declined = ["mig_feel.mood.sad:unhappy"]
    with pytest.raises(MigrationError, match=r"lose data: enum values of mig_feel\.mood"):
        make_migration(migrator, tables(FeelC), "replace", declined=declined)
    path, _ = make_migration(
        migrator, tables(FeelC), "replace", declined=declined, allow_destructive=True
    )
    assert path is not None and "# DESTRUCTIVE" in path.read_text()
    migrator.upgrade()
    assert rows(migrator.db) == [(1, None, 1)]  # the rows that held it are NULL
    assert_matches(migrator, FeelC)


def test_a_value_removed_up_down_up(migrator: Migrator) -> None:
    db = migrator.db
    before = start(migrator, FeelG, ["grumpiest", "happy", "sad", "grumpiest", None])
    with pytest.raises(MigrationError, match="lose data"):
        make_migration(migrator, tables(FeelA), "remove")
    path, ops = make_migration(migrator, tables(FeelA), "remove", allow_destructive=True)
    assert path is not None
    # the values change first, then the column narrows (no row is cut off)
    assert [type(op).__name__ for op in ops] == ["AlterEnum", "AlterColumn"]
    assert "(rows holding it get NULL)" in ops[0].describe()
    migrator.upgrade()
    removed = [(i, None if v == "grumpiest" else v, n) for i, v, n in before]
    assert rows(db) == removed
    assert refused(db, "grumpiest")
    assert_matches(migrator, FeelA)
    migrator.downgrade()  # the value is allowed again; the rows that held it stay NULL
    assert rows(db) == removed
    assert not refused(db, "grumpiest")
    assert_matches(migrator, FeelG)
    with db.session() as s:
        s.execute("UPDATE mig_feel SET mood = 'grumpiest' WHERE id = 1")
    migrator.upgrade()
    assert rows(db)[0] == (1, None, 1)
    assert_matches(migrator, FeelA)


def test_offline_make_sees_the_enum_values_of_the_migrations(migrator: Migrator) -> None:
    start(migrator, FeelA, [])
    make_migration(migrator, tables(FeelB), "add", offline=True)
    assert make_migration(migrator, tables(FeelB), "again", offline=True) == (None, [])
    migrator.upgrade()
    assert_matches(migrator, FeelB)


class FeelR(Model, table="mig_feel"):
    """FeelA with the column renamed (mood -> feeling) and a value renamed (sad -> blue)."""

    id: Mapped[int] = field(primary_key=True, default=None)
    feeling: Mapped[MoodR | None] = None
    size: Mapped[SizeA] = field(default=SizeA.S)


def test_a_column_and_its_values_renamed_together(migrator: Migrator) -> None:
    db = migrator.db
    before = start(migrator, FeelA, ["sad", "happy", None])
    path, ops = make_migration(
        migrator, tables(FeelR), "rename",
        renames=["mig_feel.mood:feeling", "mig_feel.feeling.sad:blue"],
    )  # fmt: skip
    assert path is not None
    assert [type(op).__name__ for op in ops] == ["RenameColumn", "AlterEnum"]
    migrator.upgrade()
    with db.session() as s:
        found = s.execute("SELECT id, feeling FROM mig_feel ORDER BY id").all()
    assert [tuple(r) for r in found] == [(1, "blue"), (2, "happy"), (3, None)]
    assert_matches(migrator, FeelR)
    migrator.downgrade()
    assert rows(db) == before
    assert_matches(migrator, FeelA)
