"""A Qt-free signal: a list of callbacks called with one value.

The UI layer bridges each one to a Qt signal (``core.changed.connect(qt_signal.emit)``);
Qt then queues the call to the GUI thread. Callbacks run on the emitting thread, which
every emitter documents. A callback that raises is logged and does not stop the others,
nor the worker that emitted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Signal(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._slots: list[Callable[[T], object]] = []
        self._lock = threading.Lock()

    def connect(self, slot: Callable[[T], object]) -> None:
        with self._lock:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[[T], object]) -> None:
        """Remove one connection of ``slot``; a slot that is not connected is ignored."""
        with self._lock:
            if slot in self._slots:
                self._slots.remove(slot)

    def emit(self, value: T) -> None:
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            try:
                slot(value)
            except Exception:
                log.exception("a handler of the %s signal failed", self.name)

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._slots)} connected)>"
