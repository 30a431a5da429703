from __future__ import annotations

from pathlib import Path

from embedded_backend.paths import Paths


def test_everything_lives_under_home(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "h")
    for p in (
        paths.config_file,
        paths.database,
        paths.logs,
        paths.backend_log,
        paths.backups,
        paths.run_file,
    ):
        assert p.is_relative_to(tmp_path / "h")
    assert paths.backend_log.name == "backend.jsonl"


def test_ensure_creates_directories(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "a" / "b")
    paths.ensure()
    assert paths.logs.is_dir() and paths.backups.is_dir()
