"""Text comparison and collations: where MySQL/MariaDB's default collation changes query
results, and the two ways to ask for an exact comparison there.

The collation create_all gives MariaDB 10.10+ tables, ``utf8mb4_uca1400_ai_ci``, ignores
case and trailing spaces (PAD SPACE); MySQL 8's ``utf8mb4_0900_ai_ci`` ignores case (NO
PAD). SQLite and PostgreSQL
compare text exactly. These are the servers' documented rules, not ormolu choices, so the
tests assert each backend's behaviour from the dialect's flags
(``text_compare_ignores_case``, ``text_compare_ignores_trailing_spaces``).
"""

from __future__ import annotations

import pytest

from ormolu import Database, Mapped, Model, UniqueViolation, field, func
from ormolu.types import String


class Tag(Model, table="cl_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)  # the default collation
    exact: Mapped[str] = field(db_type=String(40, exact=True))  # compares exactly everywhere


class Login(Model, table="cl_login"):
    id: Mapped[int] = field(primary_key=True, default=None)
    email: Mapped[str] = field(db_type=String(80, exact=True), unique=True)


@pytest.fixture
def tags(db: Database) -> Database:
    db.create_all([Tag])
    with db.session() as s:
        s.add_all([Tag(name=v, exact=v) for v in ("Rock", "rock", "ROCK ", "Jazz")])
    return db


def test_default_collation_decides_equality(tags: Database) -> None:
    d = tags.dialect
    with tags.session() as s:
        found = s.query(Tag.name).where(Tag.name == "rock").order_by(Tag.id).all()
        if d.text_compare_ignores_case and d.text_compare_ignores_trailing_spaces:
            assert found == ["Rock", "rock", "ROCK "]  # MariaDB: case and padding ignored
        elif d.text_compare_ignores_case:
            assert found == ["Rock", "rock"]  # MySQL 8: NO PAD, but case ignored
        else:
            assert found == ["rock"]  # SQLite, PostgreSQL: exact
        distinct = s.query(Tag.name).distinct().count()
        assert distinct == (2 if d.text_compare_ignores_case else 4)


def test_exact_column_compares_exactly_on_every_backend(tags: Database) -> None:
    with tags.session() as s:
        assert s.query(Tag.exact).where(Tag.exact == "rock").all() == ["rock"]
        assert s.query(Tag.exact).where(Tag.exact == "ROCK").all() == []  # padding counts
        assert s.query(Tag.exact).where(Tag.exact.in_(["Rock", "jazz"])).all() == ["Rock"]
        assert s.query(Tag.exact).distinct().count() == 4
        # ilike() ignores case everywhere, an exact column included (lower() LIKE lower()
        # where the backend has no ILIKE)
        found = s.query(Tag.exact).where(Tag.exact.ilike("rock")).order_by(Tag.id).all()
        assert found == ["Rock", "rock"]


def test_exact_unique_column_keeps_values_differing_in_case(db: Database) -> None:
    db.create_all([Login])
    with db.session() as s:
        s.add_all([Login(email="Ann@example.com"), Login(email="ann@example.com")])
    with db.session() as s:
        assert s.query(Login).count() == 2
        s.add(Login(email="ann@example.com"))
        with pytest.raises(UniqueViolation):
            s.flush()
        s.rollback()


@pytest.mark.requires("text_compare_ignores_case")
def test_binary_function_compares_exactly_where_the_collation_does_not(tags: Database) -> None:
    # func.binary() is MySQL/MariaDB's BINARY(): a byte-wise comparison for one expression.
    with tags.session() as s:
        exact = s.query(Tag.name).where(func.binary(Tag.name) == "rock").all()
        assert exact == ["rock"]


def test_ilike_folds_non_ascii_case_on_every_backend(tags: Database) -> None:
    # SQLite's own lower() and LIKE fold ASCII letters only; ormolu's ilike() does not
    # depend on that. (MySQL's default collation also ignores accents: 'a' LIKE 'ä'.)
    with tags.session() as s:
        s.add_all([Tag(name=v, exact=v) for v in ("Ärger", "Éclair", "ÇA VA")])
        s.flush()
        found = s.query(Tag.exact).where(Tag.exact.ilike("ärger")).all()
        assert found == ["Ärger"]
        found = s.query(Tag.exact).where(Tag.exact.ilike("éc%")).all()
        assert found == ["Éclair"]
        found = s.query(Tag.exact).where(Tag.exact.ilike("%ça%")).all()
        assert found == ["ÇA VA"]
