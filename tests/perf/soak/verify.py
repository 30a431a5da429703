"""The end check, against the database file itself once the server has stopped.

An acknowledged write is a 201 the client received. Each one must be in the database
with the items its answer listed. Orders that are in the database but were never
acknowledged are allowed (a request still in flight when a wrk segment ended, or one
that timed out, may have committed). Stock must add up: for every product, its initial
stock minus the quantities of all stored order items is its stock now. The SQLite file
is opened read-only, after ``vigia serve`` stopped, so nothing the server still holds in
memory can hide a loss.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Verdict:
    acknowledged: int
    orders_in_db: int
    missing: list[int] = field(default_factory=list)  # acknowledged, not in the database
    different: list[int] = field(default_factory=list)  # stored with other items
    stock_mismatches: list[str] = field(default_factory=list)
    integrity: str = ""

    @property
    def lost(self) -> int:
        return len(self.missing) + len(self.different)

    @property
    def unacknowledged(self) -> int:
        """Stored orders no client saw acknowledged (in flight at a segment's end)."""
        return self.orders_in_db - (self.acknowledged - len(self.missing))


def verify(
    database: Path, acked: dict[int, dict[int, int]], initial_stock: dict[int, int]
) -> Verdict:
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        integrity = "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
        stored: dict[int, dict[int, int]] = {
            order_id: {} for (order_id,) in conn.execute("SELECT id FROM orders")
        }
        taken: dict[int, int] = defaultdict(int)
        for order_id, product_id, quantity in conn.execute(
            "SELECT order_id, product_id, quantity FROM order_items"
        ):
            stored[order_id][product_id] = stored[order_id].get(product_id, 0) + quantity
            taken[product_id] += quantity
        stock = dict(conn.execute("SELECT id, stock FROM products").fetchall())
    conn.close()
    verdict = Verdict(acknowledged=len(acked), orders_in_db=len(stored), integrity=integrity)
    for order_id, items in sorted(acked.items()):
        if order_id not in stored:
            verdict.missing.append(order_id)
        elif stored[order_id] != items:
            verdict.different.append(order_id)
    for product_id, initial in sorted(initial_stock.items()):
        expected = initial - taken.get(product_id, 0)
        if stock.get(product_id) != expected:
            verdict.stock_mismatches.append(
                f"product {product_id}: {stock.get(product_id)} in stock, expected {expected}"
            )
    return verdict
