"""The log viewer: the backend's log, newest at the bottom, with filters and follow mode.

Local mode reads ``backend.jsonl`` and its rotated files; remote mode (``vigia tray
--url``) asks the backend's admin API. Reading, filtering and formatting happen in a
worker thread (:mod:`desktop.ui.logs.worker`), so a 100 MB log never freezes the window;
at most :data:`~desktop.ui.logs.model.MAX_ROWS` records are held. Filters are applied by
the reader, so a search looks through the whole log, not only the records on screen.

Follow mode polls every second for new lines (a rotation of the file is followed) and
keeps the view at the bottom unless the user scrolled up.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.log_source import LocalLogSource, LogSource, RemoteLogSource
from desktop.ui.context import UiContext
from desktop.ui.logs.model import (
    LEVEL,
    MAX_ROWS,
    MESSAGE,
    REQUEST,
    TIME,
    LogRow,
    LogTableModel,
)
from desktop.ui.logs.worker import LogWorker, WorkerThread
from embedded_backend.logs.reader import LogFilter
from embedded_backend.paths import Paths

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 1000
FILTER_DELAY_MS = 300


def source_for(ctx: UiContext) -> LogSource:
    if ctx.remote:
        return RemoteLogSource(ctx.client)
    paths = ctx.settings.paths if ctx.settings is not None else Paths(ctx.home)
    return LocalLogSource(paths.backend_log)


class LogViewer(QWidget):
    loaded = Signal(int)  # rows shown after a load
    appended = Signal(int)  # rows added by follow mode
    failed = Signal(str)  # plain words, also shown in the status line

    # To the worker (queued: it lives in its own thread).
    _load_requested = Signal(int, object, int)
    _poll_requested = Signal(int)

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        source: LogSource | None = None,
        max_rows: int = MAX_ROWS,
        poll_interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.source = source or source_for(ctx)
        self.max_rows = max_rows
        self._generation = 0
        self._polling = False
        self._loading = False
        self.setWindowTitle(self.tr("Vigia — Logs"))
        self.resize(1100, 700)

        self.model = LogTableModel(self, max_rows=max_rows)
        self._worker = LogWorker(self.source)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(poll_interval_ms)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._build()
        self._connect_signals()
        self._thread = WorkerThread(self._worker, "vigia-log-viewer")
        self.destroyed.connect(self._thread.retire)  # deleted without being closed
        self.reload()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.level_box = QComboBox()
        self.level_box.addItem(self.tr("All levels"), None)
        self.level_box.addItem(self.tr("Debug and above"), "DEBUG")
        self.level_box.addItem(self.tr("Info and above"), "INFO")
        self.level_box.addItem(self.tr("Warnings and errors"), "WARNING")
        self.level_box.addItem(self.tr("Errors only"), "ERROR")
        self.level_box.addItem(self.tr("Critical only"), "CRITICAL")
        self.level_box.setToolTip(self.tr("Show records of this level and above"))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search text"))
        self.search_edit.setClearButtonEnabled(True)
        self.request_edit = QLineEdit()
        self.request_edit.setPlaceholderText(self.tr("Request ID"))
        self.request_edit.setClearButtonEnabled(True)
        self.request_edit.setToolTip(
            self.tr("Only the records of one request (double-click a record to fill this in)")
        )
        self.follow_box = QCheckBox(self.tr("Follow"))
        self.follow_box.setToolTip(self.tr("Show new records as they are written"))
        self.follow_box.setChecked(True)
        self.refresh_button = QPushButton(self.tr("Reload"))
        self.folder_button = QPushButton(self.tr("Open folder"))
        self.folder_button.setVisible(isinstance(self.source, LocalLogSource))

        bar = QHBoxLayout()
        bar.addWidget(self.level_box)
        bar.addWidget(self.search_edit, 2)
        bar.addWidget(self.request_edit, 1)
        bar.addWidget(self.follow_box)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.folder_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        width = self.fontMetrics().horizontalAdvance("0")
        self.table.setColumnWidth(TIME, width * 25)
        self.table.setColumnWidth(LEVEL, width * 10)
        self.table.setColumnWidth(REQUEST, width * 34)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlaceholderText(self.tr("Select a record to see all of it here."))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)

        self.status = QLabel()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    def _connect_signals(self) -> None:
        self._load_requested.connect(self._worker.load)
        self._poll_requested.connect(self._worker.poll)
        self._worker.loaded.connect(self.on_worker_loaded)
        self._worker.appended.connect(self.on_worker_appended)
        self._worker.failed.connect(self.on_worker_failed)
        self._poll_timer.timeout.connect(self.on_poll_timer_timeout)
        self._filter_timer.timeout.connect(self.reload)
        self.level_box.currentIndexChanged.connect(self.reload)
        self.search_edit.textChanged.connect(self.on_filter_text_changed)
        self.request_edit.textChanged.connect(self.on_filter_text_changed)
        self.follow_box.toggled.connect(self.on_follow_toggled)
        self.refresh_button.clicked.connect(self.reload)
        self.folder_button.clicked.connect(self.on_folder_clicked)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_row_changed)
        self.table.doubleClicked.connect(self.on_table_double_clicked)

    # -- what the user asks --------------------------------------------------------------
    def filters(self) -> LogFilter:
        level = self.level_box.currentData()
        return LogFilter(
            level=level if isinstance(level, str) else None,
            text=self.search_edit.text().strip() or None,
            request_id=self.request_edit.text().strip() or None,
        )

    @Slot()
    def reload(self) -> None:
        """Read the newest matching records again (filters changed, Reload clicked)."""
        self._filter_timer.stop()
        self._generation += 1
        self._worker.latest = self._generation
        self._loading = True
        self._poll_timer.stop()
        self.status.setText(self.tr("Reading the log…"))
        self._load_requested.emit(self._generation, self.filters(), self.max_rows)

    @Slot()
    def on_filter_text_changed(self) -> None:
        self._filter_timer.start()

    @Slot(bool)
    def on_follow_toggled(self, on: bool) -> None:
        if on and not self._loading:
            self._poll_timer.start()
            self.on_poll_timer_timeout()
        elif not on:
            self._poll_timer.stop()

    @Slot()
    def on_poll_timer_timeout(self) -> None:
        if self._polling or self._loading:
            return
        self._polling = True
        self._poll_requested.emit(self._generation)

    @Slot()
    def on_folder_clicked(self) -> None:
        if isinstance(self.source, LocalLogSource):
            folder = self.source.log_file.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot(QModelIndex, QModelIndex)
    def on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.details.setPlainText(self.model.row(current.row()).details())
        else:
            self.details.clear()

    @Slot(QModelIndex)
    def on_table_double_clicked(self, index: QModelIndex) -> None:
        request_id = self.model.row(index.row()).request_id
        if request_id:
            self.request_edit.setText(request_id)
            self.reload()

    # -- what the worker answers -----------------------------------------------------------
    @Slot(int, object, bool)
    def on_worker_loaded(self, generation: int, rows: list[LogRow], truncated: bool) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.model.set_rows(rows)
        self.table.scrollToBottom()
        self.details.clear()
        self._show_count(truncated)
        if self.follow_box.isChecked():
            self._poll_timer.start()
        self.loaded.emit(len(rows))

    @Slot(int, object)
    def on_worker_appended(self, generation: int, rows: list[LogRow]) -> None:
        self._polling = False
        if generation != self._generation or not rows:
            return
        scrollbar = self.table.verticalScrollBar()
        at_bottom = scrollbar.value() >= scrollbar.maximum() - 2
        self.model.append_rows(rows)
        if at_bottom:
            self.table.scrollToBottom()
        self._show_count(self.model.rowCount() >= self.max_rows)
        self.appended.emit(len(rows))

    @Slot(int, str)
    def on_worker_failed(self, generation: int, message: str) -> None:
        self._polling = False
        if generation != self._generation:
            return
        self._loading = False
        self.status.setText(message)
        self.failed.emit(message)
        if self.follow_box.isChecked():
            self._poll_timer.start()  # keep trying: the server may be back

    def _show_count(self, truncated: bool) -> None:
        count = self.model.rowCount()
        if count == 0:
            text = (
                self.tr("No records match these filters.")
                if not self.filters().is_empty
                else self.tr("The log is empty.")
            )
        elif truncated:
            text = self.tr("Showing the newest %n record(s); older ones are not loaded.", "", count)
        else:
            text = self.tr("Showing %n record(s).", "", count)
        self.status.setText(text)

    # -- closing ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop polling and let the worker thread end (never waits for it)."""
        self._poll_timer.stop()
        self._filter_timer.stop()
        self._generation += 1
        self._worker.latest = self._generation  # a search in progress stops
        self._thread.retire()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
