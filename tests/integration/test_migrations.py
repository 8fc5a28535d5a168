"""Autogenerate and apply migrations on every backend: each kind of operation up, down
and up again with the data checked row by row; renames; idempotency for every column
type and option; a migration failing midway."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ormolu import CheckConstraint, Database, Index, Mapped, Model, UniqueConstraint, field
from ormolu.migrations.autodetect import RenameCandidates
from ormolu.migrations.make import init_folder, make_migration
from ormolu.migrations.revisions import MigrationError
from ormolu.migrations.runner import Migrator
from ormolu.schema.state import state_from_tables
from ormolu.schema.table import Table
from ormolu.schema.types import Integer, String


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Every(Model, table="mig_every"):
    """A column of every type ormolu supports, with the options."""

    __table_args__ = (
        Index("label", "day", name="ix_every_label_day"),
        UniqueConstraint("code", "small"),
        CheckConstraint(lambda m: m.small >= 0, name="ck_every_small"),
    )
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=40, index=True)
    code: Mapped[str] = field(db_type=String(12, exact=True), server_default="x")
    note: Mapped[str | None] = None
    small: Mapped[int] = field(db_type=Integer(2), default=0, check=lambda c: c < 1000)
    medium: Mapped[int | None] = field(db_type=Integer(4), default=None)
    big: Mapped[int] = field(default=0, server_default=0)
    flag: Mapped[bool] = field(default=False, server_default=True)
    ratio: Mapped[float | None] = None
    price: Mapped[Decimal] = field(max_digits=8, decimal_places=2, server_default=Decimal("9.90"))
    exact: Mapped[Decimal | None] = None
    at: Mapped[datetime | None] = None
    at_tz: Mapped[datetime | None] = field(default=None, timezone=True)
    day: Mapped[date | None] = None
    clock: Mapped[time | None] = None
    span: Mapped[timedelta | None] = None
    uid: Mapped[uuid.UUID | None] = None
    mood: Mapped[Mood | None] = None
    doc: Mapped[dict[str, Any] | None] = None
    blob: Mapped[bytes | None] = None
    unique_name: Mapped[str | None] = field(max_length=30, unique=True, default=None)


def tables(*models: type[Model]) -> list[Table]:
    return [m.__mapper__.table for m in models]


@pytest.fixture
def migrator(db: Database, tmp_path: Path) -> Migrator:
    folder = tmp_path / "migrations"
    init_folder(folder)
    return Migrator(db, folder)


def make(m: Migrator, models: list[Table], message: str, **kw: Any) -> Path:
    path, ops = make_migration(m, models, message, **kw)
    assert path is not None and ops, f"no changes for {message!r}"
    return path


def test_every_type_and_option_round_trips_and_is_idempotent(migrator: Migrator) -> None:
    make(migrator, tables(Every), "every type")
    assert migrator.upgrade() == ["0001_every_type"]
    # the database now matches the models exactly: nothing more to migrate
    assert make_migration(migrator, tables(Every), "again") == (None, [])
    db_state = migrator.database_state()
    assert db_state.differences(state_from_tables(migrator.dialect, tables(Every))) == []
    row = Every(
        label="a", code="ABC", small=3, medium=7, big=2**40, flag=True, ratio=0.5,
        price=Decimal("1.25"), exact=Decimal("3.5"), at=datetime(2024, 1, 2, 3, 4, 5),
        at_tz=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), day=date(2024, 2, 3),
        clock=time(4, 5, 6), span=timedelta(seconds=90), uid=uuid.UUID(int=5),
        mood=Mood.SAD, doc={"k": [1, 2]}, blob=b"\x00\x01", unique_name="u",
    )  # fmt: skip
    with migrator.db.session() as s:
        s.add(row)
    assert migrator.downgrade() == ["0001_every_type"]
    assert not migrator.database_state().has_table("mig_every")
    migrator.upgrade()
    assert make_migration(migrator, tables(Every), "still nothing") == (None, [])


class V1Artist(Model, table="mig_artist"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=50)


class V1Album(Model, table="mig_album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=100)
    artist_id: Mapped[int] = field(foreign_key="mig_artist.id")
    rating: Mapped[int | None] = None


class V2Album(Model, table="mig_album"):
    """Every kind of change to V1Album: a renamed column, a new and a dropped column, a
    wider type, a nullability and a default change, an index, a unique, a check, and the
    foreign key gets ON DELETE CASCADE."""

    __table_args__ = (
        UniqueConstraint("name", "artist_id"),
        CheckConstraint("stars >= 0", name="ck_album_stars"),
    )
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=200, index=True)  # renamed from title, wider
    artist_id: Mapped[int] = field(foreign_key="mig_artist.id", on_delete="CASCADE")
    stars: Mapped[int] = field(default=0, server_default=0)  # new, NOT NULL with default
    note: Mapped[str | None] = field(max_length=20, server_default="none", default=None)


def rows(db: Database, table: str, columns: str) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(f"SELECT {columns} FROM {table} ORDER BY id").all()]


def test_every_operation_up_down_up_keeps_the_data(migrator: Migrator) -> None:
    db = migrator.db
    make(migrator, tables(V1Artist, V1Album), "initial")
    migrator.upgrade()
    with db.session() as s:
        s.insert_many(V1Artist, [{"name": f"artist {i}"} for i in range(1, 6)])
        s.insert_many(
            V1Album,
            [{"title": f"album {i}", "artist_id": 1 + i % 5, "rating": i} for i in range(1, 41)],
        )
    before = rows(db, "mig_album", "id, title, artist_id")
    with pytest.raises(RenameCandidates) as caught:
        make_migration(migrator, tables(V1Artist, V2Album), "change")
    assert {"mig_album.title:name", "mig_album.rating:stars"} <= set(caught.value.candidates)
    answers = {"renames": ["mig_album.title:name"], "declined": ["mig_album.rating:stars"]}
    with pytest.raises(MigrationError, match=r"lose data: drop column mig_album.rating;"):
        make_migration(migrator, tables(V1Artist, V2Album), "change", **answers)
    path = make(migrator, tables(V1Artist, V2Album), "change", allow_destructive=True, **answers)
    text = path.read_text()
    assert "RenameColumn" in text and "# DESTRUCTIVE: drop column mig_album.rating" in text
    migrator.upgrade()
    assert make_migration(migrator, tables(V1Artist, V2Album), "again") == (None, [])
    after = rows(db, "mig_album", "id, name, artist_id, stars")
    assert after == [(i, t, a, 0) for i, t, a in before]  # every row, renamed column kept
    migrator.downgrade()
    assert rows(db, "mig_album", "id, title, artist_id") == before
    v1 = state_from_tables(migrator.dialect, tables(V1Artist, V1Album))
    assert migrator.database_state().differences(v1) == []  # exactly the schema before
    migrator.upgrade()
    assert rows(db, "mig_album", "id, name, artist_id, stars") == after
    # the new foreign key action works: deleting an artist deletes its albums
    with db.session() as s:
        s.execute("DELETE FROM mig_artist WHERE id = 1")
    assert len(rows(db, "mig_album", "id")) == 32


class V3Record(Model, table="mig_record"):
    """mig_album renamed to mig_record (same columns)."""

    __table_args__ = (
        UniqueConstraint("name", "artist_id"),
        CheckConstraint("stars >= 0", name="ck_album_stars"),
    )
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=200, index=True)
    artist_id: Mapped[int] = field(foreign_key="mig_artist.id", on_delete="CASCADE")
    stars: Mapped[int] = field(default=0, server_default=0)
    note: Mapped[str | None] = field(max_length=20, server_default="none", default=None)


def test_table_rename_needs_confirmation(migrator: Migrator) -> None:
    make(migrator, tables(V1Artist, V2Album), "initial")
    migrator.upgrade()
    with migrator.db.session() as s:
        s.insert_many(V1Artist, [{"name": "a"}])
        s.insert_many(V2Album, [{"name": "x", "artist_id": 1}])
    with pytest.raises(RenameCandidates, match="mig_album:mig_record"):
        make_migration(migrator, tables(V1Artist, V3Record), "rename")
    make(migrator, tables(V1Artist, V3Record), "rename", renames=["mig_album:mig_record"])
    migrator.upgrade()
    assert rows(migrator.db, "mig_record", "id, name") == [(1, "x")]
    migrator.downgrade()
    assert rows(migrator.db, "mig_album", "id, name") == [(1, "x")]
    # declined: a drop and an add (destructive)
    for path in migrator.folder.glob("0002_*.py"):
        path.unlink()
    path, ops = make_migration(
        migrator, tables(V1Artist, V3Record), "replace", declined=["mig_album:mig_record"],
        allow_destructive=True,
    )  # fmt: skip
    assert [type(op).__name__ for op in ops] == ["CreateTable", "DropTable"]


FAILING = """
from ormolu.migrations.operations import AddColumn, Col, DropColumn, Operation, RunSQL
from ormolu.schema import types as t

