"""``create_all(if_not_exists=True)`` warns, through logging, about existing tables that
differ from their models."""

from __future__ import annotations

import logging

import pytest

from ormolu import Database, Mapped, Model, field


class WarnV1(Model, table="warn_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)


class WarnV2(Model, table="warn_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)
    added: Mapped[int | None] = None


def test_create_all_if_not_exists_names_the_differences(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db.create_all([WarnV1])
    with caplog.at_level(logging.WARNING, logger="ormolu.schema"):
        db.create_all([WarnV1], if_not_exists=True)
    assert caplog.records == []  # the same: nothing to say
    with caplog.at_level(logging.WARNING, logger="ormolu.schema"):
        db.create_all([WarnV2], if_not_exists=True)
    [record] = caplog.records
    assert "warn_item" in record.getMessage()
    assert "column warn_item.added is missing" in record.getMessage()
