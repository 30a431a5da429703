"""The settings window: server, backups, alerts and notifications, start at login,
language.

Server, backup and the server's alert settings go to ``$VIGIA_HOME/vigia.toml`` through
:class:`~desktop.core.backend_settings.BackendSettingsStore`: checked by the backend's
own ``Settings`` class first, so a bad value is refused with a message naming the field
and nothing at all is written; the database password goes to the system keyring, never
to the file. The tray's own settings (slow-answer alert, notifications per category,
language) go to ``desktop.json`` (:mod:`desktop.core.config_file`) and the monitor gets
them at once. Start at login is :mod:`desktop.core.autostart`.

The backend reads its settings when it starts: after a change to them the window says
so and offers to restart it (``restart_requested``). A new language shows from the next
start of Vigia. In remote mode (``vigia tray --url``) the server's settings belong to the
server computer and are not shown.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTime, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core import config_file
from desktop.core.autostart import Autostart, tray_command
from desktop.core.backend_settings import (
    BackendForm,
    BackendSettingsStore,
    SettingsRejected,
    editable_fields,
)
from desktop.core.categories import Category
from desktop.core.config import DesktopConfig
from desktop.core.errors import ConfigError
from desktop.ui.context import UiContext

log = logging.getLogger(__name__)

LANGUAGES: tuple[tuple[str | None, str], ...] = (
    (None, ""),  # the system's (label set in the constructor: it is translated)
    ("en", "English"),
    ("pt_BR", "Português (Brasil)"),
)


class SettingsDialog(QDialog):
    saved = Signal(list)  # names of the settings that changed
    failed = Signal(str)  # why nothing was saved (also shown in the window)
    restart_requested = Signal()  # the user asked to restart the backend now

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        autostart: Autostart | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.local = not ctx.remote
        self.store = BackendSettingsStore(ctx.home)
        self.form: BackendForm | None = self.store.load() if self.local else None
        self.desktop = config_file.load(ctx.home)
        self.autostart = autostart or Autostart(tray_command(ctx.home, self._remote_url()))
        self.restart_box: QMessageBox | None = None  # the offer to restart, while open
        self._restart_button: QAbstractButton | None = None
        self.fields: dict[str, QWidget] = {}
        self.labels: dict[str, str] = {}
        self.setWindowTitle(self.tr("Vigia — Settings"))
        self._build()
        self._fill()
        self._connect_signals()

    def _remote_url(self) -> str | None:
        return self.ctx.monitor.supervisor.url if self.ctx.remote else None

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.tabs = QTabWidget()
        if self.local:
            self.tabs.addTab(self._server_tab(), self.tr("Server"))
            self.tabs.addTab(self._backups_tab(), self.tr("Backups"))
        self.tabs.addTab(self._alerts_tab(), self.tr("Alerts"))
        self.tabs.addTab(self._general_tab(), self.tr("General"))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        if self.form is not None and self.form.file_problem:
            note = QLabel(
                self.tr("The settings file could not be read ({0}). Saving replaces it.").format(
                    self.form.file_problem
                )
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        if not self.local:
            note = QLabel(
                self.tr(
                    "This computer watches a server on the network. The server's own "
                    "settings are changed on the server computer."
                )
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _add(self, form: QFormLayout, name: str, label: str, widget: QWidget) -> None:
        """A backend setting's row (left out when this backend has no such setting)."""
        if name not in editable_fields():
            return
        self.fields[name] = widget
        self.labels[name] = label
        assert self.form is not None
        variable = self.form.from_environment.get(name)
        if variable:
            widget.setEnabled(False)
            widget.setToolTip(
                self.tr("Set by the environment variable {0}; change it there.").format(variable)
            )
        form.addRow(label, widget)

    def _server_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.port_edit = QLineEdit()
        self.port_edit.setPlaceholderText("8002")
        self._add(form, "port", self.tr("Port"), self.port_edit)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(self.tr("Empty: the SQLite file in Vigia's data folder"))
        self._add(form, "database_url", self.tr("Database URL"), self.url_edit)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.labels["database_password"] = self.tr("Database password")
        form.addRow(self.labels["database_password"], self.password_edit)
        hint = QLabel(
            self.tr(
                "PostgreSQL: postgresql://user@server/database; MariaDB: "
                "mariadb://user@server/database. The password is kept in the system's "
                "password store, never in a file."
            )
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        return tab

    def _backups_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText(self.tr("Empty: the backups folder in Vigia's data"))
        self.browse_button = QPushButton(self.tr("Choose…"))
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.folder_edit, 1)
        row_layout.addWidget(self.browse_button)
        self._add(form, "backup_dir", self.tr("Backup folder"), row)
        if "backup_dir" in self.fields:
            self.fields["backup_dir"] = self.folder_edit
        self.schedule_box = QCheckBox(self.tr("Make a backup every day"))
        self._add(form, "backup_schedule_enabled", self.tr("Automatic backup"), self.schedule_box)
        self.time_edit = QTimeEdit()
        self.time_edit.setDisplayFormat("HH:mm")
        self._add(form, "backup_time", self.tr("At"), self.time_edit)
        self.daily_spin = QSpinBox()
        self.daily_spin.setRange(0, 10_000)
        self._add(form, "backup_keep_daily", self.tr("Keep one a day for (days)"), self.daily_spin)
        self.weekly_spin = QSpinBox()
        self.weekly_spin.setRange(0, 10_000)
        self._add(
            form, "backup_keep_weekly", self.tr("Keep one a week for (weeks)"), self.weekly_spin
        )
        return tab

    def _alerts_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        slow = QGroupBox(self.tr("Slow answers (this computer)"))
        slow_form = QFormLayout(slow)
        self.latency_spin = QSpinBox()
        self.latency_spin.setRange(1, 600_000)
        self.latency_spin.setSuffix(" ms")
        slow_form.addRow(self.tr("Slower than"), self.latency_spin)
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, 1000)
        slow_form.addRow(self.tr("Checks in a row"), self.samples_spin)
        layout.addWidget(slow)
        if self.local:
            server = QGroupBox(self.tr("Server alerts (0 turns one off)"))
            form = QFormLayout(server)
            self.disk_spin = _percent_spin()
            self._add(
                form, "alert_disk_free_percent", self.tr("Free disk space below"), self.disk_spin
            )
            self.backup_age_spin = QDoubleSpinBox()
            self.backup_age_spin.setRange(0, 100_000)
            self.backup_age_spin.setDecimals(0)
            self.backup_age_spin.setSuffix(self.tr(" hours"))
            self._add(
                form,
                "alert_backup_age_hours",
                self.tr("Newest backup older than"),
                self.backup_age_spin,
            )
            self.p95_spin = QDoubleSpinBox()
            self.p95_spin.setRange(0, 600_000)
            self.p95_spin.setDecimals(0)
            self.p95_spin.setSuffix(" ms")
            self._add(
                form, "alert_p95_ms_warn", self.tr("Slowest 5% of requests above"), self.p95_spin
            )
            self.error_rate_spin = _percent_spin()
            self._add(
                form,
                "alert_error_rate_warn",
                self.tr("Failed requests above"),
                self.error_rate_spin,
            )
            self.memory_spin = _percent_spin()
            self._add(form, "alert_memory_percent", self.tr("Memory use above"), self.memory_spin)
            layout.addWidget(server)
        notify = QGroupBox(self.tr("Notify me about"))
        notify_layout = QVBoxLayout(notify)
        names = {
            Category.BACKEND_DOWN: self.tr("The server stopped or keeps failing"),
            Category.DATABASE: self.tr("Database problems"),
            Category.LATENCY: self.tr("Slow answers"),
            Category.ROUTER: self.tr("An ERP module failed to load"),
            Category.DISK: self.tr("Disk almost full"),
            Category.BACKUP: self.tr("Backup too old"),
            Category.SERVER: self.tr("Server alerts (errors, memory, connections)"),
        }
        self.category_boxes: dict[Category, QCheckBox] = {}
        for category in Category:
            box = QCheckBox(names.get(category, category.value))
            self.category_boxes[category] = box
            notify_layout.addWidget(box)
        layout.addWidget(notify)
        layout.addStretch(1)
        return tab

    def _general_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.autostart_box = QCheckBox(self.tr("Start Vigia when I log in"))
        if not self.autostart.supported:
            self.autostart_box.setEnabled(False)
            self.autostart_box.setToolTip(self.tr("Not available on this system."))
        form.addRow(self.autostart_box)
        self.language_box = QComboBox()
        for code, name in LANGUAGES:
            self.language_box.addItem(name or self.tr("System language"), code)
        form.addRow(self.tr("Language"), self.language_box)
        return tab

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        if self.local:
            self.browse_button.clicked.connect(self.on_browse_clicked)
            self.schedule_box.toggled.connect(self.time_edit.setEnabled)

    # -- values ----------------------------------------------------------------------------
    def _fill(self) -> None:
        if self.form is not None:
            values = self.form.values
            self.port_edit.setText(str(values.get("port", "")))
            self.url_edit.setText(values.get("database_url") or "")
            if self.form.has_password:
                self.password_edit.setPlaceholderText(self.tr("Stored (type to replace it)"))
            folder = values.get("backup_dir")
            self.folder_edit.setText(str(folder) if folder else "")
            self.schedule_box.setChecked(bool(values.get("backup_schedule_enabled", True)))
            self.time_edit.setEnabled(self.schedule_box.isChecked())
            time = QTime.fromString(str(values.get("backup_time", "12:30")), "HH:mm")
            self.time_edit.setTime(time if time.isValid() else QTime(12, 30))
            self.daily_spin.setValue(int(values.get("backup_keep_daily", 14)))
            self.weekly_spin.setValue(int(values.get("backup_keep_weekly", 8)))
            self.disk_spin.setValue(float(values.get("alert_disk_free_percent", 10.0)))
            self.backup_age_spin.setValue(float(values.get("alert_backup_age_hours", 48.0)))
            self.p95_spin.setValue(float(values.get("alert_p95_ms_warn", 1000.0)))
            self.error_rate_spin.setValue(float(values.get("alert_error_rate_warn", 0.05)) * 100)
            self.memory_spin.setValue(float(values.get("alert_memory_percent", 90.0)))
        monitor = self.desktop.monitor
        self.latency_spin.setValue(round(monitor.latency_threshold_ms))
        self.samples_spin.setValue(monitor.latency_samples)
        for category, box in self.category_boxes.items():
            box.setChecked(category not in monitor.muted_categories)
        self.autostart_box.setChecked(self.autostart.supported and self.autostart.is_enabled())
        index = self.language_box.findData(self.desktop.language)
        self.language_box.setCurrentIndex(max(index, 0))

    def backend_values(self) -> dict[str, Any]:
        """What the form says for each backend setting it may change."""
        read: dict[str, Any] = {
            "port": self.port_edit.text().strip(),
            "database_url": self.url_edit.text().strip() or None,
            "backup_dir": self.folder_edit.text().strip() or None,
            "backup_schedule_enabled": self.schedule_box.isChecked(),
            "backup_time": self.time_edit.time().toString("HH:mm"),
            "backup_keep_daily": self.daily_spin.value(),
            "backup_keep_weekly": self.weekly_spin.value(),
            "alert_disk_free_percent": self.disk_spin.value(),
            "alert_backup_age_hours": self.backup_age_spin.value(),
            "alert_p95_ms_warn": self.p95_spin.value(),
            "alert_error_rate_warn": round(self.error_rate_spin.value() / 100, 4),
            "alert_memory_percent": self.memory_spin.value(),
        }
        return {name: read[name] for name in self.fields if self.fields[name].isEnabled()}

    def monitor_config(self) -> DesktopConfig:
        muted = [c for c, box in self.category_boxes.items() if not box.isChecked()]
        return self.desktop.monitor.replace(
            latency_threshold_ms=float(self.latency_spin.value()),
            latency_samples=self.samples_spin.value(),
            muted_categories=frozenset(muted),
        )

    # -- saving ----------------------------------------------------------------------------
    @Slot()
    def on_save_clicked(self) -> None:
        self.problem.setVisible(False)
        try:
            config = self.monitor_config()
        except ConfigError as exc:
            self._refuse(str(exc))
            return
        language = self.language_box.currentData()
        changed: list[str] = []
        backend_changed: list[str] = []
        if self.form is not None:
            try:
                result = self.store.save(self.backend_values(), self.password_edit.text() or None)
            except SettingsRejected as exc:
                self._refuse(self._describe(exc))
                return
            except ConfigError as exc:
                self._refuse(str(exc))
                return
            backend_changed = list(result.changed)
            if result.password_changed:
                backend_changed.append("database_password")
            changed += backend_changed
        new_desktop = config_file.DesktopSettings(config, language)
        if new_desktop != self.desktop:
            try:
                config_file.save(self.ctx.home, new_desktop)
            except OSError as exc:
                self._refuse(self.tr("Cannot save the settings: {0}").format(exc.strerror))
                return
            if config != self.desktop.monitor:
                self.ctx.monitor.configure(config)
                changed.append("monitor")
            if language != self.desktop.language:
                changed.append("language")
            self.desktop = new_desktop
        if (
            self.autostart.supported
            and self.autostart_box.isChecked() != self.autostart.is_enabled()
        ):
            try:
                self.autostart.set_enabled(self.autostart_box.isChecked())
            except OSError as exc:
                self._refuse(
                    self.tr("Cannot change starting at login: {0}").format(exc.strerror or exc)
                )
                return
            changed.append("autostart")
        log.info("settings saved: %s", ", ".join(changed) or "nothing changed")
        self.saved.emit(changed)
        if backend_changed or "language" in changed:
            self._offer_restart(backend_changed, "language" in changed)
        else:
            self.accept()

    def _describe(self, exc: SettingsRejected) -> str:
        lines = []
        for name, message in exc.problems:
            lines.append(f"{self.labels.get(name, name)}: {message}")
            widget = self.fields.get(name)
            page = _tab_of(widget, self.tabs) if widget is not None else None
            if widget is not None and page is not None and len(lines) == 1:
                self.tabs.setCurrentWidget(page)  # show the first bad field
                widget.setFocus()
        return self.tr("Nothing was saved. {0}").format("; ".join(lines))

    def _refuse(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(True)
        self.failed.emit(message)

    def _offer_restart(self, backend: list[str], language: bool) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Restart needed"))
        parts = []
        if backend:
            names = ", ".join(self.labels.get(n, n) for n in backend)
            parts.append(
                self.tr("These changes take effect when the ERP server restarts: {0}.").format(
                    names
                )
            )
        if language:
            parts.append(self.tr("The new language shows the next time Vigia starts."))
        box.setText(" ".join(parts))
        restart = None
        if backend:
            box.setInformativeText(
                self.tr("Restarting takes a few seconds; the ERP does not answer meanwhile.")
            )
            restart = box.addButton(self.tr("Restart now"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        else:
            box.addButton(QMessageBox.StandardButton.Ok)
        self._restart_button = restart
        box.finished.connect(self.on_restart_box_finished)
        self.restart_box = box
        box.open()

    @Slot(int)
    def on_restart_box_finished(self, _result: int) -> None:
        box, self.restart_box = self.restart_box, None
        if box is None:
            return
        restart = self._restart_button is not None and box.clickedButton() is self._restart_button
        box.deleteLater()
        if restart:
            self.restart_requested.emit()
        self.accept()

    @Slot()
    def on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Backup folder"), self.folder_edit.text() or str(self.ctx.home)
        )
        if folder:
            self.folder_edit.setText(folder)


def _percent_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0, 100)
    spin.setDecimals(1)
    spin.setSuffix(" %")
    return spin


def _tab_of(widget: QWidget, tabs: QTabWidget) -> QWidget | None:
    for index in range(tabs.count()):
        page = tabs.widget(index)
        if page is not None and page.isAncestorOf(widget):
            return page
    return None
