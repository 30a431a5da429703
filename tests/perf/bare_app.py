"""A bare FastAPI app doing the same work as Vigia's benchmarked endpoints.

It is the baseline of ``bench_backend.py``: same uvicorn (uvloop + httptools, access log
off), the same database settings as Vigia, the same SQLAlchemy tables
(``embedded_backend.db.models``), a JWT check with PyJWT plus a user lookup for every
authenticated call, and an order endpoint that takes stock with a conditional ``UPDATE``
and inserts the order and its items in one transaction. What it does NOT have is
everything Vigia adds around that: request-ID guard, correlation-ID middleware, router
gate, problem+json handlers, lifespan work, logging to a JSON file, retries with tenacity,
metrics, protection layers, the read cache.

The database settings follow Vigia's engine (``embedded_backend/db/engine.py``):

- SQLite: WAL, ``synchronous`` FULL unless told otherwise, ``busy_timeout``,
  ``foreign_keys=ON``, writes in ``BEGIN IMMEDIATE`` queued behind one in-process lock;
- PostgreSQL (psycopg 3): ``pool_pre_ping``, the same pool size, overflow, timeout and
  recycle time, no write lock (PostgreSQL's row locks do that job, as in Vigia).

Configured by environment (the benchmark sets these):

- ``BARE_DATABASE_URL``: a SQLAlchemy URL, ``sqlite:///path`` or
  ``postgresql+psycopg://user@host:port/db`` (tables are created if missing)
- ``BARE_SECRET_KEY``: HS256 key for the JWTs
- ``BARE_SQLITE_SYNCHRONOUS``: ``FULL`` (default) or ``NORMAL``; SQLite only

Run: ``uvicorn tests.perf.bare_app:app --port N --no-access-log``.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from sqlalchemy import Engine, create_engine, event, make_url, select, update
from sqlalchemy.orm import Session, sessionmaker

from embedded_backend.db.models import Base, Customer, Order, OrderItem, Product, User

DATABASE_URL = os.environ.get("BARE_DATABASE_URL", "sqlite:///bare.db")
SECRET_KEY = os.environ.get("BARE_SECRET_KEY", "bare-secret-key-for-the-benchmark-only")
SYNCHRONOUS = os.environ.get("BARE_SQLITE_SYNCHRONOUS", "FULL").upper()
if SYNCHRONOUS not in ("FULL", "NORMAL"):
    raise SystemExit(f"BARE_SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {SYNCHRONOUS!r}")
POOL = {"pool_size": 10, "max_overflow": 10, "pool_timeout": 10}  # Vigia's defaults


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, **POOL, connect_args={"check_same_thread": False, "timeout": 5.0})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('begin', 'DEFERRED')}")

    return engine


def _postgresql_engine(url: str) -> Engine:
    return create_engine(
        url,
        **POOL,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "application_name": "bare"},
    )


IS_SQLITE = make_url(DATABASE_URL).get_backend_name() == "sqlite"
engine = _sqlite_engine(DATABASE_URL) if IS_SQLITE else _postgresql_engine(DATABASE_URL)
Base.metadata.create_all(engine)

ReadSession = sessionmaker(engine, expire_on_commit=False)
WriteSession = sessionmaker(
    engine.execution_options(begin="IMMEDIATE") if IS_SQLITE else engine, expire_on_commit=False
)
WRITE_LOCK: AbstractContextManager[Any] = threading.Lock() if IS_SQLITE else nullcontext()
CENT = Decimal("0.01")

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


# -- schemas ------------------------------------------------------------------------
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sku: str
    name: str
    price: MoneyOut
    stock: int
    created_at: datetime
    updated_at: datetime


class OrderItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: Annotated[int, Field(ge=1)]
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[int, Field(ge=1)]
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=200)]


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: int
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    status: str
    total: MoneyOut
    items: list[OrderItemOut]
    created_by: str | None
    created_at: datetime
    updated_at: datetime


# -- dependencies -------------------------------------------------------------------
def read_session() -> Iterator[Session]:
    with ReadSession() as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    with WRITE_LOCK, WriteSession() as session, session.begin():
        yield session


def current_user(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "missing bearer token")
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"], options={"require": ["exp"]})
        user_id, username = int(claims["sub"]), str(claims["name"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise HTTPException(401, "invalid token") from None
    with ReadSession() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active or user.username != username:
            raise HTTPException(401, "unknown user")
        return user.username


# -- routes -------------------------------------------------------------------------
@app.get("/livez")
async def livez() -> dict[str, str]:
    return {"status": "pass"}


@app.get("/readyz")
def readyz() -> dict[str, str]:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1").scalar_one()
    return {"status": "pass"}


@app.get("/api/v1/products/{product_id}", response_model=ProductOut)
def get_product(
    product_id: int,
    session: Annotated[Session, Depends(read_session)],
    _: Annotated[str, Depends(current_user)],
) -> ProductOut:
    product = session.get(Product, product_id)
    if product is None:
        raise HTTPException(404, "no such product")
    return ProductOut.model_validate(product)


@app.post("/api/v1/orders", response_model=OrderOut, status_code=201)
def create_order(data: OrderCreate, user: Annotated[str, Depends(current_user)]) -> OrderOut:
    wanted: Counter[int] = Counter()
    for item in data.items:
        wanted[item.product_id] += item.quantity
    with write_session() as session:
        if session.get(Customer, data.customer_id) is None:
            raise HTTPException(422, "no such customer")
        products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
        if set(wanted) - products.keys():
            raise HTTPException(422, "no such product")
        order = Order(
            customer_id=data.customer_id, status="confirmed", total=Decimal(0), created_by=user
        )
        total = Decimal(0)
        for product_id in sorted(wanted):
            quantity = wanted[product_id]
            taken = session.execute(
                update(Product)
                .where(Product.id == product_id, Product.stock >= quantity)
                .values(stock=Product.stock - quantity)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise HTTPException(409, "not enough stock")  # rolls the transaction back
            unit_price = Decimal(products[product_id].price).quantize(CENT)
            line_total = (unit_price * quantity).quantize(CENT)
            total += line_total
            order.items.append(
                OrderItem(
                    product_id=product_id,
                    quantity=quantity,
                    unit_price=unit_price,
                    line_total=line_total,
                )
            )
        order.total = total.quantize(CENT)
        session.add(order)
        session.flush()
        result = OrderOut.model_validate(order)
    return result
