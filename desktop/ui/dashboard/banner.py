"""The state banner at the top of the dashboard: the state in the tray's colour, why,
and what to do, with a button for the suggested action."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui.icons import COLOURS, state_pixmap
from desktop.ui.status import Action, Level, TrayStatus


class StateBanner(QFrame):
    action_requested = Signal(str)  # an Action value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("state-banner")
        self.icon = QLabel()
        self.title = QLabel()
        self.reason = QLabel()
        self.advice = QLabel()
        self.button = QPushButton()
        self._action: Action | None = None
        self._build()
        self.button.clicked.connect(self.on_button_clicked)

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self.icon)
        texts = QVBoxLayout()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        for label in (self.reason, self.advice):
            label.setWordWrap(True)
        self.title.setObjectName("banner-title")
        self.reason.setObjectName("banner-reason")
        self.advice.setObjectName("banner-advice")
        texts.addWidget(self.title)
        texts.addWidget(self.reason)
        texts.addWidget(self.advice)
        layout.addLayout(texts, 1)
        layout.addWidget(self.button)
        self.button.hide()

    def show_status(self, status: TrayStatus) -> None:
        colour = COLOURS[status.level]
        self.setStyleSheet(
            f"#state-banner {{ border-left: 6px solid {colour}; border-radius: 4px;"
            f" background: palette(base); }}"
        )
        self.icon.setPixmap(state_pixmap(status.level, 40, self.devicePixelRatioF()))
        self.title.setText(self.tr("ERP server: {state}").format(state=status.label))
        # The supervisor's reason is a detail worth showing when something is wrong.
        self.reason.setText(status.reason)
        self.reason.setVisible(bool(status.reason) and status.level is not Level.OK)
        self.advice.setText(status.advice)
        self._action = status.action
        texts = {
            Action.RESTART: self.tr("Restart backend"),
            Action.LOGS: self.tr("View logs"),
            Action.SETTINGS: self.tr("Settings…"),
        }
        if status.action is None:
            self.button.hide()
        else:
            self.button.setText(texts[status.action])
            self.button.show()

    def on_button_clicked(self) -> None:
        if self._action is not None:
            self.action_requested.emit(self._action.value)
