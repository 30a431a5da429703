"""Each rule on crafted snapshots: quiet when well, the right severity past each threshold,
off when its threshold is 0, and a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedded_backend.alerts import rules
from embedded_backend.alerts.rules import RULES, Thresholds
from embedded_backend.alerts.snapshot import Snapshot, backup_age_hours, disk_free_percent
from embedded_backend.config import load_settings
from tests.embedded_backend.backup.factory import aged_backup

T = Thresholds()


def _severity(finding: rules.Finding | None) -> str | None:
    return None if finding is None else finding.severity


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0.0, None), (0.049, None), (0.05, "warning"), (0.1, "error"), (0.3, "critical")],
)
def test_error_rate_tiers(rate: float, expected: str | None) -> None:
    assert _severity(rules.error_rate(Snapshot(requests=100, error_rate=rate), T)) == expected


def test_error_rate_needs_enough_requests() -> None:
    assert rules.error_rate(Snapshot(requests=19, error_rate=1.0), T) is None
    finding = rules.error_rate(Snapshot(requests=20, error_rate=1.0), T)
    assert finding is not None and finding.value == 1.0
    assert "100%" in finding.message and "restart the backend" in finding.message


@pytest.mark.parametrize(
    ("p95", "expected"), [(999, None), (1000, "warning"), (2500, "error"), (9000, "critical")]
)
def test_p95_latency_tiers(p95: float, expected: str | None) -> None:
    assert _severity(rules.p95_latency(Snapshot(requests=50, p95_ms=p95), T)) == expected


def test_a_zero_threshold_turns_a_tier_or_rule_off() -> None:
    no_critical = Thresholds(error_rate_critical=0)
    assert _severity(rules.error_rate(Snapshot(requests=50, error_rate=1.0), no_critical)) == (
        "error"
    )
    off = Thresholds(
        error_rate_warn=0, error_rate_error=0, error_rate_critical=0, db_errors_per_min=0,
        pool_saturation=0, disk_free_percent=0, memory_percent=0, backup_age_hours=0,
    )  # fmt: skip
    worst = Snapshot(
        requests=1000, error_rate=1.0, db_errors_per_min=1e6, pool_utilization=1.0,
        disk_free_percent=0.0, memory_percent=100.0, backup_age_hours=1e6,
    )  # fmt: skip
    fired_on = {r.name for r in RULES if r.check(worst, T) is not None}
    assert fired_on == {r.name for r in RULES} - {"p95_latency"}  # no latency measured
    fired = {r.name for r in RULES if r.check(worst, off) is not None}
    assert fired == set()


def test_db_errors() -> None:
    assert rules.db_errors(Snapshot(db_errors_per_min=None), T) is None
    assert rules.db_errors(Snapshot(db_errors_per_min=4.9), T) is None
    assert _severity(rules.db_errors(Snapshot(db_errors_per_min=5), T)) == "error"
    finding = rules.db_errors(Snapshot(db_errors_per_min=50), T)
    assert _severity(finding) == "critical"
    assert finding is not None and "database server is running" in finding.message


def test_pool_saturation() -> None:
    assert rules.pool_saturation(Snapshot(pool_utilization=0.5), T) is None
    assert _severity(rules.pool_saturation(Snapshot(pool_utilization=0.9), T)) == "warning"
    assert _severity(rules.pool_saturation(Snapshot(pool_utilization=1.0), T)) == "error"


def test_disk_free() -> None:
    assert rules.disk_free(Snapshot(disk_free_percent=50), T) is None
    assert _severity(rules.disk_free(Snapshot(disk_free_percent=9), T)) == "warning"
    assert _severity(rules.disk_free(Snapshot(disk_free_percent=4), T)) == "error"
    finding = rules.disk_free(Snapshot(disk_free_percent=1.5), T)
    assert _severity(finding) == "critical"
    assert finding is not None and "1.5% free" in finding.message and "Delete" in finding.message


def test_memory() -> None:
    assert rules.memory(Snapshot(memory_percent=80), T) is None
    assert _severity(rules.memory(Snapshot(memory_percent=90), T)) == "warning"
    assert _severity(rules.memory(Snapshot(memory_percent=96), T)) == "error"


def test_backup_age() -> None:
    assert rules.backup_age(Snapshot(backup_age_hours=None), T) is None  # no backup yet
    assert rules.backup_age(Snapshot(backup_age_hours=47), T) is None
    assert _severity(rules.backup_age(Snapshot(backup_age_hours=49), T)) == "warning"
    finding = rules.backup_age(Snapshot(backup_age_hours=24 * 7), T)
    assert _severity(finding) == "error"
    assert finding is not None and "7.0 days old" in finding.message
    assert "Back up now" in finding.message


def test_nothing_fires_on_a_healthy_snapshot() -> None:
    healthy = Snapshot(
        requests=500, error_rate=0.001, p95_ms=40, db_errors_per_min=0, pool_utilization=0.1,
        disk_free_percent=60, memory_percent=40, backup_age_hours=3,
    )  # fmt: skip
    assert [r.name for r in RULES if r.check(healthy, T) is not None] == []


def test_thresholds_come_from_settings() -> None:
    settings = load_settings(alert_error_rate_warn=0.5, alert_disk_free_percent=100)
    t = Thresholds.from_settings(settings)
    assert t.error_rate_warn == 0.5 and t.disk_free_percent == 100
    assert Thresholds.from_settings(load_settings()) == Thresholds()  # defaults agree


def test_snapshot_readers(tmp_path: Path) -> None:
    free = disk_free_percent(tmp_path / "not" / "yet" / "there")
    assert free is not None and 0 <= free <= 100
    backups = tmp_path / "backups"
    assert backup_age_hours(backups) is None
    backups.mkdir()
    (backups / "b1.json").write_text("{}")  # not a backup: does not count
    assert backup_age_hours(backups) is None
    aged_backup(backups, hours=5)
    age = backup_age_hours(backups)
    assert age is not None and 4.9 < age < 5.1
