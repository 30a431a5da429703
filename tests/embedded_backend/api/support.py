"""Helpers for the API tests: valid documents (computed independently of the code under
test), problem+json assertions and small factories over a live server."""

from __future__ import annotations

import itertools
import random
from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"

_counter = itertools.count(1)


def cpf_digits(first9: str) -> str:
    """The two CPF check digits (textbook algorithm: weights 10..2 then 11..2, mod 11)."""
    digits = [int(c) for c in first9]
    out = ""
    for weights in (range(10, 1, -1), range(11, 1, -1)):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        check = 0 if rest < 2 else 11 - rest
        digits.append(check)
        out += str(check)
    return out


_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cnpj_digits(first12: str) -> str:
    """The two CNPJ check digits; each character counts as ASCII code - 48 (2026 rule)."""
    values = [ord(c) - 48 for c in first12]
    out = ""
    for weights in (_CNPJ_W1, _CNPJ_W2):
        rest = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        check = 0 if rest < 2 else 11 - rest
        values.append(check)
        out += str(check)
    return out


def new_cpf(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    while True:
        body = "".join(rng.choice("0123456789") for _ in range(9))
        if len(set(body)) > 1:
            return body + cpf_digits(body)


def new_cnpj(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = "".join(rng.choice("0123456789") for _ in range(8)) + "0001"
    return body + cnpj_digits(body)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{random.randrange(10**6)}"


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    """``r`` is a problem+json answer with this status and a request_id matching the header."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"]
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def make_product(
    c: httpx.Client,
    *,
    price: str | float = "10.00",
    stock: int = 10,
    sku: str | None = None,
    name: str = "Produto",
) -> dict[str, Any]:
    r = c.post(
        "/api/v1/products",
        json={"sku": sku or unique("SKU"), "name": name, "price": price, "stock": stock},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def make_customer(
    c: httpx.Client, *, name: str = "Cliente", document: str | None = None, **extra: Any
) -> dict[str, Any]:
    r = c.post("/api/v1/customers", json={"name": name, "document": document or new_cpf(), **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def make_user(
    c: httpx.Client,
    *,
    role: str = "staff",
    password: str = "s3nha-forte-123",
    username: str | None = None,
) -> dict[str, Any]:
    r = c.post(
        "/api/v1/users",
        json={"username": username or unique("user"), "password": password, "role": role},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def without_times(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("created_at", "updated_at")}
