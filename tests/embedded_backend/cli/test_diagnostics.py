"""``vigia diagnostics PATH.zip [--force]`` in this process: output, exit codes, the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from embedded_backend.cli.main import main


@pytest.fixture(autouse=True)
def _free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIA_PORT", "0")  # the port check binds it


def test_writes_the_bundle(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "support.zip"
    assert main(["--home", str(home), "diagnostics", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {target}" in out
    assert "Send this file to your IT support" in out
    with zipfile.ZipFile(target) as zf:
        assert {"README.txt", "settings.json", "preflight.json"} <= set(zf.namelist())


def test_refuses_to_overwrite_without_force(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "support.zip"
    target.write_bytes(b"old")
    assert main(["diagnostics", str(target)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.read_bytes() == b"old"
    assert main(["diagnostics", str(target), "--force"]) == 0
    assert zipfile.is_zipfile(target)


def test_bad_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnostics", str(tmp_path / "missing" / "x.zip")]) == 1
    assert "does not exist; create it first" in capsys.readouterr().err
    assert main(["diagnostics", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_broken_settings_are_reported_not_fatal(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home.mkdir(parents=True)
    (home / "vigia.toml").write_text("log_level = [\n", encoding="utf-8")
    target = tmp_path / "support.zip"
    assert main(["diagnostics", str(target)]) == 0
    assert "not collected: settings:" in capsys.readouterr().out
    with zipfile.ZipFile(target) as zf:
        assert "Could not be collected" in zf.read("README.txt").decode()
