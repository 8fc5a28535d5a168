"""Every statement goes through the ``ormolu.sql`` logger, streamed queries included."""

from __future__ import annotations

import logging

import pytest

from ormolu import Database, Mapped, Model, field


class Line(Model, table="lg_line"):
    id: Mapped[int] = field(primary_key=True, default=None)
    text: Mapped[str] = ""


def test_streamed_queries_and_rollbacks_are_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db.create_all([Line])
    with db.session() as s:
        s.insert_many(Line, [{"text": f"l{i}"} for i in range(5)])
    caplog.set_level(logging.DEBUG, logger="ormolu.sql")
    with db.session() as s:
        streamed = [x.text for x in s.query(Line).where(Line.id > 2).order_by(Line.id).yield_per(2)]
        assert streamed == ["l2", "l3", "l4"]
        s.add(Line(text="undone"))
        s.flush()  # the first write begins the transaction...
        s.rollback()  # ...so there is one to roll back
    logged = [r.getMessage() for r in caplog.records if r.name == "ormolu.sql"]
    select = [m for m in logged if m.startswith("SELECT")]
    assert len(select) == 1 and "(2," in select[0] and select[0].endswith(" ms)")
    assert any(m.startswith("ROLLBACK") for m in logged)
