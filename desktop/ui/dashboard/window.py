"""The dashboard: the state banner, the database and computer cards, and tabs with the
response-time graph, the routers and the alerts.

It follows the core through the :class:`~desktop.ui.bridge.CoreBridge` (GUI thread) and
is kept when closed (hidden), so reopening it is instant.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from desktop.core.alerts import AlertRecord
from desktop.core.samples import Sample
from desktop.ui.bridge import CoreBridge
from desktop.ui.context import UiContext
from desktop.ui.dashboard.alerts import AlertsPanel
from desktop.ui.dashboard.banner import StateBanner
from desktop.ui.dashboard.cards import DatabaseCard, SystemCard
from desktop.ui.dashboard.graph import LatencyGraph
from desktop.ui.dashboard.routers import RoutersPanel
from desktop.ui.dashboard.series import database_figures
from desktop.ui.icons import app_icon
from desktop.ui.status import TrayStatus

log = logging.getLogger(__name__)


class DashboardWindow(QMainWindow):
    action_requested = Signal(str)  # the banner's button: an Action value

    def __init__(self, ctx: UiContext, bridge: CoreBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.setObjectName("vigia-dashboard")
        self.setWindowTitle(self.tr("Vigia — dashboard"))
        self.setWindowIcon(app_icon())
        self.banner = StateBanner()
        self.database = DatabaseCard()
        self.system = SystemCard(ctx.home)
        self.graph = LatencyGraph(ctx)
        self.routers = RoutersPanel(ctx)
        self.alerts = AlertsPanel(ctx)
        self.tabs = QTabWidget()
        self._build()
        self._connect_signals()
        latest = ctx.monitor.poller.latest
        if latest is not None:
            self.on_sample_taken(latest)
        self.resize(960, 680)

    def _build(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        cards = QHBoxLayout()
        cards.addWidget(self.database, 1)
        cards.addWidget(self.system, 1)
        layout.addLayout(cards)
        self.tabs.addTab(self.graph, self.tr("Response time"))
        self.tabs.addTab(self.routers, self.tr("Routers"))
        self.tabs.addTab(self.alerts, self.tr("Alerts"))
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _connect_signals(self) -> None:
        self.bridge.sample_taken.connect(self.on_sample_taken)
        self.bridge.alert_changed.connect(self.on_alert_changed)
        self.banner.action_requested.connect(self.action_requested)

    # -- updates (GUI thread, through the bridge) ------------------------------------
    def show_status(self, status: TrayStatus) -> None:
        self.banner.show_status(status)

    @Slot(object)
    def on_sample_taken(self, sample: Sample) -> None:
        self.database.show_figures(database_figures(self.ctx.monitor.poller.recent(3600)))
        self.routers.on_sample_taken(sample)
        self.graph.on_sample_taken(sample)

    @Slot(object)
    def on_alert_changed(self, record: AlertRecord) -> None:
        self.alerts.on_alert_changed(record)

    # -- window ----------------------------------------------------------------------
    def present(self) -> None:
        """Show, restore if minimized, and bring to the front."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Hidden, not destroyed: the tray keeps running and reopening is instant.
        event.ignore()
        self.hide()
