"""Money as properties: amounts are exact to the cent from the request to the database and
back, and an order's total is the exact sum of quantity x unit price.

The oracle is plain ``Decimal`` arithmetic on the amounts the test chose. JSON answers are
read with ``parse_float=Decimal``, so a float rounding anywhere on the way (SQLite keeps
NUMERIC as REAL, the API writes numbers) shows up as a wrong cent. The order properties
run on the order service over a real SQLite file (many examples) and through the API of a
live server on SQLite, PostgreSQL and MariaDB (a few dozen each).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from embedded_backend.db.database import Database
from embedded_backend.db.models import Order, Product
from embedded_backend.erp import customers, orders, products
from embedded_backend.errors import InsufficientStockError, InvalidDataError
from embedded_backend.schemas.common import MONEY_MAX
from embedded_backend.schemas.customers import CustomerCreate
from embedded_backend.schemas.orders import OrderCreate, OrderItemIn, OrderOut
from embedded_backend.schemas.products import ProductCreate, ProductOut
from tests.embedded_backend.api.support import assert_problem, make_customer, unique
from tests.helpers.live import LiveServer

MAX_CENTS = int(MONEY_MAX * 100)
MAX_QUANTITY = 1_000_000
MAX_STOCK = 1_000_000_000

# Small amounts are what shops sell; the whole range finds the edges (and the overflow).
cents = st.one_of(st.integers(0, 100_000), st.integers(0, MAX_CENTS))
amounts = cents.map(lambda c: Decimal(c).scaleb(-2))  # exactly two places: 12.30, 0.00
quantities = st.one_of(st.integers(1, 20), st.integers(1, MAX_QUANTITY))


def read_json(text: str) -> Any:
    """A JSON body with its numbers as exact decimals (what a careful client does)."""
    return json.loads(text, parse_float=Decimal)


def as_typed(amount: Decimal, form: str) -> str | float:
    """``amount`` as a client may send it."""
    if form == "number":
        return float(amount)  # what json.loads gives the API for a JSON number
    if form == "short":
        return f"{amount.normalize():f}"  # 12.3, 100, 0
    return str(amount)  # "12.30"


forms = st.sampled_from(("text", "short", "number"))
REFUSALS = (
    "decimal_max_places",  # finer than a cent
    "decimal_max_digits",  # more than 12 digits
    "decimal_whole_digits",  # more than 10 before the point
    "greater_than_equal",  # negative
)


# -- amounts: accepted exactly, written back exactly, finer than a cent refused -------------


@settings(max_examples=500, deadline=None)
@given(amounts, forms)
@example(MONEY_MAX, "number")
@example(Decimal("0.10"), "number")  # 0.1 is not a binary float
def test_an_amount_is_read_and_written_exactly(amount: Decimal, form: str) -> None:
    typed = as_typed(amount, form)
    price = ProductCreate(sku="S", name="N", price=typed, stock=0).price
    assert price == amount and price.as_tuple().exponent == -2, (typed, price)
    body = json.dumps({"sku": "S", "name": "N", "price": typed, "stock": 0})
    assert ProductCreate.model_validate_json(body).price == amount
    out = ProductOut.model_validate(
        {"id": 1, "sku": "S", "name": "N", "price": price, "stock": 0}
        | {"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
    )
    assert read_json(out.model_dump_json())["price"] == amount


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        # a third decimal place that is not zero
        st.tuples(st.integers(0, MAX_CENTS), st.integers(1, 9)).map(
            lambda t: Decimal(t[0] * 10 + t[1]).scaleb(-3)
        ),
        st.integers(1, MAX_CENTS).map(lambda c: -Decimal(c).scaleb(-2)),  # negative
        st.integers(MAX_CENTS + 1, MAX_CENTS * 1000).map(lambda c: Decimal(c).scaleb(-2)),
    ),
    st.sampled_from(("text", "number")),
)
def test_amounts_finer_than_a_cent_negative_or_too_large_are_refused(
    amount: Decimal, form: str
) -> None:
    typed: str | float = str(amount) if form == "text" else float(amount)
    if isinstance(typed, float) and Decimal(repr(typed)) != amount:
        return  # no float says exactly this amount; the text form covers it
    with pytest.raises(ValidationError) as caught:
        ProductCreate(sku="S", name="N", price=typed, stock=0)
    (error,) = caught.value.errors()
    assert error["loc"] == ("price",)
    assert error["type"] in REFUSALS, error


@given(st.sampled_from(["-0", "-0.00", "0E-10", "0.000", "-0.0"]))
def test_every_zero_is_the_same_zero(text: str) -> None:
    price = ProductCreate(sku="S", name="N", price=text, stock=0).price
    assert str(price) == "0.00"


# -- the order oracle -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cart:
    """Products to create (price, stock) and order lines (index into products, quantity)."""

    products: tuple[tuple[Decimal, int], ...]
    lines: tuple[tuple[int, int], ...]

    def wanted(self) -> Counter[int]:
        out: Counter[int] = Counter()
        for index, quantity in self.lines:
            out[index] += quantity
        return out

    def total(self) -> Decimal:
        return sum((self.products[i][0] * q for i, q in self.wanted().items()), Decimal("0.00"))

    def outcome(self) -> Literal["created", "too large", "short"]:
        if self.total() > MONEY_MAX:
            return "too large"  # refused whatever the stock: it can never be stored
        if any(self.products[i][1] < q for i, q in self.wanted().items()):
            return "short"
        return "created"


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    n = draw(st.integers(1, 4))
    prices = draw(st.lists(amounts, min_size=n, max_size=n))
    lines = draw(st.lists(st.tuples(st.integers(0, n - 1), quantities), min_size=1, max_size=6))
    wanted: Counter[int] = Counter()
    for index, quantity in lines:
        wanted[index] += quantity
    stocks = []
    for i in range(n):
        need = wanted[i]
        if need and draw(st.integers(0, 9)) == 0:  # now and then one is short
            stocks.append(draw(st.integers(0, need - 1)))
        else:
            stocks.append(draw(st.integers(need, min(need + 1000, MAX_STOCK))))
    return Cart(tuple(zip(prices, stocks, strict=True)), tuple(lines))


CARTS_EXAMPLES = [
    Cart(((Decimal("19.99"), 10), (Decimal("0.10"), 100)), ((0, 3), (1, 3), (0, 1))),
    Cart(((MONEY_MAX, 1),), ((0, 1),)),  # the largest amount, exactly
    Cart(((MONEY_MAX, 2),), ((0, 2),)),  # one step above: refused, not a 503
    Cart(((Decimal("9999999999.99"), MAX_STOCK),), ((0, MAX_QUANTITY),) * 3),
    Cart(((Decimal("0.01"), 5), (Decimal("0.00"), 5)), ((0, 5), (1, 5))),
]


def with_examples(**extra: object) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The carts above as explicit examples (with ``extra`` for the other arguments)."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for cart in CARTS_EXAMPLES:
            test = example(cart=cart, **extra)(test)
        return test

    return decorate


# -- on the order service over a real SQLite file -------------------------------------------


@pytest.fixture
def customer(db: Database) -> int:
    data = CustomerCreate(name="Cliente", document="52998224725")
    return db.write(lambda s: customers.create_customer(s, data, actor="t").id)


_skus = itertools.count()
SHARED = [HealthCheck.function_scoped_fixture]  # one database/server for every example


@settings(max_examples=100, deadline=None, suppress_health_check=SHARED)
@given(cart=carts())
@with_examples()
def test_order_total_is_the_exact_sum_on_the_service(
    db: Database, customer: int, cart: Cart
) -> None:

    def add_product(price: Decimal, stock: int) -> int:
        data = ProductCreate(sku=f"P{next(_skus)}", name="P", price=price, stock=stock)
        return db.write(lambda s: products.create_product(s, data, actor="t").id)

    ids = [add_product(price, stock) for price, stock in cart.products]
    order = OrderCreate(
        customer_id=customer,
        items=[OrderItemIn(product_id=ids[i], quantity=q) for i, q in cart.lines],
    )
    expected = cart.outcome()
    event(expected)
    with db.read_session() as s:
        orders_before = s.scalar(select(func.count()).select_from(Order))

    def as_json(order: Order | None) -> dict[str, Any]:
        assert order is not None
        body: dict[str, Any] = read_json(OrderOut.model_validate(order).model_dump_json())
        return body

    def create(s: Session) -> dict[str, Any]:
        return as_json(orders.create_order(s, order, actor="t"))

    if expected == "created":
        body = db.write(create)
        assert body["total"] == cart.total()
        with db.read_session() as s:  # read back: the database kept it to the cent
            assert as_json(s.get(Order, body["id"])) == body
        wanted = cart.wanted()
        lines = {line["product_id"]: line for line in body["items"]}
        for i, q in wanted.items():
            price = cart.products[i][0]
            assert (lines[ids[i]]["quantity"], lines[ids[i]]["unit_price"]) == (q, price)
            assert lines[ids[i]]["line_total"] == price * q
    else:
        error = InvalidDataError if expected == "too large" else InsufficientStockError
        with pytest.raises(error):
            db.write(create)
        with db.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Order)) == orders_before
    with db.read_session() as s:  # stock taken exactly, or not at all
        for i, (_, stock) in enumerate(cart.products):
            taken = cart.wanted()[i] if expected == "created" else 0
            assert s.get(Product, ids[i]).stock == stock - taken  # type: ignore[union-attr]


# -- through the API, on each database ------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=SHARED)
@given(cart=carts(), form=forms)
@with_examples(form="number")
def test_order_total_is_the_exact_sum_through_the_api(
    server: LiveServer, cart: Cart, form: str
) -> None:
    with server.client() as c:
        customer = make_customer(c)["id"]
        ids = []
        for price, stock in cart.products:
            r = c.post(
                "/api/v1/products",
                json={
                    "sku": unique("M"),
                    "name": "P",
                    "price": as_typed(price, form),
                    "stock": stock,
                },
            )
            assert r.status_code == 201, r.text
            assert read_json(r.text)["price"] == price
            ids.append(r.json()["id"])
        expected = cart.outcome()
        event(expected)
        r = c.post(
            "/api/v1/orders",
            json={
                "customer_id": customer,
                "items": [{"product_id": ids[i], "quantity": q} for i, q in cart.lines],
            },
        )
        if expected == "created":
            assert r.status_code == 201, r.text
            body = read_json(r.text)
            assert body["total"] == cart.total()
            again = read_json(c.get(f"/api/v1/orders/{body['id']}").text)
            assert again["total"] == cart.total() and again["items"] == body["items"]
        else:
            problem = assert_problem(r, 422 if expected == "too large" else 409)
            words = "above the largest amount" if expected == "too large" else "not enough stock"
            assert words in problem["detail"], problem
        for i, (_, stock) in enumerate(cart.products):
            taken = cart.wanted()[i] if expected == "created" else 0
            assert c.get(f"/api/v1/products/{ids[i]}").json()["stock"] == stock - taken
