"""The soak's short variant in the test suite: 60 s of 64 connections, nothing lost.

The same code as ``python -m tests.perf.soak`` (two 30 s segments instead of ten 60 s
ones). It asserts what must hold on any machine: no 5xx, every acknowledged order in
the database with its items, stock that adds up, every request answered. Latency and RSS
growth are benchmark goals and depend on the machine: the report is printed (``-s`` or a
failure shows it), never asserted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .report import failed, render
from .run import SoakConfig, run_soak

pytestmark = [
    pytest.mark.soak,
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (scripts/system-deps.sh)"),
]


def test_sixty_seconds_of_mixed_load_lose_nothing(tmp_path: Path) -> None:
    result = run_soak(SoakConfig(segments=2, segment_s=30), tmp_path, log=print)
    print(render(result, "pytest tests/perf/soak/test_soak.py"))
    verdict = result.verdict
    assert verdict is not None

    assert result.requests > 0
    assert result.server_errors == 0, result.statuses
    assert verdict.acknowledged > 0
    assert verdict.missing == [], "acknowledged orders missing from the database"
    assert verdict.different == [], "acknowledged orders stored with other items"
    assert result.duplicate_acks == 0
    assert verdict.stock_mismatches == []
    assert verdict.integrity == "ok"
    assert result.client_errors == 0
    assert result.socket_errors == 0
    assert result.unparsed == 0
    assert result.exit_code == 0, "vigia serve did not stop cleanly on SIGTERM"
    # and the rest of what decides the command's exit code (e.g. no more stored orders
    # than acknowledged ones plus those in flight when a segment ended)
    assert failed(result) == []
