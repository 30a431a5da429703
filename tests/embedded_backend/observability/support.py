"""Scrape ``/metrics`` from a live server and read samples out of it (parsed with
prometheus_client's own parser, so the exposition format itself is checked too)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape(c: httpx.Client) -> list[Sample]:
    r = c.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    return [s for family in text_string_to_metric_families(r.text) for s in family.samples]


def samples(scraped: list[Sample], name: str, **labels: str) -> list[Sample]:
    return [
        s
        for s in scraped
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def value(scraped: list[Sample], name: str, **labels: str) -> float:
    """The sum over every sample matching (0.0 when none)."""
    return sum(s.value for s in samples(scraped, name, **labels))


def label_values(scraped: list[Sample], name: str, label: str) -> set[str]:
    return {s.labels[label] for s in scraped if s.name == name and label in s.labels}
