"""Queries that used to be silently wrong, on every backend (issue 10, items 2-7).

Each test names the item it guards: a condition that is not an expression, a value of
the wrong type, ``is_(True)``, correlation, bad arguments, and joins attached to the wrong
table.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ormolu import (
    ArgumentError,
    Database,
    Mapped,
    Model,
    ValidationError,
    extract,
    false,
    field,
    func,
    select,
    text,
    true,
)


class Named(Model, table="qs_named"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)
    n: Mapped[int]
    price: Mapped[Decimal] = field(max_digits=8, decimal_places=2, default=Decimal("1.00"))
    flag: Mapped[bool | None] = field(default=None)


class Category(Model, table="qs_category"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)


class Product(Model, table="qs_product"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)
    category_id: Mapped[int] = field(foreign_key="Category.id")


class Order(Model, table="qs_order"):
    id: Mapped[int] = field(primary_key=True, default=None)
    ordered: Mapped[date]


class OrderDetail(Model, table="qs_order_detail"):
    order_id: Mapped[int] = field(primary_key=True, foreign_key="Order.id")
    product_id: Mapped[int] = field(primary_key=True, foreign_key="Product.id")
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2)
    quantity: Mapped[int]


@pytest.fixture
def named(db: Database) -> Database:
    db.create_all([Named])
    with db.session() as s:
        s.insert_many(
            Named,
            [
                {"name": "abc", "n": 0, "flag": True},
                {"name": "0", "n": 1, "flag": False},
                {"name": "zero", "n": 2, "flag": None},
            ],
        )
    return db


def ids(rows: list[Any]) -> list[int]:
    return sorted(r.id for r in rows)


# -- item 2: only SQL expressions are conditions --------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [True, False, "1=1; DROP TABLE qs_named; --", "name", 1, None],
    ids=["true", "false", "injection", "string", "int", "none"],
)
def test_non_expressions_are_refused_before_any_sql(named: Database, bad: Any) -> None:
    with named.session() as s, named.capture() as sent:
        for build in (
            lambda: s.query(Named).where(bad),
            lambda: s.query(Named).filter(bad),
            lambda: s.query(Named.n).group_by(Named.n).having(bad),
        ):
            with pytest.raises(ArgumentError):
                build()
        if bad is not None:  # order_by(None) clears the ordering
            with pytest.raises(ArgumentError):
                s.query(Named).order_by(bad)
        with pytest.raises(ArgumentError):
            s.query(Named.n).group_by(bad)
    assert sent == []
    with named.session() as s:
        assert s.query(Named).count() == 3  # nothing dropped


def test_the_refusal_points_to_text_and_true(named: Database) -> None:
    with named.session() as s:
        with pytest.raises(ArgumentError, match=r"text\(\)"):
            s.query(Named).where("1=1")  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match=r"true\(\) or false\(\)"):
            s.query(Named).where(Named.id is not None)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match=r"a str expression, not a condition"):
            s.query(Named).where(Named.name)  # type: ignore[arg-type]
        assert ids(s.query(Named).where(true()).all()) == [1, 2, 3]
        assert s.query(Named).where(false()).all() == []
        assert ids(s.query(Named).where(text("n > :n", n=0)).all()) == [2, 3]
        assert [r.name for r in s.query(Named).order_by(Named.name.desc()).all()] == [
            "zero",
            "abc",
            "0",
        ]


# -- item 3: values are checked against the column's type -----------------------------------
@pytest.mark.parametrize(
    ("build", "field_", "operator"),
    [
        (lambda: Named.name == 0, "name", "=="),
        (lambda: Named.n == "abc", "n", "=="),
        (lambda: Named.n != "0", "n", "!="),
        (lambda: Named.n < "1", "n", "<"),
        (lambda: Named.n.in_(["a"]), "n", "in_"),
        (lambda: Named.n.between("a", "z"), "n", "between"),
        (lambda: Named.name.like(5), "name", "like"),  # type: ignore[arg-type]
        (lambda: Named.n.like("1%"), "n", "like"),
        (lambda: Named.price == "1.00", "price", "=="),
        (lambda: Named.flag == 1, "flag", "=="),
        (lambda: Named.n + "abc", "n", "+"),
        (lambda: Named.n == 2**70, "n", "=="),
    ],
)
def test_wrong_value_types_raise_validation_errors(
    named: Database, build: Any, field_: str, operator: str
) -> None:
    with named.capture() as sent, pytest.raises(ValidationError) as info:
        build()
    assert (info.value.model, info.value.field, info.value.operator) == (
        "Named",
        field_,
        operator,
    )
    assert sent == []


def test_filter_by_checks_values_too(named: Database) -> None:
    with named.session() as s:
        with pytest.raises(ValidationError, match=r"Named.n: expected int"):
            s.query(Named).filter_by(n="x")
        assert ids(s.query(Named).filter_by(n=0).all()) == [1]


def test_right_types_match_exactly_the_rows_they_name(named: Database) -> None:
    """The comparison bypass: ``name == 0`` matched every non-numeric name on MySQL."""
    with named.session() as s:
        assert ids(s.query(Named).where(Named.n == 0).all()) == [1]
        assert ids(s.query(Named).where(Named.name == "0").all()) == [2]
        assert ids(s.query(Named).where(Named.n.in_([0, 2])).all()) == [1, 3]
        assert ids(s.query(Named).where(Named.price == 1).all()) == [1, 2, 3]  # int for Decimal
        assert ids(s.query(Named).where(Named.price < 1.5).all()) == [1, 2, 3]  # float too
        assert ids(s.query(Named).where(Named.n > 0.5).all()) == [2, 3]  # a number for an int


# -- item 4: is_(True) / is_not(False) -------------------------------------------------------
def test_is_true_and_false_are_null_safe_on_every_backend(named: Database) -> None:
    with named.session() as s:
        q = s.query(Named)
        assert ids(q.where(Named.flag.is_(True)).all()) == [1]
        assert ids(q.where(Named.flag.is_(False)).all()) == [2]
        assert ids(q.where(Named.flag.is_not(True)).all()) == [2, 3]
        assert ids(q.where(Named.flag.is_not(False)).all()) == [1, 3]
        assert ids(q.where(Named.flag.is_(None)).all()) == [3]
        assert ids(q.where(Named.flag == True).all()) == [1]  # noqa: E712
        with pytest.raises(ArgumentError, match=r"takes None, True or False"):
            Named.n.is_(5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="tests a bool"):
            Named.name.is_(True)


# -- item 6: bad arguments name the column --------------------------------------------------
def test_bad_arguments_raise_argument_errors_naming_the_column(named: Database) -> None:
    with pytest.raises(ArgumentError, match=r"Named.n.in_\(\) takes a list"):
        Named.n.in_(5)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"Named.name.contains\(\) takes a str, got None"):
        Named.name.contains(None)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"not a single string"):
        Named.name.in_("abc")
    with pytest.raises(ArgumentError, match=r"None in its list"):
        Named.n.in_([1, None])
    with pytest.raises(ArgumentError, match=r"Named.n < None is never true"):
        Named.n < None  # type: ignore[operator]  # noqa: B015
    with named.session() as s:  # and the good forms run on every backend
        assert ids(s.query(Named).where(Named.n.in_({0, 2})).all()) == [1, 3]
        assert ids(s.query(Named).where(Named.name.contains("er")).all()) == [3]
        assert ids(s.query(Named).where(Named.name.in_(["0"])).all()) == [2]


# -- item 5: correlation ------------------------------------------------------------------
@pytest.fixture
def shop(db: Database) -> Database:
    db.create_all([Category, Product, Order, OrderDetail])
    with db.session() as s:
        s.insert_many(Category, [{"name": "Drinks"}, {"name": "Food"}])
        s.insert_many(
            Product,
            [
                {"name": "Tea", "category_id": 1},
                {"name": "Beer", "category_id": 1},
                {"name": "Bread", "category_id": 2},
            ],
        )
        s.insert_many(
            Order,
            [
                {"ordered": date(2017, 3, 1)},
                {"ordered": date(2017, 7, 9)},
                {"ordered": date(2018, 1, 2)},
            ],
        )
        s.insert_many(
            OrderDetail,
            [
                {"order_id": 1, "product_id": 1, "unit_price": Decimal("4.50"), "quantity": 2},
                {"order_id": 1, "product_id": 3, "unit_price": Decimal("2.25"), "quantity": 4},
                {"order_id": 2, "product_id": 2, "unit_price": Decimal("3.10"), "quantity": 10},
                {"order_id": 3, "product_id": 1, "unit_price": Decimal("4.75"), "quantity": 1},
                {"order_id": 3, "product_id": 3, "unit_price": Decimal("2.50"), "quantity": 3},
            ],
        )
    return db


def test_a_subquery_joining_a_table_of_the_outer_query_keeps_it(shop: Database) -> None:
    """It failed with "a JOIN needs something to join to": the joined table was
    correlated away. A table a subquery joins is its own FROM item."""
    lines = (
        select(func.count())
        .select_from(Product)
        .join(OrderDetail)
        .where(OrderDetail.quantity > 2)
        .scalar_subquery()
    )
    with shop.session() as s:
        rows = s.query(Product.name, lines).order_by(Product.id).all()
        assert rows == [("Tea", 3), ("Beer", 3), ("Bread", 3)]


def test_automatic_and_explicit_correlation(shop: Database) -> None:
    with shop.session() as s:
        # correlated: the outer product (Product is in the outer FROM)
        per_product = (
            select(func.sum(OrderDetail.quantity))
            .select_from(OrderDetail)
            .where(OrderDetail.product_id == Product.id)
            .scalar_subquery()
        )
        assert s.query(Product.name, per_product).order_by(Product.id).all() == [
            ("Tea", 3),
            ("Beer", 10),
            ("Bread", 7),
        ]
        # every FROM item shared: not correlated (an aggregate over all products)
        most = select(func.max(Product.id)).scalar_subquery()
        assert s.query(Product.name).where(Product.id == most).all() == ["Bread"]
        # correlate_except keeps Product inside: the same uncorrelated count everywhere
        everywhere = (
            select(func.count())
            .select_from(Product)
            .where(Product.category_id == Category.id)
            .correlate_except(Product)
            .scalar_subquery()
        )
        assert s.query(Category.name, everywhere).order_by(Category.id).all() == [
            ("Drinks", 2),
            ("Food", 1),
        ]
        # correlate(None): the subquery lists Category itself, so it counts every pair
        unlinked = (
            select(func.count())
            .select_from(Product, Category)
            .where(Product.category_id == Category.id)
            .correlate(None)
            .scalar_subquery()
        )
        assert s.query(Category.name, unlinked).order_by(Category.id).all() == [
            ("Drinks", 3),
            ("Food", 3),
        ]


# -- item 7: joins never attach to the wrong table --------------------------------------------
def test_an_ambiguous_join_is_refused(shop: Database) -> None:
    """Order Details can join Orders or Products: the query once rendered
    ``JOIN order_detail ON ... = order.id, order`` and SQLite cross-joined."""
    with shop.session() as s, shop.capture() as sent:
        with pytest.raises(ArgumentError, match="foreign keys link it to 'qs_"):
            s.query(Category.name, Order.id).join(Product).join(OrderDetail)
        with pytest.raises(ArgumentError, match="'qs_product', which is not in the FROM"):
            s.query(Category.name).join(OrderDetail, OrderDetail.product_id == Product.id).all()
        with pytest.raises(ArgumentError, match="already in the FROM clause"):
            s.query(Product).select_from(Product).join(Product, Product.id == Product.id)
        with pytest.raises(ArgumentError, match="is joined already"):
            s.query(Product.name).join(Category).join(Category)
    # no SELECT was sent (a transaction may have begun before the compile)
    assert not [sql for sql, _ in sent if "SELECT" in sql.upper()]


def test_revenue_per_category_and_year_matches_hand_written_sql(shop: Database) -> None:
    year = extract("year", Order.ordered)
    revenue = func.sum(OrderDetail.unit_price * OrderDetail.quantity)
    with shop.session() as s:
        rows = (
            s.query(Category.name, year, revenue)
            .select_from(Category)
            .join(Product)
            .join(OrderDetail)
            .join(Order)
            .group_by(Category.name, year)
            .order_by(Category.name, year)
            .all()
        )
        expected = s.execute(
            "SELECT c.name, od.order_id, od.unit_price * od.quantity FROM qs_category c "
            "JOIN qs_product p ON p.category_id = c.id "
            "JOIN qs_order_detail od ON od.product_id = p.id"
        ).all()
    totals: dict[tuple[str, int], Decimal] = {}
    years = {1: 2017, 2: 2017, 3: 2018}
    for cat, order_id, amount in expected:
        key = (cat, years[order_id])
        totals[key] = totals.get(key, Decimal(0)) + Decimal(str(amount))
    assert rows == [(c, y, totals[(c, y)]) for c, y in sorted(totals)]
    assert rows == [
        ("Drinks", 2017, Decimal("40.00")),
        ("Drinks", 2018, Decimal("4.75")),
        ("Food", 2017, Decimal("9.00")),
        ("Food", 2018, Decimal("7.50")),
    ]
    assert all(type(r[2]) is Decimal for r in rows)
