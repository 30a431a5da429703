"""The shipped Prometheus rules, scrape config and Grafana dashboard are valid and only
name metrics a real Vigia backend exports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.live import LiveServer

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
RULES = RESOURCES / "prometheus" / "vigia-rules.yml"
CONFIG = RESOURCES / "prometheus" / "prometheus.yml"
DASHBOARD = RESOURCES / "grafana" / "vigia-dashboard.json"
OUR_METRIC = re.compile(r"\b((?:http|db|cache|backend|process)_[a-z_]+)")


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing on CI (Debian package 'prometheus')")
        pytest.skip("promtool not installed (Debian package 'prometheus')")
    return path


def test_rules_pass_promtool() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_example_config_passes_promtool() -> None:
    result = subprocess.run(
        [promtool(), "check", "config", str(CONFIG)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _expressions() -> list[str]:
    rules = RULES.read_text(encoding="utf-8")
    exprs = re.findall(r"expr: \|?\s*\n?((?:.+\n)+?)\s+for:", rules)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        exprs.extend(target["expr"] for target in panel["targets"])
    return exprs


def test_dashboard_is_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "vigia-backend"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 10


def test_every_metric_named_is_exported(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        c.get("/api/v1/products")  # some traffic so every family has samples
    text = httpx.get(f"{sqlite_server.url}/metrics").text
    exported = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    for family in text_string_to_metric_families(text):  # labelled families with no sample yet
        exported.add(family.name + ("_total" if family.type == "counter" else ""))
    named = {m for expr in _expressions() for m in OUR_METRIC.findall(expr)}
    assert len(named) >= 8
    missing = sorted(named - exported)
    assert not missing, f"named in rules/dashboard but not exported: {missing}"
