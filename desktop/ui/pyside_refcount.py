"""A guard against a reference-counting bug of PySide6 6.12 on Python 3.11.

With PySide6 6.12.0 on CPython 3.11, a PySide6 call that returns ``None`` (every
``void`` method: ``setText``, ``show``, ``processEvents`` ...) or a ``bool`` from
``SignalInstance.emit``/``disconnect`` hands back ``None``/``True``/``False`` without
taking a reference to it, so each call takes one reference away from that object. (On
Python 3.12 and later these objects are immortal and the missing reference does no harm,
which is presumably why it went unnoticed.) On 3.11, once the count reaches 0 the
interpreter aborts: "Fatal Python error: none_dealloc: deallocating None". Measured on
the tray with its dashboard open and an idle backend: ``None`` lost about 75 references
a second out of about 115,000, an abort after some 25 minutes, at a moment that has
nothing to do with the cause.

:func:`install` (run when :mod:`desktop.ui` is imported) asks the running PySide6
whether it takes references away, on a probe object; only if it does, it makes ``None``,
``True`` and ``False`` as good as immortal, the way Python 3.12 does: their reference
counts are raised by 2**60, which no run of the tray can use up. Nothing else changes,
and calls cost what they cost. With a PySide6 without the bug, or on Python 3.12 and
later, it does nothing. The remedy proper is a PySide6 release without the bug, or
Python 3.12 or later: pyproject.toml excludes 6.12.0 and constraints.txt pins 6.11.3,
which was measured not to lose references (100,000 ``setText`` calls, none lost); this
guard stays for an install that ends up with 6.12.0 anyway.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

PIN = 1 << 60  # references added to each of None, True and False
_PROBES = 16
_SINGLETONS: tuple[object, ...] = (None, True, False)

_pinned: bool | None = None  # after install(): whether the guard was needed


class _Probe(QObject):
    ping = Signal()

    def on_ping(self) -> None:
        pass


def _refs() -> int:
    return sum(sys.getrefcount(obj) for obj in _SINGLETONS)


def takes_references() -> bool:
    """The running PySide6 takes references from None/True/False (a few calls on a
    probe object; another thread's references are noise, hence the margin)."""
    probe = _Probe()
    before = _refs()
    for _ in range(_PROBES):
        probe.setObjectName("probe")  # returns None
        probe.ping.emit()  # returns True
    return before - _refs() >= _PROBES  # two calls each time: the bug loses 2 * _PROBES


def _pin(obj: object) -> None:
    # CPython: a PyObject starts with its reference count (a Py_ssize_t). The GIL is
    # held; a count changed by another thread in between is off by one or two, nothing.
    count = ctypes.c_ssize_t.from_address(id(obj))
    count.value += PIN


def install() -> bool:
    """Pin None, True and False if this PySide6 needs it (once); True if it did."""
    global _pinned
    if _pinned is not None:
        return _pinned
    _pinned = False
    if sys.version_info >= (3, 12):
        return False  # immortal already
    if hasattr(sys, "gettotalrefcount") or not takes_references():
        return False  # a debug build has another object layout; or no bug
    for obj in _SINGLETONS:
        _pin(obj)
    _pinned = True
    log.debug("PySide6 takes references from None/True/False; they are pinned")
    return True