revision = "0002_fails"
down_revision = "0001_initial"


def upgrade() -> list[Operation]:
    return [AddColumn("mig_artist", Col("born", t.Integer())), RunSQL(["{sql}"])]


def downgrade() -> list[Operation]:
    return [RunSQL(["SELECT 1"]), DropColumn("mig_artist", "born")]
"""


def test_a_migration_failing_midway_leaves_a_consistent_reported_state(
    migrator: Migrator,
) -> None:
    make(migrator, tables(V1Artist), "initial")
    migrator.upgrade()
    (migrator.folder / "0002_fails.py").write_text(FAILING.format(sql="SELECT * FROM nowhere"))
    with pytest.raises(MigrationError, match=r"failed at operation 2 of 2") as caught:
        migrator.upgrade()
    has_born = migrator.database_state().table("mig_artist").has_column("born")
    records = migrator.records()
    if migrator.dialect.transactional_ddl:
        assert "rolled back" in str(caught.value)
        assert not has_born and "0002_fails" not in records
    else:
        assert "operations 1 to 1 of it ran" in str(caught.value)
        assert has_born
        rec = records["0002_fails"]
        assert (rec.state, rec.steps, rec.total) == ("upgrading", 1, 2)
        # undo what ran: the mirror image of the first operation only
        assert migrator.downgrade() == ["0002_fails"]
        assert not migrator.database_state().table("mig_artist").has_column("born")
        assert "0002_fails" not in migrator.records()
        migrator.upgrade("0001")
    # fixed, it applies (and resumes where it stopped, on backends that record steps)
    (migrator.folder / "0002_fails.py").write_text(FAILING.format(sql="SELECT 1"))
    assert migrator.upgrade() == ["0002_fails"]
    assert migrator.database_state().table("mig_artist").has_column("born")
    assert migrator.records()["0002_fails"].state == "applied"


DATA = """
from ormolu.migrations.operations import AddColumn, Col, DropColumn, Operation, RunPython
from ormolu.schema import types as t

