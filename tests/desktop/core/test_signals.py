"""Signal: the Qt-free list of callbacks."""

from __future__ import annotations

import logging

import pytest

from desktop.core.signals import Signal


def test_connected_slots_get_the_value_in_order() -> None:
    signal: Signal[int] = Signal("changed")
    got: list[tuple[str, int]] = []

    def first(value: int) -> None:
        got.append(("first", value))

    def second(value: int) -> None:
        got.append(("second", value))

    signal.connect(first)
    signal.connect(second)
    signal.emit(1)
    signal.disconnect(first)
    signal.disconnect(first)  # not connected any more: ignored
    signal.emit(2)
    assert got == [("first", 1), ("second", 1), ("second", 2)]


def test_a_failing_slot_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    signal: Signal[str] = Signal("toast")
    got: list[str] = []

    def broken(value: str) -> None:
        raise ValueError("UI bug")

    signal.connect(broken)
    signal.connect(got.append)
    with caplog.at_level(logging.ERROR):
        signal.emit("hello")
    assert got == ["hello"]
    [record] = caplog.records
    assert record.getMessage() == "a handler of the toast signal failed" and record.exc_info
