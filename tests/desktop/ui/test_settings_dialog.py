"""SettingsDialog on a real temp VIGIA_HOME (offscreen): vigia.toml written and read
back by the backend's Settings, the database password in the (memory) keyring and never
in the file, a bad port refused with a message and nothing written, the restart offered
and requested, desktop settings applied at once, start at login in a temp
XDG_CONFIG_HOME, remote mode."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from desktop.core import config_file
from desktop.core.categories import Category
from desktop.ui.context import UiContext
from desktop.ui.settings_dialog import SettingsDialog
from embedded_backend.config import Settings, load_settings
from embedded_backend.secrets import DATABASE_PASSWORD, SERVICE
from tests.desktop.ui.contexts import ui_context
from tests.helpers.memory_keyring import MemoryKeyring

# The offscreen platform says this when a message box is shown; it is not our warning.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    s = make_settings()
    s.paths.ensure()
    return s


@pytest.fixture
def ctx(settings: Settings) -> Iterator[UiContext]:
    with ui_context(settings) as context:
        yield context


@pytest.fixture
def dialog(qtbot: QtBot, ctx: UiContext) -> SettingsDialog:
    d = SettingsDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    return d


def toml(home: Path) -> dict[str, object]:
    return tomllib.loads((home / "vigia.toml").read_text(encoding="utf-8"))


def answer(qtbot: QtBot, dialog: SettingsDialog, button_text: str) -> None:
    box = dialog.restart_box
    assert box is not None and box.isVisible()
    button = next(b for b in box.buttons() if b.text() == button_text)
    with qtbot.waitSignal(dialog.finished):
        button.click()


def test_shows_the_current_values(qtbot: QtBot, settings: Settings, ctx: UiContext) -> None:
    (settings.home / "vigia.toml").write_text(
        'port = 8123\nbackup_time = "03:15"\nalert_error_rate_warn = 0.2\n', encoding="utf-8"
    )
    d = SettingsDialog(ctx)
    qtbot.addWidget(d)
    assert d.port_edit.text() == "8123"
    assert d.time_edit.time() == QTime(3, 15)
    assert d.error_rate_spin.value() == 20.0
    assert d.url_edit.text() == "" and d.password_edit.text() == ""
    assert all(box.isChecked() for box in d.category_boxes.values())
    assert d.tabs.count() == 4


def test_saves_vigia_toml_password_to_keyring_and_offers_restart(
    qtbot: QtBot, dialog: SettingsDialog, settings: Settings, memory_keyring: MemoryKeyring
) -> None:
    dialog.port_edit.setText("8100")
    dialog.url_edit.setText("postgresql://erp@db.local:5432/erp")
    dialog.password_edit.setText("S3nh@-do-banco")
    dialog.time_edit.setTime(QTime(2, 45))
    dialog.daily_spin.setValue(30)
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert set(saved.args[0]) == {
        "port",
        "database_url",
        "backup_time",
        "backup_keep_daily",
        "database_password",
    }
    written = toml(settings.home)
    assert written == {
        "port": 8100,
        "database_url": "postgresql://erp@db.local:5432/erp",
        "backup_time": "02:45",
        "backup_keep_daily": 30,
    }
    assert "S3nh@" not in (settings.home / "vigia.toml").read_text(encoding="utf-8")
    assert memory_keyring.store[(SERVICE, DATABASE_PASSWORD)] == "S3nh@-do-banco"
    # What the backend reads at its next start.
    reread = load_settings(home=settings.home)
    assert reread.port == 8100 and reread.backup_time == "02:45"
    assert make_url(reread.effective_database_url).password == "S3nh@-do-banco"

    box = dialog.restart_box
    assert box is not None
    assert "Port" in box.text() and "Database URL" in box.text()
    assert "Database password" in box.text()
    with qtbot.waitSignal(dialog.restart_requested):
        answer(qtbot, dialog, "Restart now")
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_restart_later_does_not_restart(
    qtbot: QtBot, dialog: SettingsDialog, settings: Settings
) -> None:
    dialog.port_edit.setText("8101")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    requested: list[bool] = []
    dialog.restart_requested.connect(lambda: requested.append(True))
    answer(qtbot, dialog, "Later")
    assert requested == []
    assert toml(settings.home) == {"port": 8101}


def test_invalid_port_is_refused_and_nothing_is_written(
    qtbot: QtBot, dialog: SettingsDialog, settings: Settings, memory_keyring: MemoryKeyring
) -> None:
    dialog.port_edit.setText("70000")
    dialog.url_edit.setText("postgresql://erp@db.local/erp")
    dialog.password_edit.setText("never-stored")
    dialog.category_boxes[Category.DISK].setChecked(False)
    with qtbot.waitSignal(dialog.failed) as failed:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert failed.args == ["Nothing was saved. Port: Input should be less than or equal to 65535"]
    assert dialog.problem.isVisible() and dialog.problem.text() == failed.args[0]
    assert dialog.tabs.currentIndex() == 0 and dialog.port_edit.hasFocus()
    assert not (settings.home / "vigia.toml").exists()
    assert not config_file.path_in(settings.home).exists()
    assert memory_keyring.store == {}
    assert dialog.isVisible() and dialog.restart_box is None
    # Corrected, it saves.
    dialog.port_edit.setText("8002")
    with qtbot.waitSignal(dialog.saved):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()


def test_tray_settings_apply_at_once_without_restart(
    qtbot: QtBot, dialog: SettingsDialog, ctx: UiContext, settings: Settings
) -> None:
    dialog.latency_spin.setValue(1500)
    dialog.samples_spin.setValue(3)
    dialog.category_boxes[Category.BACKUP].setChecked(False)
    with qtbot.waitSignal(dialog.saved) as saved, qtbot.waitSignal(dialog.accepted):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved.args == [["monitor"]]
    stored = config_file.load(settings.home).monitor
    assert stored.latency_threshold_ms == 1500 and stored.latency_samples == 3
    assert stored.muted_categories == frozenset({Category.BACKUP})
    assert ctx.monitor.supervisor.config == stored  # the monitor has it already
    assert dialog.restart_box is None
    assert not (settings.home / "vigia.toml").exists()  # nothing of the backend's changed


def test_language_needs_a_new_start(
    qtbot: QtBot, dialog: SettingsDialog, settings: Settings
) -> None:
    dialog.language_box.setCurrentIndex(dialog.language_box.findData("pt_BR"))
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved.args == [["language"]]
    assert config_file.load(settings.home).language == "pt_BR"
    box = dialog.restart_box
    assert box is not None and "next time Vigia starts" in box.text()
    with qtbot.waitSignal(dialog.finished):
        box.button(QMessageBox.StandardButton.Ok).click()


def test_start_at_login(qtbot: QtBot, dialog: SettingsDialog, xdg: Path) -> None:
    assert not dialog.autostart_box.isChecked()
    dialog.autostart_box.setChecked(True)
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved.args == [["autostart"]]
    entry = (xdg / "autostart" / "vigia.desktop").read_text(encoding="utf-8")
    assert "Exec=" in entry and " tray" in entry


def test_environment_overrides_are_not_editable(
    qtbot: QtBot, ctx: UiContext, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIA_PORT", "8555")
    d = SettingsDialog(ctx)
    qtbot.addWidget(d)
    assert not d.port_edit.isEnabled()
    assert "VIGIA_PORT" in d.port_edit.toolTip()
    d.daily_spin.setValue(3)
    with qtbot.waitSignal(d.saved):
        d.buttons.button(d.buttons.StandardButton.Save).click()
    assert toml(settings.home) == {"backup_keep_daily": 3}


def test_remote_mode_shows_only_this_computers_settings(qtbot: QtBot, tmp_path: Path) -> None:
    home = tmp_path / "desk"
    with ui_context(None, home=home, url="http://erp-server:8002", token="t" * 20) as remote:
        d = SettingsDialog(remote)
        qtbot.addWidget(d)
        titles = [d.tabs.tabText(i) for i in range(d.tabs.count())]
        assert titles == ["Alerts", "General"]
        assert not hasattr(d, "port_edit")
        d.category_boxes[Category.LATENCY].setChecked(False)
        with qtbot.waitSignal(d.saved) as saved:
            d.buttons.button(d.buttons.StandardButton.Save).click()
        assert saved.args == [["monitor"]]
        assert not (home / "vigia.toml").exists()
        assert Category.LATENCY in config_file.load(home).monitor.muted_categories
        d.close()
