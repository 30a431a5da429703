"""The one way a worker thread hands a value to the GUI thread.

A worker thread must never touch a Qt object that the GUI thread may delete meanwhile (a
window that closes, and everything parented to it): emitting a signal of an object while
the GUI thread deletes it is a use-after-free, and the process crashes. Checking first
does not help, as the deletion can happen between the check and the emit.

So worker threads touch one Qt object only: the courier, which lives on the GUI thread
and is never deleted. A receiver on the GUI thread gets an :class:`Address` for one of
its methods; the address is a number, it holds no Qt object, so a worker thread may keep
it and send to it at any time::

    address = courier.address_of(self.on_value)   # GUI thread
    address.send(value)                           # any thread, any time

The method runs on the GUI thread, in the order the values were sent. The courier holds
it weakly; a value that arrives after its object was deleted, or after ``close()``, is
dropped. Deletion happens on the GUI thread too, so that check cannot race it.

What a worker thread sends should be plain data: it must hold no Qt object, and nothing
whose last reference should not be dropped on a worker thread.
"""

from __future__ import annotations

import itertools
import logging
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)

Method = Callable[[Any], object]


class Address:
    """Where values for one method go; safe to keep and use on any thread."""

    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key

    def send(self, value: object) -> None:
        """Queue ``value`` for the method (any thread; never blocks)."""
        _courier().arrived.emit((self.key, value))

    def close(self) -> None:
        """Drop the values still on their way, and any sent later (GUI thread)."""
        _courier().routes.pop(self.key, None)


class _Courier(QObject):
    arrived = Signal(object)  # (key, value), from any thread

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[int, weakref.WeakMethod[Method]] = {}
        self.keys = itertools.count(1)
        self.arrived.connect(self.on_arrived, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def on_arrived(self, message: tuple[int, object]) -> None:
        key, value = message
        route = self.routes.get(key)
        method = route() if route is not None else None
        receiver = getattr(method, "__self__", None)
        if method is None or not shiboken6.isValid(receiver):
            log.debug("a value from a worker thread arrived after its receiver was gone")
            return
        method(value)


_instance: _Courier | None = None


def _courier() -> _Courier:
    courier = _instance
    if courier is None:  # pragma: no cover - address_of() made it
        raise RuntimeError("no courier yet: call address_of() on the GUI thread first")
    return courier


def address_of(method: Method) -> Address:
    """An address for ``method``, a bound method of a QObject that lives on the GUI thread
    (call this on the GUI thread). The object is not kept alive by the address."""
    global _instance
    app = QCoreApplication.instance()
    if app is not None and QThread.currentThread() is not app.thread():
        raise RuntimeError("address_of() is for the GUI thread")
    if _instance is None:
        _instance = _Courier()
    receiver = getattr(method, "__self__", None)
    if not isinstance(receiver, QObject):
        raise TypeError("address_of() takes a bound method of a QObject")
    key = next(_instance.keys)
    routes = _instance.routes
    routes[key] = weakref.WeakMethod(method, lambda _: routes.pop(key, None))
    return Address(key)
