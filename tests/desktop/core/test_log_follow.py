"""Following backend.jsonl across renames (RotatingFileHandler), several rotations
between two looks, copy-truncate, a line still being written; real files in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.log_follow import LogFollower


def append(path: Path, *lines: str, end: str = "\n") -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(line + end for line in lines))


def rotate(path: Path, keep: int = 5) -> None:
    """What RotatingFileHandler.doRollover does."""
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "backend.jsonl"


def test_new_lines_only_from_where_it_started(log: Path) -> None:
    append(log, "a", "b")
    follower = LogFollower(log)
    assert follower.start_at_end() == log.stat().st_size
    assert follower.poll() == []
    append(log, "c")
    assert follower.poll() == [b"c"]
    assert follower.poll() == []


def test_a_line_being_written_waits(log: Path) -> None:
    append(log, "a")
    follower = LogFollower(log)
    follower.start_at_end()
    append(log, '{"half', end="")
    assert follower.poll() == []
    append(log, ' done"}')
    assert follower.poll() == [b'{"half done"}']


def test_rotation_between_looks_loses_nothing(log: Path) -> None:
    append(log, "1")
    follower = LogFollower(log)
    follower.start_at_end()
    append(log, "2", "3")  # written, not yet seen
    rotate(log)
    append(log, "4")
    assert follower.poll() == [b"2", b"3", b"4"]
    assert follower.rotations == 1


def test_several_rotations_between_looks(log: Path) -> None:
    append(log, "0")
    follower = LogFollower(log)
    follower.start_at_end()
    append(log, "1")
    rotate(log)
    append(log, "2")
    rotate(log)
    append(log, "3")
    rotate(log)  # and the new file is not created yet (the handler opens it lazily)
    assert follower.poll() == [b"1", b"2", b"3"]
    append(log, "4")
    assert follower.poll() == [b"4"]


def test_file_appears_later_and_truncation(log: Path) -> None:
    follower = LogFollower(log)
    assert follower.start_at_end() is None
    assert follower.poll() == []
    append(log, "first")
    assert follower.poll() == [b"first"]
    log.write_text("", encoding="utf-8")  # copy-truncate: same file, shorter
    assert follower.poll() == []
    append(log, "after")
    assert follower.poll() == [b"after"]
