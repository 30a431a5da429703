"""Every database connection in use for ``db_pool_timeout_s``: a 503 that says so, not a 500."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from embedded_backend.config import Settings
from embedded_backend.db.engine import SQLITE_OVERFLOW
from tests.embedded_backend.api.support import PROBLEM_JSON, make_product
from tests.helpers.live import live_server


def test_no_free_connection_is_a_503_with_retry_after(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(db_pool_size=1, db_pool_timeout_s=0.5, cache_ttl_s=0)
    with live_server(settings) as live, live.client() as c:
        product = make_product(c)
        state = live.runner.state
        assert state is not None
        with ExitStack() as held:  # every connection the pool may open is taken
            for _ in range(1 + SQLITE_OVERFLOW):
                held.enter_context(state.db.engine.connect())
            r = c.get(f"/api/v1/products/{product['id']}")
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert r.headers["retry-after"]
        body = r.json()
        assert body["title"] == "Server busy" and "too many requests" in body["detail"]
        assert "Traceback" not in r.text and "QueuePool" not in r.text
        # Once a connection is free again, the same request works.
        assert c.get(f"/api/v1/products/{product['id']}").status_code == 200
