"""The asyncpg driver's SQL rewriting (ormolu/drivers/asyncpg_params.py), without a
server: psycopg's placeholders as ``$n`` with psycopg's rules, the casts that give values
psycopg's types, and URL options as ``asyncpg.connect()`` arguments."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from ormolu import ConfigurationError
from ormolu.drivers.asyncpg_params import (
    PlaceholderError,
    cast_for,
    connect_args,
    psycopg_casts,
    signature,
    to_dollar,
    typed,
)
from ormolu.url import parse_url


def dollar(sql: str) -> str:
    pieces = to_dollar(sql)
    return typed(pieces, [None] * (len(pieces) - 1))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", "SELECT 1"),
        ("SELECT %s, %s", "SELECT $1, $2"),
        ("SELECT '50%%' WHERE a = %s", "SELECT '50%' WHERE a = $1"),
        ('SELECT 1 AS "a%%$1", %s', 'SELECT 1 AS "a%$1", $1'),  # (a $ in quotes stays)
        ("SELECT '$1', %s", "SELECT '$1', $1"),
        ("SELECT %%s, %s", "SELECT %s, $1"),  # a doubled % then s: text
        ("SELECT %b, %t", "SELECT $1, $2"),  # psycopg's binary/text placeholders
        ("SELECT '%%%%'", "SELECT '%%'"),
        ("SELECT %s\n%%\n", "SELECT $1\n%\n"),
    ],
)
def test_placeholders_become_dollars_as_psycopg_reads_them(sql: str, expected: str) -> None:
    assert dollar(sql) == expected
    assert to_dollar(sql) is to_dollar(sql)  # (cached)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT '50%'", "got '%''"),  # a single % must be doubled, as under psycopg
        ("SELECT %x", "got '%x'"),
        ("SELECT 1 %", "incomplete placeholder"),
        ("SELECT %(name)s", "named placeholders"),
    ],
)
def test_what_psycopg_refuses_is_refused_with_its_message(sql: str, message: str) -> None:
    with pytest.raises(PlaceholderError, match=message):
        to_dollar(sql)


def test_typed_values_get_psycopg_types_and_text_none() -> None:
    aware = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    values = [1, 2**40, 2**70, 1.5, True, Decimal("1"), aware, dt.datetime(2024, 1, 1),
              dt.date(2024, 1, 1), dt.time(1), dt.timedelta(1), uuid.UUID(int=1), b"x",
              "text", None, [1]]  # fmt: skip
    casts = psycopg_casts(values)
    names = [c.format("$") if c else None for c in casts]
    assert names == [
        "CAST($ AS INTEGER)", "CAST($ AS BIGINT)", "CAST($ AS NUMERIC)",
        "CAST($ AS DOUBLE PRECISION)", "CAST($ AS BOOLEAN)", "CAST($ AS NUMERIC)",
        "CAST($ AS TIMESTAMP WITH TIME ZONE)", "CAST($ AS TIMESTAMP)", "CAST($ AS DATE)",
        "CAST($ AS TIME)", "CAST($ AS INTERVAL)", "CAST($ AS UUID)", "CAST($ AS BYTEA)",
        None, None, None,
    ]  # fmt: skip
    assert typed(to_dollar("SELECT %s, %s"), casts[:2]) == (
        "SELECT CAST($1 AS INTEGER), CAST($2 AS BIGINT)"
    )
    # a str the server typed otherwise: sent as text, converted by the server
    assert cast_for("5", '"pg_catalog"."int4"') == 'CAST(CAST({} AS TEXT) AS "pg_catalog"."int4")'


def test_the_signature_tells_apart_what_changes_the_casts() -> None:
    naive, aware = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert signature([naive]) != signature([aware])
    assert signature([1]) != signature([2**40])
    assert signature(["a", None]) == signature(["b", None])


def test_url_options_become_connect_arguments() -> None:
    url = parse_url(
        "postgresql+asyncpg://u:pw@h:5433/db?application_name=app&sslmode=require"
        "&options=-c%20statement_timeout%3D5000&connect_timeout=3&statement_cache_size=0"
    )
    kwargs = connect_args(url, 10)
    assert kwargs["host"] == "h" and kwargs["port"] == 5433 and kwargs["database"] == "db"
    assert kwargs["user"] == "u" and kwargs["password"] == "pw" and kwargs["timeout"] == 3
    assert kwargs["server_settings"] == {"application_name": "app", "statement_timeout": "5000"}
    assert kwargs["dsn"] == "postgresql://?sslmode=require"
    assert kwargs["statement_cache_size"] == 0
    with pytest.raises(ConfigurationError, match="keepalives"):
        connect_args(parse_url("postgresql+asyncpg://h/db?keepalives=1"), 10)
