"""One tray per data folder: the lock decides who is first, the local socket carries a
later launch's command."""

from __future__ import annotations

import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.ui.single import SingleInstance, send_command, server_name


def test_names_differ_per_folder(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "x" / ".." / "a")


def test_the_second_launch_is_not_first_and_its_command_reaches_the_first(
    qtbot: QtBot, tmp_path: Path
) -> None:
    first = SingleInstance(tmp_path / "home")
    assert first.acquire()
    assert first.listen()
    try:
        second = SingleInstance(tmp_path / "home")
        assert not second.acquire()

        answers: list[str | None] = []
        # The second launch blocks on its socket; the first answers from the event loop.
        sender = threading.Thread(
            target=lambda: answers.append(send_command(tmp_path / "home", "show", 10))
        )
        with qtbot.waitSignal(first.command_received, timeout=10_000) as blocker:
            sender.start()
        sender.join(10)
        assert blocker.args == ["show"]
        assert answers == ["ok"]

        answers.clear()
        sender = threading.Thread(
            target=lambda: answers.append(send_command(tmp_path / "home", "dance", 10))
        )
        with qtbot.assertNotEmitted(first.command_received, wait=300):
            sender.start()
            qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
        assert answers == ["unknown command"]
    finally:
        first.close()

    # Once the first has gone, the folder is free again.
    again = SingleInstance(tmp_path / "home")
    assert again.acquire()
    again.close()


def test_nobody_answers_when_no_tray_runs(qtbot: QtBot, tmp_path: Path) -> None:
    assert send_command(tmp_path / "nobody", "show", timeout_s=0.5) is None
