"""The fast paths of comparisons, IN lists and decimal results give what the general
code gives: the same bound values and types, the same refusals, the same decimals; the
load plan cache gives each query shape its own plan. No database."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from sqlcheck import assert_sql

from ormolu import Mapped, Model, ValidationError, field, relationship, select, selectinload
from ormolu.core.planning import plan_for
from ormolu.schema import types as t
from ormolu.sql.elements import BindList, BindParam


class Gauge(Model, table="fp_gauge"):
    id: Mapped[int] = field(primary_key=True, default=None)
    small: Mapped[int] = field(db_type=t.Integer(2), default=0)
    price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, default=Decimal(0))
    label: Mapped[str] = field(max_length=10, default="")


def test_an_int_in_range_is_bound_as_it_is() -> None:
    cond = Gauge.small == 32767
    assert isinstance(cond.right, BindParam)  # type: ignore[attr-defined]
    assert cond.right.value == 32767 and cond.right.type is Gauge.small.type  # type: ignore[attr-defined]
    assert_sql(
        select(Gauge.id).where(Gauge.id == 7, Gauge.small >= -32768),
        'SELECT "fp_gauge"."id" FROM "fp_gauge" WHERE "fp_gauge"."id" = ? AND '
        '"fp_gauge"."small" >= ?',
        [7, -32768],
    )


@pytest.mark.parametrize("value", [32768, -32769, True, "1"])
def test_ints_out_of_range_bools_and_strings_are_still_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        Gauge.small == value  # noqa: B015


def test_an_aggregate_integer_type_keeps_its_own_comparison() -> None:
    # (a subclass of Integer: the general path, whatever it does)
    total = t.IntegerTotal()
    assert total.compare_value(5) == 5


@pytest.mark.parametrize(
    "values", [[1, 2, 3], (1, 2, 3), {1, 2, 3}, range(1, 4), (i for i in (1, 2, 3))]
)
def test_in_lists_of_any_iterable(values: object) -> None:
    cond = Gauge.id.in_(values)  # type: ignore[arg-type]
    (node,) = cond.values  # type: ignore[attr-defined]
    assert isinstance(node, BindList) and sorted(node.values) == [1, 2, 3]


def test_in_refusals_are_kept() -> None:
    with pytest.raises(ValidationError):
        Gauge.small.in_([1, 40000])
    with pytest.raises(Exception, match="None in its list"):
        Gauge.id.in_([1, None])
    with pytest.raises(Exception, match="not a single string"):
        Gauge.label.in_("abc")
    assert Gauge.id.in_([]).values == ()  # type: ignore[attr-defined]
    (one,) = Gauge.id.in_([4]).values  # type: ignore[attr-defined]
    assert isinstance(one, BindParam) and one.value == 4


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("0.99"), "0.99"),
        (Decimal("1.999"), "2.00"),
        (Decimal("-0.005"), "-0.00"),
        (Decimal("12345678901234567890123456.5"), "12345678901234567890123456.50"),
        (Decimal("1E+30"), "1000000000000000000000000000000.00"),
        (Decimal("NaN"), "NaN"),
        (Decimal("Infinity"), "Infinity"),
        (0.99, "0.99"),
        (5, "5.00"),
        ("1.1", "1.10"),
    ],
)
def test_decimal_results_are_quantized_to_the_scale(value: object, expected: str) -> None:
    process = t._decimal_from_db(2)
    got = process(value)
    assert type(got) is Decimal and str(got) == expected
    assert process(None) is None


def test_decimal_results_follow_the_context_rounding() -> None:
    import decimal

    with localcontext() as ctx:
        ctx.rounding = decimal.ROUND_DOWN
        assert str(t._decimal_from_db(2)(Decimal("1.999"))) == "1.99"


_COLUMNS = [
    [Decimal("0.99"), Decimal("1.999"), Decimal("-0.005"), Decimal("12.3")],
    [Decimal("0.99"), None, Decimal("3")],
    [Decimal("12345678901234567890123456.5"), Decimal("1")],  # too wide for prec 28
    [Decimal("1E+30"), Decimal("Infinity"), Decimal("NaN")],
    [0.99, Decimal("1.5")],  # floats (SQLite REAL) and Decimals mixed
    [5, "1.1"],
]


@pytest.mark.parametrize("column", _COLUMNS)
@pytest.mark.parametrize("setting", ["default", "round_down", "no_trap", "prec_6"])
def test_a_decimal_column_converted_whole_equals_value_by_value(
    column: list[object], setting: str
) -> None:
    # rows_converter takes the processor's C-level column path when it may: its result
    # must be the per-value processor's, whatever the thread's decimal context
    import decimal

    from ormolu.dialects.postgresql import PostgreSQLDialect
    from ormolu.orm.loading import rows_converter
    from ormolu.sql.compiler import compile_statement

    with localcontext() as ctx:
        if setting == "round_down":
            ctx.rounding = decimal.ROUND_DOWN
        elif setting == "no_trap":
            ctx.traps[decimal.InvalidOperation] = False  # a too-wide quantize gives NaN
        elif setting == "prec_6":
            ctx.prec = 6
        dialect = PostgreSQLDialect()
        stmt = select(Gauge.price)
        compiled, _ = compile_statement(dialect, stmt)
        convert = rows_converter(compiled, stmt._entities, dialect, "tuples")
        process = t._decimal_from_db(2)
        got = [v for (v,) in convert([(v,) for v in column])]
        want = [process(v) for v in column]
        assert [str(v) for v in got] == [str(v) for v in want]
        assert [type(v) for v in got] == [type(v) for v in want]
    if setting == "no_trap" and column is _COLUMNS[2]:
        assert str(want[0]) == "12345678901234567890123456.50"  # not NaN


class FpShelf(Model, table="fp_shelf"):
    id: Mapped[int] = field(primary_key=True, default=None)
    items: Mapped[list[FpItem]] = relationship(back_populates="shelf", lazy="selectin")


class FpItem(Model, table="fp_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    shelf_id: Mapped[int] = field(foreign_key="FpShelf.id")
    shelf: Mapped[FpShelf] = relationship(back_populates="items")


def _shape(stmt: object, options: tuple[object, ...] = (), eager: bool = True) -> object:
    plans, group = plan_for(stmt, "objects", options, eager)
    return [(pos, sorted(p.nodes)) for pos, p in plans], group is not None


def test_plans_by_model_eagerness_and_options() -> None:
    for _ in range(2):  # (the second round from the cache)
        assert _shape(select(FpShelf)) == ([(-1, ["items"])], True)
        assert _shape(select(FpShelf), eager=False) == ([], True)
        assert _shape(select(FpItem)) == ([], True)
        assert _shape(select(Gauge)) == ([], False)  # no relationship: no group
        assert _shape(select(FpItem), (selectinload(FpItem.shelf),)) == ([(-1, ["shelf"])], True)
        assert _shape(select(FpItem, FpShelf)) == ([(1, ["items"])], True)
        assert _shape(select(FpShelf, FpItem), (selectinload(FpItem.shelf),)) == (
            [(0, ["items"]), (1, ["shelf"])],
            True,
        )