revision = "0002_data"
down_revision = "0001_initial"


def fill(s):
    s.execute("UPDATE mig_artist SET name_upper = UPPER(name)")


def upgrade() -> list[Operation]:
    return [AddColumn("mig_artist", Col("name_upper", t.String(50))), RunPython(fill)]


def downgrade() -> list[Operation]:
    return [RunPython(lambda s: None), DropColumn("mig_artist", "name_upper")]
"""


def test_a_data_migration_runs_in_the_migration(migrator: Migrator) -> None:
    make(migrator, tables(V1Artist), "initial")
    migrator.upgrade()
    with migrator.db.session() as s:
        s.insert_many(V1Artist, [{"name": "abba"}, {"name": "queen"}])
    (migrator.folder / "0002_data.py").write_text(DATA)
    migrator.upgrade()
    assert rows(migrator.db, "mig_artist", "name_upper") == [("ABBA",), ("QUEEN",)]
    migrator.downgrade()
    assert not migrator.database_state().table("mig_artist").has_column("name_upper")


def test_sql_script_applies_like_the_runner(migrator: Migrator, db: Database) -> None:
    make(migrator, tables(V1Artist, V1Album), "initial")
    script = migrator.sql()
    assert "CREATE TABLE" in script and "0001_initial" in script
    assert not migrator.database_state().has_table("mig_album")  # not touched
