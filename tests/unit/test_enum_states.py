"""Enum values without a database: how the three backends' spellings of an IN list
normalise to one form, how the values are read back from it, and how the autodetector
turns two states' values into an AlterEnum (or stops on a rename it was not told of)."""

from __future__ import annotations

import enum

import pytest

from ormolu import Mapped, Model, field
from ormolu.dialects.mysql.dialect import MySQLDialect
from ormolu.dialects.mysql.reflect import standard_strings
from ormolu.dialects.postgresql.dialect import PostgreSQLDialect
from ormolu.dialects.sqlite.dialect import SQLiteDialect
from ormolu.exceptions import ConfigurationError
from ormolu.migrations import operations as o
from ormolu.migrations.autodetect import RenameCandidates, describe_candidate, diff, inverse
from ormolu.migrations.writer import code
from ormolu.schema.sqlnorm import in_list, normalize_expression
from ormolu.schema.state import state_from_tables


def test_the_backends_spellings_of_an_in_list_normalise_alike() -> None:
    ours = normalize_expression("\"mood\" IN ('happy', 'it''s')")
    postgresql = normalize_expression(
        "((mood)::text = ANY ((ARRAY['happy'::character varying, "
        "'it''s'::character varying])::text[]))"
    )
    mariadb = normalize_expression(standard_strings("`mood` in ('happy','it\\'s')"))
    mysql = normalize_expression(standard_strings("(`mood` in (_utf8mb4'happy',_utf8mb4'it''s'))"))
    assert ours == postgresql == mariadb == mysql == "(mood in ('happy', 'it''s'))"
    assert normalize_expression("(n = ANY (ARRAY[1, 2]))") == "(n in (1, 2))"
    assert normalize_expression("n <> ALL (ARRAY[1])") == "(n not in (1))"
    assert normalize_expression("[weird name] > 1") == "(weird name > 1)"  # still an identifier


def test_mysql_backslash_escapes_become_standard() -> None:
    assert standard_strings("'a\\\\b' = x") == "'a\\b' = x"
    assert standard_strings("'tab\\there'") == "'tab\there'"


def test_in_list_reads_the_values_back() -> None:
    assert in_list("(mood in ('happy', 'it''s'))") == ("mood", ("happy", "it's"))
    assert in_list(normalize_expression("n IN (-1, 2)")) == ("n", (-1, 2))
    for other in ("(a > 1)", "(a in (b, 1))", "(a in (1 + 2))", "(a not in (1))"):
        assert in_list(normalize_expression(other)) is None, other


class Mood1(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Mood2(enum.Enum):
    HAPPY = "happy"
    BLUE = "blue"
    MEH = "meh"


class Feel1(Model, table="u_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[Mood1] = field(default=Mood1.HAPPY)


class Feel2(Model, table="u_feel"):
    id: Mapped[int] = field(primary_key=True, default=None)
    mood: Mapped[Mood2] = field(default=Mood2.HAPPY)


@pytest.mark.parametrize("dialect", [SQLiteDialect(), PostgreSQLDialect(), MySQLDialect()])
def test_values_changed_are_an_alter_enum_once_renames_are_answered(dialect: object) -> None:
    ctx = o.Context(dialect)  # type: ignore[arg-type]
    old = state_from_tables(ctx.dialect, [Feel1.__mapper__.table])
    new = state_from_tables(ctx.dialect, [Feel2.__mapper__.table])
    with pytest.raises(RenameCandidates) as caught:
        diff(old, new, ctx)
    assert caught.value.candidates == ["u_feel.mood.sad:blue", "u_feel.mood.sad:meh"]
    assert describe_candidate("u_feel.mood.sad:blue") == (
        "was the value 'sad' of u_feel.mood renamed to 'blue'"
    )
    ops = diff(old, new, ctx, renames=["u_feel.mood.sad:blue"])
    assert ops == [o.AlterEnum("u_feel", "mood", ("happy", "blue", "meh"), {"sad": "blue"})]
    assert not ops[0].destructive
    assert ops[0].apply(old, ctx) == new  # the state after it is the models'
    back = inverse(ops[0], old)
    assert back == o.AlterEnum("u_feel", "mood", ("happy", "sad"), {"blue": "sad"}, {"meh": None})
    assert back.apply(new, ctx) == old
    declined = diff(old, new, ctx, declined=["u_feel.mood.sad:blue", "u_feel.mood.sad:meh"])
    assert declined == [o.AlterEnum("u_feel", "mood", ("happy", "blue", "meh"), {}, {"sad": None})]
    assert declined[0].destructive
    with pytest.raises(ConfigurationError, match=r"needs the value 'glad' in the database"):
        diff(old, new, ctx, renames=["u_feel.mood.glad:blue"])


def test_an_alter_enum_is_written_as_readable_code() -> None:
    op = o.AlterEnum("t", "c", ("a", 'say "hi"'), renames={"b": "a"}, removed={"x": None})
    text = code(op)
    assert text == (
        'AlterEnum("t", "c", ("a", \'say "hi"\'), renames={"b": "a"}, removed={"x": None})'
    )
    assert eval(text, {"AlterEnum": o.AlterEnum}) == op
