"""Observability: Prometheus metrics, slow-query log, rolling performance, monitoring data.

Everything here belongs to one app instance (created in ``create_app``), so a restart in
the same process starts with a fresh registry and never raises "Duplicated timeseries".

Modules, one topic each:

- ``metrics``: the per-app ``CollectorRegistry`` and every metric defined on it
- ``collectors``: values read at scrape time (connection pool, routers)
- ``route_template``: the route template label of a request (never the raw path)
- ``middleware``: pure-ASGI HTTP metrics
- ``db_events``: SQLAlchemy engine events (query time, errors, slow-query log)
- ``performance``: per-route rolling window (count, error rate, p50/p95/p99)
- ``history``: sampled history of the key metrics (background task)
- ``score``: the 0-100 health score
- ``system``: process and machine facts (psutil)
- ``hub``: the per-app object tying these together for ``/metrics`` and the monitoring API
- ``endpoint``: ``GET /metrics``
"""
