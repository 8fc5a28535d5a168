"""Generated keys and server defaults where ``INSERT ... RETURNING`` is missing.

MySQL (and MariaDB before 10.5, SQLite before 3.35) has no RETURNING; ormolu then reads
generated keys from the driver's ``lastrowid`` and server defaults with a SELECT. The
servers on this machine all have RETURNING, so these tests switch the dialect's
``supports_returning`` flag off (on every new connection too, where it is set from the
server's version) and run the fallback against the real databases that have a
``lastrowid`` (PostgreSQL always has RETURNING, and psycopg no ``lastrowid``).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from ormolu import Database, Mapped, Model, field, status_of, text


class Gadget(Model, table="wr_gadget"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20, unique=True)
    qty: Mapped[int] = 0
    color: Mapped[str] = field(max_length=10, server_default="blue")
    made: Mapped[datetime] = field(server_default=text("CURRENT_TIMESTAMP"))


@pytest.fixture
def plain(db: Database) -> Database:
    """``db`` with RETURNING switched off."""
    if not db.dialect.supports_lastrowid:
        pytest.skip(f"{db.dialect.name} lacks supports_lastrowid (it always has RETURNING)")
    dialect = db.dialect
    configure = dialect.configure_for_server

    def without_returning(version: str) -> None:
        configure(version)
        dialect.supports_returning = False

    dialect.configure_for_server = without_returning  # type: ignore[method-assign]
    dialect.supports_returning = False
    db.create_all([Gadget])
    return db


def test_generated_keys_come_from_lastrowid(plain: Database) -> None:
    with plain.session() as s, plain.capture() as sent:
        batch = [Gadget(name=f"g{i}") for i in range(4)]
        s.add_all(batch)
        s.flush()
        assert [g.id for g in batch] == [1, 2, 3, 4]
        assert s.get(Gadget, 3) is batch[2]
        explicit = Gadget(id=50, name="fifty")
        s.add(explicit)
        s.flush()
        after = Gadget(name="after")
        s.add(after)
        s.flush()
        assert after.id == 51
    assert not [sql for sql, _ in sent if "RETURNING" in sql.upper()]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_server_defaults_are_read_back_without_returning(plain: Database) -> None:
    with plain.session() as s:
        g = Gadget(name="defaults")
        s.add(g)
        s.flush()
        assert g.color == "blue" and isinstance(g.made, datetime)
        assert status_of(g) == "persistent"


def test_insert_many_and_upsert_without_returning(plain: Database) -> None:
    with plain.session() as s:
        objs = [Gadget(name="m1"), Gadget(name="m2")]
        assert s.insert_many(Gadget, [*objs, {"name": "m3"}]) == 3
        assert [o.id for o in objs] == [1, 2]
        assert s.upsert(Gadget, [{"name": "m1", "qty": 9}], conflict=["name"]) == []
    with plain.session() as s:
        rows = s.query(Gadget.id, Gadget.name, Gadget.qty).order_by(Gadget.id).all()
        assert rows == [(1, "m1", 9), (2, "m2", 0), (3, "m3", 0)]
