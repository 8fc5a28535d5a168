"""Session: identity map, flush, commit, rollback, refresh, expunge, delete, change tracking,
transactions and savepoints."""

from __future__ import annotations

import gc
import weakref

import pytest

from ormolu import (
    ConfigurationError,
    Database,
    DetachedInstanceError,
    InvalidRequestError,
    Mapped,
    Model,
    NoResultFound,
    ObjectDeletedError,
    field,
    status_of,
)


class Person(Model, table="se_person"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str]
    age: Mapped[int] = 0
    email: Mapped[str | None] = field(default=None, unique=True)
    tags: Mapped[list[str]] = field(default_factory=list)


class Note(Model, table="se_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    person_id: Mapped[int] = field(foreign_key="Person.id")
    body: Mapped[str] = ""


def names(db: Database) -> list[str]:
    """The names in the database, read through a new session."""
    with db.session() as s:
        return [r[0] for r in s.execute("SELECT name FROM se_person ORDER BY id").all()]


def sql_only(sent: list[tuple[str, object]]) -> list[str]:
    return [sql for sql, _ in sent]


def in_dialect(db: Database, sql: str) -> str:
    """``sql`` written with ``"`` quotes and ``?`` placeholders, in ``db``'s dialect."""
    d = db.dialect
    return sql.replace('"', d.identifier_quote).replace("?", d.placeholder)


@pytest.fixture
def people(db: Database) -> Database:
    """The database with tables and three committed people (ids 1-3)."""
    db.create_all([Person, Note])
    with db.session() as s:
        s.add_all([Person(name="ann", age=30), Person(name="bob", age=40), Person(name="cy")])
    return db


# -- identity map and get ----------------------------------------------------------------------
def test_get_twice_returns_the_same_object_and_sends_no_second_query(people: Database) -> None:
    with people.session() as s:
        with people.capture() as sent:
            first = s.get(Person, 1)
        assert any(sql.startswith("SELECT") for sql in sql_only(sent))
        with people.capture() as sent:
            again = s.get(Person, 1)
        assert sent == []
        assert again is first
        assert first is not None and first.name == "ann"
        assert s.query(Person).where(Person.name == "ann").one() is first


def test_get_missing_and_get_one(people: Database) -> None:
    with people.session() as s:
        assert s.get(Person, 99) is None
        with pytest.raises(NoResultFound, match="99"):
            s.get_one(Person, 99)


def test_identity_map_holds_objects_weakly(people: Database) -> None:
    with people.session() as s:
        obj = s.get_one(Person, 1)
        ref = weakref.ref(obj)
        del obj
        gc.collect()
        assert ref() is None
        assert len(s.state.identity_map) == 0
        assert s.get_one(Person, 1).name == "ann"


def test_changed_objects_are_held_until_flushed(people: Database) -> None:
    with people.session() as s:
        s.get_one(Person, 1).name = "ANN"  # no reference kept by the test
        gc.collect()
    assert names(people)[0] == "ANN"


# -- lifecycle ---------------------------------------------------------------------------------
def test_lifecycle_statuses(people: Database) -> None:
    p = Person(name="dee")
    assert status_of(p) == "transient"
    with people.session() as s:
        s.add(p)
        assert status_of(p) == "pending" and p in s and p.id is None
        s.flush()
        assert status_of(p) == "persistent" and p.id == 4
        s.delete(p)
        assert status_of(p) == "persistent" and s.deleted == [p]
        s.flush()
        assert status_of(p) == "deleted" and p not in s
        s.commit()
        assert status_of(p) == "detached"
    with people.session() as s:
        assert s.get(Person, 4) is None


def test_generated_keys_are_fetched_in_order(people: Database) -> None:
    with people.session() as s:
        batch = [Person(name=f"n{i}") for i in range(5)]
        s.add_all(batch)
        s.flush()
        assert [p.id for p in batch] == [4, 5, 6, 7, 8]
        assert s.get(Person, 6) is batch[2]


def test_explicit_primary_key_is_kept(people: Database) -> None:
    with people.session() as s:
        p = Person(id=100, name="hundred")
        s.add(p)
        s.flush()
        assert p.id == 100
        q = Person(name="next")
        s.add(q)
        s.flush()
        assert q.id == 101


def test_commit_makes_changes_visible_to_other_sessions(people: Database) -> None:
    with people.session() as s:
        s.add(Person(name="eve"))
        s.commit()
        assert names(people)[-1] == "eve"  # s released its connection at commit
        s.add(Person(name="fay"))
    assert names(people)[-2:] == ["eve", "fay"]


def test_session_context_manager_commits(people: Database) -> None:
    with people.session() as s:
        s.get_one(Person, 2).age = 41
    with people.session() as s:
        assert s.get_one(Person, 2).age == 41


def test_session_context_manager_rolls_back_on_exception(people: Database) -> None:
    with pytest.raises(RuntimeError), people.session() as s:
        s.add(Person(name="ghost"))
        s.get_one(Person, 1).name = "changed"
        s.flush()
        raise RuntimeError("boom")
    assert names(people) == ["ann", "bob", "cy"]


def test_closed_session_refuses_use(people: Database) -> None:
    s = people.session()
    s.close()
    with pytest.raises(InvalidRequestError, match="closed"):
        s.query(Person).all()
    with pytest.raises(InvalidRequestError, match="closed"):
        s.add(Person(name="x"))


def test_add_refuses_objects_of_another_open_session(people: Database) -> None:
    with people.session() as s1:
        p = s1.get_one(Person, 1)
        s2 = people.session()
        with pytest.raises(InvalidRequestError, match="another session"):
            s2.add(p)
        s2.close()
    with people.session() as s3:
        s3.add(p)  # s1 is closed: p is detached and can be re-attached
        assert status_of(p) == "persistent"
        p.age = 31
    with people.session() as s:
        assert s.get_one(Person, 1).age == 31


def test_add_refuses_non_models(people: Database) -> None:
    with people.session() as s, pytest.raises(TypeError):
        s.add("not a model")  # type: ignore[arg-type]


# -- change tracking ---------------------------------------------------------------------------
def test_update_sends_only_changed_columns(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        p.age = 31
        p.email = "ann@example.com"
        with people.capture() as sent:
            s.flush()
        begun = (
            []
            if not people.dialect.statement_snapshots
            else [
                (people.dialect.begin_statements(None, None)[0], ())  # the first write begins
            ]
        )  # (elsewhere the read did)
        assert sent == [
            *begun,
            (
                in_dialect(people, 'UPDATE "se_person" SET "age" = ?, "email" = ? WHERE "id" = ?'),
                [31, "ann@example.com", 1],
            ),
        ]
    with people.session() as s:
        p = s.get_one(Person, 1)
        assert (p.name, p.age, p.email) == ("ann", 31, "ann@example.com")


def test_setting_the_same_value_or_reverting_sends_nothing(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        p.name = "ann"
        q = s.get_one(Person, 2)
        q.age = 99
        q.age = 40
        with people.capture() as sent:
            s.flush()
        assert sent == []
        assert s.dirty == []


def test_json_value_changed_in_place_and_assigned_again_is_written(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        tags = p.tags
        tags.append("x")  # in place: tracked (docs/hooks.md)...
        assert s.dirty == [p]
        p.tags = tags  # ...and assigning it again is a change too
        with people.capture() as sent:
            s.flush()
        sql = in_dialect(people, 'UPDATE "se_person" SET "tags" = ? WHERE "id" = ?')
        assert sent[-1:] == [(sql, ['["x"]', 1])]
    with people.session() as s:
        assert s.get_one(Person, 1).tags == ["x"]


def test_dirty_and_new_collections(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        assert s.dirty == []
        p.age = 5
        n = Person(name="new")
        s.add(n)
        assert s.dirty == [p] and s.new == [n]
        s.flush()
        assert s.dirty == [] and s.new == []


def test_autoflush_before_query(people: Database) -> None:
    with people.session() as s:
        s.add(Person(name="zed"))
        s.get_one(Person, 1).name = "anne"
        assert s.query(Person).count() == 4
        assert s.query(Person.name).where(Person.name == "anne").all() == ["anne"]


def test_autoflush_can_be_disabled(people: Database) -> None:
    with people.session(autoflush=False) as s:
        s.add(Person(name="zed"))
        assert s.query(Person).count() == 3
        s.flush()
        assert s.query(Person).count() == 4


# -- refresh, expire, expunge, delete ----------------------------------------------------------
def test_refresh_discards_unflushed_changes_and_reads_the_database(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        s.execute("UPDATE se_person SET age = 77 WHERE id = 1")
        p.name = "local"
        s.refresh(p)
        assert (p.name, p.age) == ("ann", 77)
        assert s.dirty == []


def test_refresh_of_a_deleted_row(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 3)
        s.execute("DELETE FROM se_person WHERE id = 3")
        with pytest.raises(ObjectDeletedError):
            s.refresh(p)


def test_refresh_needs_a_persistent_object(people: Database) -> None:
    with people.session() as s, pytest.raises(InvalidRequestError):
        s.refresh(Person(name="x"))


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expire_reloads_on_access(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 2)
        s.execute("UPDATE se_person SET name = 'robert' WHERE id = 2")
        assert p.name == "bob"  # still the loaded value
        s.expire(p, "name")
        with people.capture() as sent:
            assert p.name == "robert"
        assert len(sent) == 1
        with pytest.raises(InvalidRequestError, match="no field"):
            s.expire(p, "nope")


def test_expired_attribute_of_detached_object(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 2)
        s.expire(p)
    with pytest.raises(DetachedInstanceError):
        _ = p.name
    assert p.id == 2  # primary keys are never expired


def test_expunge(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        s.expunge(p)
        assert status_of(p) == "detached" and p not in s
        p.name = "not saved"
        again = s.get_one(Person, 1)
        assert again is not p and again.name == "ann"
        pending = Person(name="pending")
        s.add(pending)
        s.expunge(pending)
        assert status_of(pending) == "transient"
        with pytest.raises(InvalidRequestError):
            s.expunge(pending)
    assert names(people) == ["ann", "bob", "cy"]


def test_expunge_all(people: Database) -> None:
    with people.session() as s:
        objs = s.query(Person).all()
        s.expunge_all()
        assert all(status_of(o) == "detached" for o in objs)
        assert s.get_one(Person, 1) is not objs[0]


def test_delete(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 2)
        s.delete(p)
        assert s.get(Person, 2) is None  # marked for deletion
        assert s.query(Person).count() == 2  # autoflushed
        with pytest.raises(InvalidRequestError, match="deleted"):
            s.add(p)
    assert names(people) == ["ann", "cy"]


def test_delete_of_a_pending_object_just_forgets_it(people: Database) -> None:
    with people.session() as s:
        p = Person(name="brief")
        s.add(p)
        s.delete(p)
        assert status_of(p) == "transient"
        with people.capture() as sent:
            s.flush()
        assert sent == []
    assert len(names(people)) == 3


def test_delete_refuses_objects_outside_the_session(people: Database) -> None:
    with people.session() as s, pytest.raises(InvalidRequestError):
        s.delete(Person(name="x"))


def test_update_of_a_row_deleted_behind_the_session(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        s.execute("DELETE FROM se_person WHERE id = 1")
        p.age = 1
        with pytest.raises(ObjectDeletedError):
            s.flush()
        s.rollback()


def test_batched_update_names_the_row_deleted_behind_the_session(people: Database) -> None:
    # Several objects changing the same columns go through one executemany; a missing row
    # is still reported by its key and the flush is undone.
    with people.session() as s:
        ps = s.query(Person).order_by(Person.id).all()
        s.execute("DELETE FROM se_person WHERE id = 2")
        for p in ps:
            p.age = 5
        with pytest.raises(ObjectDeletedError, match="primary key 2"):
            s.flush()
        assert [p.age for p in ps] == [5, 5, 5]  # the unflushed changes are kept
        assert len(s.dirty) == 3
        s.rollback()
    assert names(people) == ["ann", "bob", "cy"]


def test_a_batch_of_new_objects_gets_its_keys_in_order(people: Database) -> None:
    with people.session() as s:
        batch = [Person(name=f"p{i}") for i in range(37)]
        batch.insert(5, Person(id=500, name="explicit"))
        s.add_all(batch)
        s.flush()
        ids = [p.id for p in batch]
        assert ids[5] == 500
        generated = ids[:5] + ids[6:]
        assert generated == sorted(generated) and len(set(generated)) == 37
        assert all(s.get(Person, p.id) is p for p in batch)
    with people.session() as s:
        for p in batch:
            assert s.get_one(Person, p.id).name == p.name


def test_flush_orders_parents_before_children_and_deletes_children_first(
    people: Database,
) -> None:
    with people.session() as s:
        s.add(Note(id=1, person_id=10, body="child added first"))
        s.add(Person(id=10, name="parent"))
    with people.session() as s:
        parent, child = s.get_one(Person, 10), s.get_one(Note, 1)
        s.delete(parent)
        s.delete(child)
    assert names(people) == ["ann", "bob", "cy"]


def test_delete_and_insert_of_the_same_unique_value_in_one_flush(people: Database) -> None:
    with people.session() as s:
        s.get_one(Person, 1).email = "a@example.com"
    with people.session() as s:
        s.delete(s.get_one(Person, 1))
        s.add(Person(name="ann2", email="a@example.com"))
        s.flush()  # the DELETE runs before the INSERT that takes its unique value
    with people.session() as s:
        assert [(p.name, p.email) for p in s.query(Person).where(Person.email != None)] == [  # noqa: E711
            ("ann2", "a@example.com")
        ]


def test_delete_and_insert_of_the_same_primary_key_in_one_flush(people: Database) -> None:
    """Replacing a row by a new object with its primary key: ``get`` sees the pending
    object, and one flush deletes the old row before inserting the new one."""
    with people.session() as s:
        old = s.get_one(Person, 2)
        s.delete(old)
        new = Person(id=2, name="bob2")
        s.add(new)
        assert s.get(Person, 2) is new  # (with autoflush: written by this very get)
    with people.session(autoflush=False) as s:
        s.delete(s.get_one(Person, 3))
        replacement = Person(id=3, name="cy2")
        s.add(replacement)
        assert s.get(Person, 3) is replacement  # pending, found without a flush
        s.flush()
    with people.session() as s:
        assert [(p.id, p.name) for p in s.query(Person).order_by(Person.id)] == [
            (1, "ann"), (2, "bob2"), (3, "cy2"),
        ]  # fmt: skip


# -- rollback restores objects -----------------------------------------------------------------
def test_rollback_restores_objects_and_the_database_matches(people: Database) -> None:
    with people.session() as s:
        ann, bob, cy = s.query(Person).order_by(Person.id).all()
        ann.name = "changed"
        s.delete(bob)
        new = Person(name="new")
        s.add(new)
        s.flush()
        assert new.id == 4
        cy.age = 9  # unflushed change
        s.rollback()
        assert status_of(new) == "transient"
        assert new.id is None
        assert new not in s
        assert ann.name == "ann" and status_of(ann) == "persistent"
        assert status_of(bob) == "persistent" and bob in s
        assert s.get(Person, 2) is bob
        assert cy.age == 0
        assert s.dirty == [] and s.new == [] and s.deleted == []
        # the session goes on working and the restored objects match their rows
        assert [p.name for p in s.query(Person).order_by(Person.id)] == ["ann", "bob", "cy"]
        bob.age = 41
    assert names(people) == ["ann", "bob", "cy"]
    with people.session() as s:
        assert s.get_one(Person, 2).age == 41
        s.add(new)  # the rolled-back object can be added again
    assert names(people) == ["ann", "bob", "cy", "new"]


def test_rollback_of_a_primary_key_change(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 3)
        p.id = 30
        s.flush()
        assert s.get(Person, 30) is p
        assert s.get(Person, 3) is None
        s.rollback()
        assert p.id == 3
        assert s.get(Person, 3) is p
        assert s.get(Person, 30) is None


def test_rollback_after_commit_keeps_committed_state(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 1)
        p.name = "first"
        s.commit()
        p.name = "second"
        s.rollback()
        assert p.name == "first"
    assert names(people)[0] == "first"


# -- explicit transactions ---------------------------------------------------------------------
def test_begin_and_commit(people: Database) -> None:
    with people.session() as s:
        with people.capture() as sent, s.begin():
            s.add(Person(name="tx"))
        begin = people.dialect.begin_statements(None, None)
        assert sql_only(sent)[: len(begin)] == begin
        assert sql_only(sent)[-1] == "COMMIT"
        assert names(people)[-1] == "tx"


def test_begin_rolls_back_on_exception(people: Database) -> None:
    with people.session() as s:
        with pytest.raises(KeyError), s.begin():
            s.add(Person(name="tx"))
            s.flush()
            raise KeyError
        assert s.query(Person).count() == 3


@pytest.mark.requires("transaction_modes")
def test_begin_immediate(people: Database) -> None:
    with people.session() as s:
        with people.capture() as sent:
            tx = s.begin("IMMEDIATE")
        assert sql_only(sent) == ["BEGIN IMMEDIATE"]
        s.add(Person(name="locked"))
        tx.commit()
        with pytest.raises(InvalidRequestError, match="already finished"):
            tx.commit()
    assert names(people)[-1] == "locked"


def test_begin_with_a_bad_mode_sends_nothing(people: Database) -> None:
    modes = people.dialect.transaction_modes
    with people.session() as s:
        with people.capture() as sent, pytest.raises(ConfigurationError, match="mode"):
            s.begin("SOMETIMES; DROP TABLE se_person")
        with pytest.raises(ConfigurationError, match="isolation level"):
            s.begin(isolation_level="SOMETIMES; DROP TABLE se_person")
        assert sent == []
        for level in ("READ UNCOMMITTED", "read committed", "REPEATABLE_READ"):
            if level.upper().replace("_", " ") in people.dialect.isolation_levels:
                s.begin(isolation_level=level).commit()
            else:
                with pytest.raises(ConfigurationError, match="isolation level"):
                    s.begin(isolation_level=level)
        s.begin(isolation_level="SERIALIZABLE").commit()
        if modes:
            s.begin(modes[0].lower()).commit()
        else:
            with pytest.raises(ConfigurationError, match="mode"):
                s.begin("DEFERRED")


def test_begin_twice_is_refused(people: Database) -> None:
    with people.session() as s:
        s.begin()
        with pytest.raises(InvalidRequestError, match="already in progress"):
            s.begin()


def test_nested_savepoint_rolls_back_alone(people: Database) -> None:
    with people.session() as s:
        ann = s.get_one(Person, 1)
        ann.age = 1  # outer change
        keep = Person(name="kept")
        s.add(keep)
        inner_new = Person(name="inner")
        with pytest.raises(ValueError), s.begin_nested():
            ann.age = 2
            ann.name = "inner-ann"
            s.add(inner_new)
            s.delete(s.get_one(Person, 2))
            s.flush()
            raise ValueError
        assert (ann.age, ann.name) == (1, "ann")
        assert status_of(inner_new) == "transient" and inner_new.id is None
        assert status_of(keep) == "persistent"
        assert s.get(Person, 2) is not None
        assert s.query(Person).count() == 4
    assert names(people) == ["ann", "bob", "cy", "kept"]
    with people.session() as s:
        assert s.get_one(Person, 1).age == 1


def test_nested_savepoint_release_keeps_changes(people: Database) -> None:
    with people.session() as s:
        with people.capture() as sent, s.begin_nested():
            s.add(Person(name="sp"))
        statements = sql_only(sent)
        assert statements[1].startswith("SAVEPOINT")
        assert statements[-1].startswith("RELEASE SAVEPOINT")
        s.rollback()  # the outer rollback still undoes the released savepoint
    assert names(people) == ["ann", "bob", "cy"]


def test_two_level_savepoints(people: Database) -> None:
    with people.session() as s:
        p = s.get_one(Person, 3)
        with s.begin_nested():
            p.age = 1
            with pytest.raises(LookupError), s.begin_nested():
                p.age = 2
                s.flush()
                raise LookupError
            assert p.age == 1
        assert p.age == 1
    with people.session() as s:
        assert s.get_one(Person, 3).age == 1


def test_explicit_savepoint_rollback(people: Database) -> None:
    with people.session() as s:
        sp = s.begin_nested()
        s.add(Person(name="temp"))
        sp.rollback()
        assert s.query(Person).count() == 3


def test_in_memory_database_has_one_connection() -> None:
    db = Database()
    db.create_all([Person, Note])
    s1 = db.session()
    s1.add(Person(name="x"))
    s1.flush()
    s2 = db.session()
    with pytest.raises(InvalidRequestError, match="in-memory"):
        s2.query(Person).all()
    s1.commit()
    assert s2.query(Person).count() == 1
    s2.close()
    s1.close()


@pytest.mark.xfail(
    reason="SQLite transactions read one snapshot, so a session's reads run in a (deferred) "
    "transaction; in rollback-journal mode its SHARED lock makes another session's COMMIT "
    "wait for the busy timeout and fail with 'database is locked' (WAL mode does not)",
    strict=True,
)
def test_a_reading_session_does_not_block_a_writer(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/busy.db", timeout=0.2)
    db.create_all([Person, Note])
    reader, writer = db.session(), db.session()
    try:
        assert reader.query(Person).count() == 0
        writer.add(Person(name="w"))
        writer.commit()
    finally:
        writer.close()
        reader.close()
        db.dispose()


def test_file_database_sessions_run_side_by_side(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/side.db")
    db.create_all([Person, Note])
    with db.session() as s1, db.session() as s2:
        s1.add(Person(name="one"))
        s1.commit()
        assert s2.query(Person.name).all() == ["one"]
    db.dispose()
