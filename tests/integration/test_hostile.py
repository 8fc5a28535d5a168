"""Hostile strings are stored and found exactly; hostile table and column names work.

Where backends legitimately differ, each one's behaviour is asserted: PostgreSQL cannot
store NUL in text (a typed DataError, nothing written); MariaDB's default collation
compares text ignoring case and trailing spaces (``'' = ' '``), see :func:`db_equal`.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from ormolu import Database, DataError, Mapped, Model, Session, field, func
from ormolu.sql.elements import escape_like


class Text(Model, table="ho_text"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str]


class Weird(Model, table='ho "we\'ird"; DROP TABLE ho_text; --'):
    id: Mapped[int] = field(primary_key=True, column='i"d; --', default=None)
    value: Mapped[str] = field(column='va\'lue "x" ; DELETE FROM ho_text')
    other: Mapped[int] = field(column="select", default=0, index=True)


class WeirdChild(Model, table="ho child table"):
    id: Mapped[int] = field(primary_key=True, column="the id", default=None)
    weird_id: Mapped[int] = field(column="parent's id", foreign_key="Weird.id")


class Percent(Model, table="ho 100% %s"):
    """'%' in names: the placeholder character of the PostgreSQL and MySQL drivers."""

    id: Mapped[int] = field(primary_key=True, column="i%d", default=None)
    value: Mapped[str] = field(column="%(value)s", index=True)
    n: Mapped[int] = field(column="%%", default=0)


HOSTILE = [
    "it's",
    'say "hi"',
    "100%",
    "a_b",
    "back\\slash",
    "trailing\\",
    "semi;colon",
    "' OR 1=1 --",
    "'; DROP TABLE ho_text; --",
    "%_%",
    "\\%\\_",
    "nul\x00inside",
    "\x00",
    "naïve café",
    "emoji 😀👍🏽",
    "中文字符",
    "tab\there",
    "new\nline",
    "",
    " ",
]


def storable(db: Database) -> list[str]:
    """The hostile values ``db`` can store (PostgreSQL text cannot hold NUL)."""
    return [v for v in HOSTILE if db.dialect.supports_nul_in_text or "\x00" not in v]


def db_equal(db: Database, a: str, b: str) -> bool:
    """Whether ``db`` compares ``a = b`` as true under its default collation.

    The Unicode collation create_all gives MySQL/MariaDB tables ignores case and (on
    MariaDB) is PAD SPACE (trailing spaces do not count), so there ``'' = ' '``, and gives
    control characters other than whitespace no weight (``'\x00' = ''``, UTS #10); these
    are the collation's documented rules (use a binary collation for exact matching). It
    also folds accents, which HOSTILE has no pair of values to show.
    """
    if db.dialect.text_compare_ignores_control_characters:
        a, b = (
            "".join(ch for ch in v if unicodedata.category(ch) != "Cc" or ch in "\t\n\v\f\r")
            for v in (a, b)
        )
    if db.dialect.text_compare_ignores_trailing_spaces:
        a, b = a.rstrip(" "), b.rstrip(" ")
    if db.dialect.text_compare_ignores_case:
        a, b = a.lower(), b.lower()
    return a == b


def with_nul_needs_support(values: list[str]) -> list[Any]:
    """Parameters; those with NUL skip where text cannot hold NUL (see test_nul_in_text)."""
    needs = pytest.mark.requires("supports_nul_in_text")
    return [pytest.param(v, marks=needs) if "\x00" in v else v for v in values]


@pytest.fixture
def texts(db: Database) -> Database:
    db.create_all([Text])
    with db.session() as s:
        s.add_all([Text(body=v) for v in storable(db)])
    return db


def test_hostile_strings_round_trip_exactly(texts: Database) -> None:
    with texts.session() as s:
        stored = s.query(Text.body).order_by(Text.id).all()
    assert stored == storable(texts)
    assert len(stored) == len(HOSTILE) - (0 if texts.dialect.supports_nul_in_text else 2)


def test_nul_in_text(db: Database) -> None:
    """NUL is stored where text can hold it; elsewhere a typed DataError, nothing written."""
    db.create_all([Text])
    with db.session() as s:
        s.add_all([Text(body="before"), Text(body="nul\x00inside"), Text(body="after")])
        if db.dialect.supports_nul_in_text:
            s.flush()
            assert s.query(Text.body).where(Text.body == "nul\x00inside").all() == ["nul\x00inside"]
            return
        with pytest.raises(DataError, match="NUL") as info:
            s.flush()
        assert info.value.__cause__ is not None  # the driver's error, chained
        with pytest.raises(DataError, match="NUL"):
            s.execute("INSERT INTO ho_text (body) VALUES (:v)", {"v": "\x00"})
        s.rollback()
    with db.session() as s:
        assert s.query(Text).count() == 0


@pytest.mark.parametrize("value", with_nul_needs_support(HOSTILE))
def test_equality_finds_exactly_the_hostile_value(texts: Database, value: str) -> None:
    stored = storable(texts)
    same = [v for v in stored if db_equal(texts, v, value)]
    assert value in same
    with texts.session() as s:
        q = s.query(Text.body).order_by(Text.id)
        assert q.where(Text.body == value).all() == same
        assert q.where(Text.body.in_([value])).all() == same
        assert s.query(Text).where(Text.body != value).count() == len(stored) - len(same)


def test_in_and_not_in_lists_of_hostile_strings_match_exactly(texts: Database) -> None:
    """An IN list of plain values is one array parameter on PostgreSQL (``= ANY(%s)``):
    quotes, commas, braces, backslashes, ``NULL`` as text and empty strings inside it are
    values, never array syntax, on every backend."""
    values = storable(texts)
    extra = ["{a,b}", '"', "NULL", "a,b", "}", "{"]  # array-literal syntax, as text
    with texts.session() as s:
        s.add_all([Text(body=v) for v in extra])
    every = values + extra
    with texts.session() as s:
        for picked in (every[::2], every[1::2], every, ["not stored", *extra[:2]]):
            found = s.query(Text.body).where(Text.body.in_(picked)).all()
            want = [v for v in every if any(db_equal(texts, v, p) for p in picked)]
            assert sorted(found) == sorted(want), picked
            rest = s.query(Text.body).where(Text.body.not_in(picked)).all()
            assert sorted(rest) == sorted(v for v in every if v not in want), picked


@pytest.mark.parametrize("value", [v for v in HOSTILE if v and "\x00" not in v])
def test_contains_startswith_endswith_match_literally(texts: Database, value: str) -> None:
    with texts.session() as s:

        def found(cond: object) -> set[str]:
            return set(s.query(Text.body).where(cond).all())

        # LIKE never pads with spaces, and HOSTILE has no values differing only in case
        # or accents, so these are exact on every backend (see db_equal).
        stored = storable(texts)
        assert found(Text.body.contains(value)) == {v for v in stored if value in v}
        assert found(Text.body.startswith(value)) == {v for v in stored if v.startswith(value)}
        assert found(Text.body.endswith(value)) == {v for v in stored if v.endswith(value)}
        assert found(Text.body.like(escape_like(value), escape="\\")) == {value}
        assert value in found(Text.body.like(value.replace("\\", "\\\\"), escape="\\"))


@pytest.mark.requires("supports_nul_in_text")
@pytest.mark.parametrize(
    ("method", "arg", "expected"),
    [
        ("contains", "\x00inside", ["nul\x00inside"]),
        ("startswith", "nul\x00zzz", []),
        ("endswith", "\x00inside", ["nul\x00inside"]),
    ],
)
def test_patterns_with_nul_match_literally(
    texts: Database, method: str, arg: str, expected: list[str], request: pytest.FixtureRequest
) -> None:
    if texts.dialect.like_pattern_stops_at_nul:
        request.applymarker(
            pytest.mark.xfail(
                reason="SQLite's LIKE stops at the first NUL of the pattern: "
                "contains('\\x00inside') matches every row, startswith('nul\\x00zzz') "
                "matches 'nul\\x00inside'",
                strict=True,
            )
        )
    with texts.session() as s:
        cond = getattr(Text.body, method)(arg)
        assert s.query(Text.body).where(cond).all() == expected


def test_huge_text(db: Database) -> None:
    db.create_all([Text])
    big = "".join(chr(0x61 + i % 26) for i in range(100_000)) + "NEEDLE" + "é" * 1000
    with db.session() as s:
        s.add(Text(body=big))
    with db.session() as s:
        assert s.query(Text.body).one() == big
        assert s.query(Text).where(Text.body.contains("NEEDLE")).count() == 1
        assert s.query(Text).where(Text.body.endswith("NEEDLE" + "é" * 1000)).count() == 1
        assert s.query(Text).where(Text.body == big).count() == 1
        assert s.query(func.length(Text.body)).scalar() == len(big)


def test_hostile_strings_in_raw_sql_parameters(texts: Database) -> None:
    stored = storable(texts)
    with texts.session() as s:
        for value in stored:
            res = s.execute("SELECT body FROM ho_text WHERE body = :v ORDER BY id", {"v": value})
            assert res.scalars() == [v for v in stored if db_equal(texts, v, value)]
            assert value in res.scalars()
        assert s.query(Text).count() == len(stored)  # nothing was dropped or deleted


def test_hostile_table_and_column_names(db: Database) -> None:
    db.create_all([Weird, WeirdChild, Text])
    with db.session() as s:
        s.add(Text(body="survivor"))
        w = Weird(value="' OR 1=1 --", other=3)
        s.add(w)
        s.flush()
        s.add(WeirdChild(weird_id=w.id))
    with db.session() as s:
        w = s.query(Weird).where(Weird.value == "' OR 1=1 --").one()
        assert (w.id, w.other) == (1, 3)
        w.value = "changed; --"
        s.flush()
        pair = s.query(Weird.value, WeirdChild.id).join(WeirdChild).one()
        assert pair == ("changed; --", 1)
        assert s.query(Weird).filter_by(other=3).count() == 1
        assert s.query(Weird).where(Weird.other == 3).update(other=4) == 1
        s.delete(s.get_one(WeirdChild, 1))
    with db.session() as s:
        assert s.query(Weird.value, Weird.other).all() == [("changed; --", 4)]
        assert s.query(Text.body).all() == ["survivor"]
        assert table_names(s) == {Weird.__table__.name, WeirdChild.__table__.name, "ho_text"}
        assert s.query(WeirdChild).delete() == 0
        assert s.query(Weird).delete() == 1
    db.drop_all([Weird, WeirdChild])
    with db.session() as s:
        assert table_names(s) == {"ho_text"}
        assert s.query(Text.body).all() == ["survivor"]


def test_percent_signs_in_table_and_column_names(db: Database) -> None:
    db.create_all([Percent])
    with db.session() as s:
        s.add(Percent(id=7, value="a%"))  # an explicit key moves the key generator past it
        s.flush()
        s.add(Percent(value="b%s"))
        s.flush()
        assert s.query(Percent.id).order_by(Percent.id).all() == [7, 8]
        a = s.query(Percent).where(Percent.value == "a%").one()
        a.n = 5
        s.flush()
        assert s.query(Percent).where(Percent.value.contains("%s")).count() == 1
        assert s.query(Percent).where(Percent.n > 1).update(n=Percent.n + 1) == 1
        q = db.dialect.quote
        raw = s.execute(
            f"SELECT {q('%(value)s')} FROM {q('ho 100% %s')} WHERE {q('%%')} = :n", {"n": 6}
        )
        assert raw.scalars() == ["a%"]
        s.delete(a)
    with db.session() as s:
        assert s.query(Percent.id, Percent.value, Percent.n).all() == [(8, "b%s", 0)]
        assert table_names(s) == {"ho 100% %s"}
    db.drop_all([Percent])


def table_names(s: Session) -> set[str]:
    """The tables of the session's database, from its catalog (which is each backend's own)."""
    catalog = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT tablename FROM pg_catalog.pg_tables "
        "WHERE schemaname = current_schema()",
        "mysql": "SELECT table_name FROM information_schema.tables WHERE "
        "table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    }[s.dialect.name]
    return set(s.execute(catalog).scalars())
