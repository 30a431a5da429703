"""Run the fault matrix and print its table (Markdown); ``--readme`` also puts it in README.

    .venv/bin/python -m tests.faults.report            # run tests/faults, print the table
    .venv/bin/python -m tests.faults.report --readme   # ... and replace README's table

Extra arguments go to pytest (``-k sqlite``, say). Every row comes from a passing test
of this run: the text the user was shown, the recovery time the test measured and the data
it found lost. A failed test has no row, and the command exits with pytest's code.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.faults.record import REPORT_ENV, FaultRow, read_rows

REPO = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"
COMMAND = ".venv/bin/python -m tests.faults.report --readme"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.1f} GiB, {platform.system()} "
        f"{platform.release().split('-')[0]}, Python {platform.python_version()}"
    )


def render(rows: list[FaultRow], when: str, duration_s: float) -> str:
    lines = [
        f"Run {when} on {machine()}: {len(rows)} faults, {duration_s / 60:.1f} min. "
        f"Reproduce with `{COMMAND}`.",
        "",
        "| Fault | What the user sees | Recovery (measured) | Data lost |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {_cell(row.fault)} | {_cell(row.user_sees)} | {_cell(row.recovery)} "
            f"| {_cell(row.data_lost)} |"
        )
    return "\n".join(lines) + "\n"


def put_in_readme(table: str, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} block to replace")
    readme.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readme", action="store_true", help="replace README's fault table")
    args, pytest_args = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="vigia-faults-") as tmp:
        target = Path(tmp) / "rows.jsonl"
        target.touch()
        env = {**os.environ, REPORT_ENV: str(target)}
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        started = time.monotonic()
        pytest = [sys.executable, "-m", "pytest", "tests/faults", "-p", "no:cacheprovider"]
        code = subprocess.call(
            [*pytest, *pytest_args],
            cwd=REPO,
            env=env,
        )
        rows = read_rows(target)
    table = render(rows, when, time.monotonic() - started)
    print(table)
    if args.readme:
        if code != 0:
            print("not changing README: some fault tests failed", file=sys.stderr)
        else:
            put_in_readme(table, REPO / "README.md")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
