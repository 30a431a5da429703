"""The tray's windows are tested offscreen (no display needed); Qt warnings fail a test
(``qt_log_level_fail`` in pyproject.toml)."""

from __future__ import annotations

import os

# Before pytest-qt creates the QApplication. An explicit choice (a real display) is kept.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
