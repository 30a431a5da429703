"""The ``vigia`` entry point: parser, version, errors as one line, no Qt, console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from embedded_backend import __version__
from embedded_backend.cli.main import build_parser, main
from tests.e2e.process import REPO, base_env

COMMANDS = {"serve", "check", "status", "users", "tray"}


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"vigia {__version__}\n"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_users_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["users"])
    assert exit_info.value.code == 2


def test_home_flag_overrides_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other-home"
    assert main(["--home", str(other), "check", "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["home"] == str(other.resolve())
    assert (other / "logs").is_dir()


def test_serve_refuses_bad_settings_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIA_PORT", "70000")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vigia: invalid settings: port:") and err.count("\n") == 1


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["status"])
    assert args.url is None and args.json is False and args.timeout == 5.0


def test_console_script_and_module_run_without_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from embedded_backend.cli.main import main; rc = main(['check', '--json']);"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'desktop'));"
        "print('QT=' + ','.join(qt), file=sys.stderr); sys.exit(rc)"
    )
    env = base_env(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "QT=\n" in done.stderr, done.stderr
    assert json.loads(done.stdout)["checks"]
    script = Path(sys.executable).parent / "vigia"
    if script.exists():
        done = subprocess.run(
            [str(script), "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stdout) == (0, f"vigia {__version__}\n")
    done = subprocess.run(
        [sys.executable, "-m", "embedded_backend.cli.main", "--version"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"vigia {__version__}\n")
