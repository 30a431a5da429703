"""The fault matrix: each test is one fault on real processes, named after the fault.

Every test here is also ``e2e``. The ``fault`` fixture hands out :class:`FaultRow` s; see
``tests/faults/record.py`` for how they end up in the README's table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import spawn, vigia  # noqa: F401  (the same real-process fixtures)
from tests.faults.record import REPORT_ENV, FaultRow, append_rows

HERE = Path(__file__).parent
# Read once, now: the autouse fixture of tests/conftest.py clears every VIGIA_* variable.
REPORT_TARGET = os.environ.get(REPORT_ENV)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def fault(request: pytest.FixtureRequest) -> Iterator[Callable[[str], FaultRow]]:
    """``row = fault("Redis stopped")``: a row of the matrix, recorded if the test passes."""
    rows: list[FaultRow] = []

    def make(name: str) -> FaultRow:
        row = FaultRow(fault=name, test=request.node.nodeid)
        rows.append(row)
        return row

    yield make
    if not request.node.stash.get(_PASSED, False):
        return
    assert rows, "a fault test must describe its fault with fault(...)"
    holes = {row.fault: row.missing() for row in rows if row.missing()}
    assert not holes, f"fault rows with empty columns: {holes}"
    if REPORT_TARGET:
        append_rows(Path(REPORT_TARGET), rows)
