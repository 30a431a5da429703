"""One row of the fault matrix, as a fault test fills it in and the report prints it.

A fault test asks for the ``fault`` fixture, names the fault, and fills in the three other
columns from what it measured::

    row = fault("SQLite file made read-only while running")
    row.sees(problem["detail"])            # what the user is shown, word for word
    row.recovered(seconds, "automatic, once the file is writable again")
    row.lost("nothing: 0 of 120 acknowledged orders missing")

When the test passes, its rows are appended (one JSON object per line) to the file named
by ``VIGIA_FAULT_REPORT``; ``python -m tests.faults.report`` runs the matrix with that set
and prints the table. A passing test that left a column empty is an error, so the table
never has a hole a test forgot to fill.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPORT_ENV = "VIGIA_FAULT_REPORT"

# A test's temp folders, as the product names them in its messages: shown as the user would
# see their own folders ($VIGIA_HOME/vigia.db), not as /tmp/pytest-of-root/pytest-65/....
_TEMP_HOME = re.compile(r"/tmp/pytest-of-[^/\s]+/pytest-\d+/[^/\s]+/home\d*")
_TEMP_DIR = re.compile(r"/tmp/pytest-of-[^/\s]+/pytest-\d+/[^/\s]+")


def _plain_paths(text: str) -> str:
    return _TEMP_DIR.sub("<temp>", _TEMP_HOME.sub("$VIGIA_HOME", text))


@dataclass
class FaultRow:
    fault: str
    test: str = ""  # the pytest node id that produced the row
    user_sees: str = ""
    recovery: str = ""
    data_lost: str = ""
    _started: float = field(default_factory=time.monotonic, repr=False)

    def sees(self, text: str) -> None:
        """What the user is shown, quoted as the product showed it (joined if called twice)."""
        text = _plain_paths(" ".join(text.split()))
        self.user_sees = f"{self.user_sees} / {text}" if self.user_sees else text

    def recovered(self, seconds: float, how: str) -> None:
        """Recovery took ``seconds`` (measured by the test); ``how`` says what brought it back."""
        self.recovery = _plain_paths(f"{seconds:.2f} s, {how}")

    def recovery_is(self, text: str) -> None:
        """For faults with no timed recovery (refused at start, nothing to recover)."""
        self.recovery = _plain_paths(text)

    def lost(self, text: str) -> None:
        self.data_lost = _plain_paths(text)

    def missing(self) -> list[str]:
        return [name for name in ("user_sees", "recovery", "data_lost") if not getattr(self, name)]

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("_started")
        return json.dumps(data, ensure_ascii=False)


def read_rows(path: Path) -> list[FaultRow]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(FaultRow(**json.loads(line)))
    return rows


def append_rows(path: Path, rows: list[FaultRow]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(row.to_json() + "\n")
