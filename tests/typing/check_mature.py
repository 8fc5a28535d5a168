"""Typing expectations for retried transactions, get-or-create and the values helpers,
checked by ``mypy --strict`` (nothing here runs)."""

from __future__ import annotations

from typing import Any, assert_type

from ormolu import (
    AsyncAttempt,
    AsyncDatabase,
    AsyncSession,
    Attempt,
    Database,
    Mapped,
    Model,
    Session,
    field,
    update_fields,
    values_of,
)


class MTag(Model, table="typing_mature_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)


def sync_shapes(db: Database) -> None:
    @db.transaction(retries=3, isolation_level="SERIALIZABLE")
    def rename(s: Session, old: str, new: str) -> int:
        tag, created = s.get_or_create(MTag, name=old)
        assert_type(tag, MTag)
        assert_type(created, bool)
        tag.name = new
        return tag.id

    assert_type(rename("a", "b"), int)
    for attempt in db.transaction(retries=2):
        assert_type(attempt, Attempt)
        with attempt as s:
            assert_type(s, Session)
            got, _ = s.update_or_create(MTag, defaults={"name": "x"}, id=1)
            assert_type(got, MTag)
            assert_type(s.upsert(MTag, [{"name": "a"}], return_existing=True), list[MTag])
    with db.transaction() as s:
        assert_type(s, Session)
        assert_type(values_of(got), dict[str, Any])
        update_fields(got, {"name": "y"})


async def async_shapes(db: AsyncDatabase) -> None:
    @db.transaction(retries=3)
    async def count(s: AsyncSession, name: str) -> bool:
        _, created = await s.get_or_create(MTag, name=name)
        return created

    assert_type(await count("a"), bool)
    async for attempt in db.transaction(retries=2):
        assert_type(attempt, AsyncAttempt)
        async with attempt as s:
            assert_type(s, AsyncSession)
            tag, _ = await s.update_or_create(MTag, name="z")
            assert_type(tag, MTag)
    async with db.transaction() as s:
        assert_type(s, AsyncSession)
