"""The table rebuild (backends whose ALTER TABLE cannot change a column) on 100,000 rows:
every row kept, indexes, triggers and the foreign keys pointing at the table intact, a
progress bar fed, and a rebuild that would break a foreign key rolled back."""

from __future__ import annotations

import time as clock
from pathlib import Path

import pytest

from ormolu import Database, Mapped, Model, field
from ormolu.migrations.make import init_folder, make_migration
from ormolu.migrations.revisions import MigrationError
from ormolu.migrations.runner import Migrator

N = 100_000


class BigV1(Model, table="rb_big"):
    id: Mapped[int] = field(primary_key=True, default=None)
    code: Mapped[str] = field(max_length=20, index=True)
    amount: Mapped[int | None] = None


class BigV2(Model, table="rb_big"):
    id: Mapped[int] = field(primary_key=True, default=None)
    code: Mapped[str] = field(max_length=40, index=True)  # wider
    amount: Mapped[int] = field(default=0, server_default=0)  # NOT NULL now


class Child(Model, table="rb_child"):
    id: Mapped[int] = field(primary_key=True, default=None)
    big_id: Mapped[int] = field(foreign_key="rb_big.id", on_delete="CASCADE", index=True)


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_rebuild_keeps_100000_rows_indexes_triggers_and_foreign_keys(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    init_folder(folder)
    calls: list[tuple[int, int]] = []
    m = Migrator(db, folder, progress=lambda label: lambda done, total: calls.append((done, total)))
    make_migration(m, [BigV1.__mapper__.table, Child.__mapper__.table], "initial")
    m.upgrade()
    started = clock.perf_counter()
    with db.session() as s:
        s.insert_many(BigV1, ({"code": f"c{i:06d}", "amount": i % 97} for i in range(N)))
        s.insert_many(Child, ({"big_id": i} for i in range(1, N + 1, 10)))
        s.execute(
            "CREATE TRIGGER rb_big_audit AFTER UPDATE ON rb_big BEGIN "
            "UPDATE rb_child SET big_id = big_id WHERE big_id = NEW.id; END"
        )
        before = s.execute("SELECT id, code, amount FROM rb_big ORDER BY id").all()
    loaded = clock.perf_counter() - started
    make_migration(m, [BigV2.__mapper__.table, Child.__mapper__.table], "alter")
    started = clock.perf_counter()
    m.upgrade()
    rebuilt = clock.perf_counter() - started
    print(f"\nloaded {N} rows in {loaded:.2f}s, rebuilt in {rebuilt:.2f}s")
    assert calls[0] == (0, N) and calls[-1] == (N, N) and len(calls) >= 5
    with db.session() as s:
        after = s.execute("SELECT id, code, amount FROM rb_big ORDER BY id").all()
        assert after == before  # every row, value for value
        names = {r[0] for r in s.execute("SELECT name FROM sqlite_master").all()}
        assert {"ix_rb_big_code", "rb_big_audit", "ix_rb_child_big_id"} <= names
        assert s.execute("PRAGMA foreign_key_check").all() == []
        assert s.execute("PRAGMA foreign_keys").scalar() == 1  # switched back on
        # the foreign key still points at the rebuilt table: cascades work
        s.execute("DELETE FROM rb_big WHERE id = 1")
        assert s.execute("SELECT count(*) FROM rb_child").scalar() == N // 10 - 1
    assert m.database_state().table("rb_big").column("code").type == "VARCHAR(40)"
    assert rebuilt < 30


class ParentV2(Model, table="rb_parent"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=10)


class Orphan(Model, table="rb_orphan"):
    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int] = field(foreign_key="rb_parent.id")


@pytest.mark.parametrize("db", ["sqlite-file"], indirect=True)
def test_a_rebuild_breaking_a_foreign_key_rolls_back(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    init_folder(folder)
    m = Migrator(db, folder)
    (folder / "0001_initial.py").write_text(
        "from ormolu.migrations.operations import Operation, RunSQL\n"
        'revision = "0001_initial"\ndown_revision = None\n'
        "def upgrade() -> list[Operation]:\n"
        '    return [RunSQL(["CREATE TABLE rb_parent (id INTEGER PRIMARY KEY, name TEXT)",\n'
        '        "CREATE TABLE rb_orphan (id INTEGER PRIMARY KEY, parent_id INTEGER)",\n'
        "        \"INSERT INTO rb_parent VALUES (1, 'a')\",\n"
        '        "INSERT INTO rb_orphan VALUES (1, 2)"])]\n'
        "def downgrade() -> list[Operation]:\n    return []\n"
    )
    m.upgrade()
    tables = [ParentV2.__mapper__.table, Orphan.__mapper__.table]
    make_migration(m, tables, "fk", allow_destructive=True)
    with pytest.raises(MigrationError, match="foreign key"):
        m.upgrade()
    state = m.database_state()
    assert not state.table("rb_orphan").foreign_keys  # rolled back whole
    with db.session() as s:
        assert s.execute("PRAGMA foreign_keys").scalar() == 1
