"""A real Prometheus on loopback scrapes a running backend: the target is up and the
metrics arrive."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from embedded_backend.config import Settings
from tests.helpers.live import live_server

pytestmark = pytest.mark.e2e

RULES = Path(__file__).resolve().parents[2] / "resources" / "prometheus" / "vigia-rules.yml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prometheus() -> str:
    path = shutil.which("prometheus")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is missing on CI (Debian package 'prometheus')")
        pytest.skip("prometheus not installed (Debian package 'prometheus')")
    return path


def test_prometheus_scrapes_the_backend(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    binary = _prometheus()
    with live_server(make_settings()) as live:
        target = live.url.removeprefix("http://")
        shutil.copy(RULES, tmp_path / "vigia-rules.yml")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [vigia-rules.yml]\n"
            "scrape_configs:\n"
            f"  - job_name: vigia\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        port = _free_port()
        log = (tmp_path / "prometheus.log").open("w")
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        api = f"http://127.0.0.1:{port}/api/v1"
        try:
            with live.client() as c:
                c.get("/api/v1/products")  # traffic with a route label
            deadline = time.monotonic() + 60
            health = None
            while time.monotonic() < deadline:
                try:
                    targets = httpx.get(f"{api}/targets", timeout=2).json()["data"]
                    active = targets["activeTargets"]
                    health = active[0]["health"] if active else None
                    if health == "up":
                        break
                except (httpx.HTTPError, ValueError, KeyError):
                    pass
                time.sleep(0.5)
            assert health == "up", (tmp_path / "prometheus.log").read_text()[-2000:]

            def query(expr: str) -> list[dict[str, object]]:
                r = httpx.get(f"{api}/query", params={"query": expr}, timeout=5)
                return list(r.json()["data"]["result"])

            while time.monotonic() < deadline:
                rows = query('http_requests_total{job="vigia",route="/api/v1/products"}')
                if rows:
                    break
                time.sleep(0.5)
            assert rows and rows[0]["metric"]["status"] == "200"  # type: ignore[index]
            assert query('backend_router_up{job="vigia",router="products"}')
            rules = httpx.get(f"{api}/rules", timeout=5).json()["data"]["groups"]
            assert {r["name"] for g in rules for r in g["rules"]} >= {"VigiaBackendDown"}
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()
