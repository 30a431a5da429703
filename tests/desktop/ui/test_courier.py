"""The courier: values sent from any thread reach a method on the GUI thread, in order;
nothing reaches a receiver that was deleted or an address that was closed."""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.ui.courier import address_of


class Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[object] = []
        self.on_gui_thread: list[bool] = []

    def on_value(self, value: object) -> None:
        app = QApplication.instance()
        assert app is not None
        self.values.append(value)
        self.on_gui_thread.append(QThread.currentThread() is app.thread())


def flush(qtbot: QtBot) -> None:
    """Everything sent before this has arrived (values arrive in the order sent)."""
    marker = Receiver()
    address_of(marker.on_value).send("flushed")
    qtbot.waitUntil(lambda: marker.values == ["flushed"], timeout=5000)


def test_values_from_worker_threads_arrive_on_the_gui_thread_in_order(qtbot: QtBot) -> None:
    receiver = Receiver()
    address = address_of(receiver.on_value)
    worker = threading.Thread(target=lambda: [address.send(i) for i in range(100)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(receiver.values) == 100, timeout=5000)
    assert receiver.values == list(range(100)) and all(receiver.on_gui_thread)


def test_nothing_reaches_a_deleted_receiver_or_a_closed_address(qtbot: QtBot) -> None:
    gone, closed = Receiver(), Receiver()
    to_gone, to_closed = address_of(gone.on_value), address_of(closed.on_value)
    to_gone.send("on its way")
    del gone
    gc.collect()  # not held by the address: deleted now
    to_closed.send("on its way")
    to_closed.close()
    to_closed.send("later")
    to_gone.send("later")
    flush(qtbot)
    assert closed.values == []


def test_addresses_are_made_on_the_gui_thread_for_qobjects() -> None:
    receiver = Receiver()
    errors: list[Exception] = []

    def off_the_gui_thread() -> None:
        try:
            address_of(receiver.on_value)
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=off_the_gui_thread)
    worker.start()
    worker.join()
    assert [str(e) for e in errors] == ["address_of() is for the GUI thread"]
    with pytest.raises(TypeError):
        address_of(print)
