"""End-to-end fixtures: ``vigia serve`` as a real subprocess on port 0 with a temp home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.process import Spawner, VigiaProcess


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawner]:
    """``spawn.start("serve", env={...})`` starts a child; every child is killed at teardown."""
    spawner = Spawner(tmp_path)
    try:
        yield spawner
    finally:
        spawner.kill_all()


@pytest.fixture
def vigia(spawn: Spawner) -> VigiaProcess:
    """A plain ``vigia serve`` (SQLite in its temp home), started and listening."""
    return spawn.start("serve")
